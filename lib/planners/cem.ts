/**
 * The cross-entropy method (CEM) over action sequences (lectures 000, 001, 004; PETS):
 *
 *   1. sample a population of sequences from N(mean, diag(std^2)), clipped to the action box
 *   2. predict each one's return through the model (one batched model call per time step)
 *   3. keep the elites (the best few)
 *   4. refit: mean and std move towards the elites' mean and std, smoothed by alpha, std floored
 *   repeat 1-4 for a few iterations; the plan is the best sequence seen.
 *
 * The floor on std keeps the search from collapsing onto one sequence too early (and lets MPC keep
 * exploring around a warm start); smoothing keeps one lucky population from throwing the mean away.
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import type { VecLike } from "../linalg/mat";
import { type Plan, type PlanProblem, type Planner, checkProblem, clipSequences, evaluateSequences, makeSequences, topK } from "./problem";

export interface CemConfig {
  /** Candidates per iteration. */
  population: number;
  /** How many of the best candidates the distribution is refitted to. */
  elites: number;
  /** Sample-evaluate-refit rounds. */
  iterations: number;
  /** Weight of the OLD mean/variance in the refit (0: jump to the elites; PETS uses 0.1). Default 0.1. */
  alpha?: number;
  /** Lower bound on every std after a refit, as a fraction of each action's range (default 0.02). */
  minStdFraction?: number;
  /** Initial std, as a fraction of each action's range (default 0.5). */
  initStdFraction?: number;
}

/** One iteration's sampling distribution and scores, for plots of CEM narrowing down. */
export interface CemIteration {
  mean: Float64Array;
  std: Float64Array;
  /** Predicted returns of that iteration's population. */
  returns: Float64Array;
  /** The first action (dimension 0) of each candidate: where the population sampled a_0. */
  firstActions: Float64Array;
  eliteMeanReturn: number;
}

export interface CemPlan extends Plan {
  /** The final sampling mean (H x actionDim, flat): MPC shifts it to warm-start the next decision. */
  mean: Float64Array;
  history?: CemIteration[];
}

/**
 * The CEM refit (step 4). `elites` are K flattened sequences (each of length H * actionDim).
 *   mean' = alpha * mean + (1 - alpha) * mean(elites)
 *   var'  = alpha * std^2 + (1 - alpha) * var(elites)          (population variance, divide by K)
 *   std'  = max(sqrt(var'), minStd)
 */
export function cemRefit(
  elites: readonly ArrayLike<number>[],
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  alpha: number,
  minStd: number | ArrayLike<number>,
): { mean: Float64Array; std: Float64Array } {
  const K = elites.length;
  const d = mean.length;
  if (K === 0) throw new ValueError("cemRefit: need at least one elite");
  if (std.length !== d) throw new ShapeError(`cemRefit: std has length ${std.length}, mean has ${d}`);
  checkNumber("cemRefit: alpha", alpha, 0, 1);
  const newMean = new Float64Array(d);
  const newStd = new Float64Array(d);
  for (const e of elites) {
    if (e.length !== d) throw new ShapeError(`cemRefit: an elite has length ${e.length}, expected ${d}`);
  }
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < K; i++) m += elites[i][j];
    m /= K;
    let v = 0;
    for (let i = 0; i < K; i++) v += (elites[i][j] - m) ** 2;
    v /= K;
    newMean[j] = alpha * mean[j] + (1 - alpha) * m;
    const floor = typeof minStd === "number" ? minStd : minStd[j];
    newStd[j] = Math.max(Math.sqrt(alpha * std[j] * std[j] + (1 - alpha) * v), floor);
  }
  return { mean: newMean, std: newStd };
}

/** Plans by CEM from s0. `warmStart` (H rows) seeds the initial mean; otherwise the box's middle. */
export function cemPlan(
  p: PlanProblem,
  s0: VecLike,
  cfg: CemConfig,
  rng: Rng,
  warmStart?: readonly VecLike[],
  recordHistory = false,
): CemPlan {
  const { H, da } = checkProblem(p);
  const N = checkInt("cemPlan: population", cfg.population);
  const K = checkInt("cemPlan: elites", cfg.elites);
  const iters = checkInt("cemPlan: iterations", cfg.iterations);
  if (K > N) throw new ValueError(`cemPlan: elites (${K}) must not exceed population (${N})`);
  const alpha = cfg.alpha ?? 0.1;
  const d = H * da;
  const range = Array.from({ length: da }, (_, k) => p.actionHigh[k] - p.actionLow[k]);
  const minStd = new Float64Array(d);
  let mean: Float64Array = new Float64Array(d);
  let std: Float64Array = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const k = j % da;
    minStd[j] = (cfg.minStdFraction ?? 0.02) * range[k];
    std[j] = (cfg.initStdFraction ?? 0.5) * range[k];
    mean[j] = 0.5 * (p.actionLow[k] + p.actionHigh[k]);
  }
  if (warmStart) {
    if (warmStart.length !== H) throw new ShapeError(`cemPlan: warmStart has ${warmStart.length} actions, expected ${H}`);
    for (let t = 0; t < H; t++) for (let k = 0; k < da; k++) mean[t * da + k] = warmStart[t][k];
  }

  const history: CemIteration[] = [];
  let bestReturn = -Infinity;
  let best: Float64Array = mean.slice();
  for (let it = 0; it < iters; it++) {
    // 1. sample (candidate 0 is the current mean itself, so a good warm start is never lost)
    const seqs = makeSequences(N, H, da);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < d; j++) seqs.data[i * d + j] = i === 0 ? mean[j] : mean[j] + std[j] * rng.normal();
    }
    clipSequences(seqs, p.actionLow, p.actionHigh);
    // 2. evaluate
    const { returns } = evaluateSequences(p, s0, seqs, rng);
    // 3. elites
    const eliteIdx = topK(returns, K);
    if (returns[eliteIdx[0]] > bestReturn) {
      bestReturn = returns[eliteIdx[0]];
      best = seqs.data.slice(eliteIdx[0] * d, (eliteIdx[0] + 1) * d);
    }
    const elites = eliteIdx.map((i) => seqs.data.subarray(i * d, (i + 1) * d));
    if (recordHistory) {
      const firstActions = new Float64Array(N);
      for (let i = 0; i < N; i++) firstActions[i] = seqs.data[i * d];
      let em = 0;
      for (const i of eliteIdx) em += returns[i];
      history.push({ mean: mean.slice(), std: std.slice(), returns, firstActions, eliteMeanReturn: em / K });
    }
    // 4. refit
    ({ mean, std } = cemRefit(elites, mean, std, alpha, minStd));
  }
  const actions: number[][] = [];
  for (let t = 0; t < H; t++) actions.push(Array.from(best.subarray(t * da, (t + 1) * da)));
  const plan: CemPlan = { actions, predictedReturn: bestReturn, mean };
  if (recordHistory) plan.history = history;
  return plan;
}

/** CEM as a `Planner` for MPC (warm start from the shifted previous plan). */
export function cemPlanner(p: PlanProblem, cfg: CemConfig): Planner {
  return (s0, rng, warmStart) => cemPlan(p, s0, cfg, rng, warmStart);
}
