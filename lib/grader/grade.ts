/**
 * Grading one submitted notebook: find which course notebook it is, grade each exercise on its own in the
 * sandbox against the expected values computed here from the reference solutions, and report locked cells
 * the student changed. A broken exercise costs only its own points.
 */
import * as fs from "fs";
import * as path from "path";
import { cleanText, comparator, formatValue, sanitize } from "./compare";
import type { CompileOutcome } from "./compiler";
import { compilePool } from "./compiler";
import { protectFromSandbox } from "./isolation";
import { callCase, mutantOutcomes, recogniseMistake, type MutantOutcomes, type Outcome } from "./mistakes";
import {
  cellSource,
  exerciseId,
  exercisePoints,
  isLocked,
  nbgraderMeta,
  normaliseSource,
  parseNotebook,
  replaceRegions,
  sha256,
  solutionRegions,
  stubLine,
  type NbCell,
  type Notebook,
} from "./notebook";
import { runSandbox } from "./sandbox";
import {
  defaultPaths,
  loadReference,
  loadSpecs,
  specCases,
  type BrokenSpec,
  type GraderPaths,
  type GradingCase,
  type LoadedSpec,
} from "./spec";

export interface FirstFailure {
  check: string;
  input: string;
  expected: string;
  got: string;
  /** Where the values first differ, with both values in full ("states[2][3][0]: expected 0.41, got 0.37"). */
  mismatch?: string;
  /** The name of the spec's mutant whose outputs the submission reproduces (a known mistake). */
  mistake?: string;
}

export interface ExerciseResult {
  id: string;
  score: number;
  maxScore: number;
  passed: number;
  total: number;
  /** "ok" when every check ran (some may have failed), otherwise why nothing could be scored. */
  status: "ok" | "missing" | "syntax-error" | "type-error" | "load-error" | "timeout" | "memory" | "exited" | "protocol";
  reason?: string;
  /** For "type-error": the compiler's messages, with the line and column in the exercise cell. */
  typeErrors?: string[];
  firstFailure?: FirstFailure;
  durationMs: number;
}

export interface SubmissionResult {
  submission: string;
  file: string;
  sha256: string;
  /** Course.hash when graded. */
  courseHash: string;
  notebook: string | null;
  score: number;
  maxScore: number;
  exercises: ExerciseResult[];
  /** Locked cells (setup, visible checks) the student changed or deleted. */
  lockedChanges: string[];
  notes: string[];
  /** Set when the submission could not be graded at all (malformed notebook, unknown notebook, crash). */
  error?: string;
  gradedAt: string;
  durationMs: number;
}

interface PreparedExercise {
  ls: LoadedSpec;
  points: number;
  cases: GradingCase[];
  expected: unknown[];
  setupSources: string[];
  /** The mutants' outcomes on the cases, computed when a submission first fails this exercise. */
  mutants?: Promise<MutantOutcomes[]>;
}

interface PreparedNotebook {
  stem: string;
  trusted: Notebook;
  exercises: PreparedExercise[];
  /** True for a stand-in made from solution files (tests only, see LoadOptions). */
  standIn: boolean;
}

export interface Course {
  paths: GraderPaths;
  notebooks: Map<string, PreparedNotebook>;
  /** Hash of everything grading depends on (hidden tests, references, notebooks): a change means regrade. */
  hash: string;
  /** Specs that cannot be graded yet (their notebook or exercise cell does not exist), with why. */
  pending: { notebook: string; id: string; reason: string }[];
  /** Notebooks whose hidden tests or references are broken (not gradable until fixed), with the errors. */
  broken: Map<string, string[]>;
}

export interface LoadOptions {
  /**
   * For the grader's own tests: grade specs whose notebook does not exist yet against a stand-in notebook
   * made from the solution file (its function with the stub), so mutants are proven before the notebook lands.
   */
  standInForMissing?: boolean;
}

export interface GradeOptions {
  /** Override every spec's wall-time limit (ms, counted from when the graded calls start). */
  timeoutMs?: number;
  /** Override every spec's heap limit (MB; the process is killed above twice this). */
  memoryMb?: number;
  /** Limits for single exercises, by id (tests use it to keep hostile runs short). */
  perExercise?: Record<string, { timeoutMs?: number; memoryMb?: number }>;
  /** Grade only these exercise ids (the others are left out of the result). */
  only?: string[];
  /**
   * "os" (default): every child isolated by the operating system, or grading refuses. "none": for trusted
   * code only (Node's permission model, nothing more).
   */
  isolation?: "os" | "none";
  /** Report TypeScript type errors per exercise, as the notebook would (default true). */
  typecheck?: boolean;
}

/** Submissions larger than this are not parsed (a notebook with its outputs is rarely above a few MB). */
export const MAX_NOTEBOOK_BYTES = 32 << 20;
/** An exercise cell longer than this is not compiled. */
export const MAX_CELL_CHARS = 200_000;

/** A one-cell notebook standing in for one not converted yet: the solution's code with the stub in its regions. */
function standInCell(solutionFile: string, id: string): NbCell {
  const src = fs
    .readFileSync(solutionFile, "utf8")
    .replace(/^export\s+/gm, "")
    .replace(/from\s+"(\.\.\/)+lib\/([\w/-]+)"/g, 'from "mbrl/$2"');
  const stub = replaceRegions(
    src,
    solutionRegions(src).map(() => stubLine(id)),
    true,
  );
  return {
    cell_type: "code",
    source: stub,
    metadata: {
      nbgrader: { schema_version: 3, grade_id: id, solution: true, grade: false, locked: false, task: false },
      mbrl: { exercise: id, points: 1 },
    },
  };
}

/** The spec's cases and the reference's results on them, computed here in the trusted process. */
async function expectedValues(ls: LoadedSpec): Promise<{ cases: GradingCase[]; expected: unknown[] }> {
  const { spec } = ls;
  const ref = await loadReference(ls);
  const cases = specCases(spec);
  const expected: unknown[] = [];
  for (const [i, c] of cases.entries()) {
    const fn = ref[c.fn ?? spec.entry];
    if (typeof fn !== "function") throw new Error(`reference ${ls.solutionFile} does not export ${c.fn ?? spec.entry}`);
    // Arguments are cloned (callCase) so a reference that mutates them cannot change what the student receives.
    const r = await callCase(fn, c.args);
    if (!r.ok) throw new Error(`the reference throws on case ${i}: ${r.error}`);
    expected.push(r.value);
  }
  return { cases, expected };
}

/** Loads specs, trusted notebooks and references, and computes every expected value once. */
export async function loadCourse(paths: GraderPaths = defaultPaths(), opts: LoadOptions = {}): Promise<Course> {
  const brokenSpecs: BrokenSpec[] = [];
  const specs = await loadSpecs(paths, brokenSpecs);
  const notebooks = new Map<string, PreparedNotebook>();
  const pending: Course["pending"] = [];
  const broken = new Map<string, string[]>();
  const breaks = (nb: string, error: string) => broken.set(nb, [...(broken.get(nb) ?? []), error]);
  for (const b of brokenSpecs) breaks(b.notebook, b.error);
  for (const ls of specs) {
    const { spec } = ls;
    if (broken.has(spec.notebook)) continue;
    let nb = notebooks.get(spec.notebook);
    if (!nb) {
      const file = path.join(paths.notebooksDir, `${spec.notebook}.ipynb`);
      if (fs.existsSync(file)) {
        nb = { stem: spec.notebook, trusted: parseNotebook(fs.readFileSync(file, "utf8")), exercises: [], standIn: false };
      } else if (opts.standInForMissing) {
        nb = { stem: spec.notebook, trusted: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }, exercises: [], standIn: true };
      } else {
        pending.push({ notebook: spec.notebook, id: spec.id, reason: `notebook ${spec.notebook}.ipynb does not exist yet` });
        continue;
      }
      notebooks.set(spec.notebook, nb);
    }
    if (nb.standIn) nb.trusted.cells.push(standInCell(ls.solutionFile, spec.id));
    const cells = nb.trusted.cells;
    const at = cells.findIndex((c) => exerciseId(c) === spec.id);
    if (at < 0) {
      pending.push({ notebook: spec.notebook, id: spec.id, reason: `notebook ${spec.notebook} has no exercise cell with id ${spec.id}` });
      continue;
    }
    const setupSources = cells
      .slice(0, at)
      .filter((c) => c.cell_type === "code" && exerciseId(c) === undefined && nbgraderMeta(c)?.grade !== true)
      .map(cellSource);
    try {
      const { cases, expected } = await expectedValues(ls);
      nb.exercises.push({ ls, points: exercisePoints(cells[at]), cases, expected, setupSources });
    } catch (e) {
      breaks(spec.notebook, `${spec.notebook}/${spec.id}: ${(e as Error).message}`);
    }
  }
  // A notebook with a broken hidden test is not graded at all: grading it without that exercise would
  // silently change its maximum score.
  for (const stem of broken.keys()) notebooks.delete(stem);
  // Keep exercises in notebook order.
  for (const nb of notebooks.values()) {
    const order = nb.trusted.cells.map(exerciseId);
    nb.exercises.sort((a, b) => order.indexOf(a.ls.spec.id) - order.indexOf(b.ls.spec.id));
  }
  for (const [stem, nb] of notebooks) if (nb.exercises.length === 0) notebooks.delete(stem);
  // What the sandbox user must never read. As root (the only way the OS isolation runs) "other" permissions
  // come off the course's private folders; grading then checks the sandbox user really cannot read them.
  if (process.getuid?.() === 0) protectFromSandbox(privatePaths(paths));
  compilePool(paths.root).warm();
  const parts: string[] = [];
  for (const nb of notebooks.values()) {
    parts.push(nb.stem, JSON.stringify(nb.trusted.cells.map(cellSource)));
    for (const ex of nb.exercises) parts.push(fs.readFileSync(ex.ls.file, "utf8"), fs.readFileSync(ex.ls.solutionFile, "utf8"));
  }
  return { paths, notebooks, pending, broken, hash: sha256(parts.join("\0")) };
}

/** The course's folders a submission must not be able to read. */
export function privatePaths(paths: GraderPaths): string[] {
  const out = [paths.solutionsDir, paths.specsDir, path.join(paths.root, "test"), path.join(paths.root, "solutions")];
  try {
    if (fs.lstatSync(path.join(paths.root, ".git")).isDirectory()) out.push(path.join(paths.root, ".git"));
  } catch {
    /* not a clone */
  }
  return out;
}

/** Which course notebook a submission is: release metadata, then exercise ids, then the file name. */
function identify(course: Course, nb: Notebook, file: string): string | null {
  const meta = nb.metadata.mbrl as { notebook?: unknown } | undefined;
  if (typeof meta?.notebook === "string" && course.notebooks.has(meta.notebook)) return meta.notebook;
  const ids = new Set(nb.cells.map(exerciseId).filter((x): x is string => !!x));
  let best: string | null = null;
  let bestHits = 0;
  for (const [stem, p] of course.notebooks) {
    const hits = p.exercises.filter((e) => ids.has(e.ls.spec.id)).length;
    if (hits > bestHits) [best, bestHits] = [stem, hits];
  }
  if (best) return best;
  const base = path.basename(file);
  for (const stem of course.notebooks.keys()) if (base.includes(stem)) return stem;
  return null;
}

/** The submission's exercise cell: by grade id (last one wins, as when run top to bottom), else by function name. */
function findExerciseCell(nb: Notebook, id: string, entry: string, notes: string[]): NbCell | undefined {
  const byId = nb.cells.filter((c) => exerciseId(c) === id);
  if (byId.length > 1) notes.push(`${id}: ${byId.length} cells carry this exercise id; the last one was graded`);
  if (byId.length) return byId[byId.length - 1];
  const byName = nb.cells.filter((c) => c.cell_type === "code" && !isLocked(c) && declares(cellSource(c), entry));
  if (byName.length) {
    notes.push(`${id}: the exercise cell lost its metadata; graded the last cell defining ${entry}`);
    return byName[byName.length - 1];
  }
  return undefined;
}

const isIdentChar = (c: string) => /[\w$]/.test(c);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";

/**
 * True when `src` declares `name` (function, const, let or var). A scan that looks back from each
 * occurrence of the name, linear in the source's length (a backtracking regex is quadratic on long runs
 * of spaces, and cells come from students).
 */
export function declares(src: string, name: string): boolean {
  for (let at = src.indexOf(name); at >= 0; at = src.indexOf(name, at + 1)) {
    if ((at > 0 && isIdentChar(src[at - 1])) || (at + name.length < src.length && isIdentChar(src[at + name.length]))) continue;
    let i = at - 1;
    while (i >= 0 && isSpace(src[i])) i--;
    if (src[i] === "*") {
      i--;
      while (i >= 0 && isSpace(src[i])) i--;
    }
    const end = i + 1;
    while (i >= 0 && end - i <= 9 && isIdentChar(src[i])) i--;
    if (i >= 0 && isIdentChar(src[i])) continue;
    const word = src.slice(i + 1, end);
    const star = src.slice(end, at).includes("*");
    if (word === "function" || (["const", "let", "var"].includes(word) && !star && end < at)) return true;
  }
  return false;
}

function lockedChanges(trusted: Notebook, sub: Notebook): string[] {
  const out: string[] = [];
  const byId = new Map<string, NbCell[]>();
  for (const c of sub.cells) {
    const gid = nbgraderMeta(c)?.grade_id;
    if (gid) byId.set(gid, [...(byId.get(gid) ?? []), c]);
  }
  trusted.cells.forEach((c, i) => {
    if (!isLocked(c)) return;
    const gid = nbgraderMeta(c)!.grade_id ?? `cell ${i + 1}`;
    const mine = byId.get(gid);
    if (!mine) out.push(`locked cell ${gid} was deleted`);
    else if (mine.some((m) => normaliseSource(cellSource(m)) !== normaliseSource(cellSource(c)))) {
      out.push(`locked cell ${gid} was changed`);
    }
  });
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** An exercise's cell and its compilation, started before it runs (so compiles of several exercises share a batch). */
interface Compiled {
  ex: PreparedExercise;
  cell: NbCell | undefined;
  compiled: Promise<CompileOutcome> | null;
  tooLong?: number;
}

function startCompile(course: Course, ex: PreparedExercise, cell: NbCell | undefined, opts: GradeOptions): Compiled {
  if (!cell) return { ex, cell, compiled: null };
  const src = cellSource(cell);
  // Size first: nothing longer is parsed, compiled or checked.
  if (src.length > MAX_CELL_CHARS) return { ex, cell, compiled: null, tooLong: src.length };
  const { spec } = ex.ls;
  const entries = [...new Set([spec.entry, ...ex.cases.map((c) => c.fn ?? spec.entry)])];
  const pool = compilePool(course.paths.root, { typecheck: opts.typecheck ?? true });
  return { ex, cell, compiled: pool.compile({ setupSources: ex.setupSources, cell: src, entries }) };
}

async function gradeExercise(course: Course, c: Compiled, opts: GradeOptions, notes: string[] = []): Promise<ExerciseResult> {
  const { ex, cell } = c;
  const { spec } = ex.ls;
  const t0 = Date.now();
  const base = { id: spec.id, maxScore: ex.points, total: ex.cases.length, score: 0, passed: 0 };
  if (!cell) return { ...base, status: "missing", reason: "exercise cell not found in the notebook", durationMs: 0 };
  if (c.tooLong !== undefined || !c.compiled) {
    return {
      ...base,
      status: "syntax-error",
      reason: `the cell is too long to grade (${c.tooLong} characters, limit ${MAX_CELL_CHARS})`,
      durationMs: 0,
    };
  }
  const compiled = await c.compiled;
  if ("failed" in compiled) {
    return { ...base, status: "syntax-error", reason: `could not be compiled: ${compiled.failed}`, durationMs: Date.now() - t0 };
  }
  if (compiled.errors.length) {
    return { ...base, status: "syntax-error", reason: `syntax error: ${cleanText(compiled.errors[0])}`, durationMs: Date.now() - t0 };
  }
  if (compiled.typecheckSkipped) notes.push(`${spec.id}: type-checking took too long and was skipped; the cell was graded as written`);
  if (compiled.typeErrors.length) {
    const typeErrors = compiled.typeErrors.slice(0, 10).map((e) => cleanText(e, 400));
    const more = compiled.typeErrors.length > 1 ? ` (and ${compiled.typeErrors.length - 1} more)` : "";
    return { ...base, status: "type-error", reason: `type error: ${typeErrors[0]}${more}`, typeErrors, durationMs: Date.now() - t0 };
  }
  const outcome = await runSandbox({
    code: compiled.code,
    filename: `${spec.id}.ts`,
    cases: ex.cases.map((c) => ({ fn: c.fn ?? spec.entry, args: c.args })),
    root: course.paths.root,
    timeoutMs: opts.perExercise?.[spec.id]?.timeoutMs ?? opts.timeoutMs ?? spec.timeoutMs ?? 5000,
    memoryMb: opts.perExercise?.[spec.id]?.memoryMb ?? opts.memoryMb ?? spec.memoryMb ?? 256,
    isolation: opts.isolation ?? "os",
  });
  if (outcome.status !== "done") {
    return { ...base, status: outcome.status, reason: outcome.reason, durationMs: Date.now() - t0 };
  }
  const compare = comparator(spec.compare);
  let passed = 0;
  let firstFailure: FirstFailure | undefined;
  const student: Outcome[] = [];
  ex.cases.forEach((c, i) => {
    const r = outcome.results[i];
    const expected = ex.expected[i];
    let problem: string | null;
    let got: string;
    if (r.ok) {
      const value = sanitize(r.value);
      student.push({ ok: true, value });
      got = formatValue(value);
      try {
        problem = compare(value, expected, c);
      } catch (e) {
        problem = `the comparison failed (${cleanText((e as Error).message)})`;
      }
    } else {
      student.push({ ok: false, error: r.error });
      got = `threw ${r.error}`;
      problem = r.error;
    }
    if (problem === null) passed++;
    else if (!firstFailure) {
      const shown = formatValue(expected);
      firstFailure = {
        check: c.label ?? `check ${i + 1}`,
        input: `${c.fn ?? spec.entry}(${c.args.map((a) => formatValue(sanitize(a), 120)).join(", ")})`,
        expected: shown,
        got,
        mismatch: r.ok ? mismatchLine(problem, shown, got) : undefined,
      };
    }
  });
  const stub = firstFailure?.got.includes(`not implemented yet: ${spec.id}`) && passed === 0;
  if (firstFailure && !stub) {
    // Run once per exercise and course load, and only for a failing submission: most pass.
    ex.mutants ??= mutantOutcomes(ex.ls, ex.cases);
    const mistake = recogniseMistake(student, ex.expected, await ex.mutants, ex.cases, compare);
    if (mistake) firstFailure.mistake = mistake;
  }
  return {
    ...base,
    status: "ok",
    passed,
    score: round2((ex.points * passed) / ex.cases.length),
    firstFailure,
    reason: stub ? "not implemented yet" : undefined,
    durationMs: Date.now() - t0,
  };
}

/**
 * The comparison's words, when they add to the expected and received values shown: always when they point
 * inside the value ("states[2][3][0]: expected 0.41, got 0.37"), or when a value shown is cut ("...").
 */
function mismatchLine(problem: string, expected: string, got: string): string | undefined {
  const cut = expected.endsWith("...") || got.endsWith("...");
  return problem.startsWith("expected ") && !cut ? undefined : cleanText(problem, 1000);
}

/**
 * Reads a submitted file without following a symlink, without blocking on a FIFO or device, and only when
 * it is a regular file no larger than MAX_NOTEBOOK_BYTES. Throws an error naming the problem.
 */
export function readSubmission(file: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new Error("not graded: the submission is a symbolic link");
    if (code === "ENOENT") throw new Error("not graded: the file disappeared before it could be read");
    throw new Error(`not graded: the file cannot be read (${code ?? (e as Error).message})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new Error("not graded: a directory named like a notebook");
    if (!st.isFile()) throw new Error("not graded: not a regular file (a FIFO, socket or device)");
    if (st.size > MAX_NOTEBOOK_BYTES) {
      throw new Error(
        `not graded: the file is ${(st.size / (1 << 20)).toFixed(1)} MB, above the ${MAX_NOTEBOOK_BYTES >> 20} MB limit (clear the outputs and resubmit)`,
      );
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = fs.readSync(fd, buf, got, st.size - got, got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** A submission read, parsed, identified and with its exercises' compilation under way. */
export interface PreparedSubmission {
  result: SubmissionResult;
  t0: number;
  compiled: Compiled[];
}

/** The first half of grading a notebook: everything up to running the code (never throws). */
/** A submission's record before anything is graded (also the row of a submission that cannot be graded). */
export function emptyResult(course: Course, submission: string, file: string, sha256 = ""): SubmissionResult {
  return {
    submission,
    file,
    sha256,
    courseHash: course.hash,
    notebook: null,
    score: 0,
    maxScore: 0,
    exercises: [],
    lockedChanges: [],
    notes: [],
    gradedAt: new Date().toISOString(),
    durationMs: 0,
  };
}

export function prepareSubmission(
  course: Course,
  file: string,
  submission = path.basename(file),
  opts: GradeOptions = {},
  /** The file's bytes when already read (with readSubmission). */
  content?: Buffer,
): PreparedSubmission {
  const t0 = Date.now();
  const result = emptyResult(course, submission, file);
  const prepared: PreparedSubmission = { result, t0, compiled: [] };
  let bytes: Buffer;
  try {
    bytes = content ?? readSubmission(file);
  } catch (e) {
    result.error = (e as Error).message;
    return prepared;
  }
  result.sha256 = sha256(bytes);
  let nb: Notebook;
  try {
    nb = parseNotebook(bytes.toString("utf8"));
  } catch (e) {
    const stem = [...course.notebooks.keys()].find((s) => path.basename(file).includes(s));
    if (stem) fillMissing(result, course.notebooks.get(stem)!, "malformed notebook");
    result.error = `malformed notebook: ${cleanText((e as Error).message)}`;
    return prepared;
  }
  try {
    const stem = identify(course, nb, file);
    if (!stem) {
      const meta = nb.metadata.mbrl as { notebook?: unknown } | undefined;
      const brokenStem = [...course.broken.keys()].find((s) => meta?.notebook === s || path.basename(file).includes(s));
      result.error = brokenStem
        ? `notebook ${brokenStem} cannot be graded: its hidden tests are broken (${course.broken.get(brokenStem)![0]})`
        : "could not tell which course notebook this is (no known exercise ids, no known file name)";
      return prepared;
    }
    const pnb = course.notebooks.get(stem)!;
    result.notebook = stem;
    result.lockedChanges = lockedChanges(pnb.trusted, nb);
    for (const ex of pnb.exercises) {
      if (opts.only && !opts.only.includes(ex.ls.spec.id)) continue;
      const cell = findExerciseCell(nb, ex.ls.spec.id, ex.ls.spec.entry, result.notes);
      prepared.compiled.push(startCompile(course, ex, cell, opts));
    }
  } catch (e) {
    result.error = `the grader failed on this submission: ${cleanText((e as Error).message)}`;
  }
  return prepared;
}

/** The second half: runs each exercise in the sandbox and scores it (never throws for a bad submission). */
export async function gradePrepared(course: Course, p: PreparedSubmission, opts: GradeOptions = {}): Promise<SubmissionResult> {
  const { result } = p;
  for (const c of p.compiled) result.exercises.push(await gradeExercise(course, c, opts, result.notes));
  result.score = round2(result.exercises.reduce((s, e) => s + e.score, 0));
  result.maxScore = round2(result.exercises.reduce((s, e) => s + e.maxScore, 0));
  result.durationMs = Date.now() - p.t0;
  return result;
}

/** Grades one notebook file. Never throws for a bad submission: the result carries the reason. */
export async function gradeNotebookFile(
  course: Course,
  file: string,
  submission = path.basename(file),
  opts: GradeOptions = {},
): Promise<SubmissionResult> {
  return gradePrepared(course, prepareSubmission(course, file, submission, opts), opts);
}

function fillMissing(result: SubmissionResult, nb: PreparedNotebook, reason: string): void {
  result.notebook = nb.stem;
  result.exercises = nb.exercises.map((ex) => ({
    id: ex.ls.spec.id,
    score: 0,
    maxScore: ex.points,
    passed: 0,
    total: ex.cases.length,
    status: "missing",
    reason,
    durationMs: 0,
  }));
  result.maxScore = round2(result.exercises.reduce((s, e) => s + e.maxScore, 0));
}
