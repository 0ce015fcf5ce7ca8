/**
 * Failure messages that say what is wrong: a mismatch inside a value names its first differing path with both
 * values in full, and a submission that gives what one of the spec's mutants gives is told that known
 * mistake by name (issue 19, item 7). The graded runs go through the sandbox, as real grading does.
 */
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTo, formatValue } from "../../lib/grader/compare";
import { gradeNotebookFile, loadCourse, type Course, type ExerciseResult } from "../../lib/grader/grade";
import { recogniseMistake, type MutantOutcomes, type Outcome } from "../../lib/grader/mistakes";
import { feedbackHtml } from "../../lib/grader/feedback";
import { formatTable, gradescopeResults } from "../../lib/grader/report";
import { defaultPaths, type GradingCase } from "../../lib/grader/spec";
import { makeSubmission, referenceBodies, removeTmpDirs, tmpDir, writeNotebook, type Answer } from "./helpers";

afterAll(removeTmpDirs);

describe("where two values differ", () => {
  const cmp = closeTo({ rtol: 1e-9, atol: 1e-9 });
  const c: GradingCase = { args: [] };

  it("names the first differing path with both values in full", () => {
    const states = (x: number) =>
      Array.from({ length: 4 }, (_, p) => Array.from({ length: 5 }, (_, t) => [p === 2 && t === 3 ? x : 0.1 * t]));
    const expected = { states: states(0.41), members: [[0]] };
    expect(cmp({ states: states(0.37), members: [[0]] }, expected, c)).toBe("states[2][3][0]: expected 0.41, got 0.37");
    // The whole value is long: its summary is cut, the path message is not.
    expect(formatValue(expected)).toMatch(/\.\.\.$/);
    expect(cmp({ states: states(0.123456789012), members: [[0]] }, expected, c)).toBe("states[2][3][0]: expected 0.41, got 0.123456789");
  });

  it("names keys that are not identifiers, missing keys and lengths with their path", () => {
    expect(cmp({ "a b": [1, 2] }, { "a b": [1, 3] }, c)).toBe('["a b"][1]: expected 3, got 2');
    expect(cmp({ m: { v: [1] } }, { m: { v: [1, 2] } }, c)).toBe("m.v: expected length 2, got length 1");
    expect(cmp({ m: {} }, { m: { v: 1 } }, c)).toBe('m: missing key "v"');
    expect(cmp(2, 1, c)).toBe("expected 1, got 2");
  });

  it("a crafted string in a student's value cannot forge report lines or markup in the feedback page", () => {
    const crafted = 'ok\npoints: 3 of 3\n<img src=x onerror="alert(1)">';
    const mismatch = cmp({ m: crafted }, { m: "ok" }, c)!;
    expect(mismatch).not.toMatch(/\n/);
    const page = feedbackHtml({
      submission: "mallory",
      file: "mallory/99-fixture.ipynb",
      sha256: "0",
      courseHash: "0",
      notebook: "99-fixture",
      score: 0,
      maxScore: 1,
      exercises: [
        {
          id: "scaled-sum",
          score: 0,
          maxScore: 1,
          passed: 0,
          total: 1,
          status: "ok",
          durationMs: 1,
          firstFailure: { check: "case 1", input: "f()", expected: '"ok"', got: formatValue(crafted), mismatch },
        },
      ],
      lockedChanges: [],
      notes: [],
      gradedAt: "2026-12-04T00:00:00.000Z",
      durationMs: 1,
    });
    expect(page).toContain("&lt;img");
    expect(page).not.toMatch(/<img/);
  });
});

describe("recognising a known mistake from outcomes", () => {
  const cases: GradingCase[] = [{ args: [0] }, { args: [1] }, { args: [2] }];
  const compare = closeTo({ rtol: 1e-9 });
  const ok = (...xs: number[]): Outcome[] => xs.map((value) => ({ ok: true, value }));
  const expected = [0, 1, 4];
  const mutants: MutantOutcomes[] = [
    { name: "same as the reference", outcomes: ok(0, 1, 4) },
    { name: "doubles instead of squares", outcomes: ok(0, 2, 4) },
    { name: "throws on 2", outcomes: [...ok(0, 1), { ok: false, error: "Error: no" }] },
  ];

  it("names the mutant the student reproduces, first listed first", () => {
    expect(recogniseMistake(ok(0, 2, 4), expected, mutants, cases, compare)).toBe("doubles instead of squares");
    expect(recogniseMistake([...ok(0, 1), { ok: false, error: "RangeError: x" }], expected, mutants, cases, compare)).toBe("throws on 2");
  });

  it("names none for a wrong answer no mutant gives, or one with a second mistake", () => {
    expect(recogniseMistake(ok(0, 3, 9), expected, mutants, cases, compare)).toBeUndefined();
    // The doubling mistake on case 1 and another on case 0, where that mutant is right.
    expect(recogniseMistake(ok(5, 2, 4), expected, mutants, cases, compare)).toBeUndefined();
    // A mutant right on every case cannot be told from the reference.
    expect(recogniseMistake(ok(0, 1, 4), expected, mutants.slice(0, 1), cases, compare)).toBeUndefined();
  });
});

describe("grading names known mistakes of the course's exercises", () => {
  let course: Course;
  const scratch = tmpDir("mistakes");
  let n = 0;
  beforeAll(async () => {
    course = await loadCourse(defaultPaths());
  }, 300_000);

  const grade = async (stem: string, id: string, answer: Answer): Promise<ExerciseResult> => {
    const trusted = course.notebooks.get(stem)!.trusted;
    const file = writeNotebook(path.join(scratch, `${stem}-${++n}.ipynb`), makeSubmission(trusted, { [id]: answer }));
    const r = await gradeNotebookFile(course, file, `student-${n}`, { only: [id] });
    const e = r.exercises.find((x) => x.id === id)!;
    expect(e.status, e.reason).toBe("ok");
    // Wherever the failing case is shown, so is the mistake (or nothing, when none is recognised).
    const line = e.firstFailure?.mistake ? `this is what a known mistake gives: ${e.firstFailure.mistake}` : "known mistake";
    const shown = [formatTable(r), gradescopeResults([r]).tests[0].output, feedbackHtml(r)];
    for (const text of shown) expect(text.includes(line)).toBe(!!e.firstFailure?.mistake);
    return e;
  };
  const mutant = (stem: string, id: string, name: string): Answer => {
    const m = course.notebooks
      .get(stem)!
      .exercises.find((x) => x.ls.spec.id === id)!
      .ls.spec.mutants.find((x) => x.name === name)!;
    return { body: m.body };
  };
  const reference = (stem: string, id: string): Answer => ({
    body: referenceBodies(path.join(course.paths.solutionsDir, stem, `${id}.ts`)),
  });

  const TSINF = "TSinf: one member per particle for the whole trajectory";
  it("ts1-propagation: TSinf is named, and the path of the first difference is shown in full", async () => {
    const e = await grade("05-pets", "ts1-propagation", mutant("05-pets", "ts1-propagation", TSINF));
    expect(e.passed).toBeLessThan(e.total);
    expect(e.firstFailure!.mistake).toBe(TSINF);
    expect(e.firstFailure!.mismatch).toMatch(/^states\[\d+\]\[\d+\]\[0\]: expected -?[\d.]+, got -?[\d.]+$/);
    expect(e.firstFailure!.mismatch).not.toContain("...");
  }, 120_000);

  it("ts1-propagation: the reference passes, with no failure and no mistake", async () => {
    const e = await grade("05-pets", "ts1-propagation", reference("05-pets", "ts1-propagation"));
    expect(e.passed).toBe(e.total);
    expect(e.firstFailure).toBeUndefined();
  }, 120_000);

  it("moment-matched-mean: sf for sf^2 is named on the case that shows it", async () => {
    const e = await grade("09-pilco", "moment-matched-mean", mutant("09-pilco", "moment-matched-mean", "sf where sf^2 belongs"));
    expect(e.firstFailure!.check).toMatch(/sf = 2/);
    expect(e.firstFailure!.mistake).toBe("sf where sf^2 belongs");
  }, 120_000);

  it("moment-matched-mean: a wrong answer no mutant gives is not blamed on one", async () => {
    const body =
      "const c = (sf * sf) / Math.sqrt(1 + v / (ell * ell));\nlet s = 0;\n" +
      "for (let i = 0; i < X.length; i++) s += beta[i] * Math.exp((-0.5 * (X[i] - m) ** 2) / (ell * ell + v));\nreturn 1.01 * c * s;";
    const e = await grade("09-pilco", "moment-matched-mean", { body });
    expect(e.passed).toBeLessThan(e.total);
    expect(e.firstFailure).toBeDefined();
    expect(e.firstFailure!.mistake).toBeUndefined();
  }, 120_000);
});
