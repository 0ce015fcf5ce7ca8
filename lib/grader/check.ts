/**
 * `npm run check -- NOTEBOOK`: a student's check before submitting (like nbgrader validate or otter
 * check). The notebook runs in a fresh course kernel (lib/grader/check_notebook.py, nbclient), every
 * cell whatever fails, so a value left over in the student's own kernel cannot hide a mistake; then each
 * exercise is reported from its cells' outputs: pass (its check cells ran clean), fail (a check's
 * message), type error (the compiler's message), or not attempted (the stub still throws). It warns about
 * what grading would reject: exercise cells renamed or deleted (against the list the release recorded
 * in the notebook's metadata), edited check cells (nbgrader checksums), outputs too large to hand in.
 * Hidden tests are never run here.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellSource, exerciseId, isLocked, nbgraderChecksum, nbgraderMeta, parseNotebook, type NbCell, type Notebook } from "./notebook";

export type CheckStatus = "pass" | "fail" | "type error" | "not attempted" | "missing";

export interface ExerciseCheck {
  id: string;
  status: CheckStatus;
  /** The check's or the compiler's message (first lines), or why the exercise is missing. */
  message?: string;
}

export interface NotebookCheck {
  notebook: string;
  exercises: ExerciseCheck[];
  warnings: string[];
  /** Set when the notebook could not be run to the end (a cell over the time limit, a dead kernel). */
  runProblem?: string;
  seconds: number;
}

/** Output bytes above which a notebook is hard to hand in (and above which graders may refuse it). */
export const MAX_OUTPUT_BYTES = 5_000_000;

interface ErrorOutput {
  ename: string;
  evalue: string;
  traceback: string[];
}

function errorOf(cell: NbCell | undefined): ErrorOutput | undefined {
  const outs = (cell?.outputs ?? []) as Record<string, unknown>[];
  const e = outs.find((o) => o.output_type === "error");
  return e ? { ename: String(e.ename ?? ""), evalue: String(e.evalue ?? ""), traceback: (e.traceback as string[]) ?? [] } : undefined;
}

/** ANSI colour codes in kernel tracebacks. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function firstLines(s: string, n = 4): string {
  return s.replace(ANSI_COLOUR, "").split("\n").slice(0, n).join("\n");
}

/** The exercises the release recorded (metadata.mbrl.exercises), if any. */
function releasedExercises(nb: Notebook): string[] | undefined {
  const m = nb.metadata.mbrl as { exercises?: unknown } | undefined;
  const list = m?.exercises;
  return Array.isArray(list) && list.every((x) => typeof x === "string") ? (list as string[]) : undefined;
}

/** Warnings from the notebook as submitted (before running it). */
export function staticWarnings(nb: Notebook, fileBytes: number): string[] {
  const warnings: string[] = [];
  const present = nb.cells.map(exerciseId).filter((id): id is string => !!id);
  const released = releasedExercises(nb);
  if (released) {
    for (const id of released) {
      if (!present.includes(id))
        warnings.push(`exercise "${id}" has no exercise cell: it was deleted or renamed; grading will score it 0 (not attempted)`);
    }
    for (const id of present) {
      if (!released.includes(id))
        warnings.push(`exercise cell "${id}" is not one of this notebook's exercises (renamed?); grading ignores it`);
    }
  }
  nb.cells.forEach((c, i) => {
    const m = nbgraderMeta(c);
    if (!m || !isLocked(c) || typeof m.checksum !== "string") return;
    if (nbgraderChecksum(c) !== m.checksum) {
      const what = m.grade ? "check cell" : "locked cell";
      warnings.push(
        `the ${what} ${m.grade_id ? `"${m.grade_id}" ` : ""}(cell ${i + 1}) was edited: grading uses the original, so your edit does not count`,
      );
    }
  });
  const outputBytes = nb.cells.reduce((s, c) => s + (c.outputs ? JSON.stringify(c.outputs).length : 0), 0);
  if (outputBytes > MAX_OUTPUT_BYTES || fileBytes > 2 * MAX_OUTPUT_BYTES) {
    warnings.push(
      `the notebook's outputs are ${(outputBytes / 1e6).toFixed(1)} MB (file ${(fileBytes / 1e6).toFixed(1)} MB), more than ${(MAX_OUTPUT_BYTES / 1e6).toFixed(0)} MB: ` +
        "clear them before submitting (Cell > All Output > Clear, then save)",
    );
  }
  return warnings;
}

/** Per exercise, from the executed notebook: its exercise cell, then its check cells up to the next exercise. */
export function exerciseChecks(executed: Notebook, expected?: string[]): ExerciseCheck[] {
  const out: ExerciseCheck[] = [];
  const cells = executed.cells;
  for (let i = 0; i < cells.length; i++) {
    const id = exerciseId(cells[i]);
    if (!id) continue;
    const checks: NbCell[] = [];
    for (let j = i + 1; j < cells.length && !exerciseId(cells[j]); j++) {
      if (nbgraderMeta(cells[j])?.grade === true) checks.push(cells[j]);
    }
    const own = errorOf(cells[i]);
    if (own?.ename === "TypeScriptCompileError") {
      out.push({ id, status: "type error", message: firstLines(own.traceback.join("\n"), 3) });
      continue;
    }
    const failing = checks.map(errorOf).find((e) => e);
    const notSolved = (e?: ErrorOutput) => e && (e.ename === "ExerciseNotSolved" || /^not implemented yet: /.test(e.evalue));
    if (notSolved(own) || notSolved(failing) || (cellSource(cells[i]).includes(`not implemented yet: ${id}`) && failing)) {
      out.push({ id, status: "not attempted", message: `the stub still throws "not implemented yet: ${id}"` });
    } else if (own) {
      out.push({
        id,
        status: "fail",
        message: `the exercise cell fails: ${firstLines(own.traceback.join("\n") || `${own.ename}: ${own.evalue}`)}`,
      });
    } else if (failing) {
      out.push({
        id,
        status: "fail",
        message: firstLines(failing.ename === "TypeScriptCompileError" ? failing.traceback.join("\n") : `${failing.evalue}`),
      });
    } else if (!checks.length) {
      out.push({ id, status: "pass", message: "no visible check" });
    } else {
      out.push({ id, status: "pass" });
    }
  }
  for (const id of expected ?? []) {
    if (!out.some((e) => e.id === id)) out.push({ id, status: "missing", message: "no exercise cell with this id (deleted or renamed)" });
  }
  return out;
}

function findPython(): string {
  for (const py of [process.env.MBRL_PYTHON, "/usr/bin/python3", "python3", "python"]) {
    if (!py) continue;
    try {
      execFileSync(py, ["-c", "import nbclient, nbformat"], { stdio: "ignore" });
      return py;
    } catch {
      /* the next one */
    }
  }
  throw new Error("npm run check needs Jupyter's nbclient: `pip install nbclient` (it comes with JupyterLab and nbconvert)");
}

/** Runs the notebook in a fresh kernel and reports each exercise. `root` is the course folder. */
export async function checkNotebook(file: string, root: string, opts: { cellTimeoutSeconds?: number } = {}): Promise<NotebookCheck> {
  const text = fs.readFileSync(file, "utf8");
  const nb = parseNotebook(text);
  const warnings = staticWarnings(nb, Buffer.byteLength(text));
  const spec = path.join(root, "build", "jupyter", "kernels", "tslab", "kernel.json");
  if (!fs.existsSync(spec)) throw new Error(`${spec} is missing: run \`npm install\` (or \`npm run build\`) in ${root} first`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-check-"));
  try {
    const executedFile = path.join(tmp, "executed.ipynb");
    const t0 = Date.now();
    const result = await new Promise<{ ok: boolean; message?: string }>((resolve, reject) => {
      const args = [path.join(__dirname, "check_notebook.py"), path.resolve(file), executedFile, "--cwd", path.dirname(path.resolve(file))];
      args.push("--timeout", String(opts.cellTimeoutSeconds ?? 600));
      const child = spawn(findPython(), args, {
        env: { ...process.env, JUPYTER_PATH: path.join(root, "build", "jupyter"), PYDEVD_DISABLE_FILE_VALIDATION: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("error", reject);
      child.on("close", (code) => {
        try {
          resolve(JSON.parse(out.trim().split("\n").pop() ?? ""));
        } catch {
          reject(new Error(`the notebook runner exited with ${code}: ${err.slice(-2000)}`));
        }
      });
    });
    const executed = parseNotebook(fs.readFileSync(executedFile, "utf8"));
    return {
      notebook: file,
      exercises: exerciseChecks(executed, releasedExercises(nb)),
      warnings,
      runProblem: result.ok ? undefined : result.message,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report a student reads. */
export function formatCheck(c: NotebookCheck): string {
  const lines = [`${c.notebook}: visible checks only (your instructor also runs hidden tests)`];
  const w = Math.max(10, ...c.exercises.map((e) => e.id.length)) + 2;
  for (const e of c.exercises) {
    const msg = e.message ? e.message.split("\n") : [];
    lines.push(`  ${e.id.padEnd(w)}${e.status}${msg.length ? `: ${msg[0]}` : ""}`);
    for (const m of msg.slice(1)) lines.push(`  ${" ".repeat(w)}  ${m}`);
  }
  if (!c.exercises.length) lines.push("  (no exercise cells in this notebook)");
  const passed = c.exercises.filter((e) => e.status === "pass").length;
  lines.push(`  ${passed} of ${c.exercises.length} exercise(s) pass their visible checks (${c.seconds.toFixed(0)} s)`);
  if (c.runProblem) lines.push(`  WARNING: the notebook did not run to the end: ${c.runProblem}`);
  for (const x of c.warnings) lines.push(`  WARNING: ${x}`);
  return lines.join("\n");
}
