/**
 * What happens to the PNG that JupyterLab 4 adds to every Vega chart it draws: saving through
 * `npm start`'s JupyterLab drops it (jupyterlab/mbrl_outputs.py, tested in test/lab/mbrl_lab_test.py
 * and in the browser by test/e2e/lab.test.ts); a notebook saved elsewhere may still carry it, and then
 * the release clears it with every other output and the grader, which reads only the exercise cells'
 * code, grades it exactly as the same notebook without outputs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeNotebookFile, loadCourse } from "../../lib/grader/grade";
import { parseNotebook, type Notebook } from "../../lib/grader/notebook";
import { solveNotebook, studentNotebook } from "../../lib/grader/release";
import { defaultPaths } from "../../lib/grader/spec";

const STEM = "00-welcome";
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-saved-"));
const PNG = Buffer.alloc(750_000, 7).toString("base64"); // ~1 MB of base64, a large chart rendering

/** The notebook as JupyterLab saves it without the hook: each code cell shows a chart with spec, SVG and PNG. */
function withLabOutputs(nb: Notebook): Notebook {
  const out = structuredClone(nb);
  for (const c of out.cells) {
    if (c.cell_type !== "code") continue;
    c.execution_count = 1;
    c.outputs = [
      {
        output_type: "display_data",
        data: { "application/vnd.vegalite.v5+json": { mark: "line" }, "image/svg+xml": "<svg/>", "image/png": PNG, "text/plain": "chart" },
        metadata: { "image/png": { width: 600, height: 300 } },
      },
    ];
  }
  return out;
}

afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe("notebooks saved with JupyterLab's chart PNGs", () => {
  const paths = defaultPaths();
  const committed = parseNotebook(fs.readFileSync(path.join(paths.notebooksDir, `${STEM}.ipynb`), "utf8"));
  const solved = solveNotebook(committed, STEM, paths.solutionsDir);

  it("are released without any output", () => {
    const released = studentNotebook(withLabOutputs(solved), STEM);
    expect(released.cells.every((c) => c.cell_type !== "code" || (c.outputs ?? []).length === 0)).toBe(true);
    expect(JSON.stringify(released)).not.toContain("image/png");
  });

  it("grade exactly like the same notebook without outputs", async () => {
    const plain = path.join(TMP, `${STEM}-plain.ipynb`);
    const heavy = path.join(TMP, `${STEM}-heavy.ipynb`);
    fs.writeFileSync(plain, JSON.stringify(solved));
    fs.writeFileSync(heavy, JSON.stringify(withLabOutputs(solved)));
    expect(fs.statSync(heavy).size).toBeGreaterThan(5_000_000);
    const course = await loadCourse(paths);
    const a = await gradeNotebookFile(course, plain);
    const b = await gradeNotebookFile(course, heavy);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(a.maxScore).toBeGreaterThan(0);
    expect(a.score).toBe(a.maxScore);
    expect(b.notebook).toBe(STEM);
    expect(b.exercises.map((e) => [e.id, e.score, e.status])).toEqual(a.exercises.map((e) => [e.id, e.score, e.status]));
    expect(b.lockedChanges).toEqual(a.lockedChanges);
  });
});
