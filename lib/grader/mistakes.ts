/**
 * Naming a known mistake: when a submission fails an exercise, its outputs are compared with those of the
 * spec's mutants (the reference with one plausible mistake each). A submission that gives what a mutant
 * gives is told which mistake that is, by the mutant's name only: mutant bodies never leave the grader.
 * The mutants run in the trusted process, like the reference (loadMutant), on the same cases.
 */
import { sanitize } from "./compare";
import { loadMutant, type CompareFn, type GradingCase, type LoadedSpec } from "./spec";

/** What one call returned (sanitized) or threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** A mutant's outcomes on the spec's cases, in order. */
export interface MutantOutcomes {
  name: string;
  outcomes: Outcome[];
}

/** Calls `fn` on a copy of `args` (so a function that mutates them cannot change later cases), awaiting a promise. */
export async function callCase(fn: unknown, args: unknown[]): Promise<Outcome> {
  try {
    if (typeof fn !== "function") throw new Error("not a function");
    let v: unknown = (fn as (...a: unknown[]) => unknown)(...structuredClone(args));
    if (v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function") v = await v;
    return { ok: true, value: sanitize(v) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/**
 * Every mutant of a spec run on its cases. A mutant that does not load here is left out (it can then not be
 * named, and grading goes on); the grading tests prove each one loads and loses points.
 */
export async function mutantOutcomes(ls: LoadedSpec, cases: GradingCase[]): Promise<MutantOutcomes[]> {
  const out: MutantOutcomes[] = [];
  for (const m of ls.spec.mutants) {
    let mod: Record<string, unknown>;
    try {
      mod = await loadMutant(ls, m);
    } catch {
      continue;
    }
    const outcomes: Outcome[] = [];
    for (const c of cases) outcomes.push(await callCase(mod[c.fn ?? ls.spec.entry], c.args));
    out.push({ name: m.name, outcomes });
  }
  return out;
}

/** True when `got` is acceptable against `want` (a comparison that throws says no). */
function agrees(compare: CompareFn, got: Outcome, want: Outcome, c: GradingCase): boolean {
  if (!got.ok || !want.ok) return !got.ok && !want.ok;
  try {
    return compare(got.value, want.value, c) === null;
  } catch {
    return false;
  }
}

/**
 * The first listed mutant the student's outcomes reproduce, or undefined. On every case where the mutant is
 * wrong the student must give the mutant's result; on the other cases the student's result must be the
 * mutant's or right (so a second mistake the mutant does not make is not blamed on it). A mutant that is
 * right on every case cannot be told from the reference and is never named.
 */
export function recogniseMistake(
  student: Outcome[],
  expected: unknown[],
  mutants: MutantOutcomes[],
  cases: GradingCase[],
  compare: CompareFn,
): string | undefined {
  const reference = expected.map((value): Outcome => ({ ok: true, value }));
  return mutants.find((m) => {
    let wrongSomewhere = false;
    for (let i = 0; i < cases.length; i++) {
      const mutantWrong = !agrees(compare, m.outcomes[i], reference[i], cases[i]);
      wrongSomewhere ||= mutantWrong;
      if (agrees(compare, student[i], m.outcomes[i], cases[i])) continue;
      if (mutantWrong || !agrees(compare, student[i], reference[i], cases[i])) return false;
    }
    return wrongSomewhere;
  })?.name;
}
