#!/usr/bin/env node
// `npm start`: opens the course in JupyterLab if it is installed, otherwise in the classic Jupyter
// Notebook, with the project's kernelspec visible (JUPYTER_PATH) and notebooks/ as the root folder.
//
// Extra arguments go to Jupyter unchanged, after npm's `--`:
//   npm start -- --no-browser --port 8899          a fixed port, no browser window (servers, containers)
//   npm start -- --notebook-dir=some/other/folder  another root folder (replaces notebooks/)
// MBRL_JUPYTER=lab or MBRL_JUPYTER=notebook forces one of the two front ends.
// As root (containers, CI) `--allow-root` is added, since Jupyter refuses to start as root otherwise.
// If no Jupyter is found it exits with status 1 and prints how to install one.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const jupyterPath = [path.join(root, "build", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
const env = { ...process.env, JUPYTER_PATH: jupyterPath };
const extra = process.argv.slice(2);
const forced = process.env.MBRL_JUPYTER;

function works(cmd, args) {
  const r = spawnSync(cmd, args, { env, stdio: "ignore", timeout: 60_000 });
  return r.status === 0;
}

// Candidates in order of preference. `jupyter-lab` alone is what `pipx install jupyterlab` puts on PATH;
// /usr/bin/jupyter is Debian's, in case another `jupyter` without the notebook shadows it on PATH.
const candidates = [
  { kind: "lab", name: "JupyterLab", cmd: "jupyter", probe: ["lab", "--version"], args: ["lab"] },
  { kind: "lab", name: "JupyterLab", cmd: "jupyter-lab", probe: ["--version"], args: [] },
  { kind: "notebook", name: "Jupyter Notebook", cmd: "jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
  { kind: "notebook", name: "Jupyter Notebook", cmd: "/usr/bin/jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
].filter((c) => !forced || c.kind === forced);

const found = candidates.find((c) => works(c.cmd, c.probe));
if (!found) {
  const what = forced ? `MBRL_JUPYTER=${forced}: no matching Jupyter was found` : "neither JupyterLab nor the classic Jupyter Notebook is installed";
  console.error(
    [
      `npm start: ${what}.`,
      "Install one of them, then run npm start again:",
      "  JupyterLab (recommended):     python3 -m pip install jupyterlab",
      "    (where pip refuses with \"externally-managed-environment\", e.g. Debian 12, Ubuntu 24.04:",
      "     pipx install jupyterlab   or   python3 -m venv ~/jl && ~/jl/bin/pip install jupyterlab && export PATH=~/jl/bin:$PATH)",
      "  Classic Notebook, Debian/Ubuntu: sudo apt-get install jupyter-notebook",
      "The course kernel itself needs no Python; npm install has already set it up.",
    ].join("\n"),
  );
  process.exit(1);
}

const rootDirGiven = extra.some((a) => /^--(notebook-dir|NotebookApp\.notebook_dir|ServerApp\.root_dir|ServerApp\.notebook_dir)(=|$)/.test(a));
const asRoot = typeof process.getuid === "function" && process.getuid() === 0 && !extra.includes("--allow-root");
const args = [
  ...found.args,
  ...(rootDirGiven ? [] : [`--notebook-dir=${path.join(root, "notebooks")}`]),
  ...(asRoot ? ["--allow-root"] : []),
  ...extra,
];
console.log(`Starting ${found.name} with the kernel "TypeScript (MBRL course)" (JUPYTER_PATH=${jupyterPath})`);
const child = spawn(found.cmd, args, { env, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
