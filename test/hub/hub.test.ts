/**
 * The course hub end to end (`npm run hub`, `npm run hub:add-students`): real unix accounts made
 * from a roster, JupyterHub with PAM login and LocalProcessSpawner on free ports. A student logs in
 * through the login form (another from headless Chromium), starts their server and a course (tslab)
 * kernel through the hub's proxy, runs `40 + 2` over the kernel websocket, imports the shared course
 * library, cannot write into it nor read another student's home; the idle kernel is culled, then the idle server stops.
 * Needs root and Debian's jupyterhub (CI installs it); skipped with a message otherwise (the browser
 * step also without Chromium). The accounts it makes (prefix "hubt") are removed afterwards.
 */
import { spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { Client, readPasswords, removeStudents, runCell, sleep, startHub, stopHub, writeHubConfig } from "../helpers/hub-client";

const root = path.resolve(__dirname, "..", "..");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasHub = fs.existsSync("/usr/bin/jupyterhub");
const why = !isRoot
  ? "not running as root (the hub makes unix users)"
  : !hasHub
    ? "JupyterHub is not installed (apt-get install jupyterhub)"
    : "";
if (why) console.warn(`test/hub/hub.test.ts skipped: ${why}`);

const CHROMIUM = process.env.MBRL_CHROMIUM || "/usr/bin/chromium";

const tag = crypto.randomBytes(2).toString("hex");
const prefix = `hubt${tag}`;
const group = `${prefix}g`;
const [alice, bob] = [`${prefix}a`, `${prefix}b`];
const outsider = `${prefix}x`; // an account of the machine, not in the course's group
const teacher = `${prefix}t`; // an admin of the hub, not in the course's group either
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-hub-"));

function node(script: string, args: string[]) {
  return spawnSync(process.execPath, [path.join(root, "scripts", script), ...args], { encoding: "utf8", cwd: tmp, timeout: 60_000 });
}

describe.skipIf(why !== "")("the course hub (JupyterHub, real students)", () => {
  let hub: ChildProcess | undefined;
  let hubLog = "";
  let base = "";
  let config = "";
  let passwords = new Map<string, string>();

  beforeAll(async () => {
    // A roster with mistakes makes nobody; the good roster makes both students.
    fs.writeFileSync(path.join(tmp, "bad.csv"), `username\n${alice}\nBad.Name\n${alice}\n`);
    const bad = node("add-students.mjs", ["bad.csv", "--group", group]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`line 3: "Bad.Name" is not a valid user name`);
    expect(bad.stderr).toContain(`line 4: "${alice}" is listed twice (also on line 2)`);
    expect(spawnSync("id", [alice]).status).not.toBe(0);

    fs.writeFileSync(path.join(tmp, "roster.csv"), `username,name\n${alice},Alice Test\n${bob},Bob Test\n`);
    const made = node("add-students.mjs", ["roster.csv", "--group", group, "--passwords", "pw.csv"]);
    expect(made.stderr).toBe("");
    expect(made.status).toBe(0);
    passwords = readPasswords(path.join(tmp, "pw.csv"));
    expect([...passwords.keys()]).toEqual([alice, bob]);

    for (const u of [outsider, teacher]) expect(spawnSync("useradd", ["--create-home", u]).status).toBe(0);
    expect(spawnSync("chpasswd", { input: `${outsider}:outsider-pw-1\n${teacher}:teacher-pw-1\n` }).status).toBe(0);

    const written = await writeHubConfig(tmp, { studentsGroup: group, admins: [teacher], stateDir: "state", idleMinutes: 0.25 });
    config = written.config;
    const port = written.port;
    base = `http://127.0.0.1:${port}`;
    hub = await startHub(config, port, { cwd: tmp, onOutput: (d) => (hubLog += d), timeoutSeconds: 60 });
  });

  afterAll(async () => {
    await stopHub(hub, path.join(tmp, "state"), 15);
    removeStudents([alice, bob, outsider, teacher], group);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("gives each student a home of their own (mode 0700)", () => {
    for (const u of [alice, bob]) {
      const st = fs.statSync(`/home/${u}`);
      expect(st.mode & 0o777).toBe(0o700);
      expect(st.uid).toBe(Number(spawnSync("id", ["-u", u], { encoding: "utf8" }).stdout.trim()));
    }
  });

  it("refuses a second hub on the same port with a clear error", () => {
    const again = node("hub.mjs", ["--config", config]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/port 127\.0\.0\.1:\d+ is already in use/);
  });

  it("refuses a config whose students' group does not exist", () => {
    const typo = path.join(tmp, "typo.json");
    fs.writeFileSync(typo, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, "utf8")), studentsGroup: `${group}zz` }));
    const r = node("hub.mjs", ["--config", typo]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the students' group ${group}zz does not exist`);
  });

  it("refuses a wrong password, and an account of the machine that is not in the course's group", async () => {
    for (const [user, password] of [
      [alice, "not-the-password"],
      [outsider, "outsider-pw-1"],
    ]) {
      const c = new Client(base);
      const res = await c.login(user, password);
      expect(res.status, user).toBe(200); // the login page again, with its error
      expect(c.cookies.has("jupyterhub-hub-login"), user).toBe(false);
    }
  });

  it.skipIf(!fs.existsSync(CHROMIUM))(
    "lets a student log in from a browser and reach their Notebook page with the course kernel",
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        timeout: 60_000,
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${base}/hub/login`);
        await page.fill("#username_input", bob);
        await page.fill("#password_input", passwords.get(bob)!);
        await page.click("#login_submit");
        // The hub starts bob's server (spawn-pending page), then sends the browser to its tree page.
        await page.waitForURL(`${base}/user/${bob}/tree**`, { timeout: 120_000 });
        await page.waitForSelector("text=TypeScript (MBRL course)", { state: "attached", timeout: 60_000 });
      } finally {
        await browser.close();
      }
    },
  );

  it("lets an admin named in the config in, as an admin", async () => {
    const c = new Client(base);
    expect((await c.login(teacher, "teacher-pw-1")).status).toBe(302);
    const me = (await (await c.api("/user")).json()) as { name: string; admin: boolean };
    expect(me).toMatchObject({ name: teacher, admin: true });
  });

  it("logs a student in, starts their server and the course kernel, runs 40 + 2, keeps other homes closed, and culls the idle kernel, then the idle server", async () => {
    const c = new Client(base);
    const login = await c.login(alice, passwords.get(alice)!);
    expect(login.status, hubLog).toBe(302);
    expect(c.cookies.has("jupyterhub-hub-login")).toBe(true);

    const me = await c.api("/user");
    expect(me.status).toBe(200);
    expect(((await me.json()) as { name: string }).name).toBe(alice);
    const tokenRes = await c.api(`/users/${alice}/tokens`, "POST", { note: "hub test", expires_in: 600 });
    expect(tokenRes.status, await tokenRes.clone().text()).toBe(201);
    const { token } = (await tokenRes.json()) as { token: string };
    const auth = { Authorization: `token ${token}` };

    const start = await fetch(`${base}/hub/api/users/${alice}/server`, { method: "POST", headers: auth });
    expect([201, 202], `${start.status} ${await start.clone().text()}\n${hubLog}`).toContain(start.status);
    for (let t = 0; ; t++) {
      const u = (await (await fetch(`${base}/hub/api/users/${alice}`, { headers: auth })).json()) as {
        servers?: Record<string, { ready: boolean }>;
      };
      if (u.servers?.[""]?.ready) break;
      if (t > 240) throw new Error(`${alice}'s server did not start:\n${hubLog}`);
      await sleep(500);
    }

    const specs = (await (await fetch(`${base}/user/${alice}/api/kernelspecs`, { headers: auth })).json()) as {
      kernelspecs: Record<string, unknown>;
    };
    expect(Object.keys(specs.kernelspecs)).toContain("tslab");
    const kernel = await fetch(`${base}/user/${alice}/api/kernels`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "tslab" }),
    });
    expect(kernel.status).toBe(201);
    const { id } = (await kernel.json()) as { id: string };
    const ws = `${base.replace("http", "ws")}/user/${alice}/api/kernels/${id}/channels`;

    expect(await runCell(ws, token, "40 + 2")).toEqual({ result: "42" });
    // The kernel runs as the student, in their home, and bob's home is closed to it.
    expect(await runCell(ws, token, `require("os").userInfo().username + " " + process.cwd()`)).toEqual({
      result: `'${alice} /home/${alice}'`,
    });
    // The shared course install: the built library as `mbrl`, from the course's node_modules.
    expect(await runCell(ws, token, `import { makeRng } from "mbrl/core";\ntypeof makeRng`)).toEqual({
      result: "'function'",
    });
    // ... which the student cannot change.
    const write = await runCell(
      ws,
      token,
      `require("fs").writeFileSync(${JSON.stringify(path.join(root, "node_modules", "mbrl", "hub-test"))}, "x")`,
    );
    expect(write).toEqual({ error: expect.stringMatching(/EACCES/) });
    const peek = await runCell(ws, token, `require("fs").readdirSync("/home/${bob}")`);
    expect(peek.result).toBeUndefined();
    expect(peek.error).toMatch(/EACCES/);

    // Idle culling (idleMinutes 0.25 here): the idle kernel is shut down by the student's server.
    const kernelIds = async () =>
      ((await (await fetch(`${base}/user/${alice}/api/kernels`, { headers: auth })).json()) as { id: string }[]).map((k) => k.id);
    expect(await kernelIds()).toContain(id);
    for (let t = 0; (await kernelIds()).includes(id); t++) {
      if (t > 90) throw new Error(`the idle kernel was not culled within 90 s:\n${hubLog.slice(-3000)}`);
      await sleep(1000);
    }
    // Then the server itself: with no kernel left and no request for idleMinutes it shuts down (the
    // Notebook server checks once a minute) and the hub, which polls its servers every 30 s, marks it
    // stopped. Only the hub's API is asked from here on: a request to the server would be activity.
    const serverOf = async () =>
      ((await (await fetch(`${base}/hub/api/users/${alice}`, { headers: auth })).json()) as { server: string | null }).server;
    for (let t = 0; (await serverOf()) !== null; t++) {
      if (t > 40) throw new Error(`the idle server was not stopped within 200 s:\n${hubLog.slice(-3000)}`);
      await sleep(5000);
    }
  }, 480_000);
});
