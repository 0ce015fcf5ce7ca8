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

interface WorkerConfig {
  activation: string;
  head: string;
  outputSize: number;
  inputSize: number;
  members: number;
}

// The worker: loads tfjs + the wasm backend, keeps the weights, runs the same forward pass as
// EnsembleMLP.memberForward (dense -> activation ..., soft-bounded log-variance for a Gaussian head).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const tf = require(workerData.tfjsPath);
const wasm = require(workerData.wasmPath);
let W = null, cfg = null;
function act(h, a) {
  if (a === "silu" || a === "swish") return tf.mul(h, tf.sigmoid(h));
  if (a === "relu") return tf.relu(h);
  if (a === "tanh") return tf.sub(tf.mul(tf.sigmoid(tf.mul(h, 2)), 2), 1);
  return h;
}
function setWeights(w, c) {
  if (W) tf.dispose(W.all);
  const all = [];
  const keep = (t) => { all.push(t); return t; };
  cfg = c;
  W = {
    all,
    layers: w.layers.map((ls) => ls.map((p, l) => ({
      w: keep(tf.tensor2d(p.w, [p.w.length / p.b.length, p.b.length])),
      b: keep(tf.tensor1d(p.b)),
    }))),
    minLV: w.minLogVar ? keep(tf.tensor1d(w.minLogVar)) : null,
    maxLV: w.maxLogVar ? keep(tf.tensor1d(w.maxLogVar)) : null,
    mean: keep(tf.tensor1d(w.inputMean)),
    invStd: keep(tf.tensor1d(w.inputStd.map((s) => 1 / s))),
  };
}
function forward(x, rows, shared) {
  return tf.tidy(() => {
    const B = cfg.members, d = cfg.inputSize, o = cfg.outputSize;
    const mean = new Float32Array(B * rows * o);
    const logVar = cfg.head === "gaussian" ? new Float32Array(B * rows * o) : null;
    const xs = shared ? tf.tensor2d(x, [rows, d]) : null;
    const norm = (t) => tf.mul(tf.sub(t, W.mean), W.invStd);
    const hs = shared ? norm(xs) : null;
    for (let b = 0; b < B; b++) {
      let h = hs || norm(tf.tensor2d(x.subarray(b * rows * d, (b + 1) * rows * d), [rows, d]));
      const ls = W.layers[b];
      for (let l = 0; l < ls.length; l++) {
        h = tf.fused.matMul({ a: h, b: ls[l].w, bias: ls[l].b });
        if (l < ls.length - 1) h = act(h, cfg.activation);
      }
      if (logVar) {
        const m = tf.slice(h, [0, 0], [rows, o]);
        const raw = tf.slice(h, [0, o], [rows, o]);
        const up = tf.sub(W.maxLV, tf.softplus(tf.sub(W.maxLV, raw)));
        const lv = tf.add(W.minLV, tf.softplus(tf.sub(up, W.minLV)));
        mean.set(m.dataSync(), b * rows * o);
        logVar.set(lv.dataSync(), b * rows * o);
      } else {
        mean.set(h.dataSync(), b * rows * o);
      }
    }
    return { mean, logVar };
  });
}
(async () => {
  wasm.setWasmPaths(workerData.wasmDir);
  wasm.setThreadsCount(1);
  await tf.setBackend("wasm");
  await tf.ready();
  parentPort.on("message", (msg) => {
    try {
      if (msg.type === "weights") { setWeights(msg.weights, msg.config); parentPort.postMessage({ id: msg.id }); return; }
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
    const wasmPath = require.resolve("@tensorflow/tfjs-backend-wasm");
    const workerData = {
      tfjsPath: require.resolve("@tensorflow/tfjs"),
      wasmPath,
      wasmDir: require("path").dirname(wasmPath) + require("path").sep,
    };
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
    const c = this.net.config;
    const config: WorkerConfig = {
      activation: c.activation,
      head: c.head,
      outputSize: c.outputSize,
      inputSize: c.inputSize,
      members: this.net.members,
    };
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
// Data-parallel training: each step's minibatch is split by rows between the main thread and a
// worker; each computes the gradient of its share of the loss, the main thread adds them, and both
// sides apply the same Adam step (same code, same numbers), so their weights stay identical
// without sending weights back and forth.

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
  /** Fraction of each minibatch's rows the main thread computes. Default 0.5. */
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
    const path = require("path") as typeof import("path");
    const ext = path.extname(__filename);
    const workerData = {
      corePath: path.join(__dirname, "..", "core", "index" + ext),
      ensemblePath: path.join(__dirname, "ensemble" + ext),
      tsxApi: ext === ".ts" ? require.resolve("tsx/cjs/api") : null,
      backend: backendName(),
    };
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

  async dispose(): Promise<void> {
    await this.handle.worker.terminate();
  }
}

function backendName(): string {
  const b = tf.getBackend();
  return b === "tensorflow" || b === "wasm" || b === "cpu" ? b : "wasm";
}
