/**
 * `npm run bench -- hub [--quick] [--students 5,10,20] [--out FILE]`: the course hub (`npm run hub`)
 * under a class. For each class size N, N real students (unix accounts made by `npm run
 * hub:add-students` from a generated roster) log in through the hub's login form at once, start their
 * servers through the hub's REST API, then each starts a course kernel and runs notebook 00's code
 * cells, solved with the reference solutions (`solveNotebook`, as `npm run solve` does), over the
 * kernel's websocket, all students at the same time. Figures per class size:
 *   - serverStartSeconds: a student's server start, from the start request to ready (median, worst);
 *   - firstResultSeconds: from asking for a kernel to the first cell's result (the kernel's start and its
 *     first TypeScript compile: what a student waits for after opening the notebook);
 *   - notebookSeconds: from asking for a kernel to the last cell's result;
 *   - kernelRssMB / serverRssMB: resident memory of each student's kernel (node + tslab) and Notebook
 *     server (python) when the notebook has run, and their peaks (VmHWM); kernelCpuSeconds: the CPU time
 *     the kernel used for the notebook; studentTotalRssMB: all of a student's processes; hubRssMB: the hub
 *     and its proxy;
 *   - failures: students whose login, start, kernel or a cell failed, with the first messages.
 * Needs root and Debian's jupyterhub (as `npm run hub` does); without them it prints why and ends with
 * {"bench":"hub","skipped":REASON}. --quick: one class of 2 (the CI smoke run; fails on any failure).
 * The accounts (prefix "hbb") and the hub are removed at the end, also after a failure or Ctrl-C.
 * Last line: {"bench":"hub","classes":[{"students":N,...}],...}
 */
import { spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { saveResult } from "../../lib/datasets";
import { cellSource, parseNotebook } from "../../lib/grader/notebook";
import { solveNotebook } from "../../lib/grader/release";
import { defaultPaths } from "../../lib/grader/spec";
import { Client, readPasswords, removeStudents, runCell, sleep, startHub, stopHub, writeHubConfig } from "../helpers/hub-client";

const ROOT = path.resolve(__dirname, "..", "..");
const STEM = "00-welcome";
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const out = option("--out");
const sizes = quick ? [2] : (option("--students") ?? "5,10,20").split(",").map(Number);
if (!sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 99))
  throw new Error(`--students takes class sizes such as 5,10,20 (each 1-99), not ${option("--students")}`);
/** A cell may wait long on a loaded machine with 20 kernels: a guard against a hang, not a goal. */
const CELL_TIMEOUT_MS = 600_000;
const START_TIMEOUT_S = 600;

const log = (m: string) => console.log(`[bench hub] ${m}`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Median and worst of a list (null when empty: every student failed before that step). */
function stats(xs: number[], d = 2): { median: number; worst: number } | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: round(mid, d), worst: round(s[s.length - 1], d) };
}

interface ProcInfo {
  pid: number;
  uid: number;
  cmd: string;
  cwd: string;
  rssMB: number;
  peakMB: number;
  cpuSeconds: number;
}

/** Every process of the machine with its owner, command line, resident and peak memory and CPU time (Linux /proc). */
function processes(): ProcInfo[] {
  const list: ProcInfo[] = [];
  const tick = 100; // clock ticks per second (CLK_TCK on Linux)
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, "utf8");
      const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      let cwd = "";
      try {
        cwd = fs.readlinkSync(`/proc/${d}/cwd`);
      } catch {
        /* a process that has just ended */
      }
      list.push({
        pid: Number(d),
        uid: field("Uid"),
        cmd: fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" "),
        cwd,
        rssMB: field("VmRSS") / 1024,
        peakMB: field("VmHWM") / 1024,
        cpuSeconds: (Number(f[11]) + Number(f[12])) / tick,
      });
    } catch {
      /* the process ended while being read */
    }
  }
  return list;
}

interface Student {
  user: string;
  uid: number;
  password: string;
}

interface StudentRun {
  user: string;
  failure?: string;
  loginSeconds?: number;
  serverStartSeconds?: number;
  firstResultSeconds?: number;
  notebookSeconds?: number;
  cellErrors: string[];
  kernel?: ProcInfo;
  server?: ProcInfo;
  /** All the student's processes together (the kernel, the server and anything they started). */
  totalRssMB?: number;
}

/** One student logs in, starts their server through the hub's REST API and waits for it: the token for the next steps. */
async function startServer(base: string, s: Student, run: StudentRun): Promise<string> {
  const c = new Client(base);
  let t0 = performance.now();
  const login = await c.login(s.user, s.password);
  if (login.status !== 302) throw new Error(`login answered ${login.status}, not a redirect`);
  run.loginSeconds = seconds(t0);
  const tokenRes = await c.api(`/users/${s.user}/tokens`, "POST", { note: "hub benchmark", expires_in: 3600 });
  if (tokenRes.status !== 201) throw new Error(`token request answered ${tokenRes.status}: ${await tokenRes.text()}`);
  const { token } = (await tokenRes.json()) as { token: string };
  const auth = { Authorization: `token ${token}` };
  t0 = performance.now();
  const start = await fetch(`${base}/hub/api/users/${s.user}/server`, { method: "POST", headers: auth });
  if (![201, 202].includes(start.status)) throw new Error(`server start answered ${start.status}: ${await start.text()}`);
  for (;;) {
    const u = (await (await fetch(`${base}/hub/api/users/${s.user}`, { headers: auth })).json()) as {
      servers?: Record<string, { ready: boolean }>;
      pending?: string | null;
    };
    if (u.servers?.[""]?.ready) break;
    if (!u.pending && !u.servers?.[""]) throw new Error("the server stopped while starting (see the hub's log)");
    if (seconds(t0) > START_TIMEOUT_S) throw new Error(`the server was not ready within ${START_TIMEOUT_S} s`);
    await sleep(500);
  }
  run.serverStartSeconds = seconds(t0);
  return token;
}

/** One student's kernel runs the notebook's cells in order; then its memory and its server's are read. */
async function runNotebook(base: string, s: Student, token: string, cells: string[], run: StudentRun): Promise<void> {
  const t0 = performance.now();
  const kernel = await fetch(`${base}/user/${s.user}/api/kernels`, {
    method: "POST",
    headers: { Authorization: `token ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "tslab" }),
  });
  if (kernel.status !== 201) throw new Error(`kernel start answered ${kernel.status}: ${await kernel.text()}`);
  const { id } = (await kernel.json()) as { id: string };
  const ws = `${base.replace("http", "ws")}/user/${s.user}/api/kernels/${id}/channels`;
  for (const [i, code] of cells.entries()) {
    const r = await runCell(ws, token, code, CELL_TIMEOUT_MS);
    if (i === 0) run.firstResultSeconds = seconds(t0);
    if (r.error) run.cellErrors.push(`cell ${i + 1}: ${r.error}`);
  }
  run.notebookSeconds = seconds(t0);
  const mine = processes().filter((p) => p.uid === s.uid);
  // The kernel: the course kernelspec's argv (node .../tslab kernel ...); the server: jupyterhub-singleuser.
  run.kernel = mine.find((p) => /tslab\S* kernel/.test(p.cmd));
  run.server = mine.find((p) => p.cmd.includes("jupyterhub-singleuser"));
  run.totalRssMB = mine.reduce((a, p) => a + p.rssMB, 0);
  if (!run.kernel) throw new Error("the kernel's process was not found after the notebook ran");
}

/** Stops the students' servers through the hub and waits until they are gone, so the next class starts from none. */
async function stopServers(base: string, tokens: Map<string, string>): Promise<void> {
  await Promise.all(
    [...tokens].map(async ([user, token]) => {
      const auth = { Authorization: `token ${token}` };
      await fetch(`${base}/hub/api/users/${user}/server`, { method: "DELETE", headers: auth });
      for (let t = 0; t < 240; t++) {
        const u = (await (await fetch(`${base}/hub/api/users/${user}`, { headers: auth })).json()) as { servers?: object };
        if (!u.servers || Object.keys(u.servers).length === 0) return;
        await sleep(500);
      }
      throw new Error(`${user}'s server did not stop within 120 s`);
    }),
  );
}

/** One class of `students` at once: all start their servers, then all run the notebook. */
async function runClass(base: string, students: Student[], cells: string[], stateDir: string) {
  log(`class of ${students.length}: logging in and starting ${students.length} servers at once`);
  const runs: StudentRun[] = students.map((s) => ({ user: s.user, cellErrors: [] }));
  const tokens = new Map<string, string>();
  const t0 = performance.now();
  await Promise.all(
    students.map((s, i) =>
      startServer(base, s, runs[i]).then(
        (token) => tokens.set(s.user, token),
        (e: Error) => (runs[i].failure = `start: ${e.message}`),
      ),
    ),
  );
  const allServersSeconds = seconds(t0);
  log(
    `class of ${students.length}: ${tokens.size} servers ready in ${allServersSeconds.toFixed(1)} s; running ${STEM} in every kernel at once`,
  );
  const t1 = performance.now();
  await Promise.all(
    students.map((s, i) =>
      tokens.has(s.user)
        ? runNotebook(base, s, tokens.get(s.user)!, cells, runs[i]).then(
            () => log(`  ${s.user}: ${STEM} ran in ${runs[i].notebookSeconds!.toFixed(1)} s (${runs[i].cellErrors.length} cell errors)`),
            (e: Error) => (runs[i].failure = `notebook: ${e.message}`),
          )
        : Promise.resolve(),
    ),
  );
  const allNotebooksSeconds = seconds(t1);
  const hub = processes().filter((p) => p.cwd === stateDir);
  await stopServers(base, tokens);

  const ok = runs.filter((r) => !r.failure);
  const failed = runs.filter((r) => r.failure || r.cellErrors.length);
  const pick = (f: (r: StudentRun) => number | undefined) => ok.map(f).filter((x): x is number => x !== undefined);
  return {
    students: students.length,
    failures: failed.length,
    failureMessages: failed.slice(0, 5).map((r) => `${r.user}: ${r.failure ?? r.cellErrors.slice(0, 2).join("; ")}`),
    loginSeconds: stats(pick((r) => r.loginSeconds)),
    serverStartSeconds: stats(pick((r) => r.serverStartSeconds)),
    allServersReadySeconds: round(allServersSeconds),
    firstResultSeconds: stats(pick((r) => r.firstResultSeconds)),
    notebookSeconds: stats(pick((r) => r.notebookSeconds)),
    allNotebooksSeconds: round(allNotebooksSeconds),
    kernelRssMB: stats(
      pick((r) => r.kernel?.rssMB),
      0,
    ),
    kernelPeakRssMB: stats(
      pick((r) => r.kernel?.peakMB),
      0,
    ),
    kernelCpuSeconds: stats(
      pick((r) => r.kernel?.cpuSeconds),
      1,
    ),
    serverRssMB: stats(
      pick((r) => r.server?.rssMB),
      0,
    ),
    serverPeakRssMB: stats(
      pick((r) => r.server?.peakMB),
      0,
    ),
    studentTotalRssMB: stats(
      pick((r) => r.totalRssMB),
      0,
    ),
    hubRssMB: round(
      hub.reduce((a, p) => a + p.rssMB, 0),
      0,
    ),
  };
}

async function main(): Promise<void> {
  const { missingForHub } = (await import(path.join(ROOT, "scripts", "hub.mjs") as string)) as { missingForHub: () => string[] };
  const missing = missingForHub();
  if (missing.length) {
    const reason = missing.join("; ");
    log(`skipped: ${reason}`);
    console.log(JSON.stringify({ bench: "hub", skipped: reason }));
    return;
  }
  const nb = solveNotebook(
    parseNotebook(fs.readFileSync(path.join(ROOT, "notebooks", `${STEM}.ipynb`), "utf8")),
    STEM,
    defaultPaths().solutionsDir,
  );
  const cells = nb.cells.filter((c) => c.cell_type === "code").map(cellSource);
  const n = Math.max(...sizes);
  const tag = crypto.randomBytes(2).toString("hex");
  const group = `hbb${tag}g`;
  const users = Array.from({ length: n }, (_, i) => `hbb${tag}s${String(i + 1).padStart(2, "0")}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-bench-hub-"));
  const stateDir = path.join(tmp, "state");
  let hub: ChildProcess | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await stopHub(hub, stateDir);
    removeStudents(users, group);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      void cleanup().then(() => process.exit(130));
    });
  const t0 = performance.now();
  try {
    fs.writeFileSync(path.join(tmp, "roster.csv"), `username\n${users.join("\n")}\n`);
    const tAdd = performance.now();
    const add = spawnSync(
      process.execPath,
      [path.join(ROOT, "scripts", "add-students.mjs"), "roster.csv", "--group", group, "--passwords", "pw.csv"],
      { cwd: tmp, encoding: "utf8", timeout: 300_000 },
    );
    if (add.status !== 0) throw new Error(`add-students failed: ${add.stderr}`);
    const addStudentsSecondsPerStudent = seconds(tAdd) / n;
    const passwords = readPasswords(path.join(tmp, "pw.csv"));
    const students: Student[] = users.map((user) => ({
      user,
      password: passwords.get(user)!,
      uid: Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim()),
    }));
    log(`${n} students made (${addStudentsSecondsPerStudent.toFixed(2)} s each); ${STEM}: ${cells.length} code cells, solved`);

    const { config, port } = await writeHubConfig(tmp, { studentsGroup: group, stateDir, startTimeoutSeconds: START_TIMEOUT_S });
    const base = `http://127.0.0.1:${port}`;
    const hubLog = path.join(tmp, "hub.log");
    hub = await startHub(config, port, { cwd: tmp, onOutput: (d) => fs.appendFileSync(hubLog, d), timeoutSeconds: 120 });
    const tailLog = () => fs.readFileSync(hubLog, "utf8").slice(-3000);
    log(`hub up on ${base}`);

    const classes = [];
    for (const size of sizes) {
      const c = await runClass(base, students.slice(0, size), cells, stateDir);
      log(`class of ${size}: ${JSON.stringify(c)}`);
      classes.push(c);
    }
    const failures = classes.reduce((a, c) => a + c.failures, 0);
    if (failures && quick) console.error(tailLog());
    const summary = {
      bench: "hub",
      command: `npm run bench -- hub --students ${sizes.join(",")}${out ? ` --out ${out}` : ""}`,
      notebook: STEM,
      codeCells: cells.length,
      cores: os.cpus().length,
      memGB: round(os.totalmem() / 2 ** 30, 1),
      addStudentsSecondsPerStudent: round(addStudentsSecondsPerStudent),
      wallSeconds: round(seconds(t0), 1),
      classes,
    };
    if (out) saveResult(out, summary);
    console.log(JSON.stringify(summary));
    // In the smoke run two students must never fail: that would be a broken hub, not a loaded one.
    if (failures && quick) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((e: Error) => {
  console.error(`[bench hub] ${e.stack ?? e.message}`);
  process.exit(1);
});
