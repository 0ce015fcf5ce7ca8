/**
 * The course's JupyterLab server (jupyterlab/mbrl_lab.py on Debian's jupyter_server 1.x and
 * jupyterlab_server 2.x): its Python unit tests (test/lab/mbrl_lab_test.py), then the real server on
 * the real build answering what JupyterLab 4 asks for, refusing requests without the token, and a
 * clear message when the build or the Python packages are missing. Needs `npm run lab:setup` (CI does
 * it before npm test); the browser side is test/e2e/lab.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const PYTHON = process.env.MBRL_PYTHON || "/usr/bin/python3";
const SHIM = path.join(ROOT, "jupyterlab", "mbrl_lab.py");
const TOKEN = crypto.randomBytes(16).toString("hex");
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-lab-server-"));
const env = {
  ...process.env,
  JUPYTER_CONFIG_DIR: path.join(HOME, "config"),
  JUPYTER_DATA_DIR: path.join(HOME, "data"),
  JUPYTER_RUNTIME_DIR: path.join(HOME, "runtime"),
  JUPYTER_PATH: path.join(ROOT, "build", "jupyter"),
  PYDEVD_DISABLE_FILE_VALIDATION: "1",
};

let server: ChildProcess | null = null;
let log = "";
let base = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const get = (p: string, auth = true, init: RequestInit = {}) =>
  fetch(`${base}${p}`, { ...init, headers: auth ? { Authorization: `token ${TOKEN}` } : {} });

/** Status of a WebSocket upgrade request (101 when the socket opens). */
function upgradeStatus(p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${p}?token=${TOKEN}`, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": crypto.randomBytes(16).toString("base64"),
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the course's JupyterLab server module", () => {
  it("passes its Python unit tests", () => {
    const r = spawnSync(PYTHON, [path.join(__dirname, "mbrl_lab_test.py"), "-v"], { encoding: "utf8", env, timeout: 120_000 });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/Ran [5-9]\d* tests?/);
  });

  it("names the missing Debian packages when no Python can serve it", async () => {
    const { findServerPython } = await import("../../scripts/lab.mjs" as string);
    const r = findServerPython({ ...process.env, MBRL_PYTHON: path.join(HOME, "no-such-python") });
    expect(r.error).toMatch(/python3-jupyter-server python3-jupyterlab-server/);
    expect(r.error).toContain("no-such-python: not found");
    const ok = findServerPython({ ...process.env, MBRL_PYTHON: PYTHON });
    expect(ok.error).toBeUndefined();
    expect(ok.labServer).toMatch(/^2\./);
  });

  it("says how to build it when the build is missing", () => {
    const empty = path.join(HOME, "empty-app");
    fs.mkdirSync(empty, { recursive: true });
    const r = spawnSync(PYTHON, [SHIM, "--no-browser", "--port=0", `--LabApp.app_dir=${empty}`, "--allow-root"], {
      encoding: "utf8",
      env,
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("run `npm run lab:setup`");
  });
});

describe("the course's JupyterLab server, running", () => {
  beforeAll(async () => {
    const { labIsBuilt } = await import("../../scripts/lab.mjs" as string);
    if (!labIsBuilt()) throw new Error("the course's JupyterLab is not built (jupyterlab/app): run `npm run lab:setup` first (CI does).");
    const port = await freePort();
    server = spawn(
      PYTHON,
      [
        SHIM,
        "--no-browser",
        "--ip=127.0.0.1",
        `--port=${port}`,
        `--ServerApp.token=${TOKEN}`,
        `--notebook-dir=${path.join(ROOT, "notebooks")}`,
        "--allow-root",
      ],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    server.stdout!.on("data", (d) => (log += d));
    server.stderr!.on("data", (d) => (log += d));
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      if (server.exitCode !== null) throw new Error(`mbrl_lab.py exited:\n${log}`);
      try {
        if ((await get("/api/status")).ok) return;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`mbrl_lab.py did not answer:\n${log}`);
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => server!.once("exit", r));
    }
    fs.rmSync(HOME, { recursive: true, force: true });
  });

  it("serves JupyterLab 4 at /lab with JupyterLab's page config", async () => {
    const r = await get("/lab");
    expect(r.status).toBe(200);
    const html = await r.text();
    const config = JSON.parse(/<script id="jupyter-config-data" type="application\/json">([^]*?)<\/script>/.exec(html)![1]);
    expect(config.appName).toBe("JupyterLab");
    expect(config.appVersion).toMatch(/^4\.5\./);
    expect(config).toMatchObject({
      buildAvailable: false,
      buildCheck: false,
      devMode: false,
      exposeAppInBrowser: false,
      news: { disabled: true },
    });
    expect(config.extensionManager).toEqual({ name: "read-only", can_install: false, install_path: null });
    expect(config.fullStaticUrl).toBe("/static/lab");
    expect(config.federated_extensions).toEqual([]);
    // The bundle it names is served.
    const script = /src="\/static\/lab\/(main\.[0-9a-f]+\.js)/.exec(html)![1];
    expect((await get(`/static/lab/${script}`)).status).toBe(200);
    // The settings override: no news or update checks (nothing fetched from the internet).
    const s = (await (await get("/lab/api/settings/@jupyterlab/apputils-extension:notification")).json()) as {
      schema: { properties: Record<string, { default?: unknown }> };
    };
    expect(s.schema.properties.fetchNews.default).toBe("false");
    expect(s.schema.properties.checkForUpdates.default).toBe(false);
  });

  it("answers what JupyterLab 4 asks of a jupyter_server 2", async () => {
    const me = (await (await get("/api/me")).json()) as { identity: Record<string, unknown>; permissions: unknown };
    expect(Object.keys(me.identity).sort()).toEqual(["avatar_url", "color", "display_name", "initials", "name", "username"]);
    expect(me.permissions).toEqual({});
    expect(await (await get("/lsp/status")).json()).toEqual({ version: 2, sessions: {}, specs: {} });
    expect(await (await get("/lab/api/extensions")).json()).toEqual([]);
    expect((await get("/api/events", true, { method: "POST", body: "{}" })).status).toBe(204);
    expect(await upgradeStatus("/api/events/subscribe")).toBe(101);
    const specs = (await (await get("/api/kernelspecs")).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toContain("tslab");
  });

  it("refuses requests without the token", async () => {
    for (const p of ["/api/me", "/lsp/status", "/lab/api/extensions", "/api/kernelspecs"])
      expect((await get(p, false)).status, p).toBe(403);
    expect((await get("/api/events", false, { method: "POST", body: "{}" })).status).toBe(403);
    const ws = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/api/events/subscribe`, {
        headers: {
          Connection: "Upgrade",
          Upgrade: "websocket",
          "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": crypto.randomBytes(16).toString("base64"),
        },
      });
      req.on("upgrade", (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)));
      req.on("response", (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on("error", reject);
      req.end();
    });
    expect(ws).toBe(403);
    expect(log).not.toMatch(/^\[E |Traceback/m);
  });
});
