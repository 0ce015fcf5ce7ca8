/**
 * The training loop of an ensemble network: epochs of minibatches in which every member sees its own
 * bootstrap resample of the data in its own order, so that members differ by data as well as by
 * initialisation (PETS).
 *
 * One thread. A two-core trainer (members split between the main thread and a worker) was measured
 * at the algorithms' sizes in 2026-12: by CPU time it could save 1.4-1.6x on an idle machine, but its
 * weights differed from this loop's in the last bits (the log-variance bounds' gradient is summed in
 * another order), so results would depend on the core count, and on the shared course machine it was
 * slower by wall clock. It was removed; the planners' forward pass uses both cores instead (onnx.ts).
 */
import { tf } from "../core/backend";
import { ShapeError, ValueError, checkInt } from "../core/checks";
import { checkInterrupt } from "../core/interrupt";
import { type Rng, makeRng } from "../core/random";
import { type MatLike, asMat } from "../linalg/mat";
import type { EnsembleConfig, LossKind } from "./config";

export interface FitOptions {
  epochs: number;
  /** Rows per member per step. Default 32. */
  batchSize?: number;
  /** Give each member its own bootstrap resample of the data (with replacement). Default: members > 1. */
  bootstrap?: boolean;
  /** Seed of the bootstrap and the shuffles. Default: the model's seed + 1. */
  seed?: number;
  /** Default "nll" for a Gaussian head, else "mse". */
  loss?: LossKind;
  /** Recompute the input normaliser from x before training. Default true. */
  normalizeInputs?: boolean;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Default rows per member per step. */
const DEFAULT_BATCH = 32;

/** What the loop needs from the network (EnsembleMLP). */
export interface Trainable {
  readonly members: number;
  readonly config: Readonly<Required<EnsembleConfig>>;
  /** Throws if the network cannot be used now (disposed). */
  assertUsable(): void;
  fitInputNormalizer(x: MatLike): void;
  trainStep(x: tf.Tensor3D, y: tf.Tensor3D, kind: LossKind): number;
}

/** Trains on the calling thread; returns the mean training loss of each epoch. */
export function fitEnsemble(net: Trainable, x: MatLike, y: MatLike, opts: FitOptions): { losses: number[] } {
  const plan = minibatchPlan(net, x, y, opts);
  const losses: number[] = [];
  for (let e = 0; e < plan.epochs; e++) {
    plan.shuffle();
    let sum = 0;
    for (let s = 0; s < plan.steps; s++) {
      checkInterrupt();
      const { xb, yb, rows } = plan.batch(s);
      const xt = tf.tensor3d(xb, [net.members, rows, plan.din]),
        yt = tf.tensor3d(yb, [net.members, rows, plan.dout]);
      sum += net.trainStep(xt, yt, plan.kind) * rows;
      xt.dispose();
      yt.dispose();
    }
    losses.push(sum / plan.n);
    opts.onEpoch?.(e, sum / plan.n);
  }
  return { losses };
}

/**
 * The minibatch schedule: checks the data, fits the normaliser, draws each
 * member's bootstrap set, reshuffles the sets once per epoch and assembles step s's batch.
 */
export function minibatchPlan(net: Trainable, x: MatLike, y: MatLike, opts: FitOptions) {
  net.assertUsable();
  const X = asMat(x),
    Y = asMat(y);
  const { inputSize, outputSize, head, seed } = net.config;
  if (X.cols !== inputSize) throw new ShapeError(`fit x: expected ${inputSize} columns, got ${X.cols}`);
  if (Y.cols !== outputSize) throw new ShapeError(`fit y: expected ${outputSize} columns, got ${Y.cols}`);
  if (X.rows !== Y.rows) throw new ShapeError(`fit: x has ${X.rows} rows but y has ${Y.rows}`);
  const n = X.rows;
  if (n === 0) throw new ValueError("fit: no data");
  const epochs = checkInt("fit epochs", opts.epochs, { allowZero: true });
  const bs = Math.min(checkInt("fit batchSize", opts.batchSize ?? DEFAULT_BATCH), n);
  const B = net.members;
  const rng: Rng = makeRng(opts.seed ?? (seed + 1) >>> 0);
  if (opts.normalizeInputs ?? true) net.fitInputNormalizer(X);
  const bootstrap = opts.bootstrap ?? B > 1;
  const sets: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = bootstrap ? rng.int(n) : i;
    sets.push(idx);
  }
  const din = X.cols,
    dout = Y.cols;
  const xs = Float32Array.from(X.data),
    ys = Float32Array.from(Y.data);
  let orders: Int32Array[] = sets;
  return {
    n,
    din,
    dout,
    epochs,
    steps: Math.ceil(n / bs),
    kind: opts.loss ?? ((head === "gaussian" ? "nll" : "mse") as LossKind),
    /** New random order of every member's set (call once per epoch). */
    shuffle: () => {
      orders = sets.map((set) => shuffleInt(set, rng));
    },
    /** Step s of the epoch: [B, rows, in] and [B, rows, out], member b's rows from its own order. */
    batch: (step: number) => {
      const lo = step * bs,
        rows = Math.min(bs, n - lo);
      const xb = new Float32Array(B * rows * din),
        yb = new Float32Array(B * rows * dout);
      for (let b = 0; b < B; b++) {
        const ord = orders[b];
        for (let r = 0; r < rows; r++) {
          const i = ord[lo + r];
          xb.set(xs.subarray(i * din, (i + 1) * din), (b * rows + r) * din);
          yb.set(ys.subarray(i * dout, (i + 1) * dout), (b * rows + r) * dout);
        }
      }
      return { xb, yb, rows };
    },
  };
}

function shuffleInt(a: Int32Array, rng: Rng): Int32Array {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
