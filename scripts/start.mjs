#!/usr/bin/env node
// `npm start`: opens the course in JupyterLab 4, with the project's kernelspec visible (JUPYTER_PATH)
// and notebooks/ as the root folder. Which Jupyter, in order:
//   1. your own JupyterLab (`jupyter lab`, e.g. from pip, pipx or conda), when installed;
//   2. otherwise the course's own JupyterLab 4 build (jupyterlab/), served by Python's jupyter_server
//      and jupyterlab_server (Debian: python3-jupyter-server python3-jupyterlab-server); the first
//      start installs and builds it (a few minutes, once; `npm run lab:setup` does it ahead of time);
//   3. otherwise the classic Jupyter Notebook, with a message saying what JupyterLab would need.
//
//   npm start -- --classic                          the classic Jupyter Notebook instead
//   npm start -- --course-lab                       the course's JupyterLab even if you have your own
//   npm start -- --no-browser --port 8899           other arguments go to Jupyter unchanged
//   npm start -- --notebook-dir=some/other/folder   another root folder (replaces notebooks/)
// MBRL_JUPYTER=lab (any JupyterLab), course-lab or notebook does what the flags do.
// As root (containers, CI) `--allow-root` is added, since Jupyter refuses to start as root otherwise.
// If nothing can be started it exits with status 1 and prints how to install what is missing.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { ensureCourseLab, findServerPython, labDir, root } from "./lab.mjs";

const jupyterPath = [path.join(root, "build", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
// PYDEVD_DISABLE_FILE_VALIDATION: Debian's ipykernel (probed for its kernelspec) otherwise prints a
// debugger warning into the server log.
const env = { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
const OUR_FLAGS = { "--classic": "notebook", "--course-lab": "course-lab" };
const argv = process.argv.slice(2);
const extra = argv.filter((a) => !(a in OUR_FLAGS));
const flagged = argv.map((a) => OUR_FLAGS[a]).find(Boolean);
const wanted = flagged ?? process.env.MBRL_JUPYTER ?? "";
if (wanted && !["lab", "course-lab", "notebook"].includes(wanted)) {
  console.error(`npm start: MBRL_JUPYTER=${wanted} is not one of lab, course-lab, notebook.`);
  process.exit(1);
}

function works(cmd, args) {
  const r = spawnSync(cmd, args, { env, stdio: "ignore", timeout: 60_000 });
  return r.status === 0;
}

// Your own JupyterLab: `jupyter-lab` alone is what `pipx install jupyterlab` puts on PATH.
const ownLab = [
  { name: "JupyterLab", cmd: "jupyter", probe: ["lab", "--version"], args: ["lab"], lab: true },
  { name: "JupyterLab", cmd: "jupyter-lab", probe: ["--version"], args: [], lab: true },
];
// /usr/bin/jupyter is Debian's, in case another `jupyter` without the notebook shadows it on PATH.
const classic = [
  { name: "the classic Jupyter Notebook", cmd: "jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
  { name: "the classic Jupyter Notebook", cmd: "/usr/bin/jupyter", probe: ["notebook", "--version"], args: ["notebook"] },
];

/** The course's JupyterLab, installed and built if needed; null (after saying why) if it cannot run. */
function courseLab() {
  const py = findServerPython(env);
  if (py.error) {
    console.error(`npm start: ${py.error}`);
    return null;
  }
  try {
    ensureCourseLab({ log: (m) => console.log(`npm start: ${m}`) });
  } catch (e) {
    console.error(`npm start: the course's JupyterLab could not be set up: ${e.message}`);
    return null;
  }
  return {
    name: `the course's JupyterLab 4 (served by ${py.python}, jupyter_server ${py.server})`,
    cmd: py.python,
    args: [path.join(labDir, "mbrl_lab.py")],
    lab: true,
  };
}

let found = null;
if (wanted === "notebook") {
  found = classic.find((c) => works(c.cmd, c.probe));
} else {
  if (wanted !== "course-lab") found = ownLab.find((c) => works(c.cmd, c.probe));
  if (!found) found = courseLab();
  if (!found && wanted === "") {
    found = classic.find((c) => works(c.cmd, c.probe));
    if (found) console.error("npm start: opening the classic Jupyter Notebook instead.");
  }
}

if (!found) {
  console.error(
    [
      wanted === "notebook" ? "npm start: the classic Jupyter Notebook is not installed." : "npm start: no Jupyter could be started.",
      "Install one of these, then run npm start again:",
      "  JupyterLab (recommended):  python3 -m pip install jupyterlab",
      '    (where pip refuses with "externally-managed-environment", e.g. Debian 12, Ubuntu 24.04:',
      "     pipx install jupyterlab   or   python3 -m venv ~/jl && ~/jl/bin/pip install jupyterlab && export PATH=~/jl/bin:$PATH)",
      "  The course's JupyterLab, Debian/Ubuntu:  sudo apt-get install python3-jupyter-server python3-jupyterlab-server",
      "  Classic Notebook, Debian/Ubuntu:         sudo apt-get install jupyter-notebook",
      "The course kernel itself needs no Python; npm install has already set it up.",
    ].join("\n"),
  );
  process.exit(1);
}

const rootDirGiven = extra.some((a) =>
  /^--(notebook-dir|NotebookApp\.notebook_dir|ServerApp\.root_dir|ServerApp\.notebook_dir)(=|$)/.test(a),
);
const asRoot = typeof process.getuid === "function" && process.getuid() === 0 && !extra.includes("--allow-root");
// JupyterLab adds a PNG to every chart it draws; saving drops it again (jupyterlab/mbrl_outputs.py),
// so saved notebooks and submissions stay small. The classic notebook adds none.
const trim = found.lab && !extra.some((a) => a.includes("pre_save_hook"));
if (trim) env.PYTHONPATH = [labDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
const args = [
  ...found.args,
  ...(trim ? ["--ContentsManager.pre_save_hook=mbrl_outputs.pre_save_hook"] : []),
  ...(rootDirGiven ? [] : [`--notebook-dir=${path.join(root, "notebooks")}`]),
  ...(asRoot ? ["--allow-root"] : []),
  ...extra,
];
console.log(`Starting ${found.name} with the kernel "TypeScript (MBRL course)" (JUPYTER_PATH=${jupyterPath})`);
const child = spawn(found.cmd, args, { env, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
