/**
 * npm run solve -- OUTDIR                 solved copies of the notebooks
 * npm run release -- OUTDIR               the student copy of the course
 * npm run grade -- PATH [--out DIR] [--force] [--jobs N] [--timeout MS] [--gradescope FILE] [--verbose] [--no-isolation]
 *                                         grade one notebook or a folder of them (as root: each child isolated
 *                                         by the OS; --no-isolation only for trusted code)
 * npm run gradescope -- OUTDIR            a Gradescope autograder bundle (folder and zip)
 *   [--roster FILE] [--deadline ISO] [--manifest FILE]   gradebook rows for every student, late flags
 *                                         (also writes a feedback page per submission: OUT/<submission>/feedback.html)
 * npm run feedback -- GRADES [--return DIR] copies each feedback page next to its submission, or into DIR
 * npm run check -- NOTEBOOK...            a student's check: visible checks per exercise, in a fresh kernel
 * Course folders default to notebooks/, solutions/ and test/grading/specs/; --notebooks, --solutions and
 * --specs override them. Grading exits 0 when it ran, whatever the scores.
 */
import * as fs from "fs";
import * as path from "path";
import { assertInsideProject, releaseCourse, gradescopeBundle, solveNotebooks } from "./release";
import { formatTable, gradescopeResults } from "./report";
import { defaultPaths, type GraderPaths } from "./spec";

const USAGE = `usage:
  npm run solve -- OUTDIR
  npm run release -- OUTDIR
  npm run grade -- PATH [--out DIR] [--force] [--jobs N] [--timeout MS] [--gradescope FILE] [--verbose] [--no-isolation]
                   [--roster FILE] [--deadline ISO] [--manifest FILE]
  npm run feedback -- GRADES [--return DIR]
  npm run gradescope -- OUTDIR
  npm run check -- NOTEBOOK [NOTEBOOK...]`;

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  "out",
  "jobs",
  "timeout",
  "gradescope",
  "notebooks",
  "solutions",
  "specs",
  "roster",
  "deadline",
  "manifest",
  "return",
]);

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2);
      if (VALUE_FLAGS.has(k)) {
        const value = v ?? argv[++i];
        if (value === undefined) throw new Error(`--${k} needs a value`);
        flags.set(k, value);
      } else if (["force", "verbose", "quiet", "no-isolation"].includes(k)) flags.set(k, true);
      else throw new Error(`unknown option --${k}`);
    } else positional.push(a);
  }
  return { positional, flags };
}

function coursePaths(args: Args): GraderPaths {
  const p = defaultPaths();
  const get = (k: string) => {
    const v = args.flags.get(k);
    return typeof v === "string" ? path.resolve(p.root, v) : undefined;
  };
  return {
    root: p.root,
    notebooksDir: get("notebooks") ?? p.notebooksDir,
    solutionsDir: get("solutions") ?? p.solutionsDir,
    specsDir: get("specs") ?? p.specsDir,
  };
}

function positiveInt(v: string | true | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${String(v)}`);
  return n;
}

async function grade(args: Args): Promise<void> {
  const input = args.positional[0];
  if (!input) throw new Error("grade needs a notebook or a folder of notebooks");
  const inputAbs = path.resolve(input);
  const paths = coursePaths(args);
  const gradescopeFile = args.flags.get("gradescope");
  const out = path.resolve(typeof args.flags.get("out") === "string" ? (args.flags.get("out") as string) : "grades");
  const t0 = Date.now();
  // A Gradescope run must always leave a results.json, even for an empty or missing submission folder.
  if (!fs.existsSync(inputAbs)) {
    if (typeof gradescopeFile === "string") {
      fs.writeFileSync(gradescopeFile, JSON.stringify(gradescopeResults([], 0), null, 1) + "\n");
      return;
    }
    throw new Error(`${input} does not exist`);
  }
  // Loaded only here: grading needs the TypeScript compiler, the other commands do not.
  const { loadCourse } = await import("./grade");
  const { gradePath, progressPrinter } = await import("./batch");
  const { sandboxSelfTest } = await import("./sandbox");
  const { cleanText } = await import("./compare");
  const isolation = args.flags.has("no-isolation") ? "none" : "os";
  if (isolation === "none") {
    console.error(
      "[grade] WARNING: --no-isolation: student code runs as this user, with its files, network and environment in reach. Use it only for code you trust.",
    );
  }
  await sandboxSelfTest(paths.root, isolation);
  const course = await loadCourse(paths);
  if (isolation === "os") {
    // Fail closed: prove the sandbox user can read none of the private files before any submission runs.
    const { readableBySandbox } = await import("./isolation");
    const { privatePaths } = await import("./grade");
    fs.mkdirSync(out, { recursive: true, mode: 0o700 });
    const exposed = readableBySandbox(
      [...privatePaths(paths), out, ...(fs.statSync(inputAbs).isDirectory() ? [inputAbs] : [])].filter((p) => fs.existsSync(p)),
    );
    if (exposed.length)
      throw new Error(`the sandbox user could read ${exposed.join(", ")}; make them unreadable to other users (chmod o-rwx) and run again`);
  }
  for (const p of course.pending) console.error(`[grade] warning: cannot grade ${p.notebook}/${p.id} yet: ${p.reason}`);
  for (const [stem, errors] of course.broken) {
    console.error(`[grade] WARNING: notebook ${stem} will not be graded, its hidden tests are broken:\n  ${errors.join("\n  ")}`);
  }
  if (course.notebooks.size === 0) throw new Error(`no gradable hidden tests found in ${paths.specsDir}`);
  const isDir = fs.statSync(inputAbs).isDirectory();
  const quiet = args.flags.has("quiet");
  const batch = await gradePath(course, inputAbs, {
    out,
    force: args.flags.has("force"),
    jobs: positiveInt(args.flags.get("jobs"), "--jobs"),
    timeoutMs: positiveInt(args.flags.get("timeout"), "--timeout"),
    onProgress: isDir && !quiet ? progressPrinter() : undefined,
    isolation,
    onePerNotebook: typeof gradescopeFile === "string",
  });
  for (const w of batch.warnings) console.error(`[grade] warning: ${cleanText(w, 300)}`);
  const results = batch.results;
  // Feedback pages, late flags and the roster (lib/grader/feedback.ts, roster.ts).
  const { recordDir } = await import("./batch");
  const { writeFeedback } = await import("./feedback");
  const { lateness, parseDeadline, readManifest, readRoster, studentOf } = await import("./roster");
  const option = (k: string) => (typeof args.flags.get(k) === "string" ? (args.flags.get(k) as string) : undefined);
  const deadline = option("deadline") ? parseDeadline(option("deadline")!) : undefined;
  const manifest = option("manifest") ? readManifest(option("manifest")!) : undefined;
  if (manifest && !deadline) throw new Error("--manifest needs --deadline");
  const late = (r: (typeof results)[number]) => lateness(r, deadline, manifest);
  writeFeedback(out, results, recordDir, late);
  if (option("roster") || deadline) {
    const { gradebookCsv } = await import("./report");
    const file = batch.gradebook ?? path.join(out, "gradebook.csv");
    const roster = option("roster") ? readRoster(option("roster")!) : undefined;
    fs.writeFileSync(file, gradebookCsv(results, { roster, late, student: studentOf }));
    batch.gradebook = file;
    const absent = (roster ?? []).filter((s) => !results.some((r) => studentOf(r.submission) === s));
    if (absent.length) console.error(`[grade] no submission from ${absent.length} student(s) of the roster: ${absent.join(", ")}`);
    const lateOnes = results.filter((r) => late(r));
    if (lateOnes.length) console.error(`[grade] ${lateOnes.length} late submission(s): ${lateOnes.map((r) => r.submission).join(", ")}`);
  }
  if (!isDir || args.flags.has("verbose")) {
    for (const r of results) console.log(cleanText(formatTable(r), 100_000, true) + "\n");
  } else {
    for (const r of results) {
      const flag = r.error ? `  NOT GRADED: ${r.error}` : r.lockedChanges.length ? "  (locked cells changed)" : "";
      console.log(cleanText(`${r.submission.padEnd(30)} ${String(r.score).padStart(6)} / ${r.maxScore}${flag}`, 400));
    }
  }
  if (typeof gradescopeFile === "string") {
    fs.mkdirSync(path.dirname(path.resolve(gradescopeFile)), { recursive: true });
    const gs = gradescopeResults(results, (Date.now() - t0) / 1000);
    if (batch.warnings.length) gs.output = [gs.output, ...batch.warnings.map((w) => `Note: ${w}`)].filter(Boolean).join("\n");
    const { safeJson } = await import("./batch");
    fs.writeFileSync(gradescopeFile, safeJson(gs));
  }
  const where = batch.gradebook
    ? `gradebook ${path.relative(process.cwd(), batch.gradebook) || batch.gradebook}`
    : `results in ${path.relative(process.cwd(), out) || out}`;
  console.error(`[grade] ${batch.graded} graded, ${batch.skipped} unchanged since the last run (use --force to regrade); ${where}`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  let args: Args;
  try {
    args = parseArgs(rest);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const outArg = args.positional[0];
  try {
    switch (cmd) {
      case "solve": {
        if (!outArg) throw new Error("solve needs an output folder");
        assertInsideProject(coursePaths(args).root, path.resolve(outArg), "solve");
        const files = solveNotebooks(path.resolve(outArg), coursePaths(args));
        console.log(`[solve] wrote ${files.length} solved notebook(s) to ${outArg}`);
        return 0;
      }
      case "release": {
        if (!outArg) throw new Error("release needs an output folder");
        const files = releaseCourse(path.resolve(outArg), coursePaths(args));
        console.log(`[release] wrote the student copy (${files.length} notebook(s)) to ${outArg}`);
        return 0;
      }
      case "gradescope": {
        if (!outArg) throw new Error("gradescope needs an output folder");
        const { dir, zip } = gradescopeBundle(path.resolve(outArg), coursePaths(args));
        console.log(`[gradescope] bundle in ${dir}; upload ${zip} as the autograder`);
        return 0;
      }
      case "grade":
        await grade(args);
        return 0;
      case "feedback": {
        if (!outArg) throw new Error("feedback needs the grades folder of `npm run grade` (default ./grades)");
        const { returnFeedback } = await import("./feedback");
        const ret = args.flags.get("return");
        const files = returnFeedback(path.resolve(outArg), typeof ret === "string" ? path.resolve(ret) : undefined);
        console.log(`[feedback] ${files.length} feedback page(s) ${typeof ret === "string" ? `in ${ret}` : "next to the submissions"}`);
        return 0;
      }
      case "check": {
        if (!args.positional.length) throw new Error("check needs a notebook, e.g. npm run check -- notebooks/05-pets.ipynb");
        const { checkNotebook, formatCheck } = await import("./check");
        let allPass = true;
        for (const nb of args.positional) {
          if (!fs.existsSync(nb)) throw new Error(`${nb} does not exist`);
          console.log(`[check] running ${nb} in a fresh kernel (the whole notebook: this takes as long as Run All)...`);
          const c = await checkNotebook(nb, coursePaths(args).root);
          console.log(formatCheck(c) + "\n");
          allPass &&= c.exercises.every((e) => e.status === "pass") && !c.runProblem;
        }
        return allPass ? 0 : 1;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } catch (e) {
    console.error(`[${cmd}] ${(e as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
