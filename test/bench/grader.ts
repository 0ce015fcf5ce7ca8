/**
 * `npm run bench -- grader [--quick]`: the grader as a security boundary under load. A class of 60
 * submissions of notebook 00, one third hostile (every attack class of issue 18: reads of the reference and
 * of the grader's environment, network, writes, signals, values that expand, floods, type errors, stalls aimed
 * at the grader's event loop, links, FIFOs, odd names) and two thirds honest (reference answers, other correct
 * answers, mutants, stubs), graded as one folder with --jobs 2 and a secret in the grader's environment.
 * Then every honest submission is graded alone; the benchmark checks each batch score equals its score
 * alone, each attack scored zero, and the secret and the reference appear in no output.
 * Last line: {"bench":"grader","submissions":60,"hostile":20,"perMinute":N,"honestEqualAlone":bool,...}
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { gradePath } from "../../lib/grader/batch";
import { gradeNotebookFile, loadCourse, type SubmissionResult } from "../../lib/grader/grade";
import { cellSource, setCellSource } from "../../lib/grader/notebook";
import { defaultPaths } from "../../lib/grader/spec";
import { hostileBodies } from "../grading/attacks";
import { makeSubmission, referenceBodies, writeNotebook, type Answer } from "../grading/helpers";

const quick = process.argv.includes("--quick");
const N = quick ? 24 : 60;
const HOSTILE = N / 3;
const STEM = "00-welcome";
const ID = "discounted-return";
const JOBS = 2;

const OTHER_RIGHT = [
  "return rewards.reduceRight((acc, r) => r + gamma * acc, 0);",
  "let g = 0;\nlet d = 1;\nfor (const r of rewards) {\n  g += d * r;\n  d *= gamma;\n}\nreturn g;",
];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the grader benchmark needs root (the sandbox runs each child as the mbrl-grader user)");
  const secret = `bench-secret-${Date.now().toString(36)}`;
  process.env.MBRL_GRADER_BENCH_SECRET = secret;
  const hits: string[] = [];
  const listener = net.createServer((s) => {
    hits.push("tcp");
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as net.AddressInfo).port;

  const paths = defaultPaths();
  const t0 = Date.now();
  const course = await loadCourse(paths);
  const nb = course.notebooks.get(STEM);
  if (!nb) throw new Error(`no hidden tests for notebook ${STEM}`);
  const ex = nb.exercises.find((e) => e.ls.spec.id === ID)!;
  const reference = referenceBodies(ex.ls.solutionFile);
  console.log(`[bench grader] course loaded in ${Date.now() - t0} ms`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-bench-grader-"));
  const subs = path.join(dir, "submitted");
  fs.mkdirSync(subs);
  const write = (name: string, answer: Answer) =>
    writeNotebook(path.join(subs, `${name}.ipynb`), makeSubmission(nb.trusted, { [ID]: answer }));

  // Hostile third: the attack bodies, then stalls, batch stoppers and odd names, repeated to fill the third.
  const other = path.join(paths.solutionsDir, "01-learning-dynamics");
  const otherSolution = fs.existsSync(other) ? path.join(other, fs.readdirSync(other)[0]) : ex.ls.solutionFile;
  const attacks = hostileBodies(ex.ls.solutionFile, otherSolution, port);
  const extra: ((name: string) => void)[] = [
    (name) => write(name, { body: "while (true) {}" }),
    (name) => write(name, { body: "const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1));" }),
    (name) => {
      const padded = makeSubmission(nb.trusted, { [ID]: { body: reference } });
      const locked = padded.cells.find((c) => c.cell_type === "code" && !cellSource(c).includes("discountedReturn"))!;
      setCellSource(locked, cellSource(locked) + ("\n" + " ".repeat(50_000) + "x").repeat(28));
      writeNotebook(path.join(subs, `${name}.ipynb`), padded);
    },
    (name) => write(name, { body: `return ${"(1 + ".repeat(60_000)}1${")".repeat(60_000)};` }),
    (name) => fs.symlinkSync("/etc/passwd", path.join(subs, `${name}.ipynb`)),
    (name) => spawnSync("mkfifo", [path.join(subs, `${name}.ipynb`)]),
    (name) => fs.symlinkSync(path.join(subs, "nowhere"), path.join(subs, `${name}.ipynb`)),
  ];
  const hostileNames: string[] = [];
  for (let i = 0; i < HOSTILE; i++) {
    const name = `hostile-${String(i + 1).padStart(2, "0")}`;
    hostileNames.push(name);
    const k = i % (attacks.length + extra.length);
    if (k < attacks.length) write(name, attacks[k].answer);
    else extra[k - attacks.length](name);
  }
  const honestNames: string[] = [];
  for (let i = 0; i < N - HOSTILE; i++) {
    const kind = i % 4;
    const name = kind === 3 ? `学生-${i}` : `student ${String(i + 1).padStart(2, "0")}`;
    honestNames.push(name);
    const mutants = ex.ls.spec.mutants;
    const m = mutants[i % mutants.length];
    const answer: Answer | undefined =
      kind === 0
        ? { body: reference }
        : kind === 1
          ? { body: OTHER_RIGHT[i % OTHER_RIGHT.length] }
          : kind === 2
            ? { body: m.body }
            : i % 8 === 3
              ? undefined
              : { body: reference };
    writeNotebook(path.join(subs, `${name}.ipynb`), makeSubmission(nb.trusted, answer ? { [ID]: answer } : {}));
  }

  console.log(`[bench grader] grading ${N} submissions (${HOSTILE} hostile) with --jobs ${JOBS}`);
  const t1 = Date.now();
  const out = path.join(dir, "grades");
  const batch = await gradePath(course, subs, {
    out,
    jobs: JOBS,
    onProgress: (done, total) => {
      if (done % 10 === 0 || done === total)
        console.log(`[bench grader] ${done}/${total} graded, ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    },
  });
  const seconds = (Date.now() - t1) / 1000;

  // Honest scores alone, one at a time.
  let honestEqualAlone = true;
  const byName = new Map(batch.results.map((r) => [r.submission, r] as const));
  const aloneDir = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-bench-alone-"));
  for (const name of honestNames) {
    const b = byName.get(name);
    const copy = path.join(aloneDir, "alone.ipynb");
    fs.copyFileSync(path.join(subs, `${name}.ipynb`), copy);
    const a: SubmissionResult = await gradeNotebookFile(course, copy, name);
    if (!b || b.error || b.score !== a.score || b.exercises.map((e) => e.status).join() !== a.exercises.map((e) => e.status).join()) {
      honestEqualAlone = false;
      console.log(`[bench grader] DIFFERENT for ${name}: batch ${b?.score} (${b?.error ?? ""}) vs alone ${a.score}`);
    }
  }
  let hostileZero = true;
  for (const name of hostileNames) {
    const r = byName.get(name);
    if (!r) continue;
    // The padded locked cell carries a correct answer: it loses nothing but must not stall anyone.
    const padded = fs.existsSync(path.join(subs, `${name}.ipynb`)) && fs.statSync(path.join(subs, `${name}.ipynb`)).size > 1e6;
    if (!padded && r.score !== 0) {
      hostileZero = false;
      console.log(`[bench grader] ATTACK SCORED for ${name}: ${r.score}`);
    }
  }
  let leaked = hits.length > 0;
  const refLines = reference
    .join("\n")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 12);
  const scan = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) scan(p);
      else {
        const t = fs.readFileSync(p, "utf8");
        if (t.includes(secret) || refLines.some((l) => t.includes(l)) || t.includes("root:x:0:0")) {
          leaked = true;
          console.log(`[bench grader] LEAK in ${p}`);
        }
      }
    }
  };
  scan(out);
  listener.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(aloneDir, { recursive: true, force: true });
  const perMinute = Math.round((N / seconds) * 60);
  console.log(
    `[bench grader] ${N} submissions (${HOSTILE} hostile) in ${seconds.toFixed(1)} s: ${perMinute} per minute; ${batch.warnings.length} warning(s)`,
  );
  console.log(
    JSON.stringify({
      bench: "grader",
      submissions: N,
      hostile: HOSTILE,
      jobs: JOBS,
      perMinute,
      seconds: +seconds.toFixed(2),
      secondsPerSubmission: +(seconds / N).toFixed(3),
      honestEqualAlone,
      hostileZero,
      leaked,
      cores: os.availableParallelism(),
      loadAverage: +os.loadavg()[0].toFixed(1),
      notebook: STEM,
    }),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
