/**
 * ParallelEnsemble: an EnsembleMLP's forward pass split by rows across the main thread and worker
 * threads, each worker with its own tfjs wasm backend (the wasm backend itself is single-threaded in
 * Node, so this is the way to use the second core).
 *
 * It holds a copy of the network's weights: call `syncWeights()` after training the network.
 * Arrays in, arrays out (async), for batch evaluation such as a planner scoring all candidates.
 * Whether it pays depends on the machine being otherwise idle: `npm run bench -- kernels` measures it.
 */
import { Worker } from "worker_threads";
import { tf } from "../core/backend";
import { ShapeError, ValueError, checkInt } from "../core/checks";
import type { EnsembleMLP, EnsembleWeights, LossKind } from "./ensemble";

export interface ParallelOptions {
  /** Worker threads besides the main thread. Default 1 (two cores in all). */
  workers?: number;
  /** Fraction of the rows the main thread computes itself. Default 1 / (workers + 1). */
  mainShare?: number;
}

export interface ArrayOutputs {
  /** Per member, rows x outputSize, row-major. */
  mean: Float32Array[];
  logVar: Float32Array[] | null;
}

// The worker: loads the library itself (like the trainer's worker below) and runs the very same
// EnsembleMLP.forwardMembers as the main thread on its rows, so both sides cost the same per row.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
if (workerData.tsxApi) require(workerData.tsxApi).register();
const core = require(workerData.corePath);
const { EnsembleMLP } = require(workerData.ensemblePath);
const tf = core.tf;
let net = null;
function forward(x, rows, shared) {
  const B = net.members, d = net.config.inputSize, o = net.config.outputSize;
  const mean = new Float32Array(B * rows * o);
  const logVar = net.config.head === "gaussian" ? new Float32Array(B * rows * o) : null;
  const xt = shared ? tf.tensor2d(x, [rows, d]) : tf.tensor3d(x, [B, rows, d]);
  const r = net.forwardMembers(xt);
  for (let b = 0; b < B; b++) {
    mean.set(r.mean[b].dataSync(), b * rows * o);
    if (logVar) logVar.set(r.logVar[b].dataSync(), b * rows * o);
  }
  tf.dispose([xt, ...r.mean, ...(r.logVar || [])]);
  return { mean, logVar };
}
(async () => {
  await core.initBackend(workerData.backend);
  parentPort.on("message", (msg) => {
    try {
      if (msg.type === "weights") {
        if (net) net.dispose();
        net = new EnsembleMLP(msg.config);
        net.setWeights(msg.weights);
        parentPort.postMessage({ id: msg.id });
        return;
      }
      if (msg.type === "forward") {
        const r = forward(msg.x, msg.rows, msg.shared);
        const tr = [r.mean.buffer];
        if (r.logVar) tr.push(r.logVar.buffer);
        parentPort.postMessage({ id: msg.id, mean: r.mean, logVar: r.logVar }, tr);
      }
    } catch (e) {
      parentPort.postMessage({ id: msg.id, error: String(e && e.stack || e) });
    }
  });
  parentPort.postMessage({ id: 0, ready: true });
})().catch((e) => parentPort.postMessage({ id: 0, error: String(e && e.stack || e) }));
`;

/** Where a worker finds the library: the compiled .js next to this file, or the .ts sources through tsx. */
function libraryWorkerData(): Record<string, unknown> {
  const path = require("path") as typeof import("path");
  const ext = path.extname(__filename);
  return {
    corePath: path.join(__dirname, "..", "core", "index" + ext),
    ensemblePath: path.join(__dirname, "ensemble" + ext),
    tsxApi: ext === ".ts" ? require.resolve("tsx/cjs/api") : null,
    backend: backendName(),
  };
}

interface Pending {
  resolve: (v: WorkerReply) => void;
  reject: (e: Error) => void;
}

interface WorkerReply {
  id: number;
  error?: string;
  ready?: boolean;
  mean?: Float32Array;
  logVar?: Float32Array | null;
}

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;

  constructor(readonly worker: Worker) {
    let readyResolve: () => void = () => {};
    let readyReject: (e: Error) => void = () => {};
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    worker.on("message", (m: WorkerReply) => {
      if (m.id === 0) {
        if (m.error) readyReject(new Error(`ParallelEnsemble worker failed to start: ${m.error}`));
        else readyResolve();
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref(); // idle workers do not keep the process alive
      if (m.error) p.reject(new Error(`ParallelEnsemble worker: ${m.error}`));
      else p.resolve(m);
    });
    worker.on("error", (e) => {
      readyReject(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
}

export class ParallelEnsemble {
  private constructor(
    readonly net: EnsembleMLP,
    private readonly handles: WorkerHandle[],
    private readonly mainShare: number,
  ) {}

  /** Starts the workers (each loads its own wasm backend) and sends them the network's weights. */
  static async create(net: EnsembleMLP, opts: ParallelOptions = {}): Promise<ParallelEnsemble> {
    const n = checkInt("ParallelEnsemble workers", opts.workers ?? 1);
    const share = opts.mainShare ?? 1 / (n + 1);
    if (!(share >= 0 && share < 1)) throw new ValueError(`ParallelEnsemble: mainShare must be in [0, 1), got ${share}`);
    const workerData = libraryWorkerData();
    const handles: WorkerHandle[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const h = new WorkerHandle(new Worker(WORKER_SOURCE, { eval: true, workerData }));
        handles.push(h);
      }
      await Promise.all(handles.map((h) => h.ready));
      for (const h of handles) h.worker.unref();
      const pe = new ParallelEnsemble(net, handles, share);
      await pe.syncWeights();
      return pe;
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    }
  }

  /** Sends the network's current weights to the workers (after training it). */
  async syncWeights(): Promise<void> {
    const w: EnsembleWeights = this.net.getWeights();
    const config = { ...this.net.config, hiddenSizes: this.net.config.hiddenSizes.slice() };
    await Promise.all(this.handles.map((h) => h.call({ type: "weights", weights: w, config })));
  }

  /**
   * Forward pass on arrays. x is [B, rows, in] row-major (member b's rows), or [rows, in] shared by
   * all members when x.length === rows * inputSize. Returns per-member [rows, out] arrays.
   */
  async forward(x: Float32Array, rows: number): Promise<ArrayOutputs> {
    const B = this.net.members, d = this.net.config.inputSize, o = this.net.config.outputSize;
    const gaussian = this.net.config.head === "gaussian";
    let shared: boolean;
    if (x.length === B * rows * d) shared = false;
    else if (x.length === rows * d) shared = true;
    else throw new ShapeError(`ParallelEnsemble.forward: x has ${x.length} entries; expected ${B} x ${rows} x ${d} or ${rows} x ${d}`);
    if (B === 1) shared = true;
    // Row ranges: the main thread takes the first share, the workers split the rest evenly.
    const nMain = Math.round(rows * this.mainShare);
    const bounds = [0, nMain];
    const rest = rows - nMain, nw = this.handles.length;
    for (let k = 1; k <= nw; k++) bounds.push(nMain + Math.round((rest * k) / nw));
    const slice = (lo: number, hi: number): Float32Array => {
      if (shared) return x.slice(lo * d, hi * d);
      const out = new Float32Array(B * (hi - lo) * d);
      for (let b = 0; b < B; b++) out.set(x.subarray((b * rows + lo) * d, (b * rows + hi) * d), b * (hi - lo) * d);
      return out;
    };
    const jobs = this.handles.map((h, k) => {
      const lo = bounds[k + 1], hi = bounds[k + 2];
      if (hi === lo) return Promise.resolve(null);
      const part = slice(lo, hi);
      return h.call({ type: "forward", x: part, rows: hi - lo, shared }, [part.buffer as ArrayBuffer]);
    });
    // The main thread's own share, computed while the workers run.
    const mean = Array.from({ length: B }, () => new Float32Array(rows * o));
    const logVar = gaussian ? Array.from({ length: B }, () => new Float32Array(rows * o)) : null;
    if (nMain > 0) {
      const part = slice(0, nMain);
      const t = shared ? tf.tensor2d(part, [nMain, d]) : tf.tensor3d(part, [B, nMain, d]);
      const r = this.net.forwardMembers(t);
      for (let b = 0; b < B; b++) {
        mean[b].set(r.mean[b].dataSync(), 0);
        if (logVar && r.logVar) logVar[b].set(r.logVar[b].dataSync(), 0);
      }
      tf.dispose([t, ...r.mean, ...(r.logVar ?? [])]);
    }
    const replies = await Promise.all(jobs);
    replies.forEach((r, k) => {
      if (!r) return;
      const lo = bounds[k + 1], n = bounds[k + 2] - lo;
      for (let b = 0; b < B; b++) {
        mean[b].set(r.mean!.subarray(b * n * o, (b + 1) * n * o), lo * o);
        if (logVar && r.logVar) logVar[b].set(r.logVar.subarray(b * n * o, (b + 1) * n * o), lo * o);
      }
    });
    return { mean, logVar };
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Data-parallel training. With several members the step is split by members: each side computes
// the gradients of its members on all rows and runs Adam on them; the worker sends its members' new
// weights and Adam moments back, and the main thread steps the log-variance bounds (shared by all
// members) with the summed gradient and sends them with the next step. With one member, the step's
// minibatch is split by rows; each side computes the gradient of its share of the loss, the main
// thread adds them, and both sides apply the same Adam step (same code, same numbers), so their
// weights stay identical without sending weights back and forth.

// The worker loads the library itself: the compiled .js next to this file, or the .ts sources
// through tsx's require hook when running from sources (tests, benchmarks).
const TRAINER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
if (workerData.tsxApi) require(workerData.tsxApi).register();
const core = require(workerData.corePath);
const { EnsembleMLP } = require(workerData.ensemblePath);
const tf = core.tf;
let net = null, applyMs = 0;
(async () => {
  await core.initBackend(workerData.backend);
  parentPort.on("message", (msg) => {
    try {
      if (msg.type === "init") {
        if (net) net.dispose();
        net = new EnsembleMLP(msg.config);
        net.setWeights(msg.weights);
        net.setOptimizerState(msg.opt);
        parentPort.postMessage({ id: msg.id });
      } else if (msg.type === "grad") {
        const B = net.members, c = net.config;
        const xt = tf.tensor3d(msg.x, [B, msg.rows, c.inputSize]);
        const yt = tf.tensor3d(msg.y, [B, msg.rows, c.outputSize]);
        const t0 = performance.now();
        const r = net.lossGradients(xt, yt, msg.kind, { scale: msg.scale, penalty: false });
        tf.dispose([xt, yt]);
        const ms = performance.now() - t0;
        parentPort.postMessage({ id: msg.id, loss: r.loss, grads: r.grads, ms, applyMs }, r.grads.map((g) => g.buffer));
      } else if (msg.type === "memberStep") {
        // Members [lo, hi) of the step: gradients, their Adam update here, and the new values and
        // moments sent back; the log-variance bounds come from the main thread, which updates them.
        const t0 = performance.now();
        const c = net.config, n = msg.hi - msg.lo;
        if (msg.bounds) {
          tf.tidy(() => {
            net.minLogVar.assign(tf.tensor1d(msg.bounds[0]));
            net.maxLogVar.assign(tf.tensor1d(msg.bounds[1]));
          });
        }
        const xt = tf.tensor3d(msg.x, [n, msg.rows, c.inputSize]);
        const yt = tf.tensor3d(msg.y, [n, msg.rows, c.outputSize]);
        let r;
        try {
          r = net.memberLossGradients(xt, yt, msg.kind, [msg.lo, msg.hi], { scale: msg.scale, penalty: false });
        } finally {
          tf.dispose([xt, yt]);
        }
        const tg = performance.now() - t0;
        const per = msg.per, first = msg.lo * per, last = msg.hi * per;
        const mine = r.grads.map((g, i) => (i >= first && i < last ? g : null));
        const values = net.applyGradientArrays(mine, { collect: true }).slice(first, last);
        const moments = values.map((_, k) => net.optimizerMoments(first + k));
        const boundGrads = r.grads.slice(msg.B * per);
        const tr = [];
        for (const a of values) tr.push(a.buffer);
        for (const mo of moments) tr.push(mo.m.buffer, mo.v.buffer);
        for (const g of boundGrads) if (g) tr.push(g.buffer);
        parentPort.postMessage({ id: msg.id, loss: r.loss, values, moments, boundGrads, ms: tg, applyMs: performance.now() - t0 - tg }, tr);
      } else if (msg.type === "apply") {
        const t0 = performance.now();
        net.applyGradientArrays(msg.grads);
        applyMs = performance.now() - t0;
      }
    } catch (e) {
      parentPort.postMessage({ id: msg.id, error: String((e && e.stack) || e) });
    }
  });
  parentPort.postMessage({ id: 0, ready: true });
})().catch((e) => parentPort.postMessage({ id: 0, error: String((e && e.stack) || e) }));
`;

interface TrainerReply extends WorkerReply {
  loss?: number;
  grads?: Float32Array[];
  values?: Float32Array[];
  moments?: { m: Float32Array; v: Float32Array }[];
  boundGrads?: (Float32Array | null)[];
  ms?: number;
  applyMs?: number;
}

/** Wall milliseconds of the parts of the last step (to see where a parallel step spends its time). */
export interface TrainerStats {
  mainGradMs: number;
  workerGradMs: number;
  workerApplyMs: number;
  waitMs: number;
  mainApplyMs: number;
}

export interface ParallelTrainerOptions {
  /**
   * Share of the work the main thread takes. Default 0.5. With several members the step is split by
   * members (the main thread takes floor(share * B) of them, at least one, at most B - 1); with one
   * member, by rows (this fraction of each minibatch's rows).
   */
  mainShare?: number;
}

export class ParallelTrainer {
  /** Timings of the last step. */
  readonly stats: TrainerStats = { mainGradMs: 0, workerGradMs: 0, workerApplyMs: 0, waitMs: 0, mainApplyMs: 0 };

  private constructor(
    readonly net: EnsembleMLP,
    private readonly handle: WorkerHandle,
    private readonly mainShare: number,
  ) {}

  /** Starts a worker holding a copy of the network and its optimizer state. */
  static async create(net: EnsembleMLP, opts: ParallelTrainerOptions = {}): Promise<ParallelTrainer> {
    const share = opts.mainShare ?? 0.5;
    if (!(share > 0 && share <= 1)) throw new ValueError(`ParallelTrainer: mainShare must be in (0, 1], got ${share}`);
    const workerData = libraryWorkerData();
    const handle = new WorkerHandle(new Worker(TRAINER_SOURCE, { eval: true, workerData }));
    try {
      await handle.ready;
      handle.worker.unref();
      const t = new ParallelTrainer(net, handle, share);
      await t.resync();
      return t;
    } catch (e) {
      await handle.worker.terminate();
      throw e;
    }
  }

  /** Copies the network's weights and optimizer state to the worker (after training it any other way). */
  async resync(): Promise<void> {
    await this.handle.call({
      type: "init",
      config: { ...this.net.config, hiddenSizes: this.net.config.hiddenSizes.slice() },
      weights: this.net.getWeights(),
      opt: this.net.optimizerState(),
    });
  }

  /**
   * One Adam step on a per-member minibatch: x is [B, rows, in], y is [B, rows, out] (row-major).
   * Returns the loss before the step (the same value EnsembleMLP.trainStep would give).
   */
  async trainStep(x: Float32Array, y: Float32Array, rows: number, kind?: LossKind): Promise<number> {
    const net = this.net, B = net.members, d = net.config.inputSize, o = net.config.outputSize;
    checkInt("ParallelTrainer rows", rows);
    if (x.length !== B * rows * d || y.length !== B * rows * o) {
      throw new ShapeError(`ParallelTrainer.trainStep: expected x of ${B} x ${rows} x ${d} and y of ${B} x ${rows} x ${o} entries`);
    }
    const lossKind: LossKind = kind ?? (net.config.head === "gaussian" ? "nll" : "mse");
    if (B > 1) return this.memberStep(x, y, rows, lossKind);
    const n1 = Math.max(1, Math.round(rows * this.mainShare)), n2 = rows - n1;
    const part = (a: Float32Array, w: number, lo: number, hi: number) => {
      const out = new Float32Array(B * (hi - lo) * w);
      for (let b = 0; b < B; b++) out.set(a.subarray((b * rows + lo) * w, (b * rows + hi) * w), b * (hi - lo) * w);
      return out;
    };
    let job: Promise<TrainerReply> | null = null;
    if (n2 > 0) {
      const x2 = part(x, d, n1, rows), y2 = part(y, o, n1, rows);
      job = this.handle.call({ type: "grad", x: x2, y: y2, rows: n2, kind: lossKind, scale: n2 / rows }, [
        x2.buffer as ArrayBuffer,
        y2.buffer as ArrayBuffer,
      ]) as Promise<TrainerReply>;
    }
    const xt = tf.tensor3d(part(x, d, 0, n1), [B, n1, d]), yt = tf.tensor3d(part(y, o, 0, n1), [B, n1, o]);
    let mine: { loss: number; grads: Float32Array[] };
    const t0 = performance.now();
    try {
      mine = net.lossGradients(xt, yt, lossKind, { scale: n1 / rows, penalty: true });
    } finally {
      tf.dispose([xt, yt]);
    }
    const t1 = performance.now();
    this.stats.mainGradMs = t1 - t0;
    let loss = mine.loss;
    if (job) {
      const r = await job;
      this.stats.waitMs = performance.now() - t1;
      this.stats.workerGradMs = r.ms ?? 0;
      this.stats.workerApplyMs = r.applyMs ?? 0;
      loss += r.loss!;
      mine.grads.forEach((g, i) => {
        const h = r.grads![i];
        for (let k = 0; k < g.length; k++) g[k] += h[k];
      });
    }
    const t2 = performance.now();
    net.applyGradientArrays(mine.grads);
    this.stats.mainApplyMs = performance.now() - t2;
    // Fire and forget: the worker applies the same step before it reads its next message.
    this.handle.worker.postMessage({ type: "apply", grads: mine.grads, id: -1 }, mine.grads.map((g) => g.buffer as ArrayBuffer));
    return loss;
  }

  /**
   * The step split by members: the main thread takes members [0, k), the worker [k, B), each on all
   * rows (fewer, larger kernels than a split by rows, and each side runs Adam on its own members
   * only). The worker returns its members' new weights and Adam moments; the log-variance bounds,
   * shared by all members, are stepped here with the summed gradient and sent with the next step.
   */
  private async memberStep(x: Float32Array, y: Float32Array, rows: number, kind: LossKind): Promise<number> {
    const net = this.net, B = net.members, d = net.config.inputSize, o = net.config.outputSize;
    // floor: with an odd B the worker takes the extra member (the main thread also sends and adopts).
    const k = Math.min(B - 1, Math.max(1, Math.floor(B * this.mainShare + 1e-9)));
    const per = 2 * net.weights[0].length;
    const bounds = net.minLogVar && net.maxLogVar && net.config.learnLogVarBounds
      ? [net.minLogVar.dataSync().slice() as Float32Array, net.maxLogVar.dataSync().slice() as Float32Array]
      : null;
    const x2 = x.slice(k * rows * d), y2 = y.slice(k * rows * o);
    const job = this.handle.call(
      { type: "memberStep", x: x2, y: y2, rows, kind, scale: (B - k) / B, lo: k, hi: B, B, per, bounds },
      [x2.buffer as ArrayBuffer, y2.buffer as ArrayBuffer],
    ) as Promise<TrainerReply>;
    const t0 = performance.now();
    const xt = tf.tensor3d(x.subarray(0, k * rows * d), [k, rows, d]), yt = tf.tensor3d(y.subarray(0, k * rows * o), [k, rows, o]);
    let mine: { loss: number; grads: (Float32Array | null)[] };
    try {
      mine = net.memberLossGradients(xt, yt, kind, [0, k], { scale: k / B, penalty: true });
    } finally {
      tf.dispose([xt, yt]);
    }
    // This side's members now; the shared bounds once the worker's part of their gradient is in.
    net.applyGradientArrays(mine.grads.map((g, i) => (i < k * per ? g : null)));
    const t1 = performance.now();
    this.stats.mainGradMs = t1 - t0;
    const r = await job;
    const t2 = performance.now();
    this.stats.waitMs = t2 - t1;
    this.stats.workerGradMs = r.ms ?? 0;
    this.stats.workerApplyMs = r.applyMs ?? 0;
    const bg = mine.grads.map((g, i) => {
      if (i < B * per || !g) return null;
      const h = r.boundGrads![i - B * per];
      if (h) for (let j = 0; j < g.length; j++) g[j] += h[j];
      return g;
    });
    if (bg.some((g) => g)) net.applyGradientArrays(bg, { tick: false });
    r.values!.forEach((p, j) => net.adoptVariable(k * per + j, p, r.moments![j].m, r.moments![j].v));
    this.stats.mainApplyMs = performance.now() - t2;
    return mine.loss + r.loss!;
  }

  async dispose(): Promise<void> {
    await this.handle.worker.terminate();
  }
}

function backendName(): string {
  const b = tf.getBackend();
  return b === "tensorflow" || b === "wasm" || b === "cpu" ? b : "wasm";
}
