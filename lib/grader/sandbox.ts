/**
 * Runs compiled student code in a separate Node process with a wall-time limit, a heap limit plus an RSS
 * watchdog, and Node 20's permission model: reads only under the project's dist/ and node_modules/, no
 * writes, no child processes, no workers, no native addons, no code generation from strings. The child talks
 * to us only through IPC messages (structured clone); every message is validated against the protocol,
 * and any surprise (an extra, duplicate or out-of-order message, an early exit) ends the run as a failure.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { cleanText } from "./compare";

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
}

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
function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
}

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** Node flags of the sandboxed child. */
export function sandboxFlags(root: string, memoryMb: number): string[] {
  if (NODE_MAJOR < 20) throw new Error(`grading needs Node 20 or newer (its permission model); this is Node ${process.versions.node}`);
  // One flag per path: Node 20.x no longer accepts a comma-separated list.
  const allow = [path.join(root, "node_modules", "*"), path.join(root, "dist", "*")];
  return [
    NODE_MAJOR >= 23 ? "--permission" : "--experimental-permission",
    ...allow.map((p) => `--allow-fs-read=${p}`),
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${memoryMb}`,
    "--no-warnings",
  ];
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function isRecord(m: unknown): m is Record<string, unknown> {
  return typeof m === "object" && m !== null && !Array.isArray(m);
}

export function runSandbox(opts: SandboxOptions): Promise<SandboxOutcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...sandboxFlags(opts.root, opts.memoryMb), "-e", harness()], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      env: {},
      cwd: opts.root,
    });
    track(child);
    const results: CaseResult[] = [];
    let phase: "starting" | "running" | "loaded" | "finished" = "starting";
    let stderr = "";
    let settled = false;

    const finish = (status: SandboxStatus, reason?: string) => {
      if (settled) return;
      settled = true;
      phase = "finished";
      clearTimeout(timer);
      clearInterval(watchdog);
      child.kill("SIGKILL");
      live.delete(child);
      resolve({ status, results, reason, durationMs: Date.now() - t0 });
    };
    const violation = (what: string) => finish("protocol", `the exercise code interfered with grading (${what})`);

    // The wall-time limit counts from "loaded" (the graded calls start right after), so a busy machine slowing
    // Node's start-up or the library's import does not eat into it; those phases have their own, generous limits.
    const STARTUP_MS = 30_000;
    const EXIT_GRACE_MS = 2_000;
    const LOAD_MS = opts.loadTimeoutMs ?? Math.max(20_000, opts.timeoutMs);
    let timer = setTimeout(() => finish("exited", "the grading process did not start in time"), STARTUP_MS);
    const startClock = (ms: number, reason: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        // On a loaded machine a child that called process.exit() can still be on its way out when the
        // clock fires: give it a moment, so an exit is reported as an exit, not as a timeout.
        if (child.exitCode !== null || child.signalCode !== null) return ended(child.exitCode, child.signalCode);
        timer = setTimeout(() => finish("timeout", reason), EXIT_GRACE_MS);
      }, ms);
    };
    const rssLimit = 2 * opts.memoryMb;
    const watchdog = setInterval(() => {
      const mb = child.pid ? rssMb(child.pid) : null;
      if (mb !== null && mb > rssLimit) finish("memory", `used more than ${rssLimit} MB of memory`);
    }, 25);

    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
    child.on("error", (e) => finish("exited", `the grading process could not start (${e.message})`));
    // Decide about an exit only once the child's pipes and IPC channel are drained ("close"): a "done" may
    // still be in flight when "exit" fires.
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      if (/heap out of memory|Allocation failed/i.test(stderr)) {
        finish("memory", `ran out of memory (heap limit ${opts.memoryMb} MB)`);
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        finish("exited", `the code ended the process before grading finished (${how}); is there a process.exit() call?`);
      }
    };
    child.on("close", ended);
    child.on("message", (m: unknown) => {
      if (settled) return;
      if (!isRecord(m) || typeof m.type !== "string") return violation("malformed message");
      switch (m.type) {
        case "ready":
          if (phase !== "starting") return violation("unexpected ready");
          phase = "running";
          startClock(LOAD_MS, `running the cell took more than ${LOAD_MS / 1000} s (an endless loop outside the function?)`);
          try {
            child.send({ type: "run", code: opts.code, filename: opts.filename, modulesRoot: opts.root, cases: opts.cases });
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
    });
  });
}

/**
 * Grades a trivial function once, so a machine where the sandbox cannot work (old Node, missing project files)
 * stops the grading run with the reason instead of giving every student zero.
 */
export async function sandboxSelfTest(root: string): Promise<void> {
  const code = ts.transpileModule("function f(x: number) { return x + 1; }\nexport const __mbrl_entries__ = { f };", {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const o = await runSandbox({ code, filename: "self-test.ts", cases: [{ fn: "f", args: [1] }], root, timeoutMs: 10_000, memoryMb: 128 });
  const r = o.results[0];
  if (o.status !== "done" || !r?.ok || r.value !== 2) {
    throw new Error(`the grading sandbox does not work here (${o.status}: ${o.reason ?? JSON.stringify(r)})`);
  }
}
