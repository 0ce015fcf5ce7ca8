/**
 * ParallelEnsemble: an EnsembleMLP's forward pass split by rows across the main thread and worker
 * threads, each worker with its own tfjs wasm backend (the wasm backend itself is single-threaded in
 * Node, so this is the way to use the second core).
 *
 * It holds a copy of the network's weights: call `syncWeights()` after training the network.
 * Arrays in, arrays out (async), for batch evaluation such as a planner scoring all candidates.
 *
 * ParallelTrainer: an EnsembleMLP's training steps split across the main thread and one worker, by
 * members (each thread keeps and trains its own members; `pull()` brings the worker's back), or by
 * rows for a single network. Use it through `net.fitAsync(x, y, { trainer, ... })`.
 *
 * Whether either pays depends on the machine being otherwise idle: `npm run bench -- kernels`
 * measures both against one thread.
 */
import { Worker } from "worker_threads";
import { tf } from "../core/backend";
import { ShapeError, ValueError, checkInt } from "../core/checks";
import { type EnsembleMLP, type EnsembleWeights, type LossKind, addGradients } from "./ensemble";

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
// Data-parallel training. With several members the step is split by members, and each thread owns
// its members: it computes their gradients on all rows and runs Adam on them, and their weights and
// Adam moments stay where they are trained (no weights cross threads per step; `pull` brings the
// worker's members back). The log-variance bounds, shared by all members, belong to the main thread:
// it steps them with the summed gradient and sends their values with the next step. With one member
// the minibatch is split by rows instead: each side computes the gradient of its share of the loss,
// the main thread adds them, and both sides apply the same Adam step (same code, same numbers).

// The worker loads the library itself: the compiled .js next to this file, or the .ts sources
// through tsx's require hook when running from sources (tests, benchmarks).
const TRAINER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
if (workerData.tsxApi) require(workerData.tsxApi).register();
const core = require(workerData.corePath);
const { EnsembleMLP, addGradients } = require(workerData.ensemblePath);
const tf = core.tf;
let net = null;
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
      } else if (msg.type === "step") {
        // Its part of the step: members [lo, hi) whole (gradients and Adam here), and rows of the
        // shared member, whose gradient goes back to the main thread. The bounds' values come from
        // the main thread, which steps them.
        const t0 = performance.now();
        const c = net.config;
        if (msg.bounds) {
          tf.tidy(() => {
            net.minLogVar.assign(tf.tensor1d(msg.bounds[0]));
            net.maxLogVar.assign(tf.tensor1d(msg.bounds[1]));
          });
        }
        let loss = 0, sharedGrads = null;
        const boundGrads = new Array(net.variables().length - msg.B * msg.per).fill(null);
        if (msg.hi > msg.lo) {
          const n = msg.hi - msg.lo;
          const xt = tf.tensor3d(msg.x, [n, msg.rows, c.inputSize]), yt = tf.tensor3d(msg.y, [n, msg.rows, c.outputSize]);
          try {
            const r = net.memberStep(xt, yt, msg.kind, [msg.lo, msg.hi], { scale: n / msg.B, penalty: false });
            loss += r.loss;
            addGradients(boundGrads, r.boundGrads);
          } finally {
            tf.dispose([xt, yt]);
          }
        }
        if (msg.sharedRows > 0) {
          const k = msg.shared, n = msg.sharedRows;
          const xt = tf.tensor3d(msg.xs, [1, n, c.inputSize]), yt = tf.tensor3d(msg.ys, [1, n, c.outputSize]);
          try {
            const r = net.memberLossGradients(xt, yt, msg.kind, [k, k + 1], { scale: n / msg.rows / msg.B, penalty: false });
            loss += r.loss;
            sharedGrads = r.grads.slice(k * msg.per, (k + 1) * msg.per);
            addGradients(boundGrads, r.grads.slice(msg.B * msg.per));
          } finally {
            tf.dispose([xt, yt]);
          }
        }
        const tr = [];
        for (const g of boundGrads) if (g) tr.push(g.buffer);
        for (const g of sharedGrads || []) tr.push(g.buffer);
        parentPort.postMessage({ id: msg.id, loss, boundGrads, sharedGrads, ms: performance.now() - t0 }, tr);
      } else if (msg.type === "apply") {
        // The shared member's summed gradient: the same Adam step as on the main thread keeps this
        // copy equal to the main thread's.
        net.applyGradientArrays(msg.grads, { tick: msg.tick });
      } else if (msg.type === "pull") {
        // The values and Adam moments of variables [first, last).
        const vars = net.variables().slice(msg.first, msg.last);
        const values = vars.map((v) => v.dataSync().slice());
        const moments = vars.map((_, k) => net.optimizerMoments(msg.first + k));
        const tr = values.map((a) => a.buffer);
        for (const mo of moments) tr.push(mo.m.buffer, mo.v.buffer);
        parentPort.postMessage({ id: msg.id, values, moments }, tr);
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
  sharedGrads?: Float32Array[] | null;
  ms?: number;
}

/** Wall milliseconds of the parts of the last step (to see where a parallel step spends its time). */
export interface TrainerStats {
  /** The main thread's own share (gradients and its Adam update). */
  mainMs: number;
  /** The worker's share, as the worker timed it. */
  workerMs: number;
  /** Time the main thread waited for the worker after finishing its own share. */
  waitMs: number;
  /** Adding the parts and the last updates on the main thread. */
  finishMs: number;
}

export interface ParallelTrainerOptions {
  /**
   * Share of the work the main thread takes, counted in members. The main thread trains members
   * [0, k) with k = floor(share * B), and the first rows of member k in proportion to what is left of
   * its share; the worker trains the other rows of member k and members [k + 1, B). Default: whole
   * members, floor(B / 2) on the main thread and the rest in the worker (which has no messages to
   * send); 0.5 for a single network, whose minibatch is then split by rows. (Splitting a member of an
   * ensemble by rows balances the threads but costs more than it saves: two smaller products per
   * layer instead of one, and the member's gradient and update sent across; measured in
   * `npm run bench -- kernels`.)
   */
  mainShare?: number;
}

/**
 * Who trains what: members [0, mainEnd) whole on the main thread, the first `frac` of the rows of
 * member `shared` (if any) too, its other rows and members [workerStart, B) in the worker.
 */
interface Split {
  mainEnd: number;
  shared: number | null;
  frac: number;
  workerStart: number;
}

/** The split for a share of the work counted in members (see ParallelTrainerOptions.mainShare). */
function splitMembers(B: number, share: number): Split {
  const w = share * B;
  const k = Math.min(B - 1, Math.floor(w + 1e-9));
  const frac = w - k;
  if (frac < 1e-9) return { mainEnd: k, shared: null, frac: 0, workerStart: k };
  return { mainEnd: k, shared: k, frac: Math.min(1, frac), workerStart: k + 1 };
}

export class ParallelTrainer {
  /** Timings of the last step. */
  readonly stats: TrainerStats = { mainMs: 0, workerMs: 0, waitMs: 0, finishMs: 0 };
  /** The net's stateVersion when the worker's copy was last known to match it (-1: never). */
  private syncedVersion = -1;
  /** Whether the worker holds member weights newer than the net's. */
  private workerAhead = false;
  private busy = false;
  private readonly split: Split;

  private constructor(
    readonly net: EnsembleMLP,
    private readonly handle: WorkerHandle,
    mainShare: number,
  ) {
    this.split = splitMembers(net.members, mainShare);
  }

  /** Starts a worker holding a copy of the network and its optimizer state. */
  static async create(net: EnsembleMLP, opts: ParallelTrainerOptions = {}): Promise<ParallelTrainer> {
    const share = opts.mainShare ?? (net.members === 1 ? 0.5 : Math.floor(net.members / 2) / net.members);
    if (!(share > 0 && share < 1)) throw new ValueError(`ParallelTrainer: mainShare must be in (0, 1), got ${share}`);
    const workerData = libraryWorkerData();
    const handle = new WorkerHandle(new Worker(TRAINER_SOURCE, { eval: true, workerData }));
    try {
      await handle.ready;
      handle.worker.unref();
      const t = new ParallelTrainer(net, handle, share);
      await t.push();
      return t;
    } catch (e) {
      await handle.worker.terminate();
      throw e;
    }
  }

  /**
   * Sends the network's weights, normaliser and optimizer state to the worker. trainStep does this by
   * itself when the network has changed since (trained some other way, new weights, new normaliser).
   */
  async push(): Promise<void> {
    if (this.busy) throw new ValueError("ParallelTrainer.push: a step is still running; await it first");
    await this.pushNow();
  }

  private async pushNow(): Promise<void> {
    await this.pullNow(); // never overwrite members the worker has trained further
    await this.handle.call({
      type: "init",
      config: { ...this.net.config, hiddenSizes: this.net.config.hiddenSizes.slice() },
      weights: this.net.getWeights(),
      opt: this.net.optimizerState(),
    });
    this.syncedVersion = this.net.stateVersion;
  }

  /**
   * Brings the worker's members (weights and Adam moments) back into the network. Until then the
   * network refuses to be used (it would read stale weights); fitAsync pulls by itself.
   */
  async pull(): Promise<void> {
    if (this.busy) throw new ValueError("ParallelTrainer.pull: a step is still running; await it first");
    await this.pullNow();
  }

  private async pullNow(): Promise<void> {
    if (!this.workerAhead) return;
    const net = this.net, per = 2 * net.weights[0].length, first = this.split.workerStart * per;
    const r = (await this.handle.call({ type: "pull", first, last: net.members * per })) as TrainerReply;
    net.setHeldElsewhere(null);
    r.values!.forEach((p, j) => net.adoptVariable(first + j, p, r.moments![j].m, r.moments![j].v));
    this.workerAhead = false;
    this.syncedVersion = net.stateVersion;
  }

  /**
   * One Adam step on a per-member minibatch: x is [B, rows, in], y is [B, rows, out] (row-major).
   * Returns the loss before the step (the same value EnsembleMLP.trainStep would give). When the
   * worker trains whole members, the network is marked as held elsewhere until `pull()`.
   */
  async trainStep(x: Float32Array, y: Float32Array, rows: number, kind?: LossKind): Promise<number> {
    const net = this.net, B = net.members, d = net.config.inputSize, o = net.config.outputSize;
    checkInt("ParallelTrainer rows", rows);
    if (x.length !== B * rows * d || y.length !== B * rows * o) {
      throw new ShapeError(`ParallelTrainer.trainStep: expected x of ${B} x ${rows} x ${d} and y of ${B} x ${rows} x ${o} entries`);
    }
    // Steps depend on each other (each starts from the last one's weights): one at a time.
    if (this.busy) throw new ValueError("ParallelTrainer.trainStep: the previous step is still running; await it first");
    this.busy = true;
    try {
      return await this.step(x, y, rows, kind);
    } finally {
      this.busy = false;
    }
  }

  private async step(x: Float32Array, y: Float32Array, rows: number, kind?: LossKind): Promise<number> {
    const net = this.net, B = net.members, d = net.config.inputSize, o = net.config.outputSize;
    if (net.stateVersion !== this.syncedVersion) await this.pushNow();
    const lossKind: LossKind = kind ?? (net.config.head === "gaussian" ? "nll" : "mse");
    const per = 2 * net.weights[0].length;
    const { mainEnd: a, shared: k, workerStart: b } = this.split;
    // Rows of the shared member on this thread: with no whole member here at least one, because the
    // main thread adds the bound penalty (once) to the loss.
    const r1 = k === null ? 0 : Math.min(rows, Math.max(a === 0 ? 1 : 0, Math.round(this.split.frac * rows)));
    const r2 = k === null ? 0 : rows - r1;
    const bounds = net.minLogVar && net.maxLogVar && net.config.learnLogVarBounds
      ? [net.minLogVar.dataSync().slice() as Float32Array, net.maxLogVar.dataSync().slice() as Float32Array]
      : null;

    // The worker's part, sent first so that both threads compute at once.
    let job: Promise<TrainerReply> | null = null;
    if (b < B || r2 > 0) {
      const xw = x.slice(b * rows * d), yw = y.slice(b * rows * o);
      const k0 = k ?? 0;
      const xs = x.slice((k0 * rows + r1) * d, (k0 + 1) * rows * d), ys = y.slice((k0 * rows + r1) * o, (k0 + 1) * rows * o);
      job = this.handle.call(
        { type: "step", x: xw, y: yw, xs, ys, rows, sharedRows: r2, shared: k, lo: b, hi: B, B, per, kind: lossKind, bounds },
        [xw.buffer, yw.buffer, xs.buffer, ys.buffer] as ArrayBuffer[],
      ) as Promise<TrainerReply>;
    }
    if (b < B) {
      this.workerAhead = true;
      net.setHeldElsewhere(`members ${b}-${B - 1} are being trained in a ParallelTrainer worker; await trainer.pull() before using the network`);
    }

    // The main thread's part: members [0, a) whole (their Adam step inside), the first r1 rows of member k.
    const t0 = performance.now();
    let loss = 0;
    const boundSum: (Float32Array | null)[] = net.variables().slice(B * per).map(() => null);
    const shared: (Float32Array | null)[] = new Array(per).fill(null); // member k's gradient
    if (a > 0) {
      const xt = tf.tensor3d(x.subarray(0, a * rows * d), [a, rows, d]), yt = tf.tensor3d(y.subarray(0, a * rows * o), [a, rows, o]);
      try {
        const r = net.memberStep(xt, yt, lossKind, [0, a], { scale: a / B, penalty: true });
        loss += r.loss;
        addGradients(boundSum, r.boundGrads);
      } finally {
        tf.dispose([xt, yt]);
      }
    }
    if (k !== null && r1 > 0) {
      const xt = tf.tensor3d(x.subarray(k * rows * d, (k * rows + r1) * d), [1, r1, d]);
      const yt = tf.tensor3d(y.subarray(k * rows * o, (k * rows + r1) * o), [1, r1, o]);
      try {
        const r = net.memberLossGradients(xt, yt, lossKind, [k, k + 1], { scale: r1 / rows / B, penalty: a === 0 });
        loss += r.loss;
        addGradients(shared, r.grads.slice(k * per, (k + 1) * per));
        addGradients(boundSum, r.grads.slice(B * per));
      } finally {
        tf.dispose([xt, yt]);
      }
    }
    const t1 = performance.now();
    this.stats.mainMs = t1 - t0;

    // Wait for the worker; add up the parts of the shared member's and the bounds' gradients.
    if (job) {
      const r = await job;
      this.stats.waitMs = performance.now() - t1;
      this.stats.workerMs = r.ms ?? 0;
      loss += r.loss!;
      if (r.boundGrads) addGradients(boundSum, r.boundGrads);
      if (r.sharedGrads) addGradients(shared, r.sharedGrads);
    }
    const t2 = performance.now();
    // One Adam update for member k and the bounds. It starts the step's count only on a side where
    // no whole member has started it already.
    const grads: (Float32Array | null)[] = new Array(B * per).fill(null);
    if (k !== null) shared.forEach((g, j) => (grads[k * per + j] = g));
    const all = grads.concat(boundSum);
    if (all.some((g) => g)) net.applyGradientArrays(all, { tick: a === 0 });
    if (k !== null) {
      // The worker keeps a copy of member k for its rows: the same update keeps it equal (fire and
      // forget; the worker applies it before it reads the next step).
      const mirror = all.map((g, i) => (g && i >= k * per && i < (k + 1) * per ? g.slice() : null));
      const transfer: ArrayBuffer[] = [];
      for (const g of mirror) if (g) transfer.push(g.buffer as ArrayBuffer);
      this.handle.worker.postMessage({ type: "apply", grads: mirror, tick: b === B, id: -1 }, transfer);
    }
    this.stats.finishMs = performance.now() - t2;
    this.syncedVersion = net.stateVersion;
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
