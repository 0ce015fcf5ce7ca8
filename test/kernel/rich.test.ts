/**
 * Rich results of the course kernel: node_modules/tslab/dist/rich.js (added by the tslab patch) on its
 * own, then end to end through the kernel's execute_result and display_data messages.
 */
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../../lib/core";
import { jupyterMissing, outputsOf, ROOT, runCells } from "./python";

interface Bundle {
  data: Record<string, any>;
  metadata: Record<string, unknown>;
}
const rich: { toMimeBundle(v: unknown): Promise<Bundle> } = require(path.join(ROOT, "node_modules", "tslab", "dist", "rich.js"));

/** The rows of the HTML table: each a list of its cell texts (th and td). */
function tableRows(html: string): string[][] {
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]));
}

function withBundle<T extends object>(value: T, bundle: () => unknown): T {
  Object.defineProperty(value, "__mimebundle__", { value: bundle, enumerable: false });
  return value;
}

describe("rich.toMimeBundle", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("shows the bundle of a value with __mimebundle__ (sync or async), adding text/plain if absent", async () => {
    const spec = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "line" };
    const full = withBundle({ ...spec }, async () => ({
      "application/vnd.vegalite.v5+json": spec,
      "image/svg+xml": "<svg></svg>",
      "text/plain": "line chart",
    }));
    expect((await rich.toMimeBundle(full)).data).toEqual({
      "application/vnd.vegalite.v5+json": spec,
      "image/svg+xml": "<svg></svg>",
      "text/plain": "line chart",
    });
    const noText = withBundle({ mark: "point" }, () => ({ "image/svg+xml": "<svg/>" }));
    const b = await rich.toMimeBundle(noText);
    expect(b.data["image/svg+xml"]).toBe("<svg/>");
    expect(b.data["text/plain"]).toBe("{ mark: 'point' }");
    await expect(rich.toMimeBundle(withBundle({}, () => "svg"))).rejects.toThrow(/__mimebundle__\(\) must return an object/);
    await expect(rich.toMimeBundle(withBundle({}, () => ({ svg: "x" })))).rejects.toThrow(/invalid mime type "svg"/);
  });

  it("shows a small tensor as a full table with text/plain", async () => {
    const t = tf.tensor2d([
      [1, 2.5, -3],
      [4, 5, 6],
    ]);
    const { data } = await rich.toMimeBundle(t);
    t.dispose();
    expect(data["text/plain"]).toBe("Tensor float32 [2, 3]\n   0    1   2\n0  1  2.5  -3\n1  4    5   6");
    expect(tableRows(data["text/html"])).toEqual([
      ["", "0", "1", "2"],
      ["0", "1", "2.5", "-3"],
      ["1", "4", "5", "6"],
    ]);
    expect(data["text/html"]).toContain("Tensor float32 [2, 3]");
  });

  it("shows vectors, scalars, bool and rank-3 tensors readably", async () => {
    const v = await rich.toMimeBundle(tf.tensor1d([0.1, 0.2, 0.3]));
    expect(tableRows(v.data["text/html"])).toEqual([
      ["", "0", "1", "2"],
      ["", "0.1", "0.2", "0.3"],
    ]);
    expect((await rich.toMimeBundle(tf.scalar(7, "int32"))).data).toEqual({ "text/plain": "Tensor int32 [] 7" });
    const bool = await rich.toMimeBundle(tf.tensor1d([1, 0], "bool"));
    expect(tableRows(bool.data["text/html"])[1]).toEqual(["", "true", "false"]);
    const cube = await rich.toMimeBundle(tf.range(0, 8).reshape([2, 2, 2]));
    expect(tableRows(cube.data["text/html"]).map((r) => r[0])).toEqual(["", "[0,0]", "[0,1]", "[1,0]", "[1,1]"]);
    const disposed = tf.zeros([2, 2]);
    disposed.dispose();
    expect((await rich.toMimeBundle(disposed)).data["text/plain"]).toBe("Tensor float32 [2, 2] (disposed)");
  });

  it("summarises a large tensor with shape, dtype, statistics and the first/last rows and columns", async () => {
    const big = tf.range(0, 20000).reshape([1000, 20]);
    const { data } = await rich.toMimeBundle(big);
    big.dispose();
    const caption = data["text/plain"].split("\n")[0];
    expect(caption).toBe("Tensor float32 [1000, 20] (20000 values; min 0, max 19999, mean 9999.5)");
    const rows = tableRows(data["text/html"]);
    expect(rows[0]).toEqual(["", "0", "1", "2", "3", "…", "16", "17", "18", "19"]);
    expect(rows.map((r) => r[0])).toEqual(["", "0", "1", "2", "3", "4", "⋮", "995", "996", "997", "998", "999"]);
    expect(rows[1].slice(1, 3)).toEqual(["0", "1"]);
    expect(rows[11][9]).toBe("19999");
    // The plain text has the same preview, with the gaps marked.
    expect(data["text/plain"]).toContain("…");
    expect(data["text/plain"]).toContain("⋮");
    expect(data["text/plain"].split("\n")).toHaveLength(1 + 12);
  });

  it("shows small numeric matrices (number[][], Float64Array rows, Mat) as tables", async () => {
    const m = await rich.toMimeBundle([
      [1, 2],
      [3, 4.25],
    ]);
    expect(m.data["text/plain"]).toBe("Matrix 2×2\n   0     1\n0  1     2\n1  3  4.25");
    expect(tableRows(m.data["text/html"])).toEqual([
      ["", "0", "1"],
      ["0", "1", "2"],
      ["1", "3", "4.25"],
    ]);
    const rows = await rich.toMimeBundle([Float64Array.of(1e-7, 2), Float64Array.of(NaN, -Infinity)]);
    expect(tableRows(rows.data["text/html"]).slice(1)).toEqual([
      ["0", "1e-7", "2"],
      ["1", "NaN", "-Infinity"],
    ]);
    const mat = await rich.toMimeBundle({ rows: 1, cols: 3, data: Float64Array.of(1, 2, 3) });
    expect(mat.data["text/plain"].split("\n")[0]).toBe("Mat 1×3");
    // Not matrices: ragged rows, non-numbers, empty: the inspected text.
    expect((await rich.toMimeBundle([[1, 2], [3]])).data).toEqual({ "text/plain": "[ [ 1, 2 ], [ 3 ] ]" });
    expect((await rich.toMimeBundle([["a"]])).data).toEqual({ "text/plain": "[ [ 'a' ] ]" });
    expect((await rich.toMimeBundle([])).data).toEqual({ "text/plain": "[]" });
    expect((await rich.toMimeBundle(3.5)).data).toEqual({ "text/plain": "3.5" });
  });
});

const missing = jupyterMissing();

describe.skipIf(missing !== null)("rich results through the kernel", () => {
  it("publishes __mimebundle__ bundles, tensor and matrix tables as execute_result and display_data", async () => {
    const run = await runCells([
      // 0: a value with a non-enumerable async __mimebundle__, as lib/viz specs have.
      'const spec = { mark: "bar" };\n' +
        'Object.defineProperty(spec, "__mimebundle__", { value: async () => ({\n' +
        '  "application/vnd.vegalite.v5+json": { mark: "bar" }, "image/svg+xml": "<svg></svg>", "text/plain": "bar chart" }) });\n' +
        "spec",
      // 1-3: tensors and a matrix.
      'import * as tf from "@tensorflow/tfjs-core";\nimport "@tensorflow/tfjs-backend-cpu";\ntf.tensor2d([[1, 2], [3, 4]])',
      "tf.reshape(tf.range(0, 5000), [500, 10])",
      "[[1, 0], [0, 1]]",
      // 4: display.value shows a bundle as display_data.
      'import * as tslab from "tslab";\nawait tslab.display.value(spec);\ntslab.display.bundle({ "text/plain": "hi", "text/html": "<b>hi</b>" });',
      // 5: a failing __mimebundle__ is the cell's error.
      'const broken = { __mimebundle__() { throw new Error("cannot render"); } };\nbroken',
    ]);
    console.log(`[test/kernel] kernel start ${run.startSeconds.toFixed(2)} s, first cell ${run.firstCellSeconds.toFixed(2)} s`);
    const result = (i: number) => {
      expect(run.cells[i].reply.status, JSON.stringify(run.cells[i])).toBe("ok");
      const r = outputsOf(run.cells[i], "execute_result");
      expect(r).toHaveLength(1);
      expect(r[0].execution_count).toBe(run.cells[i].reply.execution_count);
      return r[0].data as Record<string, any>;
    };
    expect(result(0)).toEqual({
      "application/vnd.vegalite.v5+json": { mark: "bar" },
      "image/svg+xml": "<svg></svg>",
      "text/plain": "bar chart",
    });
    const small = result(1);
    expect(small["text/plain"].split("\n")[0]).toBe("Tensor float32 [2, 2]");
    expect(tableRows(small["text/html"])).toEqual([
      ["", "0", "1"],
      ["0", "1", "2"],
      ["1", "3", "4"],
    ]);
    const large = result(2);
    expect(large["text/plain"].split("\n")[0]).toBe("Tensor float32 [500, 10] (5000 values; min 0, max 4999, mean 2499.5)");
    expect(tableRows(large["text/html"]).map((r) => r[0])).toContain("⋮");
    expect(result(3)["text/plain"]).toBe("Matrix 2×2\n   0  1\n0  1  0\n1  0  1");

    const shown = outputsOf(run.cells[4], "display_data").map((d) => d.data);
    expect(shown).toEqual([
      { "application/vnd.vegalite.v5+json": { mark: "bar" }, "image/svg+xml": "<svg></svg>", "text/plain": "bar chart" },
      { "text/plain": "hi", "text/html": "<b>hi</b>" },
    ]);

    expect(run.cells[5].reply.status).toBe("error");
    const [err] = outputsOf(run.cells[5], "error");
    expect(err.ename).toBe("Error");
    expect(err.evalue).toBe("cannot render");
    expect((err.traceback as string[]).join("\n")).toMatch(/In\[6\]:1:\d+/);
  }, 240_000);
});
