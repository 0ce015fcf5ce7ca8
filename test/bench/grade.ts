/**
 * `npm run bench -- grade [--quick]`: grades a class of generated submissions of notebook 00 (reference
 * answers, other correct answers, plausible wrong answers from the hidden test's mutants, untouched stubs)
 * as a folder, in parallel over the cores, and checks each grade is what it must be.
 * Last line: {"bench":"grade","submissions":N,"perMinute":N,"allCorrect":bool,...}
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gradePath } from "../../lib/grader/batch";
import { loadCourse } from "../../lib/grader/grade";
import { cellSource, exerciseId, regionBodies, replaceRegions, setCellSource, type Notebook } from "../../lib/grader/notebook";
import { defaultPaths } from "../../lib/grader/spec";

const quick = process.argv.includes("--quick");
const N = quick ? 24 : 100;
const STEM = "00-welcome";

/** Correct answers written differently from the reference, as students do. */
const OTHER_RIGHT = [
  "let g = 0;\nfor (let k = 0; k < rewards.length; k++) g += Math.pow(gamma, k) * rewards[k];\nreturn g;",
  "return rewards.reduceRight((acc, r) => r + gamma * acc, 0);",
  "let g = 0;\nlet d = 1;\nfor (const r of rewards) {\n  g += d * r;\n  d *= gamma;\n}\nreturn g;",
];

type Kind = "right" | "wrong" | "stub";

async function main(): Promise<void> {
  const paths = defaultPaths();
  const t0 = Date.now();
  const course = await loadCourse(paths);
  const nb = course.notebooks.get(STEM);
  if (!nb) throw new Error(`no hidden tests for notebook ${STEM}`);
  console.log(`[bench grade] course loaded in ${Date.now() - t0} ms; ${nb.exercises.length} exercise(s) in ${STEM}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-bench-grade-"));
  const subs = path.join(dir, "submitted");
  const expected = new Map<string, Kind>();
  for (let i = 0; i < N; i++) {
    const student: Notebook = structuredClone(nb.trusted);
    const kind: Kind = i % 10 < 5 ? "right" : i % 10 < 9 ? "wrong" : "stub";
    for (const cell of student.cells) {
      const id = exerciseId(cell);
      if (!id) continue;
      const ex = nb.exercises.find((e) => e.ls.spec.id === id)!;
      const src = cellSource(cell);
      let bodies: string[];
      if (kind === "stub") bodies = regionBodies(src);
      else if (kind === "wrong") {
        const m = ex.ls.spec.mutants[i % ex.ls.spec.mutants.length];
        bodies = Array.isArray(m.body) ? m.body : [m.body];
      } else if (id === "discounted-return" && i % 3 !== 0) bodies = [OTHER_RIGHT[i % OTHER_RIGHT.length]];
      else bodies = regionBodies(fs.readFileSync(ex.ls.solutionFile, "utf8"));
      setCellSource(cell, replaceRegions(src, bodies, false));
    }
    const name = `student-${String(i + 1).padStart(3, "0")}`;
    fs.mkdirSync(subs, { recursive: true });
    fs.writeFileSync(path.join(subs, `${name}.ipynb`), JSON.stringify(student, null, 1));
    expected.set(name, kind);
  }

  const jobs = os.availableParallelism();
  console.log(`[bench grade] grading ${N} submissions with ${jobs} parallel job(s)`);
  const t1 = Date.now();
  const batch = await gradePath(course, subs, {
    out: path.join(dir, "grades"),
    jobs,
    onProgress: (done, total) => {
      if (done % 10 === 0 || done === total)
        console.log(`[bench grade] ${done}/${total} graded, ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    },
  });
  const seconds = (Date.now() - t1) / 1000;
  let allCorrect = batch.results.length === N;
  for (const r of batch.results) {
    const kind = expected.get(r.submission);
    const ok = !r.error && (kind === "right" ? r.score === r.maxScore : kind === "stub" ? r.score === 0 : r.score < r.maxScore);
    if (!ok) {
      allCorrect = false;
      console.log(`[bench grade] WRONG GRADE for ${r.submission} (${kind}): ${r.score}/${r.maxScore} ${r.error ?? ""}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const perMinute = Math.round((N / seconds) * 60);
  console.log(`[bench grade] ${N} submissions in ${seconds.toFixed(1)} s: ${perMinute} per minute`);
  console.log(
    JSON.stringify({ bench: "grade", submissions: N, perMinute, allCorrect, seconds: +seconds.toFixed(2), jobs, notebook: STEM }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
