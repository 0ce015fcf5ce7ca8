/**
 * CMA-ES, the covariance matrix adaptation evolution strategy (Hansen and Ostermeier 2001; the
 * defaults below are those of Hansen's tutorial "The CMA Evolution Strategy", 2016), as a planner
 * over action sequences (lecture 003 names it beside CEM).
 *
 * CEM keeps one independent Gaussian per action; CMA-ES keeps a FULL covariance over the whole
 * sequence, so it learns that, say, pushing now and pushing later trade off against each other.
 * One generation:
 *
 *   1. sample   x_k = m + sigma * B D z_k,   z_k ~ N(0, I),  C = B D^2 B^T         (k = 1..lambda)
 *   2. rank     the samples by return, best first: x_{1:lambda}, ..., x_{lambda:lambda}
 *   3. mean     m' = sum_{i<=mu} w_i x_{i:lambda}                       (weighted recombination)
 *   4. paths    p_sigma <- (1 - c_sigma) p_sigma + sqrt(c_sigma (2 - c_sigma) mu_eff) C^{-1/2} (m' - m) / sigma
 *               p_c     <- (1 - c_c) p_c + h_sigma sqrt(c_c (2 - c_c) mu_eff) (m' - m) / sigma
 *   5. cov      C <- (1 - c_1 - c_mu) C + c_1 (p_c p_c^T + (1 - h_sigma) c_c (2 - c_c) C)
 *                      + c_mu sum_{i<=mu} w_i y_i y_i^T,           y_i = (x_{i:lambda} - m) / sigma
 *   6. step     sigma <- sigma exp((c_sigma / d_sigma) (|p_sigma| / E|N(0, I)| - 1))
 *
 * The evolution path p_c remembers the direction the mean has been moving (a rank-one update, step 5's
 * first term); p_sigma, measured in whitened coordinates, lengthens when consecutive steps agree and
 * shrinks when they cancel, which is what grows or shrinks the global step size sigma (step 6).
 *
 * Action bounds: samples are evaluated clipped to the box, and the clipped distance is charged as a
 * quadratic penalty so that the ranking (and so the adaptation, which uses the unclipped samples)
 * pulls the distribution back inside instead of drifting along the boundary.
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import { eigSym } from "../linalg/eig";
import type { VecLike } from "../linalg/mat";
import { type Plan, type PlanProblem, type Planner, checkProblem, evaluateSequences, makeSequences } from "./problem";

/** Settings of one CMA-ES run; every field has the tutorial's default for the dimension n. */
export interface CmaesConfig {
  /** Samples per generation, lambda. Default 4 + floor(3 ln n). */
  population?: number;
  /** Parents, mu. Default floor(lambda / 2). */
  parents?: number;
  /** Generations. */
  generations: number;
  /** Initial step size sigma, as a fraction of each action's range (planner only; default 0.3). */
  initSigmaFraction?: number;
  /** Weight of the out-of-box penalty, per squared unit of action range (planner only; default 1). */
  boundPenalty?: number;
}

/**
 * The learning rates and weights of CMA-ES for dimension n, population lambda and mu parents
 * (Hansen 2016, Table 1; positive weights only, as in the original algorithm):
 *
 * | name    | value                                                       |
 * | ------- | ----------------------------------------------------------- |
 * | w_i     | ln(mu + 1/2) - ln i, normalised to sum 1                     |
 * | mu_eff  | 1 / sum w_i^2                                               |
 * | c_sigma | (mu_eff + 2) / (n + mu_eff + 5)                             |
 * | d_sigma | 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma    |
 * | c_c     | (4 + mu_eff / n) / (n + 4 + 2 mu_eff / n)                   |
 * | c_1     | 2 / ((n + 1.3)^2 + mu_eff)                                  |
 * | c_mu    | min(1 - c_1, 2 (mu_eff - 2 + 1 / mu_eff) / ((n + 2)^2 + mu_eff)) |
 * | chiN    | E|N(0, I)| ~ sqrt(n) (1 - 1 / (4 n) + 1 / (21 n^2))          |
 */
export interface CmaesParams {
  n: number;
  lambda: number;
  mu: number;
  weights: Float64Array;
  muEff: number;
  cSigma: number;
  dSigma: number;
  cC: number;
  c1: number;
  cMu: number;
  chiN: number;
}

export function cmaesParams(n: number, lambda?: number, mu?: number): CmaesParams {
  checkInt("cmaesParams: n", n);
  const lam = checkInt("cmaesParams: population", lambda ?? 4 + Math.floor(3 * Math.log(n)));
  if (lam < 2) throw new ValueError(`cmaesParams: population must be at least 2, got ${lam}`);
  const m = checkInt("cmaesParams: parents", mu ?? Math.floor(lam / 2));
  if (m > lam) throw new ValueError(`cmaesParams: parents (${m}) must not exceed the population (${lam})`);
  const weights = new Float64Array(m);
  for (let i = 0; i < m; i++) weights[i] = Math.log(m + 0.5) - Math.log(i + 1);
  const sum = weights.reduce((s, w) => s + w, 0);
  let sq = 0;
  for (let i = 0; i < m; i++) {
    weights[i] /= sum;
    sq += weights[i] ** 2;
  }
  const muEff = 1 / sq;
  const cSigma = (muEff + 2) / (n + muEff + 5);
  const dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma;
  const cC = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);
  const c1 = 2 / ((n + 1.3) ** 2 + muEff);
  const cMu = Math.min(1 - c1, (2 * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + muEff));
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { n, lambda: lam, mu: m, weights, muEff, cSigma, dSigma, cC, c1, cMu, chiN };
}

/** The state CMA-ES carries from one generation to the next. */
export interface CmaesState {
  params: CmaesParams;
  mean: Float64Array;
  sigma: number;
  /** Covariance C, n x n row-major. */
  C: Float64Array;
  /** Eigenvectors of C as columns (B) and the square roots of its eigenvalues (D). */
  B: Float64Array;
  D: Float64Array;
  pSigma: Float64Array;
  pC: Float64Array;
  generation: number;
}

/** A fresh state: mean m0, step size sigma0, C = I. */
export function cmaesInit(mean0: VecLike, sigma0: number, lambda?: number, mu?: number): CmaesState {
  const n = mean0.length;
  if (n === 0) throw new ShapeError("cmaesInit: the mean must have at least one entry");
  checkNumber("cmaesInit: sigma0", sigma0, Number.MIN_VALUE, Infinity);
  const params = cmaesParams(n, lambda, mu);
  const C = new Float64Array(n * n);
  const B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) C[i * n + i] = B[i * n + i] = 1;
  return {
    params,
    mean: Float64Array.from(mean0),
    sigma: sigma0,
    C,
    B,
    D: new Float64Array(n).fill(1),
    pSigma: new Float64Array(n),
    pC: new Float64Array(n),
    generation: 0,
  };
}

/** Step 1: lambda samples x_k = m + sigma B D z_k, as rows of one flat array (lambda x n). */
export function cmaesAsk(state: CmaesState, rng: Rng): Float64Array {
  const { n, lambda } = state.params;
  const { B, D, mean, sigma } = state;
  const out = new Float64Array(lambda * n);
  const dz = new Float64Array(n);
  for (let k = 0; k < lambda; k++) {
    for (let j = 0; j < n; j++) dz[j] = D[j] * rng.normal();
    for (let i = 0; i < n; i++) {
      let y = 0;
      for (let j = 0; j < n; j++) y += B[i * n + j] * dz[j];
      out[k * n + i] = mean[i] + sigma * y;
    }
  }
  return out;
}

/**
 * Steps 2, 3 and the rank-mu part of step 5, on their own (notebook 13's exercise): rank the samples
 * (lambda x n, flat) by fitness, higher is better, recombine the mu best into the new mean, and move C
 * towards the weighted covariance of the selected STEPS y_i = (x_{i:lambda} - m) / sigma, measured from
 * the OLD mean m (so C learns the direction the successful steps took) and in units of sigma (so C is a
 * shape, sigma the scale):
 *
 *   m' = sum_i w_i x_{i:lambda},    C' = (1 - c_mu) C + c_mu sum_i w_i y_i y_i^T.
 *
 * Returns m', C' (n x n, flat), the order of the samples (best first) and the weighted step
 * y_w = sum_i w_i y_i = (m' - m) / sigma.
 */
export function rankMuUpdate(
  mean: ArrayLike<number>,
  sigma: number,
  C: ArrayLike<number>,
  samples: ArrayLike<number>,
  fitness: ArrayLike<number>,
  weights: ArrayLike<number>,
  cMu: number,
): { mean: Float64Array; C: Float64Array; order: number[]; yW: Float64Array } {
  const n = mean.length;
  const lambda = fitness.length;
  const mu = weights.length;
  if (samples.length !== lambda * n) throw new ShapeError(`rankMuUpdate: expected ${lambda} x ${n} samples, got ${samples.length} numbers`);
  if (C.length !== n * n) throw new ShapeError(`rankMuUpdate: C must be ${n} x ${n}, got ${C.length} numbers`);
  if (mu > lambda) throw new ShapeError(`rankMuUpdate: ${mu} weights for ${lambda} samples`);
  // 2. rank (a NaN fitness ranks last)
  const score = (i: number) => (Number.isNaN(fitness[i]) ? -Infinity : fitness[i]);
  const order = Array.from({ length: lambda }, (_, i) => i).sort((a, b) => score(b) - score(a));
  // 3. recombination, and the selected steps
  const ys: Float64Array[] = [];
  const yW = new Float64Array(n);
  for (let i = 0; i < mu; i++) {
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      y[j] = (samples[order[i] * n + j] - mean[j]) / sigma;
      yW[j] += weights[i] * y[j];
    }
    ys.push(y);
  }
  const newMean = Float64Array.from(mean, (m, j) => m + sigma * yW[j]);
  // 5. rank-mu covariance update
  const newC = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < mu; k++) s += weights[k] * ys[k][i] * ys[k][j];
      newC[i * n + j] = newC[j * n + i] = (1 - cMu) * C[i * n + j] + cMu * s;
    }
  }
  return { mean: newMean, C: newC, order, yW };
}

/**
 * Steps 2-6: updates the state in place from the samples (lambda x n, as `cmaesAsk` made them) and
 * their fitness, HIGHER IS BETTER (returns). Returns the index of the best sample.
 */
export function cmaesTell(state: CmaesState, samples: Float64Array, fitness: ArrayLike<number>): number {
  const { n, lambda, weights, muEff, cSigma, dSigma, cC, c1, cMu, chiN } = state.params;
  if (samples.length !== lambda * n) throw new ShapeError(`cmaesTell: expected ${lambda} x ${n} samples, got ${samples.length} numbers`);
  if (fitness.length !== lambda) throw new ShapeError(`cmaesTell: expected ${lambda} fitness values, got ${fitness.length}`);
  const { B, D, sigma } = state;
  // 2., 3. and the rank-mu part of 5.
  const { mean, C, order, yW } = rankMuUpdate(state.mean, sigma, state.C, samples, fitness, weights, cMu);
  state.mean = mean;
  // 4. evolution paths; C^{-1/2} y_w = B D^{-1} B^T y_w with the OLD C's eigen-decomposition
  const bty = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += B[i * n + j] * yW[i];
    bty[j] = s / D[j];
  }
  const sSigma = Math.sqrt(cSigma * (2 - cSigma) * muEff);
  let normPs = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += B[i * n + j] * bty[j];
    state.pSigma[i] = (1 - cSigma) * state.pSigma[i] + sSigma * s;
    normPs += state.pSigma[i] ** 2;
  }
  normPs = Math.sqrt(normPs);
  state.generation++;
  // h_sigma stalls the rank-one update while p_sigma is long (sigma is still growing).
  const hSigma = normPs / Math.sqrt(1 - (1 - cSigma) ** (2 * state.generation)) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
  const sC = Math.sqrt(cC * (2 - cC) * muEff);
  for (let i = 0; i < n; i++) state.pC[i] = (1 - cC) * state.pC[i] + hSigma * sC * yW[i];
  // 5. the rank-one part: C += c_1 (p_c p_c^T - C) + (1 - h_sigma) c_1 c_c (2 - c_c) C
  const old = (1 - hSigma) * c1 * cC * (2 - cC);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      C[k] += c1 * (state.pC[i] * state.pC[j] - state.C[k]) + old * state.C[k];
    }
  }
  state.C = C;
  // 6. step size
  state.sigma = sigma * Math.exp((cSigma / dSigma) * (normPs / chiN - 1));
  decompose(state);
  return order[0];
}

/** B and D from C (every generation: the planners' n is small, and it keeps the code plain). */
function decompose(state: CmaesState): void {
  const n = state.params.n;
  const { values, vectors } = eigSym({ rows: n, cols: n, data: state.C });
  for (let j = 0; j < n; j++) state.D[j] = Math.sqrt(Math.max(values[j], 1e-20));
  state.B.set(vectors.data);
}

/** CMA-ES over H-step action sequences from s0, maximising the predicted return. */
export function cmaesPlan(
  p: PlanProblem,
  s0: VecLike,
  cfg: CmaesConfig,
  rng: Rng,
  warmStart?: readonly VecLike[],
): Plan & { mean: Float64Array } {
  const { H, da } = checkProblem(p);
  const gens = checkInt("cmaesPlan: generations", cfg.generations);
  const n = H * da;
  const range = Array.from({ length: da }, (_, k) => p.actionHigh[k] - p.actionLow[k]);
  // CMA-ES has one global sigma: work in coordinates scaled to unit action range.
  const mean0 = new Float64Array(n);
  for (let t = 0; t < H; t++) {
    for (let k = 0; k < da; k++) {
      const a = warmStart ? warmStart[t]?.[k] : 0.5 * (p.actionLow[k] + p.actionHigh[k]);
      if (warmStart && (warmStart.length !== H || a === undefined)) throw new ShapeError(`cmaesPlan: warmStart must be ${H} x ${da}`);
      mean0[t * da + k] = (a! - p.actionLow[k]) / range[k];
    }
  }
  const state = cmaesInit(mean0, cfg.initSigmaFraction ?? 0.3, cfg.population, cfg.parents);
  const penalty = cfg.boundPenalty ?? 1;
  const toActions = (u: ArrayLike<number>) =>
    Float64Array.from({ length: n }, (_, i) => p.actionLow[i % da] + Math.min(1, Math.max(0, u[i])) * range[i % da]);
  let best = toActions(mean0);
  let bestReturn = -Infinity;
  for (let g = 0; g < gens; g++) {
    const X = cmaesAsk(state, rng);
    const lambda = state.params.lambda;
    const seqs = makeSequences(lambda, H, da);
    const excess = new Float64Array(lambda);
    for (let i = 0; i < lambda * n; i++) {
      const clipped = Math.min(1, Math.max(0, X[i]));
      excess[Math.floor(i / n)] += (X[i] - clipped) ** 2;
      seqs.data[i] = p.actionLow[i % da] + clipped * range[i % da];
    }
    const { returns } = evaluateSequences(p, s0, seqs, rng);
    const fitness = Float64Array.from(returns, (r, i) => r - penalty * excess[i]);
    cmaesTell(state, X, fitness);
    // The plan is the best sequence EVALUATED (its clipped version when the sample left the box).
    for (let i = 0; i < lambda; i++) {
      if (returns[i] > bestReturn) {
        bestReturn = returns[i];
        best = seqs.data.slice(i * n, (i + 1) * n);
      }
    }
  }
  const actions: number[][] = [];
  for (let t = 0; t < H; t++) actions.push(Array.from(best.subarray(t * da, (t + 1) * da)));
  // The final mean warm-starts the next MPC decision, as CEM's does.
  return { actions, predictedReturn: bestReturn, mean: toActions(state.mean) };
}

/** CMA-ES as a `Planner` for MPC (warm start from the shifted previous plan). */
export function cmaesPlanner(p: PlanProblem, cfg: CmaesConfig): Planner {
  return (s0, rng, warmStart) => cmaesPlan(p, s0, cfg, rng, warmStart);
}
