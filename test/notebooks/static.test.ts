/** The committed student notebooks: generated from notebooks/src, project kernel, no outputs, all exercises solvable. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { exerciseId, parseNotebook } from "../../lib/grader/notebook";
import { ROOT } from "../helpers/notebook";

const dir = path.join(ROOT, "notebooks");
const notebooks = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

describe("committed notebooks", () => {
  it("cover the course map 00-13 in order, each with its percent-format source", () => {
    const numbers = notebooks.map((f) => Number(f.slice(0, 2)));
    expect(numbers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (const f of notebooks) expect(fs.existsSync(path.join(dir, "src", f.replace(/\.ipynb$/, ".ts"))), f).toBe(true);
  });

  it("are in sync with notebooks/src (npm run notebooks)", () => {
    // Exits non-zero and names the stale notebook otherwise.
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "nbsrc.mjs"), "--check"], { cwd: ROOT, stdio: "pipe" });
  });

  it("count trials, episodes, iterations and rounds with integer ticks (integerX on such an x axis)", () => {
    // A chart's options object: the innermost {...} around an xTitle that counts something.
    const counted = /xTitle: "(trial|episode|(?:[\w ]+ )?iteration|[\w.]+ round|round[^"]*)"/;
    const missing: string[] = [];
    for (const f of notebooks) {
      const src = fs.readFileSync(path.join(dir, "src", f.replace(/\.ipynb$/, ".ts")), "utf8");
      for (const m of src.matchAll(new RegExp(counted.source, "g"))) {
        const open = src.lastIndexOf("{", m.index);
        const close = src.indexOf("}", m.index);
        if (!src.slice(open, close).includes("integerX: true"))
          missing.push(`${f}: ${m[0]} (line ${src.slice(0, m.index).split("\n").length})`);
      }
    }
    expect(missing).toEqual([]);
  });

  for (const f of notebooks) {
    it(`${f}: tslab kernelspec, outputs cleared, every exercise has a solution and a grader spec`, () => {
      const nb = parseNotebook(fs.readFileSync(path.join(dir, f), "utf8"));
      expect(nb.metadata.kernelspec).toMatchObject({ name: "tslab", language: "typescript" });
      const stem = f.replace(/\.ipynb$/, "");
      for (const c of nb.cells) {
        if (c.cell_type !== "code") continue;
        expect(c.outputs, `${f}: committed with outputs`).toEqual([]);
        expect(c.execution_count).toBeNull();
        const id = exerciseId(c);
        if (!id) continue;
        expect(fs.existsSync(path.join(ROOT, "solutions", stem, `${id}.ts`)), `${stem}/${id} solution`).toBe(true);
        expect(fs.existsSync(path.join(ROOT, "test", "grading", "specs", stem, `${id}.ts`)), `${stem}/${id} spec`).toBe(true);
      }
    });
  }
});
