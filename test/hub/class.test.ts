/**
 * A class on the course hub, end to end, as the students and the instructor meet it: `npm run hub` with three
 * students made from a roster, each logged in through the login page of headless Chromium. The instructor
 * releases notebook 00 (`hub:release`); each student opens ~/course/00-welcome.ipynb on their Notebook page,
 * runs it up to the first exercise's check in the course kernel, one after solving the exercise right, one
 * wrongly, one not at all (the exercise cell edited through the page's Jupyter API), and submits with the page's
 * Submit button (which saves first). The instructor collects (`hub:collect`), grades with the real
 * `npm run grade` and returns (`hub:return`); each student opens their own feedback page in the browser and sees
 * their own score (right > wrong = not attempted), and not another's. The students' kernels cannot read another
 * student's home or submission, nor the solutions and hidden tests (npm run hub closes them). The Submit
 * button's errors (a notebook outside ~/course) and its XSRF check are tested on the way. Where the machine can
 * enforce them (scripts/hub/cgroup_limits.py), the hub runs with per-student memory and CPU limits: a kernel
 * allocating past its student's limit is killed, the rest carries on. Needs root, jupyterhub and Chromium (CI
 * has them); skipped with a message otherwise. The accounts (prefix "hube"), the hub, every student process and
 * the control groups are removed afterwards, even on failure.
 */
import { spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromiumMissing, launchChromium } from "../helpers/browser";
import { readPasswords, startHub, stopHub, writeHubConfig } from "../helpers/hub-client";
import { cli } from "../grading/helpers";

const root = path.resolve(__dirname, "..", "..");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const why = !isRoot
  ? "not running as root (the hub makes unix users)"
  : !fs.existsSync("/usr/bin/jupyterhub")
    ? "JupyterHub is not installed (apt-get install jupyterhub)"
    : (chromiumMissing() ?? "");
if (why) console.warn(`test/hub/class.test.ts skipped: ${why}`);

/** Per-student limits, when this machine can enforce them (scripts/hub/cgroup_limits.py check; else none). */
const LIMITS = { memLimitMB: 1536, cpuLimit: 1 };
const CGROUP_LIMITS = path.join(root, "scripts", "hub", "cgroup_limits.py");
const limitsCheck = why
  ? null
  : spawnSync("/usr/bin/python3", [CGROUP_LIMITS, "check", "1", String(LIMITS.memLimitMB), String(LIMITS.cpuLimit)], { encoding: "utf8" });
const limitsWhy =
  limitsCheck && limitsCheck.status !== 0 ? `this machine cannot enforce per-student limits: ${limitsCheck.stderr.trim()}` : "";
if (limitsWhy) console.warn(`test/hub/class.test.ts: the limits test is skipped: ${limitsWhy}`);

const ASSIGNMENT = "00-welcome";
const EXERCISE = "discounted-return";
const prefix = `hube${crypto.randomBytes(2).toString("hex")}`;
const group = `${prefix}g`;
/** Three students: one solves the exercise, one answers it wrongly, one leaves it. */
const right = `${prefix}r`;
const wrong = `${prefix}w`;
const none = `${prefix}n`;
const students = [right, wrong, none];
const ANSWERS: Record<string, string | null> = {
  [right]: [
    "function discountedReturn(rewards: number[], gamma: number): number {",
    "  let g = 0;",
    "  for (let k = rewards.length - 1; k >= 0; k--) g = rewards[k] + gamma * g;",
    "  return g;",
    "}",
  ].join("\n"),
  // Wrong on every hidden case (an answer that is right on some would earn a share of the points).
  [wrong]: "function discountedReturn(rewards: number[], gamma: number): number {\n  return 42;\n}",
  [none]: null,
};

// Students must reach the exchange and the release: a world-traversable temporary folder.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-class-"));
fs.chmodSync(tmp, 0o755);
const exchange = path.join(tmp, "exchange");
const release = path.join(tmp, "release");
const env = { ...process.env, MBRL_EXCHANGE: exchange };

function run(cmd: string, args: string[], timeout = 120_000) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: tmp, env, timeout });
  expect(r.status, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}
const exchangeCmd = (args: string[]) =>
  run(process.execPath, [path.join(root, "scripts", "exchange.mjs"), ...args, "--group", group, "--from", release]);

let hubUrl = "";
let hubPortForCleanup = 0;
const base = () => hubUrl;
/** Each step's guard against a hang, generous for a loaded 2-core machine (three servers and kernels at once). */
const TEST_TIMEOUT = 480_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One cell's outputs as the page holds them. */
interface Output {
  output_type: string;
  text?: string;
  ename?: string;
  evalue?: string;
  data?: Record<string, string>;
}
const outputText = (outs: Output[]) =>
  outs.map((o) => o.text ?? (o.ename ? `${o.ename}: ${o.evalue}` : (o.data?.["text/plain"] ?? ""))).join("\n");

/** The page's Jupyter object, as the classic Notebook's JS API exposes it (only what these tests use). */
interface JupyterCell {
  cell_type: string;
  metadata: { mbrl?: { exercise?: string; check?: string; points?: number } };
  input_prompt_number: number | string | null | undefined;
  output_area: { outputs: Output[] };
  set_text(text: string): void;
}
interface JupyterPage {
  notebook: {
    _fully_loaded: boolean;
    kernel: { is_connected(): boolean; info_reply?: unknown; execute(code: string, callbacks: object): string } | null;
    get_cells(): JupyterCell[];
    execute_cells(indices: number[]): void;
  };
}
declare const Jupyter: JupyterPage;

/** Waits until the notebook page has loaded and its kernel answered kernel_info. */
async function waitForKernel(page: Page) {
  await page.waitForFunction(
    () => {
      const nb = typeof Jupyter === "undefined" ? undefined : Jupyter.notebook;
      return !!nb && nb._fully_loaded && !!nb.kernel && nb.kernel.is_connected() && !!nb.kernel.info_reply;
    },
    undefined,
    { timeout: 150_000, polling: 250 },
  );
}

/**
 * Runs code in the page's own kernel (the student's) and returns what it printed, up to the line END it
 * must print last (stream messages can come after the execute reply), or the error it raised.
 */
function kernelRun(page: Page, code: string): Promise<string> {
  return page.evaluate(
    (code) =>
      new Promise<string>((resolve) => {
        let out = "";
        Jupyter.notebook.kernel!.execute(code, {
          iopub: {
            output: (msg: { content: { text?: string; ename?: string; evalue?: string } }) => {
              const c = msg.content;
              if (c.ename) resolve(`${out}${c.ename}: ${c.evalue}`);
              out += c.text ?? "";
              if (/(^|\n)END\n?$/.test(out)) resolve(out.replace(/END\n?$/, ""));
            },
          },
        });
      }),
    code,
  );
}

/** The text of a student's feedback page, opened as they would: its link on their Notebook page's file list. */
async function openFeedback(context: BrowserContext, page: Page, u: string): Promise<string> {
  await page.goto(`${base()}/user/${u}/tree/course/feedback`);
  const link = page.locator("a.item_link", { hasText: `${ASSIGNMENT}.html` });
  await link.waitFor({ timeout: 60_000 });
  const [tab] = await Promise.all([context.waitForEvent("page"), link.click()]);
  const body = tab.frameLocator("iframe").locator("body");
  await body.getByText("Score:").waitFor({ timeout: 60_000 });
  const text = await body.innerText();
  await tab.close();
  return text;
}

describe.skipIf(why !== "")("a class on the hub, end to end in the browser", () => {
  let hub: ChildProcess | undefined;
  let hubLog = "";
  let browser: Browser | undefined;
  const contexts = new Map<string, BrowserContext>();
  const pages = new Map<string, Page>();
  let passwords = new Map<string, string>();
  const submitted = new Map<string, string>();
  let exercisePoints = 0;

  beforeAll(async () => {
    // The release (no solutions) and the students, while the browser starts.
    const browserStarting = launchChromium();
    const releasing = cli(["release", release]).then((r) => {
      if (r.code !== 0) throw new Error(`the release failed:\n${r.stderr}`);
    });
    fs.writeFileSync(path.join(tmp, "roster.csv"), `username,name\n${students.map((u) => `${u},Student ${u}`).join("\n")}\n`);
    run(process.execPath, [path.join(root, "scripts", "add-students.mjs"), "roster.csv", "--group", group, "--passwords", "pw.csv"]);
    passwords = readPasswords(path.join(tmp, "pw.csv"));

    const { config, port } = await writeHubConfig(tmp, {
      studentsGroup: group,
      stateDir: "state",
      exchange: "exchange",
      ...(limitsWhy ? {} : LIMITS),
    });
    hubUrl = `http://127.0.0.1:${port}`;
    hubPortForCleanup = port;
    hub = await startHub(config, port, { cwd: tmp, onOutput: (d) => (hubLog += d), timeoutSeconds: 60 });
    browser = await browserStarting;
    await releasing;
    exercisePoints = (
      JSON.parse(fs.readFileSync(path.join(release, "notebooks", `${ASSIGNMENT}.ipynb`), "utf8")) as {
        cells: { metadata: { mbrl?: { exercise?: string; points?: number } } }[];
      }
    ).cells.find((c) => c.metadata.mbrl?.exercise === EXERCISE)!.metadata.mbrl!.points!;
    expect(exercisePoints).toBeGreaterThan(0);
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopHub(hub, path.join(tmp, "state"));
    for (const u of students) spawnSync("pkill", ["-KILL", "-u", u]);
    for (let t = 0; t < 40 && students.some((u) => spawnSync("pgrep", ["-u", u]).status === 0); t++) await sleep(250);
    for (const u of students) spawnSync("userdel", ["--remove", u]);
    // The students' control groups, should the hub not have removed them (it was killed, say).
    if (hubPortForCleanup) spawnSync("/usr/bin/python3", [CGROUP_LIMITS, "cleanup", String(hubPortForCleanup)]);
    spawnSync("groupdel", [group]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(
    "releases notebook 00; each student logs in, runs it in the browser, answers (right, wrong, not at all) and submits with the Submit button",
    async () => {
      expect(exchangeCmd(["release", ASSIGNMENT])).toMatch(/copied to 3 student/);

      await Promise.all(
        students.map((u) =>
          studentWorks(u).catch((e: Error) => Promise.reject(new Error(`${u}: ${e.message}\n--- hub log ---\n${hubLog.slice(-4000)}`))),
        ),
      );
      async function studentWorks(u: string) {
        const context = await browser!.newContext();
        // Page loads and clicks wait for three servers and kernels starting at once on 2 cores.
        context.setDefaultTimeout(120_000);
        context.setDefaultNavigationTimeout(120_000);
        contexts.set(u, context);
        const page = await context.newPage();
        pages.set(u, page);
        await page.goto(`${base()}/hub/login`);
        await page.fill("#username_input", u);
        await page.fill("#password_input", passwords.get(u)!);
        await page.click("#login_submit");
        await page.waitForURL(`${base()}/user/${u}/tree**`, { timeout: 150_000 });
        await page.goto(`${base()}/user/${u}/notebooks/course/${ASSIGNMENT}.ipynb`);
        await waitForKernel(page);
        await page.waitForSelector("#mbrl-submit", { timeout: 60_000 });

        // The exercise through the page: its cell edited (not saved: the Submit button saves), then the
        // notebook run from the top to the exercise's check cell.
        const checkAt = await page.evaluate(
          ({ exercise, answer }) => {
            const cells = Jupyter.notebook.get_cells();
            if (answer !== null) cells.find((c) => c.metadata.mbrl?.exercise === exercise)!.set_text(answer);
            const at = cells.findIndex((c) => c.metadata.mbrl?.check === exercise);
            Jupyter.notebook.execute_cells(cells.map((_, i) => i).slice(0, at + 1));
            return at;
          },
          { exercise: EXERCISE, answer: ANSWERS[u] },
        );
        await page.waitForFunction(
          (at) =>
            Jupyter.notebook
              .get_cells()
              .slice(0, at + 1)
              .every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number"),
          checkAt,
          { timeout: 170_000, polling: 500 },
        );
        const outputs = await page.evaluate(
          (at) => Jupyter.notebook.get_cells().map((c, i) => (i <= at && c.cell_type === "code" ? c.output_area.outputs : [])),
          checkAt,
        );
        // Every cell before the check ran cleanly in the course kernel (the backend's message first).
        for (const outs of outputs.slice(0, checkAt))
          expect(
            outs.filter((o) => o.output_type === "error"),
            u,
          ).toEqual([]);
        expect(outputText(outputs[2]), u).toMatch(/backend/i);
        const check = outputText(outputs[checkAt]);
        if (u === right) expect(check).toMatch(/ok: /);
        else if (u === wrong) expect(check).toMatch(/three rewards of 1 with gamma 0\.5/);
        else expect(check).toMatch(/not implemented yet: discounted-return/);

        await page.click("#mbrl-submit");
        const result = page.locator("#mbrl-submit-result");
        await result.waitFor({ timeout: 60_000 });
        const text = (await result.textContent())!;
        expect(await result.getAttribute("data-ok"), text).toBe("true");
        const file = /Your submission is the file (\S+\.ipynb)\./.exec(text)?.[1];
        expect(text).toMatch(new RegExp(`submitted .*course/${ASSIGNMENT}\\.ipynb as ${ASSIGNMENT} at \\d{4}-\\d\\d-\\d\\dT`));
        expect(file).toBeDefined();
        submitted.set(u, file!);
        await page.click(".modal-footer button");
        await result.waitFor({ state: "detached" });
      }

      for (const u of students) {
        const inDrop = path.join(exchange, ASSIGNMENT, u, submitted.get(u)!);
        expect(fs.statSync(inDrop).uid).toBe(fs.statSync(`/home/${u}`).uid);
        // The button saved the page before submitting: the edit is in the submission.
        const answer = ANSWERS[u];
        if (answer !== null) expect(fs.readFileSync(inDrop, "utf8")).toContain(JSON.stringify(answer.split("\n")[1] + "\n"));
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "refuses, with a clear error on the page, a notebook that is not a released assignment, and a POST without the page's XSRF token",
    async () => {
      const u = none;
      const page = pages.get(u)!;
      const scratch = `/home/${u}/scratch.ipynb`;
      expect(spawnSync("runuser", ["-u", u, "--", "cp", `/home/${u}/course/${ASSIGNMENT}.ipynb`, scratch]).status).toBe(0);
      await page.goto(`${base()}/user/${u}/notebooks/scratch.ipynb`);
      await page.waitForFunction(() => typeof Jupyter !== "undefined" && !!Jupyter.notebook && Jupyter.notebook._fully_loaded, undefined, {
        timeout: 120_000,
      });
      await page.click("#mbrl-submit");
      const result = page.locator("#mbrl-submit-result");
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute("data-ok")).toBe("false");
      expect(await result.textContent()).toMatch(
        /scratch\.ipynb is not a course assignment: only the notebooks your instructor released into/,
      );
      // The student's own cookie without the page's XSRF token (a cross-site form, say) is refused.
      const forged = await contexts.get(u)!.request.post(`${base()}/user/${u}/mbrl/submit`, {
        data: { path: `course/${ASSIGNMENT}.ipynb` },
        failOnStatusCode: false,
      });
      expect(forged.status()).toBe(403);
      expect(fs.readdirSync(path.join(exchange, ASSIGNMENT, u))).toEqual([submitted.get(u)]);
    },
    TEST_TIMEOUT,
  );

  it(
    "keeps each student's kernel out of the others' homes and submissions, and out of the solutions and hidden tests",
    async () => {
      const [u, other] = [wrong, right];
      const page = pages.get(u)!;
      await page.goto(`${base()}/user/${u}/notebooks/course/${ASSIGNMENT}.ipynb`);
      await waitForKernel(page);
      const targets = [`/home/${other}`, `/home/${other}/course/${ASSIGNMENT}.ipynb`, path.join(exchange, ASSIGNMENT)];
      targets.push(path.join(exchange, ASSIGNMENT, other, submitted.get(other)!));
      // The reference solutions and hidden tests in the shared clone: npm run hub closed them (chmod o-rwx).
      for (const d of ["solutions", "test", path.join("test", "grading")]) expect(fs.statSync(path.join(root, d)).mode & 0o007, d).toBe(0);
      targets.push(path.join(root, "solutions"), path.join(root, "solutions", ASSIGNMENT, `${EXERCISE}.ts`));
      targets.push(path.join(root, "test", "grading"), path.join(root, "test", "grading", "specs", ASSIGNMENT, `${EXERCISE}.ts`));
      const out = await kernelRun(
        page,
        `const fs = require("fs");
for (const p of ${JSON.stringify(targets)}) {
  try {
    fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.readFileSync(p);
    console.log(p + " READ");
  } catch (e) {
    console.log(p + " " + (e as { code?: string }).code);
  }
}
console.log(require("os").userInfo().username);
console.log("END");`,
      );
      expect(out.trim().split("\n")).toEqual([...targets.map((p) => `${p} EACCES`), u]);
    },
    TEST_TIMEOUT,
  );

  it(
    "collects, grades with npm run grade and returns; each student sees their own score on their feedback page, and not another's",
    async () => {
      const collected = path.join(tmp, "collected");
      const grades = path.join(tmp, "grades");
      expect(exchangeCmd(["collect", ASSIGNMENT, collected])).toMatch(/3 submission\(s\)/);
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const g = spawnSync(npm, ["run", "--silent", "grade", "--", collected, "--out", grades], {
        encoding: "utf8",
        cwd: root,
        env,
        timeout: 170_000,
      });
      expect(g.status, `${g.stdout}\n${g.stderr}`).toBe(0);
      expect(exchangeCmd(["return", ASSIGNMENT, grades])).toMatch(/feedback in ~\/course\/feedback\/00-welcome\.html of 3 student/);

      const scores = new Map<string, number>();
      let maxScore = 0;
      for (const u of students) {
        const text = await openFeedback(contexts.get(u)!, pages.get(u)!, u);
        const m = /Score: ([\d.]+) of ([\d.]+) points/.exec(text);
        expect(m, text).not.toBeNull();
        scores.set(u, Number(m![1]));
        maxScore = Number(m![2]);
        expect(text).toContain(u);
        for (const v of students) if (v !== u) expect(text).not.toContain(v);
        // Another student's feedback, with this student's login: the other's server does not let them in.
        const other = students[(students.indexOf(u) + 1) % students.length];
        const peek = await contexts.get(u)!.request.get(`${base()}/user/${other}/files/course/feedback/${ASSIGNMENT}.html`, {
          failOnStatusCode: false,
          headers: { Referer: `${base()}/user/${other}/tree` },
        });
        expect(peek.status(), u).toBe(403);
        expect(await peek.text()).not.toMatch(/Score: /);
      }
      expect(scores.get(right)).toBe(exercisePoints);
      expect(scores.get(wrong)).toBe(0);
      expect(scores.get(none)).toBe(0);
      expect(maxScore).toBeGreaterThan(exercisePoints);
    },
    TEST_TIMEOUT,
  );

  /** The hub's control-group folders (parents of each student's), as `npm run hub` printed them. */
  const cgroupParents = () =>
    (/control groups, cgroup v\d: (.+)\)/.exec(hubLog)?.[1].split(", ") ?? []).map((p) => p.replace(/\/STUDENT$/, ""));

  it.skipIf(limitsWhy !== "")(
    "limits each student's memory and CPU: a kernel allocating past the limit is killed, the hub and the other students carry on",
    async () => {
      const parents = cgroupParents();
      expect(parents.length, hubLog).toBeGreaterThan(0);
      const file = (u: string, name: string) => parents.map((p) => path.join(p, u, name)).find((f) => fs.existsSync(f));
      const read = (u: string, name: string) => fs.readFileSync(file(u, name)!, "utf8").trim();
      for (const u of students) {
        if (file(u, "memory.max")) {
          expect(read(u, "memory.max")).toBe(String(LIMITS.memLimitMB * 2 ** 20));
          expect(read(u, "cpu.max")).toBe(`${LIMITS.cpuLimit * 100000} 100000`);
        } else {
          expect(read(u, "memory.limit_in_bytes")).toBe(String(LIMITS.memLimitMB * 2 ** 20));
          expect(Number(read(u, "cpu.cfs_quota_us"))).toBe(LIMITS.cpuLimit * Number(read(u, "cpu.cfs_period_us")));
        }
      }
      const u = none;
      const page = pages.get(u)!;
      await page.goto(`${base()}/user/${u}/notebooks/course/${ASSIGNMENT}.ipynb`);
      await waitForKernel(page);
      const pid = Number((await kernelRun(page, `console.log(process.pid);\nconsole.log("END");`)).trim());
      // The student's kernel is in their groups (it inherited them from the server).
      for (const p of parents) expect(fs.readFileSync(path.join(p, u, "cgroup.procs"), "utf8").split("\n")).toContain(String(pid));
      const oomKills = () =>
        Number(/oom_kill (\d+)/.exec(fs.readFileSync((file(u, "memory.events") ?? file(u, "memory.oom_control"))!, "utf8"))?.[1]);
      const before = oomKills();
      // 4 GB, every page written (Buffer.alloc fills it), far past the 1.5 GB limit.
      await page.evaluate(() => {
        Jupyter.notebook.kernel!.execute(
          "const hog: Buffer[] = [];\nfor (let i = 0; i < 64; i++) hog.push(Buffer.alloc(64 << 20, 1));\nconsole.log(hog.length);",
          {},
        );
      });
      for (let t = 0; fs.existsSync(`/proc/${pid}`); t++) {
        if (t > 480) throw new Error(`the kernel ${pid} allocating 4 GB was not killed within 120 s`);
        await sleep(250);
      }
      if (!Number.isNaN(before)) expect(oomKills()).toBeGreaterThan(before);
      // The hub, the student's own server and another student's kernel carry on.
      expect((await fetch(`${base()}/hub/api`)).status).toBe(200);
      expect((await contexts.get(u)!.request.get(`${base()}/user/${u}/api/status`)).status()).toBe(200);
      const other = pages.get(right)!;
      await other.goto(`${base()}/user/${right}/notebooks/course/${ASSIGNMENT}.ipynb`);
      await waitForKernel(other);
      expect((await kernelRun(other, `console.log(6 * 7);\nconsole.log("END");`)).trim()).toBe("42");
    },
    TEST_TIMEOUT,
  );

  it(
    "stops every student's server and kernel, and removes their control groups, when the hub stops",
    async () => {
      const parents = cgroupParents();
      hub!.kill("SIGTERM");
      for (let t = 0; hub!.exitCode === null && hub!.signalCode === null; t++) {
        if (t > 480) throw new Error(`the hub did not stop within 120 s:\n${hubLog.slice(-3000)}`);
        await sleep(250);
      }
      expect(hub!.exitCode).toBe(0);
      for (let t = 0; students.some((u) => spawnSync("pgrep", ["-u", u]).status === 0); t++) {
        if (t > 120)
          throw new Error(
            `students' processes outlived the hub: ${spawnSync("ps", ["-fu", students.join(",")], { encoding: "utf8" }).stdout}`,
          );
        await sleep(250);
      }
      if (!limitsWhy) expect(parents.length, hubLog).toBeGreaterThan(0);
      for (const p of parents) expect(fs.existsSync(p), p).toBe(false);
    },
    TEST_TIMEOUT,
  );
});
