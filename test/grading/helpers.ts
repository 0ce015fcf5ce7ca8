/**
 * Test helpers: a small percent-format -> ipynb converter writing the same cell metadata as the course's
 * converter (so fixture notebooks look like real ones), and builders for submissions.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultPaths, PROJECT_ROOT, type GraderPaths } from "../../lib/grader/spec";
import {
  cellSource,
  exerciseId,
  regionBodies,
  replaceRegions,
  setCellSource,
  toSourceLines,
  type NbCell,
  type Notebook,
} from "../../lib/grader/notebook";

export const FIXTURES = path.join(__dirname, "fixtures");

export function percentToNotebook(text: string): Notebook {
  const cells: NbCell[] = [];
  let cur: { kind: string; lines: string[] } | null = null;
  const flush = () => {
    if (!cur) return;
    const body = cur.lines.join("\n").replace(/^\n+|\n+$/g, "");
    const ex = /^exercise id=(\S+) points=(\d+)/.exec(cur.kind);
    const ch = /^check id=(\S+)/.exec(cur.kind);
    if (cur.kind === "[markdown]") {
      cells.push({ cell_type: "markdown", metadata: {}, source: toSourceLines(body.replace(/^\/\/ ?/gm, "")) });
    } else if (ex) {
      cells.push({
        cell_type: "code",
        execution_count: null,
        outputs: [],
        source: toSourceLines(body),
        metadata: {
          nbgrader: { schema_version: 3, grade_id: ex[1], solution: true, grade: false, locked: false, task: false },
          mbrl: { exercise: ex[1], points: Number(ex[2]) },
        },
      });
    } else if (ch) {
      const points = (
        cells
          .slice()
          .reverse()
          .find((c) => exerciseId(c) === ch[1])?.metadata.mbrl as { points: number }
      ).points;
      cells.push({
        cell_type: "code",
        execution_count: null,
        outputs: [],
        source: toSourceLines(body),
        metadata: {
          nbgrader: { schema_version: 3, grade_id: `${ch[1]}-check`, solution: false, grade: true, locked: true, points, task: false },
          mbrl: { check: ch[1] },
        },
      });
    } else {
      const hash = crypto.createHash("sha1").update(body).digest("hex").slice(0, 8);
      cells.push({
        cell_type: "code",
        execution_count: null,
        outputs: [],
        source: toSourceLines(body),
        metadata: { nbgrader: { schema_version: 3, grade_id: `cell-${hash}`, solution: false, grade: false, locked: true, task: false } },
      });
    }
  };
  for (const line of text.split("\n")) {
    const m = /^\/\/ %%\s*(.*)$/.exec(line);
    if (m) {
      flush();
      cur = { kind: m[1].trim(), lines: [] };
    } else if (cur) cur.lines.push(line);
  }
  flush();
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript (MBRL course)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells,
  };
}

const made: string[] = [];

/** A fresh temporary folder, removed by removeTmpDirs() (call it in afterAll). */
export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `mbrl-${prefix}-`));
  made.push(d);
  return d;
}

export function removeTmpDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 5 });
}

/** The fixture notebook as generated from its percent source. */
export function fixtureNotebook(): Notebook {
  return percentToNotebook(fs.readFileSync(path.join(FIXTURES, "src", "99-fixture.percent.txt"), "utf8"));
}

export const FIXTURE_NOTEBOOK = path.join(FIXTURES, "notebooks", "99-fixture.ipynb");

/** The fixture course: its notebook (committed, generated from the percent source), solutions and specs. */
export function fixturePaths(): GraderPaths {
  return {
    ...defaultPaths(),
    notebooksDir: path.join(FIXTURES, "notebooks"),
    solutionsDir: path.join(FIXTURES, "solutions"),
    specsDir: path.join(FIXTURES, "specs"),
  };
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** What the student wrote for one exercise: a replacement of the solution region(s), or of the whole cell. */
export type Answer = { body: string | string[] } | { cell: string };

/**
 * A submission built from the trusted notebook: the student copy (markers removed, stubs in place) with the
 * given answers filled in.
 */
export function makeSubmission(trusted: Notebook, answers: Record<string, Answer>): Notebook {
  const nb = structuredClone(trusted);
  for (const cell of nb.cells) {
    const id = exerciseId(cell);
    if (!id) continue;
    const src = cellSource(cell);
    const a = answers[id];
    if (a && "cell" in a) setCellSource(cell, a.cell);
    else {
      const bodies = a ? (Array.isArray(a.body) ? a.body : [a.body]) : regionBodies(src);
      setCellSource(cell, replaceRegions(src, bodies, false));
    }
  }
  return nb;
}

/** The reference body (text between the markers) of every region of a solution file. */
export function referenceBodies(solutionFile: string): string[] {
  return regionBodies(fs.readFileSync(solutionFile, "utf8"));
}

export function writeNotebook(file: string, nb: Notebook): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
  return file;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the project root, asynchronously (concurrent tests must not block on a sync spawn). */
export function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The grader's CLI, as `npm run solve|release|grade|gradescope -- ...` runs it. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  return run(process.execPath, [tsx, path.join(PROJECT_ROOT, "lib", "grader", "cli.ts"), ...args], env);
}

/** CLI flags pointing the grader at the fixture course. */
export const FIXTURE_FLAGS = [
  "--notebooks",
  path.relative(PROJECT_ROOT, path.join(FIXTURES, "notebooks")),
  "--solutions",
  path.relative(PROJECT_ROOT, path.join(FIXTURES, "solutions")),
  "--specs",
  path.relative(PROJECT_ROOT, path.join(FIXTURES, "specs")),
];
