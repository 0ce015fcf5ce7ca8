/**
 * Runs the Python side of the kernel tests: Debian's /usr/bin/python3 with jupyter_client, nbclient and
 * jupyter_kernel_test, talking to the project's "tslab" kernelspec in build/jupyter.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const JUPYTER_PATH = path.join(ROOT, "build", "jupyter");
/** Debian's Python (the pyenv python3 first on PATH has no Jupyter); MBRL_PYTHON overrides it. */
export const PYTHON = process.env.MBRL_PYTHON || "/usr/bin/python3";

/**
 * Why the kernel tests cannot run here (PYTHON lacks jupyter_client), or null when they can. The tests
 * skip only in that case, saying so; CI installs the packages, so there they always run.
 */
export function jupyterMissing(): string | null {
  try {
    execFileSync(PYTHON, ["-c", "import jupyter_client"], { stdio: "ignore" });
    return null;
  } catch {
    const why =
      `${PYTHON} has no jupyter_client; install the Debian packages python3-jupyter-client, ` +
      "python3-nbclient, python3-nbformat and python3-jupyter-kernel-test";
    console.warn(`[test/kernel] skipping the kernel tests: ${why}`);
    return why;
  }
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs PYTHON with args in the repository root (stdin: input), with the project kernelspec visible. */
export function runPython(args: string[], input = "", timeoutMs = 240_000): Promise<PythonRun> {
  const spec = path.join(JUPYTER_PATH, "kernels", "tslab", "kernel.json");
  if (!fs.existsSync(spec)) {
    return Promise.reject(new Error(`${spec} is missing: run \`npm run build\` first`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd: ROOT,
      env: { ...process.env, JUPYTER_PATH, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export interface Output {
  type: string;
  content: Record<string, any>;
}

export interface CellRun {
  reply: Record<string, any>;
  outputs: Output[];
}

export interface CellsRun {
  startSeconds: number;
  firstCellSeconds: number;
  cells: CellRun[];
}

/** Starts a fresh kernel in the repository root, runs the cells in order (no abort on error). */
export async function runCells(cells: string[]): Promise<CellsRun> {
  const r = await runPython([path.join(__dirname, "run_cells.py")], JSON.stringify(cells));
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as CellsRun;
  } catch {
    throw new Error(`run_cells.py exited with ${r.code} and no result\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-3000)}`);
  }
}

/** The outputs of one type of a cell run. */
export function outputsOf(run: CellRun, type: string): Record<string, any>[] {
  return run.outputs.filter((o) => o.type === type).map((o) => o.content);
}
