/**
 * Committed results of runs too long for a notebook: datasets/results/<name>.json, written by a
 * benchmark's `--out` option. A notebook plots them and names the command beside the plot; the file
 * records that command in its `command` field, so a missing or stale file says how to remake it.
 *
 *   const r = loadResult("dyna-ablation"); r.command; r.runs
 */
import * as fs from "fs";
import * as path from "path";

/** Thrown for a missing or malformed result file. */
export class ResultError extends Error {
  override name = "ResultError";
}

/** The folder of committed results (datasets/results). */
export function resultsDir(): string {
  // datasets/results of the project, from lib/datasets (sources) and from dist/datasets (the build).
  return path.resolve(__dirname, "..", "..", "datasets", "results");
}

/** Reads datasets/results/<name>.json; it must name its benchmark (`bench`) and the `command` that made it. */
export function loadResult<T extends { bench: string; command: string }>(name: string, dir = resultsDir()): T {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    throw new ResultError(`no committed result ${file}: make it with npm run bench -- ${name} --out datasets/results/${name}.json`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ResultError(`result ${file} is not valid JSON (${(e as Error).message}); remake it with its benchmark's --out option`);
  }
  const r = parsed as Partial<T>;
  if (typeof r !== "object" || r === null || typeof r.bench !== "string" || typeof r.command !== "string") {
    throw new ResultError(`result ${file} does not name its benchmark and command ("bench", "command")`);
  }
  return r as T;
}

/**
 * Writes a benchmark's figures as a result file (the other half of loadResult): pretty-printed JSON, so
 * a re-run shows as a readable diff. The figures must name their benchmark and command.
 */
export function saveResult(file: string, figures: { bench: string; command: string }): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(figures, null, 1) + "\n");
}
