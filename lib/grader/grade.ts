/**
 * Grading one submitted notebook: find which course notebook it is, grade each exercise on its own in the
 * sandbox against the expected values computed here from the reference solutions, and report locked cells
 * the student changed. A broken exercise costs only its own points.
 */
import * as fs from "fs";
import * as path from "path";
import { comparator, formatValue, sanitize } from "./compare";
import { compileExercise, neededSetup } from "./extract";
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
}

export interface ExerciseResult {
  id: string;
  score: number;
  maxScore: number;
  passed: number;
  total: number;
  /** "ok" when every check ran (some may have failed), otherwise why nothing could be scored. */
  status: "ok" | "missing" | "syntax-error" | "load-error" | "timeout" | "memory" | "exited" | "protocol";
  reason?: string;
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
}

/** A one-cell notebook standing in for one not converted yet: the solution's code with the stub in its regions. */
function standInCell(solutionFile: string, id: string): NbCell {
  const src = fs
    .readFileSync(solutionFile, "utf8")
    .replace(/^export\s+/gm, "")
    .replace(/from\s+"(\.\.\/)+lib\/([\w/-]+)"/g, 'from "mbrl/$2"');
  const stub = replaceRegions(src, solutionRegions(src).map(() => stubLine(id)), true);
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
    try {
      // Arguments are cloned so a reference that mutates them cannot change what the student receives.
      let v: unknown = (fn as (...a: unknown[]) => unknown)(...structuredClone(c.args));
      if (v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function") v = await v;
      expected.push(sanitize(v));
    } catch (e) {
      throw new Error(`the reference throws on case ${i}: ${(e as Error).message}`);
    }
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
  const parts: string[] = [];
  for (const nb of notebooks.values()) {
    parts.push(nb.stem, JSON.stringify(nb.trusted.cells.map(cellSource)));
    for (const ex of nb.exercises) parts.push(fs.readFileSync(ex.ls.file, "utf8"), fs.readFileSync(ex.ls.solutionFile, "utf8"));
  }
  return { paths, notebooks, pending, broken, hash: sha256(parts.join("\0")) };
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
  const decl = new RegExp(`\\b(function\\s*\\*?\\s*|const\\s+|let\\s+|var\\s+)${entry.replace(/\$/g, "\\$")}\\b`);
  const byName = nb.cells.filter((c) => c.cell_type === "code" && !isLocked(c) && decl.test(cellSource(c)));
  if (byName.length) {
    notes.push(`${id}: the exercise cell lost its metadata; graded the last cell defining ${entry}`);
    return byName[byName.length - 1];
  }
  return undefined;
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

async function gradeExercise(
  course: Course,
  ex: PreparedExercise,
  cell: NbCell | undefined,
  opts: GradeOptions,
): Promise<ExerciseResult> {
  const { spec } = ex.ls;
  const t0 = Date.now();
  const base = { id: spec.id, maxScore: ex.points, total: ex.cases.length, score: 0, passed: 0 };
  if (!cell) return { ...base, status: "missing", reason: "exercise cell not found in the notebook", durationMs: 0 };
  const src = cellSource(cell);
  const entries = [...new Set([spec.entry, ...ex.cases.map((c) => c.fn ?? spec.entry)])];
  const compiled = compileExercise(neededSetup(ex.setupSources, src), src, entries);
  if (compiled.errors.length) {
    return { ...base, status: "syntax-error", reason: `syntax error: ${compiled.errors[0]}`, durationMs: Date.now() - t0 };
  }
  const outcome = await runSandbox({
    code: compiled.code,
    filename: `${spec.id}.ts`,
    cases: ex.cases.map((c) => ({ fn: c.fn ?? spec.entry, args: c.args })),
    root: course.paths.root,
    timeoutMs: opts.perExercise?.[spec.id]?.timeoutMs ?? opts.timeoutMs ?? spec.timeoutMs ?? 5000,
    memoryMb: opts.perExercise?.[spec.id]?.memoryMb ?? opts.memoryMb ?? spec.memoryMb ?? 256,
  });
  if (outcome.status !== "done") {
    return { ...base, status: outcome.status, reason: outcome.reason, durationMs: Date.now() - t0 };
  }
  const compare = comparator(spec.compare);
  let passed = 0;
  let firstFailure: FirstFailure | undefined;
  ex.cases.forEach((c, i) => {
    const r = outcome.results[i];
    const expected = ex.expected[i];
    let problem: string | null;
    let got: string;
    if (r.ok) {
      const value = sanitize(r.value);
      got = formatValue(value);
      try {
        problem = compare(value, expected, c);
      } catch (e) {
        problem = `the comparison failed (${(e as Error).message})`;
      }
    } else {
      got = `threw ${r.error}`;
      problem = r.error;
    }
    if (problem === null) passed++;
    else if (!firstFailure) {
      firstFailure = {
        check: c.label ?? `check ${i + 1}`,
        input: `${c.fn ?? spec.entry}(${c.args.map((a) => formatValue(sanitize(a), 120)).join(", ")})`,
        expected: formatValue(expected),
        // The comparison's words add something only when it points inside the value ("at [2] ...").
        got: r.ok && !problem.startsWith("expected ") ? `${got} (${problem})` : got,
      };
    }
  });
  const stub = firstFailure?.got.includes(`not implemented yet: ${spec.id}`) && passed === 0;
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

/** Grades one notebook file. Never throws for a bad submission: the result carries the reason. */
export async function gradeNotebookFile(
  course: Course,
  file: string,
  submission = path.basename(file),
  opts: GradeOptions = {},
): Promise<SubmissionResult> {
  const t0 = Date.now();
  const bytes = fs.readFileSync(file);
  const result: SubmissionResult = {
    submission,
    file,
    sha256: sha256(bytes),
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
  let nb: Notebook;
  try {
    nb = parseNotebook(bytes.toString("utf8"));
  } catch (e) {
    const stem = [...course.notebooks.keys()].find((s) => path.basename(file).includes(s));
    if (stem) fillMissing(result, course.notebooks.get(stem)!, "malformed notebook");
    result.error = `malformed notebook: ${(e as Error).message}`;
    result.durationMs = Date.now() - t0;
    return result;
  }
  const stem = identify(course, nb, file);
  if (!stem) {
    const meta = nb.metadata.mbrl as { notebook?: unknown } | undefined;
    const brokenStem = [...course.broken.keys()].find((s) => meta?.notebook === s || path.basename(file).includes(s));
    result.error = brokenStem
      ? `notebook ${brokenStem} cannot be graded: its hidden tests are broken (${course.broken.get(brokenStem)![0]})`
      : "could not tell which course notebook this is (no known exercise ids, no known file name)";
    result.durationMs = Date.now() - t0;
    return result;
  }
  const prepared = course.notebooks.get(stem)!;
  result.notebook = stem;
  result.lockedChanges = lockedChanges(prepared.trusted, nb);
  for (const ex of prepared.exercises) {
    if (opts.only && !opts.only.includes(ex.ls.spec.id)) continue;
    const cell = findExerciseCell(nb, ex.ls.spec.id, ex.ls.spec.entry, result.notes);
    result.exercises.push(await gradeExercise(course, ex, cell, opts));
  }
  result.score = round2(result.exercises.reduce((s, e) => s + e.score, 0));
  result.maxScore = round2(result.exercises.reduce((s, e) => s + e.maxScore, 0));
  result.durationMs = Date.now() - t0;
  return result;
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
