/**
 * Compiling and type-checking student cells off the grader's event loop: one worker thread holds the
 * TypeScript compiler with the library's and Node's declarations parsed once, and takes the requests queued
 * meanwhile as one batch (one program for the batch, so its set-up cost is shared). Each batch has a time
 * limit; a batch that overruns is retried one request at a time, so only the cell that stalls the compiler
 * fails, and an honest cell that was queued beside it is compiled again on its own.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { Worker } from "worker_threads";
import type { CompileRequest, CompileResult } from "./extract";

export type CompileOutcome = CompileResult | { failed: string };

interface Pending {
  req: CompileRequest;
  resolve: (r: CompileOutcome) => void;
  solo: boolean;
}

let workerSource: string | undefined;

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
    parentPort.postMessage({ seq: m.seq, results: extract.compileBatch(m.reqs, checker) });
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
  private busy: Pending[] | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private readonly typecheck: boolean;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;

  constructor(private readonly root: string, opts: CompilerOptions = {}) {
    this.typecheck = opts.typecheck ?? true;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBatch = opts.maxBatch ?? 24;
  }

  compile(req: CompileRequest): Promise<CompileOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ req, resolve, solo: false });
      this.schedule();
    });
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

  private spawn(): Worker {
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
    const batch = first.solo ? [this.queue.shift()!] : this.takeBatch();
    this.busy = batch;
    this.worker ??= this.spawn();
    this.worker.ref();
    const seq = ++this.seq;
    this.timer = setTimeout(() => this.onTimeout(), this.timeoutMs);
    this.worker.postMessage({ seq, reqs: batch.map((p) => p.req) });
  }

  private takeBatch(): Pending[] {
    const out: Pending[] = [];
    while (this.queue.length && out.length < this.maxBatch && !this.queue[0].solo) out.push(this.queue.shift()!);
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
    const batch = this.settle();
    if (m.results) batch.forEach((p, i) => p.resolve(m.results![i]));
    else this.retryOrFail(batch, `the compiler failed on this cell (${m.error})`);
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

  /** A failed batch of several is retried one by one (first in the queue); a lone request fails. */
  private retryOrFail(batch: Pending[], why: string): void {
    if (batch.length === 1 && batch[0].solo) return batch[0].resolve({ failed: why });
    if (batch.length === 1) return batch[0].resolve({ failed: why });
    this.queue.unshift(...batch.map((p) => ({ ...p, solo: true })));
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
