#!/usr/bin/env node
// `npm run hub -- --config FILE`: the course on a JupyterHub on this machine, for a class. Run as root
// (the hub starts each student's server as that student's unix user). Every student's server uses the
// one shared install of the course in this folder (node_modules, dist/, the kernelspec in
// build/jupyter), which students can read and not change. Students are unix users made by
// `npm run hub:add-students -- ROSTER.csv`; they log in with their unix password.
// FILE is a JSON object; every key is optional (the defaults below); relative paths are taken from
// FILE's folder. Stop the hub with Ctrl-C (it stops every student's server with it).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defaultExchange } from "./exchange.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The config keys, their defaults and what they mean. */
export const HUB_DEFAULTS = {
  ip: "0.0.0.0", // the address students connect to ("127.0.0.1": this machine only)
  port: 8000, // the port students connect to (http://HOST:port/)
  hubPort: null, // the hub's own port behind the proxy, on 127.0.0.1 (default port + 1)
  proxyApiPort: null, // the proxy's API port, on 127.0.0.1 (default port + 2)
  stateDir: null, // the hub's database and cookie secret (default build/hub/<port>, mode 0700)
  studentsGroup: "mbrl-students", // the unix group whose members may log in (hub:add-students --group)
  admins: [], // unix users who may log in as hub admins (they need not be in the group)
  idleMinutes: 60, // an idle kernel is stopped, then a server with no kernel left, after this long
  startTimeoutSeconds: 120, // how long a student's server may take to start
  memLimitMB: null, // each student's memory (their server and kernels together), in MB; null: no limit
  cpuLimit: null, // each student's CPU time, in CPUs (0.5: half of one); null: no limit
  exchange: null, // the assignment exchange the Submit button submits into (default $MBRL_EXCHANGE or /srv/mbrl-exchange)
};

const HUB_BIN = "/usr/bin/jupyterhub";

/** The checked settings of a config file: the defaults, overridden by FILE's keys. Throws on bad input. */
export function readHubConfig(file) {
  let given;
  try {
    given = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read the hub config ${file}: ${e.message}`);
  }
  if (typeof given !== "object" || given === null || Array.isArray(given)) throw new Error(`${file}: the config must be a JSON object`);
  const unknown = Object.keys(given).filter((k) => !(k in HUB_DEFAULTS));
  if (unknown.length)
    throw new Error(`${file}: unknown key(s) ${unknown.join(", ")}; the keys are ${Object.keys(HUB_DEFAULTS).join(", ")}`);
  const s = { ...HUB_DEFAULTS, ...given };
  const isPort = (p) => Number.isInteger(p) && p > 0 && p < 65536;
  s.hubPort ??= s.port + 1;
  s.proxyApiPort ??= s.port + 2;
  for (const k of ["port", "hubPort", "proxyApiPort"])
    if (!isPort(s[k])) throw new Error(`${file}: ${k} must be a port number (1-65535), not ${JSON.stringify(s[k])}`);
  if (new Set([s.port, s.hubPort, s.proxyApiPort]).size !== 3)
    throw new Error(`${file}: port, hubPort and proxyApiPort must be three different ports`);
  if (typeof s.ip !== "string" || !net.isIP(s.ip))
    throw new Error(`${file}: ip must be an IP address such as 0.0.0.0 or 127.0.0.1, not ${JSON.stringify(s.ip)}`);
  if (typeof s.studentsGroup !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(s.studentsGroup))
    throw new Error(`${file}: studentsGroup must be a unix group name, not ${JSON.stringify(s.studentsGroup)}`);
  if (!Array.isArray(s.admins) || !s.admins.every((a) => typeof a === "string"))
    throw new Error(`${file}: admins must be a list of user names`);
  if (typeof s.idleMinutes !== "number" || !(s.idleMinutes >= 0.25))
    throw new Error(`${file}: idleMinutes must be a number of minutes, at least 0.25`);
  if (typeof s.startTimeoutSeconds !== "number" || !(s.startTimeoutSeconds >= 10))
    throw new Error(`${file}: startTimeoutSeconds must be at least 10`);
  if (s.memLimitMB !== null && !(typeof s.memLimitMB === "number" && s.memLimitMB >= 256))
    throw new Error(`${file}: memLimitMB must be a number of MB, at least 256 (a server and one kernel need that), or null`);
  if (s.cpuLimit !== null && !(typeof s.cpuLimit === "number" && s.cpuLimit >= 0.01))
    throw new Error(`${file}: cpuLimit must be a number of CPUs (such as 0.5 or 2), or null`);
  if (s.exchange !== null && typeof s.exchange !== "string") throw new Error(`${file}: exchange must be a folder's path`);
  s.exchange = s.exchange === null ? path.resolve(defaultExchange()) : path.resolve(path.dirname(file), s.exchange);
  s.stateDir = s.stateDir === null ? path.join(root, "build", "hub", String(s.port)) : path.resolve(path.dirname(file), s.stateDir);
  return s;
}

/** Resolves when nothing listens on ip:port, else rejects with a message saying who may hold it. */
function checkPortFree(ip, port, what) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", (e) =>
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `${what} ${ip}:${port} is already in use. Is a course hub already running on it (or Debian's jupyterhub service: \`systemctl stop jupyterhub\`)? Stop it, or choose another port in the config.`
            : `cannot listen on ${what} ${ip}:${port}: ${e.message}`,
        ),
      ),
    );
    srv.listen({ host: ip, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** What must be installed before the hub can start, as a list of problems (empty when ready). */
export function missingForHub() {
  const problems = [];
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    problems.push("the hub must run as root (it starts each student's server as that student): sudo npm run hub -- --config FILE");
  if (!fs.existsSync(HUB_BIN)) problems.push("JupyterHub is not installed: sudo apt-get install jupyterhub");
  const py = spawnSync("/usr/bin/python3", ["-c", "import notebook.notebookapp, pamela"], { encoding: "utf8" });
  if (py.status !== 0)
    problems.push("Debian's classic Notebook server or pamela is missing: sudo apt-get install jupyter-notebook jupyterhub");
  if (!fs.existsSync(path.join(root, "node_modules", ".bin", "configurable-http-proxy")))
    problems.push("configurable-http-proxy is missing from node_modules: npm install");
  if (!fs.existsSync(path.join(root, "build", "jupyter", "kernels", "tslab", "kernel.json")))
    problems.push("the course kernelspec build/jupyter/kernels/tslab is missing: npm run build");
  return problems;
}

/**
 * Takes "other" permissions off the course's private folders (the grader's privatePaths: solutions, the
 * hidden tests, test/ and .git, whose history holds the solutions too; and test/grading), with the grader's own function, and
 * checks no student can read them: a folder in the students' group must not be group-readable either.
 * Returns the folders it changed.
 */
export async function closePrivateFolders(courseRoot, studentsGid) {
  const { default: grade } = await import("../dist/grader/grade.js");
  const { default: spec } = await import("../dist/grader/spec.js");
  const { default: isolation } = await import("../dist/grader/isolation.js");
  // test/grading too, though closing test/ already stops others from reaching it: what an instructor checks.
  const paths = [...grade.privatePaths(spec.defaultPaths(courseRoot)), path.join(courseRoot, "test", "grading")];
  const changed = isolation.protectFromSandbox(paths);
  for (const p of new Set(paths)) {
    let st;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (!st.isSymbolicLink() && ((st.mode & 0o007) !== 0 || (st.gid === studentsGid && (st.mode & 0o070) !== 0)))
      throw new Error(`students could still read ${p} (mode ${(st.mode & 0o777).toString(8)}): chmod -R go-rwx ${p}`);
  }
  return changed;
}

/**
 * Checks this machine can enforce the configured per-student limits (scripts/hub/cgroup_limits.py makes and
 * removes a test control group); what they are, or null when none is configured. Throws when they cannot be.
 */
function checkLimits(s, file) {
  if (s.memLimitMB === null && s.cpuLimit === null) return null;
  const r = spawnSync(
    "/usr/bin/python3",
    [path.join(root, "scripts", "hub", "cgroup_limits.py"), "check", String(s.port), String(s.memLimitMB ?? 0), String(s.cpuLimit ?? 0)],
    { encoding: "utf8" },
  );
  if (r.status !== 0)
    throw new Error(
      `${file} sets per-student limits (memLimitMB, cpuLimit), but this machine cannot enforce them: ${(r.stderr || r.error?.message || "").trim()}. ` +
        `Remove memLimitMB and cpuLimit from the config to run the hub without limits.`,
    );
  const what = [s.memLimitMB !== null && `${s.memLimitMB} MB of memory`, s.cpuLimit !== null && `${s.cpuLimit} CPU`].filter(Boolean);
  const [version, ...parents] = r.stdout.trim().split(/\s+/);
  return `each student's server and kernels are limited to ${what.join(" and ")} (control groups, cgroup ${version}: ${parents.map((p) => `${p}/STUDENT`).join(", ")})`;
}

async function main() {
  const argv = process.argv.slice(2);
  const at = argv.indexOf("--config");
  const file = at >= 0 ? argv[at + 1] : undefined;
  if (!file || argv.length !== 2)
    throw new Error("usage: npm run hub -- --config FILE   (FILE: a JSON object, see the README or scripts/hub.mjs)");
  const s = readHubConfig(file);
  const problems = missingForHub();
  if (problems.length) throw new Error(`cannot start the hub:\n  ${problems.join("\n  ")}`);
  const studentsGroup = spawnSync("getent", ["group", s.studentsGroup], { encoding: "utf8" });
  if (studentsGroup.status !== 0)
    throw new Error(
      `the students' group ${s.studentsGroup} does not exist, so no student could log in. Make the students first (npm run hub:add-students -- ROSTER.csv --group ${s.studentsGroup}), or fix studentsGroup in ${file}.`,
    );
  await checkPortFree(s.ip, s.port, "the hub's port");
  await checkPortFree("127.0.0.1", s.hubPort, "hubPort");
  await checkPortFree("127.0.0.1", s.proxyApiPort, "proxyApiPort");

  fs.mkdirSync(s.stateDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(s.stateDir, 0o700);
  // The shared install must be readable by every student: say so now rather than as a failed kernel.
  for (const p of [path.join(root, "node_modules"), path.join(root, "dist"), path.join(root, "build", "jupyter")]) {
    for (let d = p; d !== path.dirname(d); d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o005) !== 0o005)
        throw new Error(`students cannot read ${p}: ${d} is not readable and searchable by others (chmod o+rx ${d})`);
    }
  }
  // The answers live in this same folder: close them to the students, as `npm run grade` does for its sandbox.
  const closed = await closePrivateFolders(root, Number(studentsGroup.stdout.split(":")[2]));
  if (closed.length)
    console.log(
      `npm run hub: closed ${closed.map((p) => path.relative(root, p)).join(", ")} to other users (chmod o-rwx): they hold the reference ` +
        `solutions and hidden tests, and every student is another user of this machine. (chmod o+rx reopens them after the class.)`,
    );
  const limits = checkLimits(s, file);
  if (limits) console.log(`npm run hub: ${limits}`);
  const settings = {
    ...s,
    proxyCommand: path.join(root, "node_modules", ".bin", "configurable-http-proxy"),
    jupyterPath: path.join(root, "build", "jupyter"),
    nodePath: path.join(root, "node_modules"),
    node: process.execPath, // the node that runs submit.mjs for the Submit button
    notebookExtension: path.join(root, "scripts", "hub", "notebook"), // the Submit button (mbrl_submit.py, its JS)
  };
  const settingsFile = path.join(s.stateDir, "hub-settings.json");
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });

  console.log(
    `npm run hub: starting JupyterHub on http://${s.ip}:${s.port}/ (students of group ${s.studentsGroup}; state in ${s.stateDir})`,
  );
  const hub = spawn(HUB_BIN, ["-f", path.join(root, "scripts", "hub", "jupyterhub_config.py")], {
    cwd: s.stateDir,
    stdio: "inherit",
    env: { ...process.env, MBRL_HUB_SETTINGS: settingsFile, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => hub.kill(sig));
  hub.on("exit", (code, signal) => {
    // The hub removes its control groups as it stops; this catches those left by a hub that was killed.
    if (limits) spawnSync("/usr/bin/python3", [path.join(root, "scripts", "hub", "cgroup_limits.py"), "cleanup", String(s.port)]);
    process.exit(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  main().catch((e) => {
    console.error(`npm run hub: ${e.message}`);
    process.exit(1);
  });
}
