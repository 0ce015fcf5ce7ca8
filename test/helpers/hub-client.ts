/**
 * A client of the course hub (`npm run hub`) as students meet it: free ports for a hub of its own, the
 * hub started and stopped, the hub's login form and REST API with a cookie jar, and cells run on a kernel's websocket. Shared by
 * the hub tests (test/hub/) and the hub benchmark (test/bench/hub.ts).
 */
import { type ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import WebSocket from "ws";
import { ROOT } from "./notebook";

/** n different free ports (all held open together while they are picked, so none comes twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.once("error", reject);
          srv.listen(0, "127.0.0.1", () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as net.AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/**
 * Writes a hub.json for `npm run hub` in `dir` on three free ports of 127.0.0.1 (the students' port,
 * the hub's and the proxy API's), with the given keys added; returns its path and the students' port.
 */
export async function writeHubConfig(dir: string, keys: Record<string, unknown>): Promise<{ config: string; port: number }> {
  const [port, hubPort, proxyApiPort] = await freePorts(3);
  const config = path.join(dir, "hub.json");
  fs.writeFileSync(config, JSON.stringify({ ip: "127.0.0.1", port, hubPort, proxyApiPort, ...keys }));
  return { config, port };
}

/** The user -> password map of the passwords file `npm run hub:add-students -- ... --passwords FILE` writes. */
export function readPasswords(file: string): Map<string, string> {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n").slice(1); // after the header line
  return new Map(lines.map((l) => l.split(",") as [string, string]));
}

/**
 * Starts the course hub (`npm run hub -- --config CONFIG`, from `cwd`) and waits until its API answers
 * on `port`; its output goes to `onOutput`. Throws with that output when it exits or is not up within
 * `timeoutSeconds`.
 */
export async function startHub(
  config: string,
  port: number,
  opts: { cwd: string; onOutput: (text: string) => void; timeoutSeconds?: number },
): Promise<ChildProcess> {
  let output = "";
  const hub = spawn(process.execPath, [path.join(ROOT, "scripts", "hub.mjs"), "--config", config], {
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const take = (d: Buffer) => {
    output += d;
    opts.onOutput(String(d));
  };
  hub.stdout!.on("data", take);
  hub.stderr!.on("data", take);
  const deadline = Date.now() + (opts.timeoutSeconds ?? 60) * 1000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/hub/api`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return hub;
    if (hub.exitCode !== null || Date.now() > deadline) throw new Error(`the hub did not come up:\n${output}`);
    await sleep(250);
  }
}

/**
 * Stops a hub started by startHub: SIGTERM (the hub stops every student's server with it), then after
 * `graceSeconds` SIGKILL, and then JupyterHub and its proxy too, the launcher's children, by the pid
 * files in the hub's `stateDir` (a killed launcher does not take them with it).
 */
export async function stopHub(hub: ChildProcess | undefined, stateDir: string, graceSeconds = 30): Promise<void> {
  const running = () => !!hub && hub.exitCode === null && hub.signalCode === null;
  if (!hub || !running()) return;
  hub.kill("SIGTERM");
  for (let t = 0; t < graceSeconds * 4 && running(); t++) await sleep(250);
  if (!running()) return;
  hub.kill("SIGKILL");
  for (const f of ["jupyterhub.pid", "jupyterhub-proxy.pid"]) {
    const file = path.join(stateDir, f);
    const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : 0;
    if (pid > 0) spawnSync("kill", ["-KILL", String(pid)]);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cookie jar for one browser-like client of the hub. */
export class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async request(p: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(this.base + p, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(";");
      const at = kv.indexOf("=");
      this.cookies.set(kv.slice(0, at), kv.slice(at + 1));
    }
    return res;
  }
  /** Logs in through the hub's login form; the response of the form's POST. */
  async login(user: string, password: string): Promise<Response> {
    const page = await (await this.request("/hub/login")).text();
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(page)?.[1];
    const form = new URLSearchParams({ username: user, password, ...(xsrf ? { _xsrf: xsrf } : {}) });
    return this.request("/hub/login", { method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  }
  /** A hub REST call with the login cookie (as the hub's own pages make them). */
  api(p: string, method = "GET", body?: unknown): Promise<Response> {
    return this.request(`/hub/api${p}`, {
      method,
      headers: { Referer: `${this.base}/hub/`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

/** What one cell printed: its execute_result's text/plain and its error, if any. */
export interface CellOutcome {
  result?: string;
  error?: string;
}

/**
 * Runs one cell on a kernel's websocket; the execute_result's text/plain and the error, if any.
 * stop_on_error is off: with it, the kernel aborts a request that comes right after a failed one.
 * Rejects when the kernel has not finished the cell within `timeoutMs`.
 */
export function runCell(url: string, token: string, code: string, timeoutMs = 90_000): Promise<CellOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: `token ${token}` } });
    const msgId = crypto.randomUUID();
    const out: CellOutcome = {};
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no reply to ${JSON.stringify(code.slice(0, 80))} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    ws.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on("open", () => {
      ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: "execute_request",
            username: "test",
            session: crypto.randomUUID(),
            date: new Date().toISOString(),
            version: "5.3",
          },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false },
          channel: "shell",
          buffers: [],
        }),
      );
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.parent_header?.msg_id !== msgId) return;
      const type = msg.header.msg_type ?? msg.msg_type;
      if (type === "execute_result") out.result = msg.content.data["text/plain"];
      if (type === "error") out.error = `${msg.content.ename}: ${msg.content.evalue}`;
      if (type === "status" && msg.content.execution_state === "idle") {
        clearTimeout(timer);
        ws.close();
        resolve(out);
      }
    });
  });
}

/** Removes the unix accounts (killing their processes first) and the group a hub test or benchmark made. */
export function removeStudents(users: string[], group?: string): void {
  for (const u of users) {
    spawnSync("pkill", ["-KILL", "-u", u]);
    spawnSync("userdel", ["--remove", u]);
  }
  if (group) spawnSync("groupdel", [group]);
}
