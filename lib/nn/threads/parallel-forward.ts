/**
 * ParallelEnsemble: an EnsembleMLP's forward pass split by rows across the main thread and worker
 * threads (forward-worker.ts), each worker with its own tfjs backend (the wasm backend itself is
 * single-threaded in Node, so this is the way to use the second core).
 *
 * It holds a copy of the network's weights: call `syncWeights()` after training the network.
 * Arrays in, arrays out (async), for batch evaluation such as a planner scoring all candidates.
 * Whether it pays depends on the machine being otherwise idle: `npm run bench -- kernels` measures it.
 */
import { tf } from "../../core/backend";
import { ShapeError, ValueError, checkInt } from "../../core/checks";
import type { EnsembleMLP } from "../ensemble";
import type { EnsembleWeights } from "../weights";
import { WorkerHandle, startWorker } from "./link";
import type { ForwardRequest } from "./protocol";

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
    const handles: WorkerHandle[] = [];
    try {
      for (let i = 0; i < n; i++) handles.push(new WorkerHandle(startWorker("forward-worker"), "ParallelEnsemble"));
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
    await Promise.all(this.handles.map((h) => h.call<ForwardRequest>({ type: "weights", weights: w, config })));
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
      return h.call<ForwardRequest>({ type: "forward", x: part, rows: hi - lo, shared }, [part.buffer as ArrayBuffer]);
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
