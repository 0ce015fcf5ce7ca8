/**
 * Collocation (lecture 001): optimise the states AND the actions together,
 *
 *   max over x_1..x_H, a_0..a_{H-1} of  sum_t gamma^t r(x_t, a_t, x_{t+1})  (+ gamma^H V(x_H))
 *   subject to x_{t+1} = f(x_t, a_t),   x_0 = s0,
 *
 * with the dynamics as a quadratic penalty (rho / 2) * sum_t ||x_{t+1} - f(x_t, a_t)||^2 whose weight
 * rho grows round by round, so early on the states may "jump" towards high reward and later are pulled
 * back onto a trajectory the model can actually produce. Unlike shooting, every time step is evaluated
 * at once: the model sees all H (x_t, a_t) pairs in ONE batched call, and gradients do not flow through
 * a long chain of model calls (no exploding/vanishing products of Jacobians).
 */
import { type Rng, tf, ShapeError, checkInt, checkNumber } from "../core";
import { type VecLike, mat } from "../linalg/mat";
import { rollout } from "../models/types";
import { type Plan, type PlanProblem, type Planner, checkProblem, planReturn } from "./problem";
import { requireTensorProblem, squash, unsquash } from "./gradient";

export interface CollocationConfig {
  /** Adam steps in total (split evenly over the penalty rounds). */
  iterations: number;
  /** Adam learning rate (default 0.05). */
  learningRate?: number;
  /** Initial penalty weight rho (default 1). */
  rho0?: number;
  /** rho is multiplied by this after each round (default 10). */
  rhoGrowth?: number;
  /** Number of penalty rounds (default 4). */
  rounds?: number;
  /** Std of the random initial actions in z space when there is no warm start (default 0.3). */
  initStd?: number;
}

export interface CollocationPlan extends Plan {
  /** The optimised state trajectory x_1..x_H (it may still violate the dynamics slightly). */
  states: number[][];
  /** Largest |x_{t+1} - f(x_t, a_t)| entry at the end: how far from feasible the plan is. */
  maxDefect: number;
  /** Per Adam step: the penalised loss, the summed squared defect and rho. */
  history: { loss: number; defect: number; rho: number }[];
}

/** Plans by collocation from s0. `predictedReturn` is the return of the actions when SHOT through the model. */
export function collocation(
  p: PlanProblem,
  s0: VecLike,
  cfg: CollocationConfig,
  rng: Rng,
  warmStart?: readonly VecLike[],
): CollocationPlan {
  const { H, da, ds, gamma } = checkProblem(p);
  const { model, rewardTensor } = requireTensorProblem(p, "collocation");
  const iters = checkInt("collocation: iterations", cfg.iterations);
  const rounds = checkInt("collocation: rounds", cfg.rounds ?? 4);
  const lr = checkNumber("collocation: learningRate", cfg.learningRate ?? 0.05, 0);
  const growth = checkNumber("collocation: rhoGrowth", cfg.rhoGrowth ?? 10, 1);
  let rho = checkNumber("collocation: rho0", cfg.rho0 ?? 1, 0);
  const initStd = cfg.initStd ?? 0.3;
  if (s0.length !== ds) throw new ShapeError(`collocation: s0 has length ${s0.length}, expected ${ds}`);
  if (warmStart && warmStart.length !== H) throw new ShapeError(`collocation: warmStart has ${warmStart.length} actions, expected ${H}`);

  // Initial guess: actions from the warm start (or small random), states from rolling them out.
  const z0: number[][] = [];
  const a0: number[][] = [];
  for (let t = 0; t < H; t++) {
    const z = Array.from({ length: da }, (_, k) =>
      warmStart ? unsquash(warmStart[t][k], p.actionLow[k], p.actionHigh[k]) : initStd * rng.normal(),
    );
    z0.push(z);
    a0.push(z.map((v, k) => 0.5 * (p.actionLow[k] + p.actionHigh[k]) + 0.5 * (p.actionHigh[k] - p.actionLow[k]) * Math.tanh(v)));
  }
  const x0 = rollout(model, s0, a0, rng).slice(1);

  const X = tf.variable(tf.tensor2d(x0, [H, ds]));
  const Zu = tf.variable(tf.tensor2d(z0, [H, da]));
  const s0Row = tf.tensor2d([Array.from(s0)], [1, ds]);
  const weights = tf.tensor1d(Array.from({ length: H }, (_, t) => gamma ** t));
  const optimizer = tf.train.adam(lr);
  const history: CollocationPlan["history"] = [];
  const perRound = Math.max(1, Math.floor(iters / rounds));
  try {
    for (let it = 0; it < iters; it++) {
      if (it > 0 && it % perRound === 0) rho *= growth;
      let defectValue = 0;
      const loss = optimizer.minimize(
        () => {
          const U = squash(Zu, p.actionLow, p.actionHigh);
          const Xprev = tf.concat([s0Row, X.slice([0, 0], [H - 1, ds])], 0) as tf.Tensor2D;
          const pred = model.predictTensor(Xprev, U); // all H steps in one call
          const defect = tf.sum(tf.square(tf.sub(X, pred)));
          defectValue = defect.dataSync()[0];
          let J: tf.Tensor = tf.sum(tf.mul(weights, rewardTensor(Xprev, U, X as tf.Tensor2D)));
          if (p.terminalValueTensor) {
            J = tf.add(J, tf.mul(gamma ** H, tf.sum(p.terminalValueTensor(X.slice([H - 1, 0], [1, ds]) as tf.Tensor2D))));
          }
          return tf.add(tf.neg(J), tf.mul(0.5 * rho, defect)) as tf.Scalar;
        },
        true,
        [X, Zu],
      );
      history.push({ loss: loss ? loss.dataSync()[0] : NaN, defect: defectValue, rho });
      loss?.dispose();
    }
    const actions = tf.tidy(() => squash(Zu, p.actionLow, p.actionHigh).arraySync()) as number[][];
    const states = X.arraySync() as number[][];
    // Feasibility: compare each optimised state with the model's prediction from the previous one.
    const prev = [Array.from(s0), ...states.slice(0, H - 1)];
    const pred = model.predictBatch(mat(H, ds, Float64Array.from(prev.flat())), mat(H, da, Float64Array.from(actions.flat())), rng);
    let maxDefect = 0;
    for (let i = 0; i < H * ds; i++) maxDefect = Math.max(maxDefect, Math.abs(pred.data[i] - states[Math.floor(i / ds)][i % ds]));
    return { actions, predictedReturn: planReturn(p, s0, actions, rng), states, maxDefect, history };
  } finally {
    X.dispose();
    Zu.dispose();
    s0Row.dispose();
    weights.dispose();
    optimizer.dispose();
  }
}

/** Collocation as a `Planner` for MPC. */
export function collocationPlanner(p: PlanProblem, cfg: CollocationConfig): Planner {
  return (s0, rng, warmStart) => collocation(p, s0, cfg, rng, warmStart);
}
