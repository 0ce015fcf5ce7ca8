/**
 * Grading a notebook or a folder of them into an output folder:
 *   OUT/<submission>/grade.json     our full record (also what lets a re-run skip it)
 *   OUT/<submission>/results.json   Gradescope's format
 *   OUT/<submission>/report.txt     the readable table
 *   OUT/gradebook.csv               one row per submission, rewritten after every submission
 * Submissions run concurrently, one per core. Each submission's files are written as soon as it is graded,
 * so an interrupted batch loses nothing; a re-run skips submissions whose file and course (hidden tests,
 * references, notebooks) have not changed since.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cleanText } from "./compare";
import {
  emptyResult,
  gradePrepared,
  prepareSubmission,
  readSubmission,
  type Course,
  type GradeOptions,
  type PreparedSubmission,
  type SubmissionResult,
} from "./grade";
import { protectFromSandbox } from "./isolation";
import { sha256 } from "./notebook";
import { formatTable, gradebookCsv, gradescopeResults } from "./report";

export interface BatchOptions extends GradeOptions {
  out: string;
  force?: boolean;
  jobs?: number;
  /** Called after each submission (graded or skipped). */
  onProgress?: (done: number, total: number, r: SubmissionResult, skipped: boolean) => void;
  /**
   * Gradescope: one student's upload. Each course notebook is graded once (the copy named exactly like the
   * course's notebook, else the first in name order); other copies become "not graded" rows saying so.
   */
  onePerNotebook?: boolean;
}

export interface BatchResult {
  results: SubmissionResult[];
  graded: number;
  skipped: number;
  gradebook: string | null;
  /** Entries of the folder that were not graded and why (not notebooks, links to folders, too deep, ...). */
  warnings: string[];
}

const MAX_DEPTH = 12;
const MAX_ENTRIES = 200_000;
const NOTEBOOK = /\.ipynb$/i;

/**
 * Every notebook-like entry under `input` (not checkpoints, not inside `exclude`), as [file, submission name].
 * Entries are lstat'ed, never followed: a symlink, FIFO, device or folder named like a notebook is listed
 * too (grading turns it into an error row naming the problem); other entries are skipped with a warning.
 * Submission names have control characters escaped (they reach reports and terminals).
 */
export function findSubmissions(input: string, exclude?: string, warnings: string[] = []): [string, string][] {
  const st = fs.lstatSync(input);
  if (!st.isDirectory()) return [[input, cleanText(path.basename(input).replace(NOTEBOOK, ""), 200)]];
  const out: [string, string][] = [];
  let seen = 0;
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      warnings.push(
        `${cleanText(path.relative(input, d) || ".")}: folder not read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      const rel = path.relative(input, p).split(path.sep).join("/");
      if (++seen > MAX_ENTRIES) {
        warnings.push(`more than ${MAX_ENTRIES} entries: the rest of the folder was not searched`);
        return;
      }
      if (exclude && path.resolve(p) === path.resolve(exclude)) continue;
      if (NOTEBOOK.test(e.name)) {
        // Whatever it is (file, link, FIFO, device, folder), it is named like a submission: it gets a row.
        out.push([p, cleanText(rel.replace(NOTEBOOK, ""), 200)]);
        if (!/\.ipynb$/.test(e.name) && e.isFile()) warnings.push(`${cleanText(rel)}: upper-case extension, graded as a notebook`);
      } else if (e.isDirectory()) {
        if (e.name === ".ipynb_checkpoints" || e.name === "node_modules") continue;
        if (depth >= MAX_DEPTH) warnings.push(`${cleanText(rel)}: nested more than ${MAX_DEPTH} folders deep, not searched`);
        else walk(p, depth + 1);
      } else if (e.isSymbolicLink()) {
        warnings.push(`${cleanText(rel)}: a symbolic link, not followed`);
      } else {
        warnings.push(`${cleanText(rel)}: not a notebook (.ipynb), skipped`);
      }
    }
  };
  walk(input, 0);
  return out;
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * JSON with every character a terminal or an editor would act on written as a \\u escape (JSON.stringify
 * leaves C1 controls, bidi overrides and line separators raw): the same data, safe to `cat`.
 */
export function safeJson(v: unknown): string {
  return (
    JSON.stringify(v, null, 1).replace(
      /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ) + "\n"
  );
}

/** Names the output folder uses itself: a submission's record folder must not take them. */
const RESERVED = /^(gradebook\b.*|results\.json|report\.txt|grade\.json|feedback|index\.html|warnings\.txt)$/i;

/**
 * The record folder of a submission inside OUT, one per submission name: each path component is kept when
 * it is plain ([A-Za-z0-9_.@+-], not starting with a dot, not a reserved output name), otherwise made plain
 * and suffixed with a hash of the original, so `a b`, `a_b` and two different CJK names never share a folder.
 */
export function recordDir(out: string, submission: string): string {
  const parts = submission.split("/").map((p) => {
    const plain =
      p
        .replace(/[^\w.@+-]/g, "_")
        .replace(/^\./, "_")
        .slice(0, 80) || "_";
    if (plain === p && !RESERVED.test(p) && !/-[0-9a-f]{16}$/.test(p)) return p;
    return `${plain}-${sha256(p).slice(0, 16)}`;
  });
  return path.join(out, ...parts);
}

/** The earlier grade of this very file by this very course (hidden tests, references, notebooks), if any. */
function previous(out: string, submission: string, hash: string, courseHash: string): SubmissionResult | null {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(recordDir(out, submission), "grade.json"), "utf8")) as SubmissionResult;
    return r.sha256 === hash && r.submission === submission && r.courseHash === courseHash ? r : null;
  } catch {
    return null;
  }
}

function errorRow(name: string, file: string, course: Course, error: string, sha = ""): SubmissionResult {
  return { ...emptyResult(course, name, file, sha), error };
}

export async function gradePath(course: Course, input: string, opts: BatchOptions): Promise<BatchResult> {
  const warnings: string[] = [];
  const subs = findSubmissions(input, opts.out, warnings);
  const isDir = fs.lstatSync(input).isDirectory();
  fs.mkdirSync(opts.out, { recursive: true, mode: 0o700 });
  // The sandbox user must not read the gradebook, the records or other students' submissions.
  if (process.getuid?.() === 0) protectFromSandbox(isDir ? [opts.out, input] : [opts.out]);
  const results: SubmissionResult[] = new Array(subs.length);
  let graded = 0;
  let skipped = 0;
  let done = 0;
  const gradebook = isDir ? path.join(opts.out, "gradebook.csv") : null;
  const writeGradebook = () => {
    if (!gradebook) return;
    try {
      writeAtomic(gradebook, gradebookCsv(results.filter(Boolean)));
    } catch (e) {
      const w = `the gradebook could not be written (${(e as Error).message})`;
      if (!warnings.includes(w)) warnings.push(w);
    }
  };

  // Reading, parsing and starting the compilation of upcoming submissions runs ahead of the sandboxes, so
  // the compiler type-checks several cells in one batch while the children run.
  type Ahead = { old: SubmissionResult | null; prepared: PreparedSubmission | null; error?: string; hash: string };
  const ahead = new Map<number, Ahead>();
  const prepareAt = (k: number): Ahead => {
    let a = ahead.get(k);
    if (a) return a;
    const [file, name] = subs[k];
    try {
      const bytes = readSubmission(file);
      const hash = sha256(bytes);
      const old = opts.force ? null : previous(opts.out, name, hash, course.hash);
      a = { old, hash, prepared: old ? null : prepareSubmission(course, file, name, opts, bytes) };
    } catch (e) {
      a = { old: null, hash: "", prepared: null, error: cleanText((e as Error).message) };
    }
    ahead.set(k, a);
    return a;
  };
  const duplicateOf = new Map<number, string>();
  if (opts.onePerNotebook) {
    const chosen = new Map<string, number>();
    subs.forEach((_, k) => {
      const stem = prepareAt(k).prepared?.result.notebook;
      if (!stem || prepareAt(k).prepared?.result.error) return;
      const prev = chosen.get(stem);
      const exact = (i: number) => path.basename(subs[i][0]) === `${stem}.ipynb`;
      if (prev === undefined) chosen.set(stem, k);
      else if (!exact(prev) && exact(k)) {
        duplicateOf.set(prev, stem);
        chosen.set(stem, k);
      } else duplicateOf.set(k, stem);
    });
    for (const [k, stem] of duplicateOf) {
      const kept = subs[chosen.get(stem)!][1];
      warnings.push(`${subs[k][1]}: another copy of notebook ${stem}; only ${kept} was graded`);
    }
  }
  const lookahead = Math.max(4, 3 * (opts.jobs ?? os.availableParallelism()));
  let next = 0;
  const worker = async () => {
    while (next < subs.length) {
      const k = next++;
      const [file, name] = subs[k];
      for (let j = k + 1; j < Math.min(subs.length, k + lookahead); j++) prepareAt(j);
      let r: SubmissionResult;
      let wasSkipped = false;
      try {
        const a = prepareAt(k);
        ahead.delete(k);
        if (a.error) r = errorRow(name, file, course, a.error);
        else if (a.old) {
          r = a.old;
          wasSkipped = true;
        } else if (duplicateOf.has(k)) {
          r = errorRow(
            name,
            file,
            course,
            `not graded: another copy of notebook ${duplicateOf.get(k)} in this submission was graded`,
            a.hash,
          );
        } else r = await gradePrepared(course, a.prepared!, opts);
      } catch (e) {
        r = errorRow(name, file, course, `the grader failed on this submission: ${cleanText((e as Error).message)}`);
      }
      if (wasSkipped) skipped++;
      else {
        try {
          const dir = recordDir(opts.out, name);
          writeAtomic(path.join(dir, "grade.json"), safeJson(r));
          writeAtomic(path.join(dir, "results.json"), safeJson(gradescopeResults([r])));
          writeAtomic(path.join(dir, "report.txt"), cleanText(formatTable(r), 1_000_000, true) + "\n");
        } catch (e) {
          warnings.push(`${name}: its records could not be written (${cleanText((e as Error).message)})`);
        }
        graded++;
      }
      results[k] = r;
      done++;
      writeGradebook();
      opts.onProgress?.(done, subs.length, r, wasSkipped);
    }
  };
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), subs.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  writeGradebook();
  return { results, graded, skipped, gradebook, warnings };
}

/** Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (CI logs, pipes). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = !!stream.isTTY;
  return (done: number, total: number, r: SubmissionResult, skipped: boolean) => {
    const what = cleanText(`${r.submission}: ${skipped ? "already graded, " : ""}${r.error ? "error" : `${r.score}/${r.maxScore}`}`, 200);
    if (tty) {
      const width = 30;
      const fill = Math.round((width * done) / total);
      stream.write(`\r\x1b[2K[${"#".repeat(fill)}${".".repeat(width - fill)}] ${done}/${total} ${what.slice(0, 60)}`);
      if (done === total) stream.write("\n");
    } else {
      stream.write(`[grade] ${done}/${total} ${what}\n`);
    }
  };
}
