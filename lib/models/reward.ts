/**
 * A learned reward model r_hat(s, a, s') for when the reward is not known (lectures 000, 001: "kinds of
 * models"). A small MLP (lib/nn) regresses the observed rewards by minibatch Adam on the mean squared
 * error of the normalised reward, inputs normalised inside the network. Angle dimensions enter as
 * (cos, sin), as in the dynamics MLP.
 *
 * `inputs` says what the reward depends on: "next" (r = g(s'), e.g. the hill's height after the step),
 * "stateAction" (r = g(s, a), e.g. the pendulum's cost at the pre-step state) or "all" (s, a, s').
 */
import { type Rng, tf, ValueError, checkInt, freshSeed, makeRng, refitSeed } from "../core";
import { type Mat, mat } from "../linalg/mat";
import { EnsembleMLP } from "../nn/ensemble";
import type { Activation } from "../nn/ops";
import { type Dataset, type FitOptions, type FitReport, type RewardFunction, datasetSize } from "./types";

/** Refit seed stride of the reward model, other than the dynamics models' so the two never share a stream. */
const REWARD_REFIT_SEED_STRIDE = 104729;

export type RewardInputs = "next" | "stateAction" | "all";

export interface RewardModelConfig {
  stateDim: number;
  actionDim: number;
  inputs: RewardInputs;
  angleDims?: readonly number[];
  /** Default [64, 64]. */
  hiddenSizes?: readonly number[];
  activation?: Activation;
  learningRate?: number;
  batchSize?: number;
  /** Epochs per fit (default 100). */
  epochs?: number;
  seed: number;
}

export class RewardModel implements RewardFunction {
  readonly cfg: RewardModelConfig;
  readonly net: EnsembleMLP;
  private readonly isAngle: boolean[];
  /** Mean and std of the training rewards (targets are normalised by them). */
  rewardMean = 0;
  rewardStd = 1;
  private fits = 0;

  constructor(cfg: RewardModelConfig) {
    this.cfg = cfg;
    checkInt("RewardModel: stateDim", cfg.stateDim);
    checkInt("RewardModel: actionDim", cfg.actionDim);
    const angles = cfg.angleDims ?? [];
    this.isAngle = Array.from({ length: cfg.stateDim }, (_, j) => angles.includes(j));
    const sFeat = cfg.stateDim + angles.length;
    const inputSize = cfg.inputs === "next" ? sFeat : cfg.inputs === "stateAction" ? sFeat + cfg.actionDim : 2 * sFeat + cfg.actionDim;
    this.net = new EnsembleMLP({
      inputSize,
      outputSize: 1,
      hiddenSizes: cfg.hiddenSizes ?? [64, 64],
      activation: cfg.activation ?? "silu",
      learningRate: cfg.learningRate ?? 1e-3,
      seed: cfg.seed,
    });
  }

  private stateFeatures(s: ArrayLike<number>, out: number[]): void {
    for (let j = 0; j < this.cfg.stateDim; j++) {
      if (this.isAngle[j]) out.push(Math.cos(s[j]), Math.sin(s[j]));
      else out.push(s[j]);
    }
  }

  /** Network input for one transition. */
  features(s: ArrayLike<number>, a: ArrayLike<number>, s2: ArrayLike<number>): number[] {
    const x: number[] = [];
    if (this.cfg.inputs !== "next") {
      this.stateFeatures(s, x);
      for (let k = 0; k < this.cfg.actionDim; k++) x.push(a[k]);
    }
    if (this.cfg.inputs !== "stateAction") this.stateFeatures(s2, x);
    return x;
  }

  private stateFeaturesTensor(S: tf.Tensor2D): tf.Tensor2D[] {
    if (!this.isAngle.some(Boolean)) return [S];
    const cols = tf.split(S, this.cfg.stateDim, 1) as tf.Tensor2D[];
    const parts: tf.Tensor2D[] = [];
    cols.forEach((c, j) => (this.isAngle[j] ? parts.push(tf.cos(c), tf.sin(c)) : parts.push(c)));
    return parts;
  }

  tensor(S: tf.Tensor2D, A: tf.Tensor2D, S2: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.cfg.inputs !== "next") parts.push(...this.stateFeaturesTensor(S), A);
      if (this.cfg.inputs !== "stateAction") parts.push(...this.stateFeaturesTensor(S2));
      const out = this.net.forwardMembers(parts.length === 1 ? parts[0] : tf.concat(parts, 1)).mean[0];
      return tf.add(this.rewardMean, tf.mul(this.rewardStd, out)).reshape([-1]) as tf.Tensor1D;
    });
  }

  batch(S: Mat, A: Mat, S2: Mat): Float64Array {
    const n = S.rows;
    const out = tf.tidy(() =>
      this.tensor(
        tf.tensor2d(Float32Array.from(S.data), [n, S.cols]),
        tf.tensor2d(Float32Array.from(A.data), [n, A.cols]),
        tf.tensor2d(Float32Array.from(S2.data), [n, S2.cols]),
      ).dataSync(),
    );
    return Float64Array.from(out);
  }

  /** Fits on the rewards of D (continuing from the current weights). Loss: MSE of normalised rewards. */
  async fit(D: Dataset, opts: FitOptions = {}): Promise<FitReport> {
    const t0 = performance.now();
    const n = datasetSize(D);
    if (n < 2) throw new ValueError(`RewardModel.fit: need at least 2 transitions, got ${n}`);
    let m = 0;
    for (const r of D.rewards) m += r / n;
    let v = 0;
    for (const r of D.rewards) v += (r - m) ** 2 / n;
    this.rewardMean = m;
    this.rewardStd = Math.max(Math.sqrt(v), 1e-6);
    const rows = D.states.map((s, i) => this.features(s, D.actions[i], D.nextStates[i]));
    const X = mat(n, rows[0].length, Float64Array.from(rows.flat()));
    const Y = mat(
      n,
      1,
      Float64Array.from(D.rewards, (r) => (r - this.rewardMean) / this.rewardStd),
    );
    const rng: Rng = makeRng(refitSeed(this.cfg.seed, ++this.fits, REWARD_REFIT_SEED_STRIDE));
    const { losses } = this.net.fit(X, Y, {
      epochs: this.cfg.epochs ?? 100,
      batchSize: this.cfg.batchSize ?? 64,
      seed: freshSeed(rng),
      onEpoch: opts.onEpoch ? (e, l) => opts.onEpoch!(e, l, undefined) : undefined,
    });
    return { trainLoss: losses, validLoss: [], epochs: losses.length, seconds: (performance.now() - t0) / 1000 };
  }

  dispose(): void {
    this.net.dispose();
  }
}
