#!/usr/bin/env node
// `npm run lab:setup`: makes the course's own JupyterLab 4 ready (jupyterlab/, see its README.md):
//   1. checks that a Python has jupyter_server and jupyterlab_server (Debian: python3-jupyter-server
//      python3-jupyterlab-server), since that is what serves it;
//   2. installs jupyterlab/node_modules from jupyterlab/package-lock.json (from an empty folder, so no
//      nested duplicate copies; again only when the lock changes), about 1-3 minutes;
//   3. builds the front end into jupyterlab/app/ with webpack (again only when its inputs change),
//      about 0.5-2 minutes.
// `npm start` does the same on first use when no `jupyter lab` of the user's own is installed.
//   npm run lab:setup -- --force     reinstall and rebuild
// MBRL_PYTHON names the Python to serve it with (default: python3 on PATH, then /usr/bin/python3).
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const labDir = path.join(root, "jupyterlab");
const appDir = path.join(labDir, "app");
const installStamp = path.join(labDir, "node_modules", ".mbrl-installed");
const buildInfo = path.join(appDir, "build.json");

/** A hash of the files given (relative to jupyterlab/), to tell whether a step must run again. */
function hashOf(files) {
  const h = crypto.createHash("sha256");
  for (const f of files) {
    h.update(f);
    h.update(fs.readFileSync(path.join(labDir, f)));
  }
  return h.digest("hex").slice(0, 16);
}

const installInputs = () => hashOf(["package.json", "package-lock.json"]);
const buildInputs = () =>
  hashOf([
    "package-lock.json",
    "build.mjs",
    ...fs
      .readdirSync(path.join(labDir, "src"))
      .sort()
      .map((f) => `src/${f}`),
  ]);

const PY_CHECK =
  "import jupyter_server, jupyterlab_server, sys; " +
  "print(jupyter_server.__version__, jupyterlab_server.__version__); " +
  "sys.exit(0 if int(jupyterlab_server.__version__.split('.')[0]) >= 2 else 4)";

/**
 * The Python that can serve the course's JupyterLab: { python, server, labServer } (versions), or
 * { error } saying what is missing and how to install it.
 */
export function findServerPython(env = process.env) {
  const candidates = env.MBRL_PYTHON ? [env.MBRL_PYTHON] : ["python3", "/usr/bin/python3"];
  const tried = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", PY_CHECK], { encoding: "utf8", env, timeout: 60_000 });
    if (r.status === 0) {
      const [server, labServer] = r.stdout.trim().split(/\s+/);
      return { python, server, labServer };
    }
    tried.push(r.error ? `${python}: not found` : `${python}: ${(r.stderr.trim().split("\n").pop() || `exit ${r.status}`).slice(0, 200)}`);
  }
  return {
    error: [
      "The course's JupyterLab is served by Python's jupyter_server (1.x or 2.x) and jupyterlab_server (2.x), and no Python here has both:",
      ...tried.map((t) => `  ${t}`),
      "Install them, then run the command again:",
      "  Debian/Ubuntu:  sudo apt-get install python3-jupyter-server python3-jupyterlab-server",
      "  (or install JupyterLab itself, e.g. `pipx install jupyterlab`, and npm start uses that instead)",
      "MBRL_PYTHON=/path/to/python selects another Python.",
    ].join("\n"),
  };
}

/** Whether jupyterlab/app holds a finished build of the current inputs. */
export function labIsBuilt() {
  try {
    const info = JSON.parse(fs.readFileSync(buildInfo, "utf8"));
    return info.inputs === buildInputs() && fs.existsSync(path.join(appDir, "static", "index.html"));
  } catch {
    return false;
  }
}

function run(cmd, args, cwd, what) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit", env: process.env });
  if (r.status !== 0) throw new Error(`${what} failed (${r.error ? r.error.message : `exit status ${r.status}`}); see the output above`);
  return (Date.now() - t0) / 1000;
}

/**
 * Installs and builds what is missing or out of date; logs each step with `log`. Returns the seconds
 * each step took ({} when nothing had to be done). Throws with a clear message on failure.
 */
export function ensureCourseLab({ force = false, log = (m) => console.log(m) } = {}) {
  const times = {};
  const installed = (() => {
    try {
      return fs.readFileSync(installStamp, "utf8").trim() === installInputs();
    } catch {
      return false;
    }
  })();
  if (force || !installed) {
    log("Installing the course's JupyterLab 4 packages into jupyterlab/node_modules (once; about 1-3 minutes, ~600 MB)...");
    // From an empty folder: installing over an older tree can leave nested duplicate copies, which
    // break JupyterLab's singletons (the page then fails with stack overflows).
    fs.rmSync(path.join(labDir, "node_modules"), { recursive: true, force: true });
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    times.install = run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], labDir, "npm install in jupyterlab/");
    fs.writeFileSync(installStamp, installInputs() + "\n");
  }
  if (force || !installed || !labIsBuilt()) {
    log("Building the course's JupyterLab 4 front end into jupyterlab/app (once; about 1-2 minutes)...");
    times.build = run(process.execPath, [path.join(labDir, "build.mjs")], labDir, "the JupyterLab build (jupyterlab/build.mjs)");
    const info = JSON.parse(fs.readFileSync(buildInfo, "utf8"));
    fs.writeFileSync(buildInfo, JSON.stringify({ ...info, inputs: buildInputs() }, null, 2) + "\n");
  }
  return times;
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  const force = process.argv.includes("--force");
  const py = findServerPython();
  if (py.error) {
    console.error(`npm run lab:setup: ${py.error}`);
    process.exit(1);
  }
  try {
    const t0 = Date.now();
    const times = ensureCourseLab({ force });
    const version = JSON.parse(fs.readFileSync(buildInfo, "utf8")).version;
    console.log(
      `The course's JupyterLab ${version} is ready (served by ${py.python}: jupyter_server ${py.server}, jupyterlab_server ${py.labServer}).` +
        (Object.keys(times).length ? ` Took ${((Date.now() - t0) / 1000).toFixed(0)} s.` : " Nothing to do."),
    );
    console.log(JSON.stringify({ labSetupSeconds: times }));
  } catch (e) {
    console.error(`npm run lab:setup: ${e.message}`);
    process.exit(1);
  }
}
