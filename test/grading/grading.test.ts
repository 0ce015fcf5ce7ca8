/**
 * Proves the grades for EVERY registered exercise (test/grading/specs, and the grader's own fixture course):
 * the reference gets full marks, the untouched stub zero, and every listed mutant loses points.
 * (hostile.test.ts proves the clean zeros for hostile code.)
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeNotebookFile, loadCourse, type SubmissionResult } from "../../lib/grader/grade";
import { cellSource, exerciseId, exercisePoints, parseNotebook, type Notebook } from "../../lib/grader/notebook";
import { defaultPaths, type GraderPaths } from "../../lib/grader/spec";
import { formatTable } from "../../lib/grader/report";
import {
  FIXTURE_NOTEBOOK,
  fixtureNotebook,
  fixturePaths,
  makeSubmission,
  referenceBodies,
  tmpDir,
  writeNotebook,
  type Answer,
  removeTmpDirs,
} from "./helpers";

afterAll(removeTmpDirs);

interface Registered {
  label: string;
  paths: GraderPaths;
}

const COURSES: Registered[] = [
  { label: "course", paths: defaultPaths() },
  { label: "grader fixture", paths: fixturePaths() },
];

const scratch = tmpDir("grading-test");
let counter = 0;

for (const reg of COURSES) {
  // The suite factory is async (vitest awaits it while collecting), so tests can be made per loaded spec.
  describe.concurrent(`${reg.label}: every exercise`, async () => {
    // Specs whose notebook is not converted yet are proven against a stand-in made from their solution file.
    const course = await loadCourse(reg.paths, { standInForMissing: true });
    for (const [stem, nb] of course.notebooks) {
      const trusted = nb.trusted;
      const label = nb.standIn ? `${stem} (stand-in: notebook not converted yet)` : stem;
      const reference: Record<string, Answer> = {};
      for (const ex of nb.exercises) reference[ex.ls.spec.id] = { body: referenceBodies(ex.ls.solutionFile) };

      const grade = async (answers: Record<string, Answer>, only?: string[]): Promise<SubmissionResult> => {
        const file = writeNotebook(path.join(scratch, `${stem}-${++counter}.ipynb`), makeSubmission(trusted, answers));
        return gradeNotebookFile(course, file, path.basename(file), { only });
      };
      const byId = (r: SubmissionResult, id: string) => r.exercises.find((e) => e.id === id)!;

      it(`${label}: the reference solutions get full marks`, async () => {
        const r = await grade(reference);
        expect(r.error).toBeUndefined();
        for (const e of r.exercises) {
          expect(e.status, `${e.id}: ${e.reason}`).toBe("ok");
          expect(e.passed).toBe(e.total);
          expect(e.score).toBe(e.maxScore);
          expect(e.maxScore).toBeGreaterThan(0);
        }
        expect(r.score).toBe(r.maxScore);
        expect(r.lockedChanges).toEqual([]);
      });

      it(`${label}: the untouched student copy scores zero`, async () => {
        const r = await grade({});
        expect(r.score).toBe(0);
        for (const e of r.exercises) {
          expect(e.status).toBe("ok");
          expect(e.reason).toBe("not implemented yet");
        }
      });

      for (const ex of nb.exercises) {
        const { spec } = ex.ls;
        for (const m of spec.mutants) {
          it(`${label}/${spec.id}: mutant "${m.name}" loses points`, async () => {
            // Only the mutated exercise: the others are the reference, proven above.
            const r = await grade({ ...reference, [spec.id]: { body: m.body } }, [spec.id]);
            const e = byId(r, spec.id);
            expect(e.status, e.reason).toBe("ok");
            expect(e.score).toBeLessThan(e.maxScore);
            expect(e.firstFailure).toBeDefined();
            // The failure names the mistake: this mutant, or one listed before it that gives the same outputs.
            const named = spec.mutants.findIndex((x) => x.name === e.firstFailure!.mistake);
            expect(named, `${spec.id}: "${m.name}" named as "${e.firstFailure!.mistake}"`).toBeGreaterThanOrEqual(0);
            expect(named).toBeLessThanOrEqual(spec.mutants.indexOf(m));
          });
        }
      }
    }
  });
}

describe("course registry", () => {
  it("every hidden test loads, its reference runs on its cases, and it finds its exercise cell if the notebook exists", async () => {
    const course = await loadCourse(defaultPaths());
    expect(Object.fromEntries(course.broken)).toEqual({});
    expect(course.pending.filter((p) => !/does not exist yet/.test(p.reason))).toEqual([]);
  });

  it("every exercise cell in notebooks/ has a reference solution and a hidden test, with points", async () => {
    const paths = defaultPaths();
    const course = await loadCourse(paths);
    const files = fs.readdirSync(paths.notebooksDir).filter((f) => f.endsWith(".ipynb"));
    for (const f of files) {
      const nb = parseNotebook(fs.readFileSync(path.join(paths.notebooksDir, f), "utf8"));
      const stem = f.replace(/\.ipynb$/, "");
      for (const c of nb.cells) {
        const id = exerciseId(c);
        if (!id) continue;
        expect(fs.existsSync(path.join(paths.solutionsDir, stem, `${id}.ts`)), `solutions/${stem}/${id}.ts`).toBe(true);
        const graded = course.notebooks.get(stem)?.exercises.map((e) => e.ls.spec.id) ?? [];
        expect(graded, `test/grading/specs/${stem}/${id}.ts`).toContain(id);
        expect(exercisePoints(c)).toBeGreaterThan(0);
        expect(cellSource(c)).toContain(`not implemented yet: ${id}`);
      }
    }
  });

  it("the fixture notebook is up to date with its percent source", () => {
    const committed = JSON.parse(fs.readFileSync(FIXTURE_NOTEBOOK, "utf8")) as Notebook;
    expect(committed).toEqual(fixtureNotebook());
  });
});

describe("submissions that are not clean copies", () => {
  it("reports changed and deleted locked cells, and grades with the original setup", async () => {
    const paths = fixturePaths();
    const course = await loadCourse(paths);
    const trusted = course.notebooks.get("99-fixture")!.trusted;
    const sub = makeSubmission(trusted, {
      "scaled-sum": { body: referenceBodies(path.join(paths.solutionsDir, "99-fixture", "scaled-sum.ts")) },
    });
    // The student changes the setup (SCALE = 3) and deletes the visible check of normalise.
    const setup = sub.cells.find((c) => cellSource(c).startsWith("const SCALE"))!;
    setup.source = ["const SCALE = 3;\n", "function square(x: number): number {\n", "  return x * x;\n", "}"];
    sub.cells = sub.cells.filter((c) => (c.metadata.nbgrader as { grade_id?: string } | undefined)?.grade_id !== "normalise-check");
    const file = writeNotebook(path.join(scratch, "locked.ipynb"), sub);
    const r = await gradeNotebookFile(course, file, "locked");
    expect(r.lockedChanges.some((m) => /cell-\w+ was changed/.test(m))).toBe(true);
    expect(r.lockedChanges).toContain("locked cell normalise-check was deleted");
    expect(r.exercises.find((e) => e.id === "scaled-sum")!.score).toBe(3);
    expect(formatTable(r)).toContain("WARNING: locked cell");
  });

  it("a broken hidden test stops only its own notebook, with a reason on its submissions", async () => {
    const specs = path.join(tmpDir("broken-specs"), "specs");
    fs.mkdirSync(path.join(specs, "99-fixture"), { recursive: true });
    const good = fs.readFileSync(path.join(fixturePaths().specsDir, "99-fixture", "normalise.ts"), "utf8");
    const spec = JSON.stringify(path.resolve(__dirname, "..", "..", "lib", "grader", "spec"));
    fs.writeFileSync(path.join(specs, "99-fixture", "normalise.ts"), good.replace(/"[./]+lib\/grader\/spec"/, spec));
    fs.writeFileSync(
      path.join(specs, "99-fixture", "scaled-sum.ts"),
      `export default { notebook: "99-fixture", id: "scaled-sum", entry: "scaledSum", cases: [], mutants: [] };\n`,
    );
    const course = await loadCourse({ ...fixturePaths(), specsDir: specs });
    expect(course.notebooks.size).toBe(0);
    expect(course.broken.get("99-fixture")!.join(" ")).toMatch(/scaled-sum\.ts: list at least two mutants/);
    const file = writeNotebook(path.join(scratch, "99-fixture.ipynb"), makeSubmission(fixtureNotebook(), {}));
    const r = await gradeNotebookFile(course, file, "someone");
    expect(r.error).toMatch(/notebook 99-fixture cannot be graded: its hidden tests are broken/);
  });

  it("a malformed notebook is reported, not thrown", async () => {
    const course = await loadCourse(fixturePaths());
    const file = path.join(scratch, "99-fixture-broken.ipynb");
    fs.writeFileSync(file, '{"cells": [ this is not json');
    const r = await gradeNotebookFile(course, file, "broken");
    expect(r.error).toMatch(/malformed notebook: not valid JSON/);
    expect(r.score).toBe(0);
    expect(r.maxScore).toBe(5);
  });

  it("a renamed submission whose exercise cell lost its metadata is still found by function name", async () => {
    const paths = fixturePaths();
    const course = await loadCourse(paths);
    const sub = makeSubmission(course.notebooks.get("99-fixture")!.trusted, {
      normalise: { body: referenceBodies(path.join(paths.solutionsDir, "99-fixture", "normalise.ts")) },
    });
    for (const c of sub.cells) if (exerciseId(c) === "normalise") c.metadata = {};
    const file = writeNotebook(path.join(scratch, "homework-final-v2.ipynb"), sub);
    const r = await gradeNotebookFile(course, file, "renamed");
    expect(r.notebook).toBe("99-fixture");
    expect(r.exercises.find((e) => e.id === "normalise")!.score).toBe(2);
    expect(r.notes.join(" ")).toMatch(/lost its metadata/);
  });
});
