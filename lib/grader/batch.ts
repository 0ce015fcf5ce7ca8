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
import { gradeNotebookFile, type Course, type GradeOptions, type SubmissionResult } from "./grade";
import { sha256 } from "./notebook";
import { formatTable, gradebookCsv, gradescopeResults } from "./report";

export interface BatchOptions extends GradeOptions {
  out: string;
  force?: boolean;
  jobs?: number;
  /** Called after each submission (graded or skipped). */
  onProgress?: (done: number, total: number, r: SubmissionResult, skipped: boolean) => void;
}

export interface BatchResult {
  results: SubmissionResult[];
  graded: number;
  skipped: number;
  gradebook: string | null;
}

/** Every .ipynb under `dir` (not checkpoints, not inside `exclude`), as [file, submission name]. */
export function findSubmissions(input: string, exclude?: string): [string, string][] {
  const st = fs.statSync(input);
  if (st.isFile()) return [[input, path.basename(input).replace(/\.ipynb$/, "")]];
  const out: [string, string][] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (exclude && path.resolve(p) === path.resolve(exclude)) continue;
      if (e.isDirectory()) {
        if (e.name !== ".ipynb_checkpoints" && e.name !== "node_modules") walk(p);
      } else if (e.name.endsWith(".ipynb")) {
        out.push([p, path.relative(input, p).replace(/\.ipynb$/, "").split(path.sep).join("/")]);
      }
    }
  };
  walk(input);
  return out;
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function recordDir(out: string, submission: string): string {
  // Submission names come from file names: keep them inside OUT.
  const safe = submission.split("/").map((p) => p.replace(/[^\w.@+-]/g, "_").replace(/^\.+/, "_")).join(path.sep);
  return path.join(out, safe);
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

export async function gradePath(course: Course, input: string, opts: BatchOptions): Promise<BatchResult> {
  const subs = findSubmissions(input, opts.out);
  const isDir = fs.statSync(input).isDirectory();
  const results: SubmissionResult[] = new Array(subs.length);
  let graded = 0;
  let skipped = 0;
  let done = 0;
  const gradebook = isDir ? path.join(opts.out, "gradebook.csv") : null;
  const writeGradebook = () => {
    if (gradebook) writeAtomic(gradebook, gradebookCsv(results.filter(Boolean)));
  };
  let next = 0;
  const worker = async () => {
    while (next < subs.length) {
      const k = next++;
      const [file, name] = subs[k];
      const hash = sha256(fs.readFileSync(file));
      const old = opts.force ? null : previous(opts.out, name, hash, course.hash);
      let r: SubmissionResult;
      if (old) {
        r = old;
        skipped++;
      } else {
        try {
          r = await gradeNotebookFile(course, file, name, opts);
        } catch (e) {
          r = {
            submission: name, file, sha256: hash, courseHash: course.hash, notebook: null, score: 0, maxScore: 0, exercises: [],
            lockedChanges: [], notes: [], gradedAt: new Date().toISOString(), durationMs: 0,
            error: `the grader failed on this submission: ${(e as Error).message}`,
          };
        }
        const dir = recordDir(opts.out, name);
        writeAtomic(path.join(dir, "grade.json"), JSON.stringify(r, null, 1) + "\n");
        writeAtomic(path.join(dir, "results.json"), JSON.stringify(gradescopeResults([r]), null, 1) + "\n");
        writeAtomic(path.join(dir, "report.txt"), formatTable(r) + "\n");
        graded++;
      }
      results[k] = r;
      done++;
      writeGradebook();
      opts.onProgress?.(done, subs.length, r, !!old);
    }
  };
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), subs.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  writeGradebook();
  return { results, graded, skipped, gradebook };
}

/** Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (CI logs, pipes). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = !!stream.isTTY;
  return (done: number, total: number, r: SubmissionResult, skipped: boolean) => {
    const what = `${r.submission}: ${skipped ? "already graded, " : ""}${r.error ? "error" : `${r.score}/${r.maxScore}`}`;
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
