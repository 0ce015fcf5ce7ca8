/**
 * A neural dynamics model that predicts NORMALISED STATE DELTAS (lecture 004 step 2; Nagabandi et al.,
 * lecture 003):
 *
 *   s' = s + mu_delta + sigma_delta * g_theta( normalise(features(s), a) )
 *
 * - Predicting the change s' - s instead of s' lets the network spend its capacity on the dynamics
 *   instead of copying s through (at dt = 0.05 the change is tiny compared with the state).
 * - Inputs are normalised to zero mean and unit std (inside lib/nn's network) and the targets
 *   (s' - s - mu_delta) / sigma_delta too, so every output dimension weighs the same in the loss no
 *   matter its units.
 * - Angle dimensions (config `angleDims`) enter the network as (cos, sin): the model then never sees
 *   the pendulum's angle grow without bound or jump at +-pi.
 *
 * Training: minibatch Adam on the one-step loss, a held-out split with early stopping (keep the best
 * held-out weights, stop after `patience` epochs without improvement), and optionally a k-step unrolled
 * loss that feeds the model its own predictions for k steps along the recorded trajectories, so the
 * training objective matches how a planner uses the model (compounding error).
 */
import { type Rng, tf, ShapeError, ValueError, checkInt, makeRng, refitSeed } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import { EnsembleMLP, type EnsembleWeights } from "../nn/ensemble";
import { onnxTrainer } from "../nn/training";
import type { Activation } from "../nn/ops";
import { type InputLayout, deltaArrays, deltaStats, inputLayout, normalizedDelta, writeInput } from "./features";
import {
  type Dataset,
  type DifferentiableModel,
  type FitOptions,
  type FitReport,
  checkBatch,
  checkDataset,
  datasetSize,
  predictOne,
  splitDataset,
  subsetDataset,
} from "./types";
import { checkInterrupt } from "../core/interrupt";

export interface MlpModelConfig {
  stateDim: number;
  actionDim: number;
  /** State dimensions that are angles: fed to the network as cos and sin. Default none. */
  angleDims?: readonly number[];
  /** Hidden layer widths. Default [128, 128]. */
  hiddenSizes?: readonly number[];
  activation?: Activation;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** Minibatch size. Default 64. */
  batchSize?: number;
  /** Most epochs per fit. Default 100. */
  maxEpochs?: number;
  /** Stop after this many epochs without a better held-out loss. Default 8. */
  patience?: number;
  /** Fraction of the data held out for early stopping. Default 0.1 (0 disables early stopping). */
  validFraction?: number;
  /** Unroll the loss over k steps along recorded trajectories (1 = the plain one-step loss). Default 1. */
  kStep?: number;
  /** Keep training the current weights when fit again (default true); false re-initialises. */
  warmStart?: boolean;
  /** L2 weight decay. Default 0. */
  weightDecay?: number;
  seed: number;
}

/**
 * The normalised delta loss: mean over rows and state dimensions of
 *   (out_ij - (s'_ij - s_ij - mu_j) / sigma_j)^2
 * where `out` are the network's raw (normalised) outputs. The same function the model trains on.
 */
export function normalizedDeltaLoss(
  out: readonly VecLike[],
  states: readonly VecLike[],
  nextStates: readonly VecLike[],
  mu: VecLike,
  sigma: VecLike,
): number {
  const n = out.length;
  if (states.length !== n || nextStates.length !== n)
    throw new ShapeError("normalizedDeltaLoss: out, states and nextStates need the same number of rows");
  if (n === 0) throw new ValueError("normalizedDeltaLoss: no rows");
  const d = mu.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      sum += (out[i][j] - normalizedDelta(states[i], nextStates[i], mu, sigma, j)) ** 2;
    }
  }
  return sum / (n * d);
}

/**
 * Start indices i such that transitions i, i+1, ..., i+k-1 form one recorded trajectory
 * (nextStates[i+j] is exactly states[i+j+1]): the windows the k-step loss unrolls over.
 */
export function trajectoryWindows(D: Dataset, k: number): number[] {
  const n = datasetSize(D);
  const linked = new Uint8Array(n); // linked[i] = transition i+1 continues transition i
  for (let i = 0; i + 1 < n; i++) {
    const a = D.nextStates[i],
      b = D.states[i + 1];
    let same = a.length === b.length;
    for (let j = 0; same && j < a.length; j++) same = a[j] === b[j];
    linked[i] = same ? 1 : 0;
  }
  const out: number[] = [];
  let run = 0; // number of consecutive links ending just before i + k - 1
  for (let i = n - 1; i >= 0; i--) {
    run = i + 1 < n && linked[i] ? run + 1 : 0;
    if (run >= k - 1) out.push(i);
  }
  return out.reverse();
}

export class MlpDynamicsModel implements DifferentiableModel {
  readonly name = "mlp";
  readonly stateDim: number;
  readonly actionDim: number;
  readonly cfg: Readonly<Required<MlpModelConfig>>;
  readonly inputSize: number;
  net: EnsembleMLP;
  /** mu_delta and sigma_delta of the last fit (identity before any fit). */
  deltaMean: Float64Array;
  deltaStd: Float64Array;
  private deltaMeanT: tf.Tensor1D;
  private deltaStdT: tf.Tensor1D;
  private readonly layout: InputLayout;
  private fits = 0;

  constructor(cfg: MlpModelConfig) {
    this.stateDim = checkInt("MlpDynamicsModel: stateDim", cfg.stateDim);
    this.actionDim = checkInt("MlpDynamicsModel: actionDim", cfg.actionDim);
    this.layout = inputLayout("MlpDynamicsModel", this.stateDim, this.actionDim, cfg.angleDims);
    const angleDims = this.layout.angleDims;
    this.cfg = {
      stateDim: cfg.stateDim,
      actionDim: cfg.actionDim,
      angleDims,
      hiddenSizes: cfg.hiddenSizes ?? [128, 128],
      activation: cfg.activation ?? "silu",
      learningRate: cfg.learningRate ?? 1e-3,
      batchSize: cfg.batchSize ?? 64,
      maxEpochs: cfg.maxEpochs ?? 100,
      patience: cfg.patience ?? 8,
      validFraction: cfg.validFraction ?? 0.1,
      kStep: checkInt("MlpDynamicsModel: kStep", cfg.kStep ?? 1),
      warmStart: cfg.warmStart ?? true,
      weightDecay: cfg.weightDecay ?? 0,
      seed: cfg.seed,
    };
    this.inputSize = this.layout.inputSize;
    this.net = this.makeNet(cfg.seed);
    this.deltaMean = new Float64Array(this.stateDim);
    this.deltaStd = new Float64Array(this.stateDim).fill(1);
    this.deltaMeanT = tf.keep(tf.tensor1d(Float32Array.from(this.deltaMean)));
    this.deltaStdT = tf.keep(tf.tensor1d(Float32Array.from(this.deltaStd)));
  }

  private makeNet(seed: number): EnsembleMLP {
    return new EnsembleMLP({
      inputSize: this.inputSize,
      outputSize: this.stateDim,
      hiddenSizes: this.cfg.hiddenSizes,
      activation: this.cfg.activation,
      learningRate: this.cfg.learningRate,
      weightDecay: this.cfg.weightDecay,
      seed,
    });
  }

  /** Network input for one (s, a): angles as (cos, sin), then the other state entries, then a. */
  features(s: VecLike, a: VecLike): number[] {
    const x = new Float64Array(this.inputSize);
    writeInput(this.layout, s, 0, a, 0, x, 0);
    return Array.from(x);
  }

  /** The same features in tf ops. */
  featuresTensor(S: tf.Tensor2D, A: tf.Tensor2D): tf.Tensor2D {
    if (this.cfg.angleDims.length === 0) return tf.concat([S, A], 1);
    const cols = tf.split(S, this.stateDim, 1) as tf.Tensor2D[];
    const parts: tf.Tensor2D[] = [];
    cols.forEach((c, j) => {
      if (this.layout.isAngle[j]) parts.push(tf.cos(c), tf.sin(c));
      else parts.push(c);
    });
    return tf.concat([...parts, A], 1);
  }

  /** The network's raw (normalised-delta) output for batches of states and actions. */
  rawOutputTensor(S: tf.Tensor2D, A: tf.Tensor2D): tf.Tensor2D {
    return this.net.forwardMembers(this.featuresTensor(S, A)).mean[0];
  }

  /** s' = s + mu + sigma * g(x), differentiable in S, A and the weights. */
  predictTensor(S: tf.Tensor2D, A: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(S, tf.add(this.deltaMeanT, tf.mul(this.deltaStdT, this.rawOutputTensor(S, A)))) as tf.Tensor2D);
  }

  predict(s: VecLike, a: VecLike): Float64Array {
    return predictOne(this, s, a);
  }

  predictBatch(S: Mat, A: Mat, _rng?: Rng): Mat {
    const n = checkBatch("MlpDynamicsModel.predictBatch", this, S, A);
    const out = tf.tidy(() =>
      this.predictTensor(
        tf.tensor2d(Float32Array.from(S.data), [n, this.stateDim]),
        tf.tensor2d(Float32Array.from(A.data), [n, this.actionDim]),
      ).dataSync(),
    );
    return mat(n, this.stateDim, Float64Array.from(out));
  }

  /** Mean squared normalised one-step error on D (the held-out criterion). */
  evaluate(D: Dataset): number {
    const n = datasetSize(D);
    if (n === 0) return NaN;
    const { X, Y } = this.arrays(D);
    return this.net.evaluate(X, Y, "mse");
  }

  /** Mean squared normalised k-step open-loop error over the windows of D starting at `starts`. */
  private kStepLossTensor(D: Dataset, starts: readonly number[], k: number): tf.Scalar {
    const ds = this.stateDim,
      da = this.actionDim,
      m = starts.length;
    const s0 = new Float32Array(m * ds);
    starts.forEach((i, r) => s0.set(D.states[i], r * ds));
    let S: tf.Tensor2D = tf.tensor2d(s0, [m, ds]);
    const errs: tf.Scalar[] = [];
    for (let j = 0; j < k; j++) {
      const a = new Float32Array(m * da),
        y = new Float32Array(m * ds);
      starts.forEach((i, r) => {
        a.set(D.actions[i + j], r * da);
        y.set(D.nextStates[i + j], r * ds);
      });
      S = this.predictTensor(S, tf.tensor2d(a, [m, da]));
      // Error in units of sigma_delta: step j's error weighs like a one-step error.
      errs.push(tf.mean(tf.square(tf.div(tf.sub(S, tf.tensor2d(y, [m, ds])), this.deltaStdT))));
    }
    return tf.div(tf.addN(errs), k) as tf.Scalar;
  }

  /** Inputs and normalised targets of D as Mats. */
  private arrays(D: Dataset): { X: Mat; Y: Mat } {
    const { x, y, n } = deltaArrays(this.layout, D, this.deltaMean, this.deltaStd, (len) => new Float64Array(len));
    return { X: mat(n, this.inputSize, x), Y: mat(n, this.stateDim, y) };
  }

  async fit(D: Dataset, opts: FitOptions = {}): Promise<FitReport> {
    const t0 = performance.now();
    const n = checkDataset("MlpDynamicsModel.fit", this, D);
    if (n < 2) throw new ValueError(`MlpDynamicsModel.fit: need at least 2 transitions, got ${n}`);
    const cfg = this.cfg;
    const rng = makeRng(refitSeed(cfg.seed, ++this.fits));
    if (!cfg.warmStart && this.fits > 1) {
      this.net.dispose();
      this.net = this.makeNet(refitSeed(cfg.seed, this.fits, 1));
    }
    const k = cfg.kStep;
    // Hold out whole windows for the k-step loss; single transitions otherwise.
    const useValid = cfg.validFraction > 0;
    const { train, valid } = useValid ? splitDataset(D, cfg.validFraction, rng) : { train: D, valid: subsetDataset(D, []) };

    // Normalisers from the training data.
    const stats = deltaStats(train.states, train.nextStates);
    this.setDeltaStats(stats.mean, stats.std);
    const { X, Y } = this.arrays(train);
    this.net.fitInputNormalizer(X);

    const windows = k > 1 ? trajectoryWindows(D, k) : [];
    if (k > 1 && windows.length === 0) throw new ValueError(`MlpDynamicsModel.fit: no ${k}-step trajectory windows in the data`);
    const nTrain = X.rows,
      din = this.inputSize,
      ds = this.stateDim;
    const bs = Math.min(cfg.batchSize, nTrain);
    const xs = Float32Array.from(X.data),
      ys = Float32Array.from(Y.data);
    const trainLoss: number[] = [],
      validLoss: number[] = [];
    let best = Infinity;
    let bestWeights: EnsembleWeights | null = null;
    let sinceBest = 0;
    // One-step training runs on ONNX Runtime where it loads (lib/nn/training.ts), tfjs otherwise.
    const onnx = k === 1 ? onnxTrainer(this.net, "mse") : null;
    try {
      for (let epoch = 0; epoch < cfg.maxEpochs; epoch++) {
        checkInterrupt();
        let sum = 0,
          count = 0;
        if (k === 1) {
          const order = rng.permutation(nTrain);
          for (let lo = 0; lo < nTrain; lo += bs) {
            const rows = Math.min(bs, nTrain - lo);
            const xb = new Float32Array(rows * din),
              yb = new Float32Array(rows * ds);
            for (let r = 0; r < rows; r++) {
              const i = order[lo + r];
              xb.set(xs.subarray(i * din, (i + 1) * din), r * din);
              yb.set(ys.subarray(i * ds, (i + 1) * ds), r * ds);
            }
            if (onnx) sum += onnx.step(xb, yb, rows) * rows;
            else {
              const xt = tf.tensor2d(xb, [rows, din]),
                yt = tf.tensor2d(yb, [rows, ds]);
              sum += this.net.trainStep(xt, yt, "mse") * rows;
              xt.dispose();
              yt.dispose();
            }
            count += rows;
          }
          onnx?.sync(); // the epoch's weights into the network, for the validation below
        } else {
          // k-step unrolled loss on random windows (as many windows per epoch as training rows; each
          // costs k model steps, so an epoch costs about k one-step epochs).
          const order = rng.permutation(windows.length).map((i) => windows[i]);
          const perEpoch = Math.max(1, Math.min(order.length, nTrain));
          for (let lo = 0; lo < perEpoch; lo += bs) {
            const starts = order.slice(lo, Math.min(lo + bs, perEpoch));
            sum += this.net.minimize(() => this.kStepLossTensor(D, starts, k)) * starts.length;
            count += starts.length;
          }
        }
        const tl = sum / count;
        trainLoss.push(tl);
        let vl: number | undefined;
        if (useValid && datasetSize(valid) > 0) {
          vl = this.evaluate(valid);
          validLoss.push(vl);
          if (vl < best) {
            best = vl;
            bestWeights = this.net.getWeights();
            sinceBest = 0;
          } else if (++sinceBest >= cfg.patience) {
            opts.onEpoch?.(epoch, tl, vl);
            break;
          }
        }
        opts.onEpoch?.(epoch, tl, vl);
        // Let a notebook's progress bar redraw between epochs.
        if (opts.onEpoch) await new Promise((r) => setImmediate(r));
      }
    } finally {
      onnx?.sync(); // also when interrupted mid-epoch: the steps taken are kept
    }
    if (bestWeights) this.net.setWeights(bestWeights);
    return { trainLoss, validLoss, epochs: trainLoss.length, seconds: (performance.now() - t0) / 1000 };
  }

  private setDeltaStats(mean: Float64Array, std: Float64Array): void {
    this.deltaMean = mean;
    this.deltaStd = std;
    this.deltaMeanT.dispose();
    this.deltaStdT.dispose();
    this.deltaMeanT = tf.keep(tf.tensor1d(Float32Array.from(mean)));
    this.deltaStdT = tf.keep(tf.tensor1d(Float32Array.from(std)));
  }

  /** Frees the network's tensors. */
  dispose(): void {
    this.net.dispose();
    this.deltaMeanT.dispose();
    this.deltaStdT.dispose();
  }
}
