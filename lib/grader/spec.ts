/**
 * Hidden tests: one module per exercise, `test/grading/specs/<notebook-stem>/<id>.ts`, default-exporting
 * `defineExercise({...})`. A spec says which function to call with which arguments and how to compare;
 * the expected values come from the reference in `solutions/<notebook-stem>/<id>.ts`, computed here in the
 * trusted grader process and never sent to the sandbox.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { makeRng, type Rng } from "../core/random";
import { replaceRegions } from "./notebook";

/** One hidden check: call `fn` (default: the spec's entry) with `args`. */
export interface GradingCase {
  args: unknown[];
  fn?: string;
  label?: string;
}

/** Returns null when `got` is acceptable, else a short reason (e.g. "at [2]: 0.5 vs 0.25"). */
export type CompareFn = (got: unknown, expected: unknown, c: GradingCase) => string | null;

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

export interface Mutant {
  name: string;
  /** Replacement text for the solution region(s) of the exercise cell, one per region. */
  body: string | string[];
}

export interface ExerciseSpec {
  notebook: string;
  id: string;
  /** The graded function's name, as declared in the exercise cell. */
  entry: string;
  cases: GradingCase[] | ((rng: Rng) => GradingCase[]);
  compare?: CompareFn | Tolerance;
  mutants: Mutant[];
  seed?: number;
  timeoutMs?: number;
  memoryMb?: number;
}

/** Identity with type checking, so spec modules read as data. */
export function defineExercise(spec: ExerciseSpec): ExerciseSpec {
  return spec;
}

export interface GraderPaths {
  /** Project root: node_modules and dist/ (for `mbrl/...` imports in the sandbox) live here. */
  root: string;
  notebooksDir: string;
  solutionsDir: string;
  specsDir: string;
}

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export function defaultPaths(root = PROJECT_ROOT): GraderPaths {
  return {
    root,
    notebooksDir: path.join(root, "notebooks"),
    solutionsDir: path.join(root, "solutions"),
    specsDir: path.join(root, "test", "grading", "specs"),
  };
}

/** A loaded spec with its file and the reference module. */
export interface LoadedSpec {
  spec: ExerciseSpec;
  file: string;
  solutionFile: string;
}

async function importTs(file: string): Promise<Record<string, unknown>> {
  // Runs under tsx (the CLI) or vitest, which both load .ts modules.
  const mod = (await import(file)) as Record<string, unknown>;
  return mod;
}

/** A hidden-test file that does not load or is malformed. */
export interface BrokenSpec {
  notebook: string;
  file: string;
  error: string;
}

/**
 * Loads every spec under `specsDir/<notebook>/<id>.ts`, checking names and shapes. A spec that fails is
 * added to `collect` when given (only its notebook becomes ungradable), else thrown.
 */
export async function loadSpecs(paths: GraderPaths): Promise<LoadedSpec[]>;
export async function loadSpecs(paths: GraderPaths, collect: BrokenSpec[]): Promise<LoadedSpec[]>;
export async function loadSpecs(paths: GraderPaths, collect?: BrokenSpec[]): Promise<LoadedSpec[]> {
  if (!fs.existsSync(paths.specsDir)) return [];
  const out: LoadedSpec[] = [];
  for (const nb of fs.readdirSync(paths.specsDir).sort()) {
    const dir = path.join(paths.specsDir, nb);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      if (!f.endsWith(".ts") || f.endsWith(".d.ts")) continue;
      const file = path.join(dir, f);
      try {
        const mod = await importTs(file);
        const spec = (mod.default ?? mod) as ExerciseSpec;
        const problem = checkSpec(spec, nb, f.slice(0, -3));
        if (problem) throw new Error(problem);
        out.push({ spec, file, solutionFile: path.join(paths.solutionsDir, spec.notebook, `${spec.id}.ts`) });
      } catch (e) {
        const error = `hidden test ${path.relative(paths.root, file)}: ${(e as Error).message}`;
        if (!collect) throw new Error(error);
        collect.push({ notebook: nb, file, error });
      }
    }
  }
  return out;
}

function checkSpec(spec: ExerciseSpec, nbDir: string, idFile: string): string | null {
  if (typeof spec !== "object" || spec === null) return "does not default-export defineExercise({...})";
  if (spec.notebook !== nbDir) return `notebook is "${spec.notebook}" but the file is in folder "${nbDir}"`;
  if (spec.id !== idFile) return `id is "${spec.id}" but the file is named "${idFile}.ts"`;
  if (typeof spec.entry !== "string" || !/^[A-Za-z_$][\w$]*$/.test(spec.entry)) return "entry must be a function name";
  if (!Array.isArray(spec.cases) && typeof spec.cases !== "function") return "cases must be a list or a function of an rng";
  if (!Array.isArray(spec.mutants) || spec.mutants.length < 2) return "list at least two mutants (plausible wrong answers)";
  return null;
}

/** The spec's cases, generated with its seed, checked to be plain cloneable data. */
export function specCases(spec: ExerciseSpec): GradingCase[] {
  const cases = typeof spec.cases === "function" ? spec.cases(makeRng(spec.seed ?? 20261122)) : spec.cases;
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`${spec.id}: no grading cases`);
  cases.forEach((c, i) => {
    if (!Array.isArray(c.args)) throw new Error(`${spec.id}: case ${i} has no args list`);
    try {
      structuredClone(c.args);
    } catch {
      throw new Error(`${spec.id}: case ${i} args are not plain data (they must cross to the sandbox)`);
    }
  });
  return cases;
}

/** Imports the reference solution module of a spec. */
export async function loadReference(ls: LoadedSpec): Promise<Record<string, unknown>> {
  if (!fs.existsSync(ls.solutionFile)) throw new Error(`reference solution missing: ${ls.solutionFile}`);
  return importTs(ls.solutionFile);
}

/**
 * Imports the reference with a mutant's body in its solution region(s): the known mistake runs here, in the
 * trusted process, as the reference does. The module is written to a fresh private temporary folder (mode
 * 0700: the sandbox user cannot read it) with the reference's relative imports made absolute, and removed
 * once imported.
 */
export async function loadMutant(ls: LoadedSpec, m: Mutant): Promise<Record<string, unknown>> {
  const dir = path.dirname(ls.solutionFile);
  const src = replaceRegions(fs.readFileSync(ls.solutionFile, "utf8"), Array.isArray(m.body) ? m.body : [m.body], false);
  const absolute = src.replace(/(\bfrom\s+|\bimport\s*\(?\s*)"(\.\.?\/[^"]*)"/g, (_, pre: string, rel: string) => {
    return `${pre}${JSON.stringify(path.resolve(dir, rel))}`;
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-mutant-"));
  try {
    const file = path.join(tmp, path.basename(ls.solutionFile));
    fs.writeFileSync(file, absolute, { mode: 0o600 });
    return await importTs(file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
