/**
 * Runs a notebook top to bottom in the real tslab kernel through the Jupyter protocol (nbclient,
 * from Debian's python3-nbclient or pip) and returns what happened, naming the first failing cell.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const JUPYTER_PATH = path.join(ROOT, "build", "jupyter");

export interface NotebookFailure {
  kind: "error" | "stderr" | "timeout" | "dead-kernel" | "runner";
  cell: number | null;
  source: string;
  ename: string;
  evalue: string;
  traceback: string;
}

export interface NotebookResult {
  ok: boolean;
  seconds: number;
  cells: number;
  codeCells: number;
  malformed?: boolean;
  message?: string;
  failure?: NotebookFailure;
}

let cachedPython: string | null = null;

/** A Python that has nbclient: Debian's /usr/bin/python3 first (the pyenv one on PATH usually has none). */
export function findPython(): string {
  if (cachedPython) return cachedPython;
  for (const py of [process.env.MBRL_PYTHON, "/usr/bin/python3", "python3", "python"]) {
    if (!py) continue;
    try {
      execFileSync(py, ["-c", "import nbclient, nbformat"], { stdio: "ignore" });
      cachedPython = py;
      return py;
    } catch {
      /* try the next */
    }
  }
  throw new Error(
    "No Python with nbclient found. Install Jupyter: `sudo apt-get install jupyter-nbconvert python3-nbclient` " +
      "(Debian/Ubuntu) or `pip install nbclient`.",
  );
}

export interface RunOptions {
  /** Working directory of the kernel (default: notebooks/). */
  cwd?: string;
  /** Seconds one cell may run. */
  cellTimeout?: number;
  /** Where to write the executed notebook (with outputs). */
  out?: string;
  /** Where Jupyter finds the kernelspec (default: this clone's build/jupyter). */
  jupyterPath?: string;
}

/** Executes the notebook and resolves with the outcome (never rejects for a failing cell). */
export function runNotebook(notebook: string, opts: RunOptions = {}): Promise<NotebookResult> {
  const py = findPython();
  const args = [
    path.join(__dirname, "run_notebook.py"),
    path.resolve(notebook),
    "--cwd",
    opts.cwd ?? path.join(ROOT, "notebooks"),
    "--timeout",
    String(opts.cellTimeout ?? 300),
  ];
  if (opts.out) {
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    args.push("--out", path.resolve(opts.out));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(py, args, {
      env: { ...process.env, JUPYTER_PATH: opts.jupyterPath ?? JUPYTER_PATH, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as NotebookResult);
      } catch {
        reject(new Error(`notebook runner exited with ${code} and no result.\nstdout: ${out}\nstderr: ${err.slice(-3000)}`));
      }
    });
  });
}

/** A readable report of a failed run: the cell, its source and the error. */
export function describeFailure(notebook: string, r: NotebookResult): string {
  if (r.ok) return `${notebook}: ok in ${r.seconds} s`;
  if (r.malformed) return `${notebook}: malformed notebook: ${r.message}`;
  const f = r.failure!;
  return [
    `${notebook}: cell ${f.cell} failed (${f.kind}): ${f.ename}: ${f.evalue}`,
    "--- cell source ---",
    f.source,
    "--- traceback ---",
    f.traceback,
  ].join("\n");
}
