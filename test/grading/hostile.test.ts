/**
 * Hostile submissions, for EVERY exercise of every real notebook (test/grading/specs: the eight attacks named
 * in the course's promise) and of the grader's fixture course (every variant below): each gets a clean zero
 * on the exercise it attacks, the next exercise of the same notebook is graded correctly, and nothing it
 * controls reaches the report unescaped.
 */
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeNotebookFile, loadCourse, type SubmissionResult } from "../../lib/grader/grade";
import { cellSource, exerciseId } from "../../lib/grader/notebook";
import { formatTable } from "../../lib/grader/report";
import { defaultPaths } from "../../lib/grader/spec";
import { fixturePaths, makeSubmission, referenceBodies, tmpDir, writeNotebook, removeTmpDirs, type Answer } from "./helpers";

afterAll(removeTmpDirs);

/** Hostile answers. `body` replaces the solution region; `cell` builds the whole cell from the original. */
const HOSTILE: { name: string; answer: (cell: string, solutionFile: string) => Answer; status?: string[]; core?: true }[] = [
  { core: true, name: "infinite loop", answer: () => ({ body: "while (true) {}" }), status: ["timeout"] },
  {
    core: true,
    name: "memory bomb (heap)",
    answer: () => ({ body: "const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(Math.random()));" }),
    status: ["memory", "timeout"],
  },
  {
    name: "memory bomb (typed arrays outside the heap)",
    answer: () => ({ body: "const hog: Float64Array[] = [];\nwhile (true) hog.push(new Float64Array(4e6).fill(1));" }),
    status: ["memory", "timeout"],
  },
  { core: true, name: "process.exit(0) in the function", answer: () => ({ body: "process.exit(0);" }), status: ["exited"] },
  { name: "process.exit(0) when the cell runs", answer: (cell) => ({ cell: `process.exit(0);\n${cell}` }), status: ["exited"] },
  {
    core: true,
    name: "reads the solutions folder with fs",
    answer: (cell, sol) => ({
      cell: `import * as fs from "fs";\n${cell.replace(/throw new Error\([^\n]*\);/, `return fs.readFileSync(${JSON.stringify(sol)}, "utf8") as any;`)}`,
    }),
    status: ["load-error"],
  },
  {
    name: "reads the solutions folder through process.binding and require",
    answer: (_cell, sol) => ({
      body:
        `const p: any = process;\n` +
        `const fsb = p.binding("fs");\n` +
        `return (globalThis as any).require("fs").readFileSync(${JSON.stringify(sol)}, "utf8") + String(fsb);`,
    }),
  },
  {
    core: true,
    name: "patches globals and the grader's messaging",
    answer: () => ({
      body: [
        "Math.abs = () => 0;",
        "Number.isNaN = () => true;",
        "Number.isFinite = () => true;",
        "Array.isArray = () => true;",
        "Array.prototype.every = function () { return true; };",
        "JSON.stringify = () => '{\"score\": 100}';",
        "JSON.parse = () => ({ score: 100 });",
        "Object.keys = () => [];",
        "(process as any).send = () => true;",
        "Object.defineProperty(Object.prototype, 'ok', { get: () => true, configurable: true });",
        "return NaN;",
      ].join("\n"),
    }),
  },
  {
    name: "forges grader messages",
    answer: () => ({
      body: [
        "const send = (process as any).send.bind(process);",
        "for (let i = 0; i < 50; i++) send({ type: 'result', index: i, ok: true, value: 0 });",
        "send({ type: 'done' });",
        "return 'forged' as any;",
      ].join("\n"),
    }),
  },
  {
    core: true,
    name: "prints a fake results JSON",
    answer: () => ({
      body: [
        "const fake = JSON.stringify({ score: 1000, tests: [{ name: 'all', score: 1000, max_score: 1 }] });",
        "console.log(fake);",
        "process.stdout.write(fake + '\\n');",
        "console.error(fake);",
        "return 'printed' as any;",
      ].join("\n"),
    }),
  },
  { name: "a value that imitates a number", answer: () => ({ body: "return { valueOf: () => 1, toJSON: () => 1, length: 1 } as any;" }) },
  { core: true, name: "syntax error", answer: () => ({ body: "return (;" }), status: ["syntax-error"] },
  {
    name: "signals the grader (kill, debugger)",
    answer: () => ({
      body: [
        "const p: any = process;",
        "try { p.kill(p.ppid, 'SIGKILL'); } catch {}",
        "try { p._kill(p.ppid, 9); } catch {}",
        "try { p._debugProcess(p.ppid); } catch {}",
        "return 'still here' as any;",
      ].join("\n"),
    }),
  },
  { core: true, name: "throws a number", answer: () => ({ body: "throw 42;" }) },
  {
    name: "throws an Error full of terminal escapes",
    answer: () => ({ body: 'throw new Error("\\x1b[2J\\x1b[32mAll checks pass: 100/100");' }),
  },
  { name: "throws an object whose toString throws", answer: () => ({ body: "throw { toString() { throw new Error('gotcha'); } };" }) },
  { name: "returns a rejected promise of a non-Error", answer: () => ({ body: "return Promise.reject('nope') as any;" }) },
];

const scratch = tmpDir("hostile-test");
let counter = 0;
// Short limits for the attacked exercise only; the others keep their spec's limits.
const ATTACKED = { timeoutMs: 600, memoryMb: 96 };

for (const [label, paths] of [
  ["course", defaultPaths()],
  ["grader fixture", fixturePaths()],
] as const) {
  describe.concurrent(`${label}: hostile submissions`, async () => {
    const course = await loadCourse(paths);
    for (const [stem, nb] of course.notebooks) {
      const reference: Record<string, Answer> = {};
      for (const ex of nb.exercises) reference[ex.ls.spec.id] = { body: referenceBodies(ex.ls.solutionFile) };
      // The attacked exercise and its neighbour (each exercise runs in its own process; one neighbour shows
      // the attack does not spill over, and keeps the suite's time linear in the number of exercises).
      const ids = nb.exercises.map((e) => e.ls.spec.id);
      const grade = async (answers: Record<string, Answer>, attacked: string): Promise<SubmissionResult> => {
        const file = writeNotebook(path.join(scratch, `${stem}-${++counter}.ipynb`), makeSubmission(nb.trusted, answers));
        const neighbour = ids[(ids.indexOf(attacked) + 1) % ids.length];
        return gradeNotebookFile(course, file, path.basename(file), { perExercise: { [attacked]: ATTACKED }, only: [attacked, neighbour] });
      };

      for (const ex of nb.exercises) {
        const { spec } = ex.ls;
        const cell = cellSource(nb.trusted.cells.find((c) => exerciseId(c) === spec.id)!).replace(/^.*(BEGIN|END) SOLUTION.*\n/gm, "");
        // Real notebooks get the eight attacks the course promises; the fixture course gets every variant.
        for (const h of label === "course" ? HOSTILE.filter((x) => x.core) : HOSTILE) {
          it(`${stem}/${spec.id}: "${h.name}" gets a clean zero, the rest is graded`, async () => {
            const r = await grade({ ...reference, [spec.id]: h.answer(cell, ex.ls.solutionFile) }, spec.id);
            const table = formatTable(r);
            const e = r.exercises.find((x) => x.id === spec.id)!;
            expect(e.score, table).toBe(0);
            if (h.status) expect(h.status, table).toContain(e.status);
            expect(r.exercises.length).toBe(Math.min(2, ids.length));
            for (const other of r.exercises.filter((x) => x.id !== spec.id)) expect(other.score, table).toBe(other.maxScore);
            expect(table).not.toMatch(/\x1b/);
            for (const line of referenceBodies(ex.ls.solutionFile).join("\n").split("\n")) {
              if (line.trim().length > 12) expect(table).not.toContain(line.trim());
            }
          });
        }
      }
    }
  });
}
