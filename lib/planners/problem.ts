/**
 * What every planner solves (lectures 000, 001, 004): choose H actions a_0..a_{H-1} that maximise
 *
 *   J(a) = sum_{t=0}^{H-1} gamma^t r(s_t, a_t, s_{t+1}) + gamma^H V(s_H),   s_{t+1} = f(s_t, a_t),
 *
 * through a model f (any DynamicsModel, the true dynamics included), with an optional terminal value
 * V that bootstraps what happens after the horizon. This file holds the problem description, the
 * plan a planner returns, and the batched evaluation of many candidate action sequences that the
 * sampling planners (random shooting, CEM) share: ONE model call per time step for all candidates.
 */
import { type Rng, tf, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import type { DynamicsModel, RewardFunction } from "../models/types";

/** A planning problem: the model, the reward, the horizon and the action box. */
export interface PlanProblem {
  model: DynamicsModel;
  reward: RewardFunction;
  /** Planning horizon H (number of actions in a plan). */
  horizon: number;
  /** Per-dimension action bounds (length actionDim). */
  actionLow: readonly number[];
  actionHigh: readonly number[];
  /** Discount gamma (default 1). */
  gamma?: number;
  /** Optional terminal value V(s_H), batched: one value per row; added as gamma^H V(s_H). */
  terminalValue?: (S: Mat) => Float64Array;
  /** The same V in tf ops, for the gradient-based planners. */
  terminalValueTensor?: (S: tf.Tensor2D) => tf.Tensor1D;
}

/** A plan: H actions (rows of actionDim) and what the model predicts for them. */
export interface Plan {
  actions: number[][];
  /** J of `actions` under the model. */
  predictedReturn: number;
}

/** Checks a problem and returns its sizes. */
export function checkProblem(p: PlanProblem): { H: number; da: number; ds: number; gamma: number } {
  const H = checkInt("plan: horizon", p.horizon);
  const da = p.model.actionDim;
  if (p.actionLow.length !== da || p.actionHigh.length !== da) {
    throw new ShapeError(`plan: actionLow/actionHigh must have length ${da} (the model's actionDim)`);
  }
  for (let k = 0; k < da; k++) {
    if (!(p.actionLow[k] < p.actionHigh[k]) || !Number.isFinite(p.actionHigh[k] - p.actionLow[k])) {
      throw new ValueError(`plan: action bound ${k} must be finite with low < high, got [${p.actionLow[k]}, ${p.actionHigh[k]}]`);
    }
  }
  const gamma = checkNumber("plan: gamma", p.gamma ?? 1, 0, 1);
  return { H, da, ds: p.model.stateDim, gamma };
}

/**
 * Candidate action sequences, flat: entry (n, t, k) is data[(n * H + t) * da + k]. Kept flat so
 * sampling and refitting touch one typed array.
 */
export interface Sequences {
  readonly n: number;
  readonly H: number;
  readonly da: number;
  readonly data: Float64Array;
}

/** n sequences of zeros. */
export function makeSequences(n: number, H: number, da: number): Sequences {
  return { n, H, da, data: new Float64Array(n * H * da) };
}

/** Clips every action of every sequence into the box, in place. */
export function clipSequences(seqs: Sequences, low: readonly number[], high: readonly number[]): void {
  const { data, da } = seqs;
  for (let i = 0; i < data.length; i++) {
    const k = i % da;
    if (data[i] < low[k]) data[i] = low[k];
    else if (data[i] > high[k]) data[i] = high[k];
  }
}

/** Sequence n as H rows of actions. */
export function sequenceRows(seqs: Sequences, n: number): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < seqs.H; t++) {
    const base = (n * seqs.H + t) * seqs.da;
    out.push(Array.from(seqs.data.subarray(base, base + seqs.da)));
  }
  return out;
}

/** Copies plain H x da rows into sequence n. */
export function setSequence(seqs: Sequences, n: number, rows: readonly VecLike[]): void {
  if (rows.length !== seqs.H) throw new ShapeError(`setSequence: expected ${seqs.H} actions, got ${rows.length}`);
  for (let t = 0; t < seqs.H; t++) {
    if (rows[t].length !== seqs.da) throw new ShapeError(`setSequence: action ${t} has length ${rows[t].length}, expected ${seqs.da}`);
    for (let k = 0; k < seqs.da; k++) seqs.data[(n * seqs.H + t) * seqs.da + k] = rows[t][k];
  }
}

/**
 * J for every candidate sequence from the same start state s0. The candidates advance together:
 * one `predictBatch` call and one reward call per time step for the whole population.
 * Returns one return per candidate and, when `keepStates`, the predicted states (H + 1 Mats, n rows).
 */
export function evaluateSequences(
  p: PlanProblem,
  s0: VecLike,
  seqs: Sequences,
  rng?: Rng,
  keepStates = false,
): { returns: Float64Array; states?: Mat[] } {
  const { H, da, ds, gamma } = checkProblem(p);
  if (seqs.H !== H || seqs.da !== da)
    throw new ShapeError(`evaluateSequences: sequences are ${seqs.H} x ${seqs.da}, problem is ${H} x ${da}`);
  if (s0.length !== ds) throw new ShapeError(`evaluateSequences: s0 has length ${s0.length}, expected ${ds}`);
  const n = seqs.n;
  let S = mat(n, ds);
  for (let i = 0; i < n; i++) for (let j = 0; j < ds; j++) S.data[i * ds + j] = s0[j];
  const states: Mat[] = keepStates ? [S] : [];
  const returns = new Float64Array(n);
  let discount = 1;
  for (let t = 0; t < H; t++) {
    const A = mat(n, da);
    for (let i = 0; i < n; i++) {
      const src = (i * H + t) * da;
      for (let k = 0; k < da; k++) A.data[i * da + k] = seqs.data[src + k];
    }
    const S2 = p.model.predictBatch(S, A, rng);
    const r = p.reward.batch(S, A, S2);
    for (let i = 0; i < n; i++) returns[i] += discount * r[i];
    discount *= gamma;
    S = S2;
    if (keepStates) states.push(S);
  }
  if (p.terminalValue) {
    const V = p.terminalValue(S);
    if (V.length !== n) throw new ShapeError(`terminalValue: returned ${V.length} values for ${n} states`);
    for (let i = 0; i < n; i++) returns[i] += discount * V[i];
  }
  for (let i = 0; i < n; i++) {
    // A NaN return would silently lose every comparison; make it the worst instead and keep going.
    if (Number.isNaN(returns[i])) returns[i] = -Infinity;
  }
  return keepStates ? { returns, states } : { returns };
}

/** J of one plan (plain rows) under the problem's model. */
export function planReturn(p: PlanProblem, s0: VecLike, actions: readonly VecLike[], rng?: Rng): number {
  const { H, da } = checkProblem(p);
  const seqs = makeSequences(1, H, da);
  setSequence(seqs, 0, actions);
  return evaluateSequences(p, s0, seqs, rng).returns[0];
}

/** Indices of the k largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a]);
  return idx.slice(0, k);
}

/**
 * Anything that turns a start state into a plan. `warmStart`, when given, is a previous plan already
 * shifted by one step (MPC passes it); planners that cannot use it ignore it.
 */
export type Planner = (s0: VecLike, rng: Rng, warmStart?: readonly VecLike[]) => Plan;

/**
 * The same problem over "macro" actions each held for k steps: horizon H / k, the model applies f
 * k times per macro step and the reward sums (discounted) over them. Long open-loop plans (a whole
 * episode) are hard for sampling planners in H * actionDim dimensions; holding actions cuts the
 * dimension k-fold. Expand the resulting plan with `expandPlan(actions, k)`.
 */
export function withActionRepeat(p: PlanProblem, k: number): PlanProblem {
  checkInt("withActionRepeat: k", k);
  const { H, gamma } = checkProblem(p);
  if (H % k !== 0) throw new ValueError(`withActionRepeat: horizon ${H} is not a multiple of ${k}`);
  const inner = p.model;
  // predictBatch computes the summed inner rewards too, and the reward call that follows it (with the
  // same S and A objects, as evaluateSequences does) reuses them instead of rolling out again.
  let cache: { S: Mat; A: Mat; r: Float64Array } | null = null;
  const macroStep = (S: Mat, A: Mat, rng?: Rng) => {
    const r = new Float64Array(S.rows);
    let X = S;
    let d = 1;
    for (let j = 0; j < k; j++) {
      const X2 = inner.predictBatch(X, A, rng);
      const rj = p.reward.batch(X, A, X2);
      for (let i = 0; i < r.length; i++) r[i] += d * rj[i];
      d *= gamma;
      X = X2;
    }
    cache = { S, A, r };
    return X;
  };
  const model: DynamicsModel = {
    name: `${inner.name}x${k}`,
    stateDim: inner.stateDim,
    actionDim: inner.actionDim,
    fit: inner.fit.bind(inner),
    predict: (s: VecLike, a: VecLike, rng?: Rng) =>
      macroStep(mat(1, inner.stateDim, Float64Array.from(s)), mat(1, inner.actionDim, Float64Array.from(a)), rng).data,
    predictBatch: macroStep,
  };
  const reward: RewardFunction = {
    batch: (S: Mat, A: Mat) => {
      if (!cache || cache.S !== S || cache.A !== A) macroStep(S, A);
      return cache!.r;
    },
  };
  return { ...p, model, reward, horizon: H / k, gamma: gamma ** k, terminalValueTensor: undefined };
}

/** Each action of a macro plan repeated k times. */
export function expandPlan(actions: readonly VecLike[], k: number): number[][] {
  const out: number[][] = [];
  for (const a of actions) for (let j = 0; j < k; j++) out.push(Array.from(a));
  return out;
}
