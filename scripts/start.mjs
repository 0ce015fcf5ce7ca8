#!/usr/bin/env node
// `npm start`: opens the course in JupyterLab if it is installed, otherwise in the classic Jupyter
// Notebook, with the project's kernelspec visible (JUPYTER_PATH) and notebooks/ as the root folder.
// Extra arguments are passed to Jupyter (e.g. `npm start -- --no-browser --port 8899`).
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const jupyterPath = [path.join(root, "build", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
const env = { ...process.env, JUPYTER_PATH: jupyterPath };
const extra = process.argv.slice(2);

function works(cmd, args) {
  const r = spawnSync(cmd, args, { env, stdio: "ignore", timeout: 60_000 });
  return r.status === 0;
}

// Candidates in order of preference. MBRL_JUPYTER=lab|notebook forces one.
const candidates = [
  { name: "JupyterLab", cmd: "jupyter", probe: ["lab", "--version"], args: ["lab"] },
  { name: "Jupyter Notebook", cmd: "jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
  { name: "Jupyter Notebook", cmd: "/usr/bin/jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
].filter((c) => !process.env.MBRL_JUPYTER || c.args[0] === process.env.MBRL_JUPYTER);

const found = candidates.find((c) => works(c.cmd, c.probe));
if (!found) {
  console.error(
    [
      "npm start: neither JupyterLab nor the classic Jupyter Notebook is installed.",
      "Install one of them, then run npm start again:",
      "  JupyterLab (recommended):   python3 -m pip install --user jupyterlab",
      "  Debian/Ubuntu, no pip:      sudo apt-get install jupyter-notebook",
      "The course kernel itself needs no Python; it was set up by npm install.",
    ].join("\n"),
  );
  process.exit(1);
}

console.log(`Starting ${found.name} in notebooks/ with the kernel "TypeScript (MBRL course)" (JUPYTER_PATH=${jupyterPath})`);
const child = spawn(found.cmd, [...found.args, `--notebook-dir=${path.join(root, "notebooks")}`, ...extra], {
  env,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
