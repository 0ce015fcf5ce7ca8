/**
 * The sandbox side of grading. The grader transpiles this file and runs it with `node -e` as an unprivileged
 * user in its own namespaces (isolation.ts) and under Node's permission model (no writes, no child processes,
 * no workers, reads only of the library mirror). It runs before any student code, keeps what it needs in this
 * closure (its socket to the grader, fd 3), removes ambient capabilities and every route to Node's built-in
 * modules, then waits for one "run" frame: compiled student code plus the argument lists. It reports
 * only what the student's functions returned or threw; the parent decides what is right. Nothing here is
 * trusted by the parent: whatever the student patches, the worst outcome is a wrong or missing message, and
 * that scores zero for the exercise.
 */
import * as path from "path";
import * as vm from "vm";
import * as v8 from "v8";
import * as net from "net";
import { createRequire } from "module";

interface RunMessage {
  type: "run";
  code: string;
  filename: string;
  modulesRoot: string;
  cases: { fn: string; args: unknown[] }[];
}

// Frames: 4-byte big-endian length, then v8.serialize(message). The socket stays in this closure.
const MAX_FRAME = 32 << 20;
const socket = new net.Socket({ fd: 3, readable: true, writable: true });
const serialize = v8.serialize;
const concat = Buffer.concat;
const alloc = Buffer.alloc;
function send(msg: Record<string, unknown>): void {
  const body = serialize(msg);
  if (body.length > MAX_FRAME) throw new Error(`the value is too large to send back (${Math.round(body.length / 2 ** 20)} MB)`);
  const head = alloc(4);
  head.writeUInt32BE(body.length, 0);
  socket.write(concat([head, body]));
}
const g = globalThis as Record<string, unknown>;
// No network (Node 20's permission model does not cover it) and no module loader for student code. Run
// again just before the student's code: `node -e` puts Module back on globalThis.module after the script.
function removeAmbient(): void {
  for (const k of ["fetch", "WebSocket", "EventSource", "require", "module", "exports", "__filename", "__dirname"]) {
    try {
      delete g[k];
    } catch {
      /* non-configurable: leave it */
    }
  }
}
// Signals reach any process of the same user (the grader itself, other sandboxes): Node's permission model
// does not cover them, so the process methods that send them, or that reach native code, are replaced.
const blocked = (name: string) => () => {
  throw new Error(`process.${name} is not available while grading`);
};
// getBuiltinModule would hand out fs, net, vm, v8 and module: every route to a built-in module goes.
for (const k of ["kill", "_kill", "_debugProcess", "_debugEnd", "dlopen", "binding", "_linkedBinding", "setuid", "setgid",
  "seteuid", "setegid", "setgroups", "initgroups", "chdir", "getBuiltinModule", "loadEnvFile", "_getActiveHandles",
  "_getActiveRequests", "openStdin", "abort"]) {
  try {
    Object.defineProperty(process, k, { value: blocked(k), writable: false, configurable: false });
  } catch {
    /* already locked down */
  }
}
for (const k of ["report", "mainModule", "permission", "send", "channel", "connected", "disconnect"]) {
  try {
    Object.defineProperty(process, k, { value: undefined, writable: false, configurable: false });
  } catch {
    /* not configurable */
  }
}
removeAmbient();

/** What was thrown, as text after "threw ". */
function describe(e: unknown): string {
  try {
    if (e instanceof Error) return `${String(e.name)}: ${String(e.message)}`;
    if (typeof e === "string") return `the string "${e}" (not an Error)`;
    if (typeof e === "number" || typeof e === "boolean" || e === null || e === undefined) {
      return `${String(e)} (not an Error)`;
    }
    return `a non-Error ${typeof e}`;
  } catch {
    return "a value that cannot be described";
  }
}

// A persistent listener keeps the IPC channel, and so the process, alive after "done": the run ends when the
// parent kills it, so a natural exit always means the student's code ended it.
let started = false;
let inbox = Buffer.alloc(0);
socket.on("data", (d: Buffer) => {
  if (started) return;
  inbox = concat([inbox, d]);
  if (inbox.length < 4 || inbox.length < 4 + inbox.readUInt32BE(0)) return;
  started = true;
  const msg = v8.deserialize(inbox.subarray(4, 4 + inbox.readUInt32BE(0))) as RunMessage;
  inbox = Buffer.alloc(0);
  void run(msg);
});
socket.on("error", () => undefined);

async function run(msg: RunMessage): Promise<void> {
  const base = createRequire(path.join(msg.modulesRoot, "notebooks", "grading-sandbox.js"));
  let settledFreshness = false;
  const studentRequire = (id: string): unknown => {
    if (typeof id === "string" && /^mbrl(\/[\w./-]*)?$/.test(id) && !id.includes("..")) {
      if (!settledFreshness) {
        // The library's stale-build check reads lib/, which the sandbox may not: run it once here and ignore
        // its verdict (it marks itself done). `npm run grade` builds before grading anyway.
        settledFreshness = true;
        try {
          (base("mbrl/core/fresh") as { assertFreshBuild(): void }).assertFreshBuild();
        } catch {
          /* denied or stale: grading uses dist/ as built */
        }
      }
      return base(id);
    }
    throw new Error(`module "${String(id)}" is not available while grading (only mbrl/... is)`);
  };
  removeAmbient();
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  let entries: Record<string, unknown>;
  try {
    const fn = vm.compileFunction(msg.code, ["exports", "require", "module"], { filename: msg.filename });
    fn.call(mod.exports, mod.exports, studentRequire, mod);
    entries = (mod.exports.__mbrl_entries__ ?? {}) as Record<string, unknown>;
  } catch (e) {
    send({ type: "load-error", error: describe(e) });
    return;
  }
  send({ type: "loaded" });
  for (let index = 0; index < msg.cases.length; index++) {
    const c = msg.cases[index];
    let reply: Record<string, unknown>;
    try {
      const f = entries[c.fn];
      if (typeof f !== "function") throw new Error(`${c.fn} is not defined as a function in the exercise cell`);
      let value: unknown = (f as (...a: unknown[]) => unknown)(...c.args);
      if (value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function") {
        value = await value;
      }
      reply = { type: "result", index, ok: true, value };
    } catch (e) {
      reply = { type: "result", index, ok: false, error: describe(e) };
    }
    try {
      send(reply);
    } catch (e) {
      send({ type: "result", index, ok: false, error: `the result cannot be sent back (${describe(e)})` });
    }
  }
  send({ type: "done" });
}

send({ type: "ready" });
