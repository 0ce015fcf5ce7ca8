/**
 * Committed results of runs too long for a notebook (a paper-scale benchmark, many seeds): each is
 * datasets/results/<name>.json, written by the repo command that produced it and read by the notebook
 * that plots it. The file names its command, so a reader can regenerate it, and its date.
 *
 *   saveResult("mbmf", figures, "npm run bench -- mbmf -- --save")  (in the benchmark)
 *   const r = loadResult<MbmfFigures>("mbmf")                        (in the notebook)
 */
import * as fs from "fs";
import * as path from "path";
import { DatasetError, datasetsDir } from "./index";

export interface SavedResult<T> {
  /** The repo command that regenerates this file. */
  command: string;
  /** When it was written (ISO 8601). */
  date: string;
  result: T;
}

/** datasets/results/<name>.json. */
export function resultFile(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new DatasetError(`result name "${name}": use lower-case letters, digits and dashes`);
  return path.join(datasetsDir(), "results", `${name}.json`);
}

/** Writes a result with the command that made it (pretty-printed so diffs stay readable). */
export function saveResult<T>(name: string, result: T, command: string): string {
  const file = resultFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const saved: SavedResult<T> = { command, date: new Date().toISOString(), result };
  fs.writeFileSync(file, JSON.stringify(saved, null, 1) + "\n");
  return file;
}

/** Reads a committed result; a missing or malformed file throws an error naming the command that regenerates it. */
export function loadResult<T>(name: string): SavedResult<T> {
  const file = resultFile(name);
  if (!fs.existsSync(file)) throw new DatasetError(`result ${name} is missing (${file}); regenerate it with the benchmark that writes it`);
  let saved: SavedResult<T>;
  try {
    saved = JSON.parse(fs.readFileSync(file, "utf8")) as SavedResult<T>;
  } catch (e) {
    throw new DatasetError(`result ${name} (${file}) is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof saved?.command !== "string" || typeof saved.date !== "string" || saved.result === undefined) {
    throw new DatasetError(`result ${name} (${file}) lacks its command, date or result; regenerate it`);
  }
  return saved;
}
