/**
 * Gradient-based shooting (lectures 001, 004): treat the action sequence as parameters and climb
 * J(a) = sum_t gamma^t r(s_t, a_t, s_{t+1}) (+ gamma^H V(s_H)) with Adam, backpropagating through the
 * unrolled model s_{t+1} = f(s_t, a_t). Needs a DifferentiableModel and a reward with a `tensor` form.
 *
 * Actions are kept in the box by a tanh squash a = mid + half * tanh(z), so Adam works on an
 * unbounded z. Several restarts run side by side as rows of one batch: gradient shooting finds LOCAL
 * optima (lecture 001's failure mode), and the spread of the restarts' returns shows it.
 */
import { type Rng, tf, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import type { VecLike } from "../linalg/mat";
import { isDifferentiable } from "../models/types";
import { type Plan, type PlanProblem, type Planner, checkProblem, evaluateSequences, makeSequences, sequenceRows } from "./problem";

export interface GradientShootingConfig {
  /** Adam steps. */
  iterations: number;
  /** Adam learning rate on the unsquashed actions z. Default 0.1. */
  learningRate?: number;
  /** Independent starting points optimised together (default 1). */
  restarts?: number;
  /** Std of the random initial z (restarts after the first, or all without a warm start). Default 0.5. */
  initStd?: number;
}

export interface GradientPlan extends Plan {
  /** -J (summed over restarts) after each Adam step: the optimisation curve. */
  lossHistory: number[];
  /** Predicted return of each restart at the end. */
  restartReturns: number[];
}

/** The tfjs pieces shared by gradient shooting and collocation. */
export function requireTensorProblem(p: PlanProblem, who: string) {
  const model = p.model;
  if (!isDifferentiable(model)) throw new ValueError(`${who}: the model "${model.name}" is not differentiable (needs predictTensor)`);
  const rewardTensor = p.reward.tensor;
  if (!rewardTensor) throw new ValueError(`${who}: the reward has no tensor form (reward.tensor)`);
  if (p.terminalValue && !p.terminalValueTensor) {
    throw new ValueError(`${who}: a terminal value needs its tensor form too (terminalValueTensor)`);
  }
  return { model, rewardTensor: rewardTensor.bind(p.reward) };
}

/** z -> a = mid + half * tanh(z), per action dimension. */
export function squash(z: tf.Tensor2D, low: readonly number[], high: readonly number[]): tf.Tensor2D {
  const mid = tf.tensor1d(low.map((l, k) => 0.5 * (l + high[k])));
  const half = tf.tensor1d(low.map((l, k) => 0.5 * (high[k] - l)));
  return tf.add(mid, tf.mul(half, tf.tanh(z))) as tf.Tensor2D;
}

/** Inverse of `squash` for a plain action, pulled slightly inside the box so atanh stays finite. */
export function unsquash(a: number, low: number, high: number): number {
  const u = (2 * (a - low)) / (high - low) - 1;
  const c = Math.min(Math.max(u, -0.995), 0.995);
  return Math.atanh(c);
}

/** Plans by Adam on the action sequence through the differentiable model. */
export function gradientShooting(
  p: PlanProblem,
  s0: VecLike,
  cfg: GradientShootingConfig,
  rng: Rng,
  warmStart?: readonly VecLike[],
): GradientPlan {
  const { H, da, ds, gamma } = checkProblem(p);
  const { model, rewardTensor } = requireTensorProblem(p, "gradientShooting");
  const iters = checkInt("gradientShooting: iterations", cfg.iterations);
  const R = checkInt("gradientShooting: restarts", cfg.restarts ?? 1);
  const lr = checkNumber("gradientShooting: learningRate", cfg.learningRate ?? 0.1, 0);
  const initStd = cfg.initStd ?? 0.5;
  if (s0.length !== ds) throw new ShapeError(`gradientShooting: s0 has length ${s0.length}, expected ${ds}`);
  if (warmStart && warmStart.length !== H)
    throw new ShapeError(`gradientShooting: warmStart has ${warmStart.length} actions, expected ${H}`);

  // One variable per time step, each R x da (row r = restart r).
  const z0 = new Float32Array(H * R * da);
  for (let t = 0; t < H; t++) {
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < da; k++) {
        z0[(t * R + r) * da + k] =
          r === 0 && warmStart ? unsquash(warmStart[t][k], p.actionLow[k], p.actionHigh[k]) : initStd * rng.normal();
      }
    }
  }
  const Z = Array.from({ length: H }, (_, t) => tf.variable(tf.tensor2d(z0.subarray(t * R * da, (t + 1) * R * da), [R, da])));
  const optimizer = tf.train.adam(lr);
  const S0 = tf.tensor2d(
    Array.from({ length: R }, () => Array.from(s0)),
    [R, ds],
  );
  const lossHistory: number[] = [];
  try {
    for (let it = 0; it < iters; it++) {
      const loss = optimizer.minimize(
        () => {
          let S: tf.Tensor2D = S0;
          let J: tf.Tensor = tf.zeros([R]);
          let discount = 1;
          for (let t = 0; t < H; t++) {
            const A = squash(Z[t], p.actionLow, p.actionHigh);
            const S2 = model.predictTensor(S, A);
            J = tf.add(J, tf.mul(discount, rewardTensor(S, A, S2)));
            discount *= gamma;
            S = S2;
          }
          if (p.terminalValueTensor) J = tf.add(J, tf.mul(discount, p.terminalValueTensor(S)));
          return tf.neg(tf.sum(J)) as tf.Scalar;
        },
        true,
        Z,
      );
      lossHistory.push(loss ? loss.dataSync()[0] : NaN);
      loss?.dispose();
    }
    // Score every restart with the model's own numeric prediction and keep the best.
    const seqs = makeSequences(R, H, da);
    for (let t = 0; t < H; t++) {
      const a = tf.tidy(() => squash(Z[t], p.actionLow, p.actionHigh).dataSync());
      for (let r = 0; r < R; r++) for (let k = 0; k < da; k++) seqs.data[(r * H + t) * da + k] = a[r * da + k];
    }
    const { returns } = evaluateSequences(p, s0, seqs, rng);
    let best = 0;
    for (let r = 1; r < R; r++) if (returns[r] > returns[best]) best = r;
    return { actions: sequenceRows(seqs, best), predictedReturn: returns[best], lossHistory, restartReturns: Array.from(returns) };
  } finally {
    for (const z of Z) z.dispose();
    S0.dispose();
    optimizer.dispose();
  }
}

/** Gradient shooting as a `Planner` for MPC. */
export function gradientShootingPlanner(p: PlanProblem, cfg: GradientShootingConfig): Planner {
  return (s0, rng, warmStart) => gradientShooting(p, s0, cfg, rng, warmStart);
}
