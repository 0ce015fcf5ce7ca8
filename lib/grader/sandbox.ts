/**
 * Runs compiled student code in a separate Node process, isolated at the operating-system level (see
 * isolation.ts: a dedicated unprivileged user, new network/PID/mount namespaces, rlimits, an empty working
 * directory, a mirror of the course library) and, as a second layer, under Node's permission model (reads
 * only of the library mirror, no writes, no child processes, no workers, no addons, no code from strings).
 * The child talks to us over its own socket (fd 3) in length-prefixed v8-serialized frames; every frame is
 * size-checked before it is decoded, the total is capped, and every message is validated against the
 * protocol: any surprise (an extra, duplicate or out-of-order message, an early exit) ends the run as a
 * failure. The whole process group is killed at the end and the working directory removed.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import * as ts from "typescript";
import { cleanText } from "./compare";
import { defaultLimits, isolatedCommand, libraryMirror, makeWorkDir, osIsolation, type OsIsolation } from "./isolation";

export interface SandboxCase {
  fn: string;
  args: unknown[];
}

export type CaseResult = { ok: true; value: unknown } | { ok: false; error: string };

export type SandboxStatus = "done" | "load-error" | "timeout" | "memory" | "exited" | "protocol";

export interface SandboxOutcome {
  status: SandboxStatus;
  /** One entry per case that reported before the run ended. */
  results: CaseResult[];
  /** Why the run failed, in words for the student. */
  reason?: string;
  durationMs: number;
}

export interface SandboxOptions {
  code: string;
  filename: string;
  cases: SandboxCase[];
  root: string;
  timeoutMs: number;
  memoryMb: number;
  /** Limit for running the cell itself (imports, top-level code); default max(20 s, timeoutMs). */
  loadTimeoutMs?: number;
  /**
   * "os" (default): refuse unless the OS-level isolation is available. "none": Node's permission model
   * only, for code that is trusted anyway (a student checking their own notebook on their own machine).
   */
  isolation?: "os" | "none";
}

/** Largest single frame and total bytes a child may send (checked before decoding). */
export const MAX_FRAME_BYTES = 32 << 20;
export const MAX_TOTAL_BYTES = 128 << 20;

let harnessCode: string | undefined;

/** The harness, transpiled once from lib/grader/harness.ts (or taken from the compiled dist/grader/harness.js). */
function harness(): string {
  if (harnessCode) return harnessCode;
  const tsFile = path.join(__dirname, "harness.ts");
  if (fs.existsSync(tsFile)) {
    harnessCode = ts.transpileModule(fs.readFileSync(tsFile, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
  } else {
    harnessCode = fs.readFileSync(path.join(__dirname, "harness.js"), "utf8");
  }
  // Wrapped in a function so the harness's names do not become globals the student could reach.
  harnessCode = `(function (exports, require) {\n${harnessCode}\n})({}, require);`;
  return harnessCode;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killGroup(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, "SIGKILL"); // the whole group: unshare, node and anything they started
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
}
function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) killGroup(c);
    });
  }
}

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** Node flags of the sandboxed child: reads only under `libRoot` (the library mirror: real directories only). */
export function sandboxFlags(libRoot: string, memoryMb: number): string[] {
  if (NODE_MAJOR < 20) throw new Error(`grading needs Node 20 or newer (its permission model); this is Node ${process.versions.node}`);
  return [
    NODE_MAJOR >= 23 ? "--permission" : "--experimental-permission",
    `--allow-fs-read=${path.join(fs.realpathSync(libRoot), "*")}`,
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${memoryMb}`,
    "--v8-pool-size=1",
    "--no-warnings",
  ];
}

/** The node process inside the namespace (the child we spawn is unshare; node is its only child). */
function innerPid(pid: number): number {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/ +/);
    const k = Number(kids[0]);
    return Number.isInteger(k) && k > 0 ? k : pid;
  } catch {
    return pid;
  }
}

function rssMb(pid: number): number | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/statm`, "utf8");
    const pages = Number(s.split(" ")[1]);
    return Number.isFinite(pages) ? (pages * 4096) / (1 << 20) : null;
  } catch {
    return null;
  }
}

function isRecord(m: unknown): m is Record<string, unknown> {
  return typeof m === "object" && m !== null && !Array.isArray(m);
}

/** Encodes one frame: 4-byte big-endian length, then the v8-serialized message. */
export function frame(msg: unknown): Buffer {
  const body = v8.serialize(msg);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames, refusing any frame or total above the budgets before decoding it. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  total = 0;
  constructor(
    private readonly onMessage: (m: unknown) => void,
    private readonly onViolation: (why: string) => void,
    private readonly maxFrame = MAX_FRAME_BYTES,
    private readonly maxTotal = MAX_TOTAL_BYTES,
  ) {}
  private stopped = false;
  push(d: Buffer): void {
    if (this.stopped) return;
    this.total += d.length;
    if (this.total > this.maxTotal) return this.stop(`sent more than ${this.maxTotal >> 20} MB`);
    this.chunks.push(d);
    this.buffered += d.length;
    while (!this.stopped && this.buffered >= 4) {
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const len = buf.readUInt32BE(0);
      if (len > this.maxFrame) return this.stop(`a message of ${(len / (1 << 20)).toFixed(0)} MB (limit ${this.maxFrame >> 20} MB)`);
      if (buf.length < 4 + len) return;
      const body = buf.subarray(4, 4 + len);
      const rest = buf.subarray(4 + len);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      let m: unknown;
      try {
        m = v8.deserialize(body);
      } catch {
        return this.stop("a message that cannot be decoded");
      }
      this.onMessage(m);
    }
  }
  private stop(why: string): void {
    this.stopped = true;
    this.chunks = [];
    this.onViolation(why);
  }
}

/** Where the child runs from, and as whom. Computed once per library build. */
function placement(root: string, isolation: "os" | "none"): { iso: ReturnType<typeof osIsolation> | null; lib: string } {
  const iso = isolation === "os" ? osIsolation() : null;
  const lib = libraryMirror(root, iso?.ok ?? null);
  return { iso, lib };
}

export function runSandbox(opts: SandboxOptions): Promise<SandboxOutcome> {
  const t0 = Date.now();
  let where: ReturnType<typeof placement>;
  let cwd: string;
  try {
    where = placement(opts.root, opts.isolation ?? "os");
    cwd = makeWorkDir(where.iso?.ok ?? null);
  } catch (e) {
    return Promise.resolve({ status: "exited", results: [], reason: `the grading sandbox cannot start: ${(e as Error).message}`, durationMs: 0 });
  }
  const LOAD_MS = opts.loadTimeoutMs ?? Math.max(20_000, opts.timeoutMs);
  const nodeArgv = [process.execPath, ...sandboxFlags(where.lib, opts.memoryMb), "-e", harness()];
  const cpuSeconds = (30_000 + LOAD_MS + opts.timeoutMs) / 1000 + 5;
  const [cmd, args] = where.iso
    ? isolatedCommand(where.iso, defaultLimits(opts.memoryMb, cpuSeconds), nodeArgv)
    : [nodeArgv[0], nodeArgv.slice(1)];
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe", "pipe"], env: {}, cwd, detached: true });
    } catch (e) {
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ status: "exited", results: [], reason: `the grading process could not start (${(e as Error).message})`, durationMs: 0 });
      return;
    }
    track(child);
    const channel = child.stdio[3] as unknown as NodeJS.ReadWriteStream & { destroy(): void };
    const results: CaseResult[] = [];
    let phase: "starting" | "running" | "loaded" | "finished" = "starting";
    let stderr = "";
    let settled = false;
    let nodePid = 0;

    const cleanup = () => {
      fs.rm(cwd, { recursive: true, force: true, maxRetries: 3 }, () => undefined);
    };
    const finish = (status: SandboxStatus, reason?: string) => {
      if (settled) return;
      settled = true;
      phase = "finished";
      clearTimeout(timer);
      clearInterval(watchdog);
      killGroup(child);
      live.delete(child);
      try {
        channel.destroy();
      } catch {
        /* closed */
      }
      if (child.exitCode !== null || child.signalCode !== null) cleanup();
      else child.once("exit", cleanup);
      resolve({ status, results, reason, durationMs: Date.now() - t0 });
    };
    const violation = (what: string) => finish("protocol", `the exercise code interfered with grading (${what})`);

    // The wall-time limit counts from "loaded" (the graded calls start right after), so a busy machine slowing
    // Node's start-up or the library's import does not eat into it; those phases have their own, generous limits.
    // A timer that fires late because this process was busy (not the child) is re-armed for the time lost, and
    // its verdict waits one turn of the event loop so a message already waiting on the socket is read first.
    const STARTUP_MS = 30_000;
    const EXIT_GRACE_MS = 2_000;
    let timer: NodeJS.Timeout;
    const arm = (ms: number, onExpire: () => void) => {
      clearTimeout(timer);
      const due = Date.now() + ms;
      const myPhase = phase;
      timer = setTimeout(() => {
        const late = Date.now() - due;
        if (late > 250) return arm(late, onExpire);
        setImmediate(() => {
          if (!settled && phase === myPhase) onExpire();
        });
      }, ms);
    };
    const startClock = (ms: number, reason: string) =>
      arm(ms, () => {
        // On a loaded machine a child that called process.exit() can still be on its way out when the
        // clock fires: give it a moment, so an exit is reported as an exit, not as a timeout.
        if (child.exitCode !== null || child.signalCode !== null) return ended(child.exitCode, child.signalCode);
        arm(EXIT_GRACE_MS, () => finish("timeout", reason));
      });
    arm(STARTUP_MS, () => finish("exited", "the grading process did not start in time"));
    const rssLimit = 2 * opts.memoryMb;
    const watchdog = setInterval(() => {
      if (!child.pid) return;
      if (!nodePid || nodePid === child.pid) nodePid = where.iso ? innerPid(child.pid) : child.pid;
      const mb = rssMb(nodePid);
      if (mb !== null && mb > rssLimit) finish("memory", `used more than ${rssLimit} MB of memory`);
    }, 25);

    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("latin1")).slice(-4000);
    });
    child.on("error", (e) => finish("exited", `the grading process could not start (${e.message})`));
    // Decide about an exit only once the child's pipes are drained ("close"): a "done" may still be in flight
    // when "exit" fires.
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      if (/heap out of memory|Allocation failed|allocation failed/i.test(stderr)) {
        finish("memory", `ran out of memory (heap limit ${opts.memoryMb} MB)`);
      } else if (signal === "SIGXCPU" || code === 128 + 24) {
        finish("timeout", "used up its CPU time limit");
      } else if (signal === "SIGXFSZ" || code === 128 + 25) {
        finish("exited", "tried to write a file larger than the sandbox allows");
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        finish("exited", `the code ended the process before grading finished (${how}); is there a process.exit() call?`);
      }
    };
    child.on("close", ended);
    const reader = new FrameReader((m) => onMessage(m), (why) => violation(why));
    channel.on("data", (d: Buffer) => reader.push(d));
    channel.on("error", () => undefined);
    const onMessage = (m: unknown) => {
      if (settled) return;
      if (!isRecord(m) || typeof m.type !== "string") return violation("malformed message");
      switch (m.type) {
        case "ready":
          if (phase !== "starting") return violation("unexpected ready");
          phase = "running";
          startClock(LOAD_MS, `running the cell took more than ${LOAD_MS / 1000} s (an endless loop outside the function?)`);
          try {
            channel.write(frame({ type: "run", code: opts.code, filename: opts.filename, modulesRoot: where.lib, cases: opts.cases }));
          } catch (e) {
            finish("exited", `the grading process went away before the run started (${(e as Error).message})`);
          }
          return;
        case "load-error":
          if (phase !== "running") return violation("unexpected load-error");
          return finish("load-error", `running the cell threw ${typeof m.error === "string" ? cleanText(m.error) : "an error"}`);
        case "loaded":
          if (phase !== "running") return violation("unexpected loaded");
          phase = "loaded";
          startClock(opts.timeoutMs, `timed out after ${(opts.timeoutMs / 1000).toFixed(1)} s (an endless loop, or too slow)`);
          return;
        case "result": {
          if (phase !== "loaded" || m.index !== results.length || results.length >= opts.cases.length) {
            return violation("unexpected result");
          }
          if (m.ok === true && "value" in m) results.push({ ok: true, value: m.value });
          else if (m.ok === false && typeof m.error === "string") results.push({ ok: false, error: cleanText(m.error) });
          else return violation("malformed result");
          return;
        }
        case "done":
          if (phase !== "loaded" || results.length !== opts.cases.length) return violation("early done");
          return finish("done");
        default:
          return violation("unknown message");
      }
    };
  });
}

/**
 * Grades a trivial function once, so a machine where the sandbox cannot work (no isolation, old Node,
 * missing project files) stops the grading run with the reason instead of giving every student zero.
 */
export async function sandboxSelfTest(root: string, isolation: "os" | "none" = "os"): Promise<void> {
  const code = ts.transpileModule("function f(x: number) { return x + 1; }\nexport const __mbrl_entries__ = { f };", {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const o = await runSandbox({ code, filename: "self-test.ts", cases: [{ fn: "f", args: [1] }], root, timeoutMs: 10_000, memoryMb: 128, isolation });
  const r = o.results[0];
  if (o.status !== "done" || !r?.ok || r.value !== 2) {
    throw new Error(`the grading sandbox does not work here (${o.status}: ${o.reason ?? JSON.stringify(r)})`);
  }
}

export type { OsIsolation };
