/**
 * Loads the committed transition datasets (datasets/<name>.csv with its manifest <name>.json) and
 * checks them before use: the manifest is complete, the file exists and has the recorded size
 * (a shorter file is reported as truncated), its sha256 matches (otherwise it was edited), the
 * header names the manifest's columns, the row count is the manifest's n and every value is a finite
 * number. Any failure throws a DatasetError saying what is wrong and how to fix it.
 *
 *   const data = loadDataset("pendulum-random");
 *   data.column("theta"); data.select(["theta", "thetadot", "u"]); data.manifest.columns
 */
import * as fs from "fs";
import * as path from "path";
import { sha256, type DatasetManifest } from "./build";

export { buildDataset, DATASET_NAMES, formatNumber, manifestText, type BuiltDataset, type ColumnRole, type ColumnSpec, type DatasetManifest } from "./build";

/** The transitions of a dataset split by column role (the shape of lib/models' Dataset, plus episode ids). */
export interface Transitions {
  states: number[][];
  actions: number[][];
  rewards: number[];
  nextStates: number[][];
  /** Episode index of each row (consecutive rows of one episode form a trajectory). */
  episodes: number[];
  stateColumns: string[];
  actionColumns: string[];
  nextStateColumns: string[];
}

/** Thrown for a missing, truncated, edited or malformed dataset. */
export class DatasetError extends Error {
  override name = "DatasetError";
}

/** The datasets/ folder of the project (works from lib/ sources and from the dist/ build). */
export function datasetsDir(): string {
  return path.resolve(__dirname, "..", "..", "datasets");
}

export interface Dataset {
  manifest: DatasetManifest;
  /** Column names in file order. */
  columns: string[];
  /** Number of rows (transitions). */
  n: number;
  /** All values, row-major (n x columns.length). */
  data: Float64Array;
  /** One column as a Float64Array (a copy). Throws for an unknown name. */
  column(name: string): Float64Array;
  /** The given columns as rows: number[n][names.length]. */
  select(names: readonly string[]): number[][];
  /** States, actions, rewards and next states by the manifest's column roles. */
  transitions(): Transitions;
}

const REQUIRED: (keyof DatasetManifest)[] = ["name", "file", "system", "systemVersion", "policy", "seed", "n", "columns", "bytes", "sha256"];

/** Reads and checks a manifest; `dir` defaults to the project's datasets/ folder. */
export function readManifest(name: string, dir = datasetsDir()): DatasetManifest {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    const known = listDatasets(dir);
    throw new DatasetError(`dataset "${name}": manifest ${file} not found${known.length ? ` (available: ${known.join(", ")})` : ""}; run \`npm run datasets\` to regenerate`);
  }
  let m: DatasetManifest;
  try {
    m = JSON.parse(fs.readFileSync(file, "utf8")) as DatasetManifest;
  } catch (e) {
    throw new DatasetError(`dataset "${name}": manifest ${file} is not valid JSON (${(e as Error).message})`);
  }
  for (const k of REQUIRED) {
    if (m[k] === undefined || m[k] === null) throw new DatasetError(`dataset "${name}": manifest is missing the field "${k}"`);
  }
  const roles = ["index", "state", "action", "reward", "nextState"];
  if (!Array.isArray(m.columns) || m.columns.some((c) => typeof c?.name !== "string" || typeof c?.unit !== "string" || !roles.includes(c?.role))) {
    throw new DatasetError(`dataset "${name}": manifest "columns" must be a list of {name, unit, role (${roles.join("|")}), description}`);
  }
  return m;
}

/** Names of the datasets with a manifest in `dir`. */
export function listDatasets(dir = datasetsDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Loads and validates a dataset (see the file comment for the checks). */
export function loadDataset(name: string, options: { dir?: string } = {}): Dataset {
  const dir = options.dir ?? datasetsDir();
  const manifest = readManifest(name, dir);
  const file = path.join(dir, manifest.file);
  if (!fs.existsSync(file)) {
    throw new DatasetError(`dataset "${name}": data file ${file} is missing; run \`npm run datasets\` to regenerate it`);
  }
  const bytes = fs.readFileSync(file);
  if (bytes.length < manifest.bytes) {
    throw new DatasetError(`dataset "${name}": ${manifest.file} is truncated (${bytes.length} bytes, the manifest says ${manifest.bytes}); regenerate it with \`npm run datasets\``);
  }
  const text = bytes.toString("utf8");
  const digest = sha256(text);
  if (bytes.length !== manifest.bytes || digest !== manifest.sha256) {
    throw new DatasetError(
      `dataset "${name}": ${manifest.file} does not match its manifest checksum (sha256 ${digest.slice(0, 12)}..., expected ${manifest.sha256.slice(0, 12)}...; ` +
        `${bytes.length} bytes, expected ${manifest.bytes}): the file was edited or corrupted; regenerate it with \`npm run datasets\``,
    );
  }
  return parseCsv(name, text, manifest);
}

function parseCsv(name: string, text: string, manifest: DatasetManifest): Dataset {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const header = (lines[0] ?? "").split(",");
  const expected = manifest.columns.map((c) => c.name);
  if (header.join(",") !== expected.join(",")) {
    throw new DatasetError(`dataset "${name}": the header columns [${header.join(", ")}] differ from the manifest's [${expected.join(", ")}]`);
  }
  const n = lines.length - 1;
  if (n !== manifest.n) throw new DatasetError(`dataset "${name}": ${n} data rows, the manifest says ${manifest.n}`);
  const k = header.length;
  const data = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(",");
    if (cells.length !== k) throw new DatasetError(`dataset "${name}": line ${i + 2} has ${cells.length} values, expected ${k}`);
    for (let j = 0; j < k; j++) {
      const v = cells[j].trim() === "" ? NaN : Number(cells[j]);
      if (!Number.isFinite(v)) throw new DatasetError(`dataset "${name}": line ${i + 2}, column "${header[j]}" is "${cells[j]}", not a finite number`);
      data[i * k + j] = v;
    }
  }
  const index = (col: string): number => {
    const j = header.indexOf(col);
    if (j < 0) throw new DatasetError(`dataset "${name}": no column "${col}"; columns: ${header.join(", ")}`);
    return j;
  };
  const column = (col: string): Float64Array => {
    const j = index(col);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = data[i * k + j];
    return out;
  };
  const select = (names: readonly string[]): number[][] => {
    const js = names.map(index);
    const rows: number[][] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = js.map((j) => data[i * k + j]);
    return rows;
  };
  return {
    manifest,
    columns: header,
    n,
    data,
    column,
    select,
    transitions(): Transitions {
      const byRole = (role: string) => manifest.columns.filter((c) => c.role === role).map((c) => c.name);
      const stateColumns = byRole("state"), actionColumns = byRole("action"), nextStateColumns = byRole("nextState");
      const reward = byRole("reward");
      if (reward.length !== 1 || stateColumns.length === 0 || stateColumns.length !== nextStateColumns.length || actionColumns.length === 0) {
        throw new DatasetError(`dataset "${name}": the column roles do not describe transitions (need states, actions, one reward and as many next-state as state columns)`);
      }
      const hasEpisode = header.includes("episode");
      return {
        states: select(stateColumns),
        actions: select(actionColumns),
        rewards: Array.from(column(reward[0])),
        nextStates: select(nextStateColumns),
        episodes: hasEpisode ? Array.from(column("episode")) : new Array<number>(n).fill(0),
        stateColumns,
        actionColumns,
        nextStateColumns,
      };
    },
  };
}
export { loadResult, resultsDir, ResultError, saveResult } from "./results";
