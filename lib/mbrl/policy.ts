/**
 * A deterministic neural policy a = pi_theta(s) for version 2.0 and for DAgger distillation:
 * an MLP (lib/nn) on the state features (angles as cos and sin), squashed into the action box by
 *   a = mid + half * tanh(net(features(s))),
 * so every action it outputs is feasible and the gradient stays finite at the bounds.
 */
import { type Rng, tf, checkInt, makeRng } from "../core";
import type { VecLike } from "../linalg/mat";
import { EnsembleMLP } from "../nn/ensemble";
import type { Activation } from "../nn/ops";
import type { StatePolicy } from "./collect";
import { checkInterrupt } from "../core/interrupt";

export interface PolicyConfig {
  stateDim: number;
  actionDim: number;
  actionLow: readonly number[];
  actionHigh: readonly number[];
  /** State dimensions that are angles (fed as cos, sin). */
  angleDims?: readonly number[];
  /** Default [64, 64]. */
  hiddenSizes?: readonly number[];
  /** Default "tanh". */
  activation?: Activation;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  seed: number;
}

export class NeuralPolicy {
  readonly net: EnsembleMLP;
  readonly cfg: PolicyConfig;
  private readonly mid: tf.Tensor1D;
  private readonly half: tf.Tensor1D;
  private readonly isAngle: boolean[];

  constructor(cfg: PolicyConfig) {
    this.cfg = cfg;
    checkInt("NeuralPolicy: stateDim", cfg.stateDim);
    checkInt("NeuralPolicy: actionDim", cfg.actionDim);
    const angles = cfg.angleDims ?? [];
    this.isAngle = Array.from({ length: cfg.stateDim }, (_, j) => angles.includes(j));
    this.net = new EnsembleMLP({
      inputSize: cfg.stateDim + angles.length,
      outputSize: cfg.actionDim,
      hiddenSizes: cfg.hiddenSizes ?? [64, 64],
      activation: cfg.activation ?? "tanh",
      learningRate: cfg.learningRate ?? 1e-3,
      seed: cfg.seed,
    });
    this.mid = tf.keep(tf.tensor1d(cfg.actionLow.map((l, k) => 0.5 * (l + cfg.actionHigh[k]))));
    this.half = tf.keep(tf.tensor1d(cfg.actionLow.map((l, k) => 0.5 * (cfg.actionHigh[k] - l))));
  }

  private features(S: tf.Tensor2D): tf.Tensor2D {
    if (!this.isAngle.some(Boolean)) return S;
    const cols = tf.split(S, this.cfg.stateDim, 1) as tf.Tensor2D[];
    const parts: tf.Tensor2D[] = [];
    cols.forEach((c, j) => (this.isAngle[j] ? parts.push(tf.cos(c), tf.sin(c)) : parts.push(c)));
    return tf.concat(parts, 1);
  }

  /** Actions for a batch of states, differentiable in the states and the weights. */
  actTensor(S: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(this.mid, tf.mul(this.half, tf.tanh(this.net.forwardMembers(this.features(S)).mean[0]))) as tf.Tensor2D);
  }

  /** The action for one state. */
  act(s: VecLike): number[] {
    return tf.tidy(() => Array.from(this.actTensor(tf.tensor2d([Array.from(s)], [1, this.cfg.stateDim])).dataSync()));
  }

  /** The policy for `runEpisode`, optionally with Gaussian exploration noise (clipped to the box). */
  asStatePolicy(noiseStd = 0, rng: Rng = makeRng(0)): StatePolicy {
    return (s) =>
      this.act(s).map((a, k) => {
        const v = noiseStd > 0 ? a + noiseStd * rng.normal() : a;
        return Math.min(Math.max(v, this.cfg.actionLow[k]), this.cfg.actionHigh[k]);
      });
  }

  /**
   * Supervised regression onto target actions (behaviour cloning / DAgger): `epochs` passes of
   * minibatch Adam on mean ||pi(s) - a*||^2. Returns the loss of each epoch.
   */
  fitActions(states: readonly VecLike[], targets: readonly VecLike[], epochs: number, batchSize: number, rng: Rng): number[] {
    const n = states.length,
      ds = this.cfg.stateDim,
      da = this.cfg.actionDim;
    const losses: number[] = [];
    for (let e = 0; e < epochs; e++) {
      checkInterrupt();
      const order = rng.permutation(n);
      let sum = 0;
      for (let lo = 0; lo < n; lo += batchSize) {
        const idx = order.slice(lo, lo + batchSize);
        const S = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(states[i]))), [idx.length, ds]);
        const A = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(targets[i]))), [idx.length, da]);
        sum += this.net.minimize(() => tf.mean(tf.squaredDifference(this.actTensor(S), A)) as tf.Scalar) * idx.length;
        S.dispose();
        A.dispose();
      }
      losses.push(sum / n);
    }
    return losses;
  }

  dispose(): void {
    this.net.dispose();
    this.mid.dispose();
    this.half.dispose();
  }
}
