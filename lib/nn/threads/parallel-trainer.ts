/**
 * ParallelTrainer: data-parallel training of an EnsembleMLP on the main thread and one worker
 * (trainer-worker.ts). Use it through `net.fitAsync(x, y, { trainer, ... })`.
 *
 * With several members the step is split by members, and each thread owns its members: it computes their gradients on all rows and runs Adam on them, and their weights and
 * Adam moments stay where they are trained (no weights cross threads per step; `pull` brings the
 * worker's members back). The log-variance bounds, shared by all members, belong to the main thread:
 * it steps them with the summed gradient and sends their values with the next step. With one member
 * the minibatch is split by rows instead: each side computes the gradient of its share of the loss,
 * the main thread adds them, and both sides apply the same Adam step (same code, same numbers).
 */
import { tf } from "../../core/backend";
import { ShapeError, ValueError, checkInt } from "../../core/checks";
import type { LossKind } from "../config";
import type { EnsembleMLP } from "../ensemble";
import { WorkerHandle, startWorker } from "./link";
import { type TrainerRequest, type WorkerReply, addGradients, buffersOf } from "./protocol";

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
    const handle = new WorkerHandle(startWorker("trainer-worker"), "ParallelTrainer");
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
    await this.handle.call<TrainerRequest>({
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
    const r = await this.handle.call<TrainerRequest>({ type: "pull", first, last: net.members * per });
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
    const bounds: [Float32Array, Float32Array] | null =
      net.minLogVar && net.maxLogVar && net.config.learnLogVarBounds
        ? [net.minLogVar.dataSync().slice() as Float32Array, net.maxLogVar.dataSync().slice() as Float32Array]
        : null;

    // The worker's part, sent first so that both threads compute at once.
    let job: Promise<WorkerReply> | null = null;
    if (b < B || r2 > 0) {
      const xw = x.slice(b * rows * d), yw = y.slice(b * rows * o);
      const k0 = k ?? 0;
      const xs = x.slice((k0 * rows + r1) * d, (k0 + 1) * rows * d), ys = y.slice((k0 * rows + r1) * o, (k0 + 1) * rows * o);
      job = this.handle.call<TrainerRequest>(
        { type: "step", x: xw, y: yw, xs, ys, rows, sharedRows: r2, shared: k, lo: b, hi: B, B, per, kind: lossKind, bounds },
        [xw.buffer, yw.buffer, xs.buffer, ys.buffer] as ArrayBuffer[],
      );
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
      this.handle.send<TrainerRequest>({ type: "apply", grads: mirror, tick: b === B }, buffersOf(mirror));
    }
    this.stats.finishMs = performance.now() - t2;
    this.syncedVersion = net.stateVersion;
    return loss;
  }

  async dispose(): Promise<void> {
    await this.handle.worker.terminate();
  }
}
