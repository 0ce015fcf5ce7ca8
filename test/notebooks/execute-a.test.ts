import { describe, expect, it } from "vitest";
import * as path from "path";
import { ROOT, runNotebook } from "../helpers/notebook";
import { executeNotebooks, type ExecutedNotebook } from "./run";

function plotBundles(nb: ExecutedNotebook): Record<string, unknown>[] {
  return nb.outputs.flat().flatMap((o) => (o.data && "application/vnd.vegalite.v5+json" in o.data ? [o.data] : []));
}

describe("notebooks 00-05", () => {
  executeNotebooks("a", (stem) => Number(stem.slice(0, 2)) <= 5, {
    "00-welcome": (nb) => {
      const plots = plotBundles(nb);
      expect(plots.length, "notebook 00 shows at least one plot").toBeGreaterThan(0);
      for (const p of plots) {
        // Vega-Lite for JupyterLab, SVG for the classic notebook, nbconvert and GitHub.
        expect(String(p["image/svg+xml"] ?? "")).toMatch(/^<svg/);
      }
      const html = nb.outputs
        .flat()
        .map((o) => String(o.data?.["text/html"] ?? ""))
        .join("\n");
      expect(html, "notebook 00 shows an animation player").toMatch(/<svg/);
      const text = nb.outputs
        .flat()
        .map((o) => [o.text ?? ""].flat().join(""))
        .join("");
      expect(text).toMatch(/ok: /);
    },
  });
});

describe("student version", () => {
  it("an unsolved exercise stops its check cell with a message naming the exercise, not a dead kernel", async () => {
    const r = await runNotebook(path.join(ROOT, "notebooks", "00-welcome.ipynb"), { cellTimeout: 240 });
    expect(r.ok).toBe(false);
    expect(r.failure?.kind).toBe("error");
    expect(r.failure?.evalue).toMatch(/not implemented yet: discounted-return/);
    expect(r.failure?.source).toMatch(/discountedReturn/);
  }, 300_000);
});
