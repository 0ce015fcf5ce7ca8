/**
 * The training loop of an ensemble network: epochs of minibatches in which every member sees its own
 * bootstrap resample of the data in its own order, so that members differ by data as well as by
 * initialisation (PETS).
 *
 * Two engines take the same minibatches and the same Adam steps (adam.ts): ONNX Runtime computes the
 * loss and its gradient where it loads (onnx-train.ts: native kernels on both cores, about 8 ms per
 * step of the PETS ensemble against tfjs wasm's 37 ms, `npm run bench -- kernels`), tfjs otherwise.
 * They agree to float32 rounding (test/nn/onnx-train.test.ts), and ONNX Runtime gives the same bits on
 * any thread count, so a seed's results do not depend on the machine's cores.
 * (An earlier two-core trainer split the members between the main thread and a worker; its weights
 * changed with the core count and it was removed.)
 */
import { tf } from "../core/backend";
import { ShapeError, ValueError, checkInt } from "../core/checks";
import { checkInterrupt } from "../core/interrupt";
import { type Rng, makeRng } from "../core/random";
import { type MatLike, asMat } from "../linalg/mat";
import type { EnsembleConfig, LossKind } from "./config";
import { OnnxTrainStep, type StackedParams } from "./onnx-train";

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
  /** "onnx" (the default where ONNX Runtime loads) or "tfjs"; asking for "onnx" where it cannot load throws. */
  engine?: TrainEngine;
}

/** Default rows per member per step. */
const DEFAULT_BATCH = 32;

/** What the loop needs from the network (EnsembleMLP). */
export interface Trainable {
  readonly members: number;
  readonly config: Readonly<Required<EnsembleConfig>>;
  /** Layer widths: input, hidden..., head output. */
  readonly sizes: readonly number[];
  /** Throws if the network cannot be used now (disposed). */
  assertUsable(): void;
  fitInputNormalizer(x: MatLike): void;
  inputNormalizer(): { mean: Float32Array; std: Float32Array };
  /** One tfjs step on the batch; returns the loss before it. */
  trainStep(x: tf.Tensor3D, y: tf.Tensor3D, kind: LossKind): number;
  /** The trainable variables: for each member, for each layer, W then b; then the log-variance bounds when learned. */
  variables(): tf.Variable[];
  /** The fixed log-variance bounds' values (read when they are not trainable), null without a Gaussian head. */
  logVarBounds(): { min: Float32Array; max: Float32Array } | null;
  /** One Adam step on plain copies of variables() (in place), with their gradients. */
  stepArrays(params: readonly Float32Array[], grads: readonly (Float32Array | null)[]): void;
  /** Writes plain copies of variables() back into the variables. */
  assignArrays(params: readonly Float32Array[]): void;
}

/** The engine a fit ran on: ONNX Runtime's native kernels, or the tfjs backend (`tf.getBackend()`). */
export type TrainEngine = "onnx" | "tfjs";

/**
 * Trains on the calling thread; returns the mean training loss of each epoch and the engine that ran.
 * ONNX Runtime (onnx-train.ts) computes the loss and gradients where it loads, unless opts.engine is
 * "tfjs"; both take the same minibatches and the same Adam steps, so they agree to float32 rounding.
 */
export function fitEnsemble(net: Trainable, x: MatLike, y: MatLike, opts: FitOptions): { losses: number[]; engine: TrainEngine } {
  const plan = minibatchPlan(net, x, y, opts);
  const onnx = opts.engine === "tfjs" ? null : onnxTrainer(net, plan.kind);
  if (opts.engine === "onnx" && !onnx) throw new ValueError('fit: engine "onnx" asked for, but ONNX Runtime cannot load here');
  if (onnx) {
    try {
      return { losses: runEpochs(plan, opts, onnx.step), engine: "onnx" };
    } finally {
      onnx.sync(); // also when interrupted: the steps taken are kept
    }
  }
  const losses = runEpochs(plan, opts, (xb, yb, rows) => {
    const xt = tf.tensor3d(xb, [net.members, rows, plan.din]),
      yt = tf.tensor3d(yb, [net.members, rows, plan.dout]);
    try {
      return net.trainStep(xt, yt, plan.kind);
    } finally {
      xt.dispose();
      yt.dispose();
    }
  });
  return { losses, engine: "tfjs" };
}

/** The epochs of minibatches, each step taken by `step` (which returns the batch's loss); returns each epoch's mean loss. */
function runEpochs(plan: MinibatchPlan, opts: FitOptions, step: (xb: Float32Array, yb: Float32Array, rows: number) => number): number[] {
  const losses: number[] = [];
  for (let e = 0; e < plan.epochs; e++) {
    plan.shuffle();
    let sum = 0;
    for (let s = 0; s < plan.steps; s++) {
      checkInterrupt();
      const { xb, yb, rows } = plan.batch(s);
      sum += step(xb, yb, rows) * rows;
    }
    losses.push(sum / plan.n);
    opts.onEpoch?.(e, sum / plan.n);
  }
  return losses;
}

/**
 * Training steps on ONNX Runtime for a loop of its own (fitEnsemble; MlpDynamicsModel's fit with
 * early stopping). The weights live in plain arrays between steps: per layer, all members stacked
 * (member b's W is a contiguous block laid out as its variable), and Adam updates them through
 * per-variable views.
 */
export interface OnnxTrainer {
  /** One step on raw inputs (normalised here with the network's normaliser as it was at creation); returns the loss before the step. */
  step: (xb: Float32Array, yb: Float32Array, rows: number) => number;
  /** Writes the weights back into the network's variables: before reading or evaluating the network, and at the end. */
  sync: () => void;
}

/** A trainer for this network and loss, or null where ONNX Runtime cannot load. */
export function onnxTrainer(net: Trainable, kind: LossKind): OnnxTrainer | null {
  const { activation, head, outputSize, boundPenalty } = net.config;
  const graph = OnnxTrainStep.create({ members: net.members, sizes: net.sizes, activation, head, outputSize, kind });
  if (!graph) return null;
  const E = net.members,
    sizes = net.sizes,
    L = sizes.length - 1;
  const vars = net.variables();
  const p: StackedParams = { W: [], B: [], minLV: null, maxLV: null };
  const views: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    p.W.push(new Float32Array(E * sizes[l] * sizes[l + 1]));
    p.B.push(new Float32Array(E * sizes[l + 1]));
  }
  const wView = (a: Float32Array, bIdx: number, size: number) => a.subarray(bIdx * size, (bIdx + 1) * size);
  for (let m = 0; m < E; m++) {
    for (let l = 0; l < L; l++) views.push(wView(p.W[l], m, sizes[l] * sizes[l + 1]), wView(p.B[l], m, sizes[l + 1]));
  }
  // The bounds are graph inputs whenever the head is Gaussian; variables (and so stepped) only when learned.
  const bounds = net.logVarBounds();
  const learnedBounds = bounds !== null && net.config.learnLogVarBounds;
  if (bounds) {
    p.minLV = bounds.min; // logVarBounds() returns copies
    p.maxLV = bounds.max;
    if (learnedBounds) views.push(p.minLV, p.maxLV);
  }
  if (views.length !== vars.length) throw new ShapeError(`fit: ${vars.length} variables for ${views.length} parameter blocks`);
  vars.forEach((v, i) => views[i].set(v.dataSync() as Float32Array));
  const { mean, std } = net.inputNormalizer();
  const inv = Float32Array.from(std, (s) => 1 / s);
  const din = sizes[0];
  const penalty = kind === "nll" && learnedBounds && boundPenalty > 0 ? boundPenalty : 0;
  let dirty = false;
  return {
    step: (xb, yb, rows) => {
      const xn = new Float32Array(xb.length);
      for (let i = 0; i < xb.length; i++) {
        const c = i % din;
        xn[i] = (xb[i] - mean[c]) * inv[c]; // the normaliser, as the forward pass applies it
      }
      const g = graph.run(xn, yb, rows, p);
      let loss = g.loss;
      const grads: (Float32Array | null)[] = [];
      for (let m = 0; m < E; m++) {
        for (let l = 0; l < L; l++) grads.push(wView(g.W[l], m, sizes[l] * sizes[l + 1]), wView(g.B[l], m, sizes[l + 1]));
      }
      if (learnedBounds) {
        if (penalty > 0) {
          // The penalty boundPenalty (sum maxLV - sum minLV): a constant gradient of +-penalty.
          let gap = 0;
          for (let k = 0; k < p.maxLV!.length; k++) {
            gap += p.maxLV![k] - p.minLV![k];
            g.minLV![k] -= penalty;
            g.maxLV![k] += penalty;
          }
          loss += penalty * gap;
        }
        grads.push(g.minLV, g.maxLV);
      }
      net.stepArrays(views, grads);
      dirty = true;
      return loss;
    },
    sync: () => {
      if (dirty) net.assignArrays(views);
      dirty = false;
    },
  };
}

type MinibatchPlan = ReturnType<typeof minibatchPlan>;

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
