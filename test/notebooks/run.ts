/**
 * Shared by the notebook execution tests: solve the course notebooks (reference solutions filled in)
 * into a folder inside the repo, so `mbrl/...` resolves through node_modules/mbrl, and run each one in
 * the real tslab kernel. An error output, stderr output or timeout anywhere fails the test with the
 * failing cell's source and traceback.
 */
import * as fs from "fs";
import * as path from "path";
import { expect, it } from "vitest";
import { solveNotebooks } from "../../lib/grader/release";
import { describeFailure, ROOT, runNotebook } from "../helpers/notebook";
import { OUTPUT_WIDTH } from "../../lib/viz/display";

export interface ExecutedNotebook {
  file: string;
  outputs: { output_type: string; data?: Record<string, unknown>; name?: string; text?: string | string[] }[][];
}

/** Per notebook: one vitest case that executes it; `after` inspects the executed copy. */
export function executeNotebooks(
  group: string,
  select: (stem: string) => boolean,
  after: Record<string, (nb: ExecutedNotebook) => void> = {},
): void {
  const outDir = path.join(ROOT, "test", ".output", `solved-${group}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  const files = solveNotebooks(outDir).filter((f) => select(path.basename(f, ".ipynb")));
  it(`selects some notebooks (${group})`, () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const stem = path.basename(file, ".ipynb");
    it(
      `${stem} executes top to bottom in the tslab kernel with the reference solutions`,
      async () => {
        const executed = path.join(outDir, "executed", `${stem}.ipynb`);
        // cwd notebooks/, like a student's session, so relative dataset paths resolve the same way.
        const t0 = Date.now();
        const r = await runNotebook(file, { out: executed, cellTimeout: 240 });
        // The course promises every notebook runs solved in under 3 minutes on a 2-core machine; the
        // figure is printed (not asserted: a loaded CI machine is no measure of a student's).
        console.log(`[notebook time] ${stem}: ${Math.round((Date.now() - t0) / 1000)} s solved, top to bottom`);
        expect(r.ok, describeFailure(stem, r)).toBe(true);
        // Every plot fits the notebook's output area (lib/viz fits rows of charts when drawing them).
        const saved = JSON.parse(fs.readFileSync(executed, "utf8")) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
        const widths = saved.cells
          .flatMap((c) => c.outputs ?? [])
          .flatMap((o) => {
            const svg = o.data?.["image/svg+xml"];
            const m = /^<svg[^>]*\swidth="([\d.]+)"/.exec([svg ?? ""].flat().join(""));
            return m && o.data?.["application/vnd.vegalite.v5+json"] ? [Number(m[1])] : [];
          });
        expect(
          widths.filter((w) => w > OUTPUT_WIDTH),
          `${stem}: plots wider than ${OUTPUT_WIDTH} px`,
        ).toEqual([]);
        if (after[stem]) {
          const nb = JSON.parse(fs.readFileSync(executed, "utf8"));
          after[stem]({
            file: executed,
            outputs: nb.cells.map((c: { outputs?: unknown[] }) => c.outputs ?? []),
          });
        }
      },
      10 * 60_000,
    );
  }
}
