/**
 * Compiling and type-checking student cells off the grader's event loop: one worker thread holds the
 * TypeScript compiler with the library's and Node's declarations parsed once, and takes the requests queued
 * meanwhile as one batch (one program for the batch, so its set-up cost is shared). Each batch has a time
 * limit; a batch that overruns is retried one request at a time, so only the cell that stalls the compiler
 * pays, and an honest cell that was queued beside it is compiled again on its own. A cell that still overruns
 * alone is compiled once more without type-checking (reported as such); only if even that overruns does it fail.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { Worker } from "worker_threads";
import type { CompileRequest, CompileResult } from "./extract";

export type CompileOutcome = CompileResult | { failed: string };

/** How a request is tried: in a batch, alone, then alone without type-checking (the checker is a help, not a wall). */
type Mode = "batch" | "solo" | "transpile";

interface Pending {
  req: CompileRequest;
  resolve: (r: CompileOutcome) => void;
  mode: Mode;
}

let workerSource: string | undefined;
const CACHE_SIZE = 4096;

/** The worker's code: extract.ts (transpiled here, or dist's extract.js) and a message loop. */
function source(): string {
  if (workerSource) return workerSource;
  const tsFile = path.join(__dirname, "extract.ts");
  const js = fs.existsSync(tsFile)
    ? ts.transpileModule(fs.readFileSync(tsFile, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText
    : fs.readFileSync(path.join(__dirname, "extract.js"), "utf8");
  workerSource = `
const { parentPort, workerData } = require("worker_threads");
const ts = require(workerData.tsPath);
const extract = {};
(function (exports, require) {\n${js}\n})(extract, (id) => (id === "typescript" ? ts : require(id)));
const checker = workerData.typecheck ? new extract.TypeChecker(workerData.root) : null;
parentPort.on("message", (m) => {
  try {
    parentPort.postMessage({ seq: m.seq, results: extract.compileBatch(m.reqs, m.typecheck ? checker : null) });
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String((e && e.message) || e) });
  }
});`;
  return workerSource;
}

export interface CompilerOptions {
  /** Type-check the cells (as the notebook does) and report type errors; default true. */
  typecheck?: boolean;
  /** Time limit of one batch (ms). */
  timeoutMs?: number;
  /** Most requests in one batch. */
  maxBatch?: number;
}

export class CompilePool {
  private worker: Worker | null = null;
  private queue: Pending[] = [];
  private readonly cache = new Map<string, Promise<CompileOutcome>>();
  private busy: Pending[] | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private readonly typecheck: boolean;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly root: string,
    opts: CompilerOptions = {},
  ) {
    this.typecheck = opts.typecheck ?? true;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBatch = opts.maxBatch ?? 24;
  }

  /**
   * Compiles (and type-checks) one exercise. The result depends only on the request, so identical requests
   * (untouched stubs, identical answers) are compiled once: a bounded cache keyed by the request's hash.
   */
  compile(req: CompileRequest): Promise<CompileOutcome> {
    const key = crypto
      .createHash("sha256")
      .update(JSON.stringify([req.setupSources, req.cell, req.entries]))
      .digest("hex");
    const hit = this.cache.get(key);
    if (hit) return hit;
    const p = new Promise<CompileOutcome>((resolve) => {
      this.queue.push({ req, resolve, mode: "batch" });
      this.schedule();
    });
    this.cache.set(key, p);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    // A failure (a time limit on a loaded machine, a crashed worker) is not remembered.
    void p.then((r) => {
      if ("failed" in r) this.cache.delete(key);
    });
    return p;
  }

  /** Starts the worker and parses the declarations now, so the first graded cell does not wait for it. */
  warm(): void {
    void this.compile({ setupSources: [], cell: "export {};", entries: [] });
  }

  /** Ends the worker (the pool starts a new one if used again). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    void this.worker?.terminate();
    this.worker = null;
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return;
    this.scheduled = true;
    // One turn of the event loop lets requests made together (a submission's exercises) share a batch.
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private fresh = false;
  private spawn(): Worker {
    this.fresh = true;
    const w = new Worker(source(), {
      eval: true,
      workerData: { tsPath: require.resolve("typescript"), root: this.root, typecheck: this.typecheck },
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
      stdout: true,
      stderr: true,
    });
    w.unref();
    w.on("message", (m: { seq: number; results?: CompileResult[]; error?: string }) => this.onReply(m));
    w.on("error", (e) => this.onCrash(`the compiler failed (${e.message})`));
    w.on("exit", () => {
      if (this.worker === w) this.worker = null;
      if (this.busy) this.onCrash("the compiler stopped");
    });
    return w;
  }

  private dispatch(): void {
    if (this.busy || !this.queue.length) return;
    const first = this.queue[0];
    const batch = first.mode !== "batch" ? [this.queue.shift()!] : this.takeBatch();
    this.busy = batch;
    this.worker ??= this.spawn();
    this.worker.ref();
    const seq = ++this.seq;
    // A new worker first parses the library's and Node's declarations: that start-up is not the cell's fault.
    const limit = this.timeoutMs * (1 + batch.length / 8) + (this.fresh ? 180_000 : 0);
    this.timer = setTimeout(() => this.onTimeout(), limit);
    const typecheck = this.typecheck && first.mode !== "transpile";
    this.worker.postMessage({ seq, reqs: batch.map((p) => p.req), typecheck });
  }

  private takeBatch(): Pending[] {
    const out: Pending[] = [];
    while (this.queue.length && out.length < this.maxBatch && this.queue[0].mode === "batch") out.push(this.queue.shift()!);
    return out;
  }

  private settle(): Pending[] {
    const batch = this.busy ?? [];
    this.busy = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.worker?.unref();
    return batch;
  }

  private onReply(m: { seq: number; results?: CompileResult[]; error?: string }): void {
    if (m.seq !== this.seq || !this.busy) return;
    this.fresh = false;
    const batch = this.settle();
    if (m.results) {
      batch.forEach((p, i) =>
        p.resolve(p.mode === "transpile" && this.typecheck ? { ...m.results![i], typecheckSkipped: true } : m.results![i]),
      );
    } else this.retryOrFail(batch, `the compiler failed on this cell (${m.error})`);
    this.schedule();
  }

  private onTimeout(): void {
    const batch = this.settle();
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    this.retryOrFail(batch, `compiling the cell took more than ${this.timeoutMs / 1000} s`);
    this.schedule();
  }

  private onCrash(why: string): void {
    const batch = this.settle();
    this.worker = null;
    this.retryOrFail(batch, why);
    this.schedule();
  }

  /** A failed batch is retried one by one, a failed lone request without type-checking, then it fails. */
  private retryOrFail(batch: Pending[], why: string): void {
    if (batch.length === 1 && (batch[0].mode === "transpile" || !this.typecheck)) return batch[0].resolve({ failed: why });
    const next: Mode = batch.length === 1 ? "transpile" : "solo";
    this.queue.unshift(...batch.map((p) => ({ ...p, mode: next })));
  }
}

const pools = new Map<string, CompilePool>();

/** The pool for a project root (one worker per grading process). */
export function compilePool(root: string, opts?: CompilerOptions): CompilePool {
  const key = `${root}\0${opts?.typecheck ?? true}`;
  let p = pools.get(key);
  if (!p) pools.set(key, (p = new CompilePool(root, opts)));
  return p;
}
