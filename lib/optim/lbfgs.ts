/**
 * A compact L-BFGS minimiser (Nocedal and Wright, Algorithm 7.4/7.5) with a backtracking line search
 * that enforces the Armijo condition and skips curvature pairs that would break positive definiteness.
 *
 * Used for GP hyper-parameters (log marginal likelihood, lib/models/gp.ts) and PILCO's policy search
 * (summed expected cost). Both objectives are smooth, cheap-ish and noise-free, which is where quasi-Newton shines.
 */
import { ValueError } from "../core/checks";

/** f(x) and its gradient; the gradient is written into `grad` (length of x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Maximum number of iterations (line searches). Default 100. */
  maxIter?: number;
  /** Maximum number of objective evaluations overall. Default 3 * maxIter. */
  maxEvals?: number;
  /** History length m. Default 10. */
  memory?: number;
  /** Stop when the infinity norm of the gradient falls below this. Default 1e-6. */
  gradTol?: number;
  /** Stop when the relative decrease of f over an iteration falls below this. Default 1e-10. */
  relTol?: number;
  /** Largest step (infinity norm of the first trial move). Default Infinity. */
  maxStep?: number;
  /** Called after every iteration (iteration index, f, gradient infinity norm). */
  onIter?: (iter: number, f: number, gradNorm: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  /** f after each iteration (index 0: the starting value). */
  history: number[];
  reason: "gradTol" | "relTol" | "maxIter" | "maxEvals" | "lineSearch";
}

/** The curvature pairs (s_k, y_k, rho_k = 1 / y_k^T s_k) kept by L-BFGS, oldest first. */
interface History {
  S: Float64Array[];
  Y: Float64Array[];
  rho: number[];
}

/** Armijo constant c1 of the sufficient-decrease condition f(x + t d) <= f(x) + c1 t g^T d. */
const ARMIJO_C1 = 1e-4;
/** Wolfe curvature constant c2: the step is extended while g(x + t d)^T d < c2 g^T d. */
const WOLFE_C2 = 0.9;
/** At most this many step doublings after an accepted step. */
const MAX_EXTRAPOLATIONS = 6;

/**
 * Two-loop recursion (Nocedal and Wright, Algorithm 7.4): d = -H_k g with H_k the L-BFGS inverse
 * Hessian, H_k^0 = gamma I, gamma = s^T y / y^T y of the newest pair. Writes d; `alpha` is scratch.
 */
function twoLoopDirection(g: Float64Array, hist: History, d: Float64Array, alpha: Float64Array): void {
  const { S, Y, rho } = hist;
  const n = g.length;
  for (let i = 0; i < n; i++) d[i] = -g[i];
  const k = S.length;
  for (let j = k - 1; j >= 0; j--) {
    alpha[j] = rho[j] * dot(S[j], d);
    axpy(-alpha[j], Y[j], d);
  }
  if (k > 0) {
    const gamma = dot(S[k - 1], Y[k - 1]) / dot(Y[k - 1], Y[k - 1]);
    for (let i = 0; i < n; i++) d[i] *= gamma;
  }
  for (let j = 0; j < k; j++) {
    const b = rho[j] * dot(Y[j], d);
    axpy(alpha[j] - b, S[j], d);
  }
}

/** Keeps the pair (s, y) when y^T s > 0 (so H stays positive definite), dropping the oldest beyond m. */
function pushCurvaturePair(hist: History, s: Float64Array, y: Float64Array, m: number): void {
  const sy = dot(s, y);
  if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
  if (hist.S.length === m) {
    hist.S.shift();
    hist.Y.shift();
    hist.rho.shift();
  }
  hist.S.push(s);
  hist.Y.push(y);
  hist.rho.push(1 / sy);
}

/** Minimises `fg` from `x0` (not modified). */
export function lbfgs(fg: Objective, x0: ArrayLike<number>, opts: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 100;
  const maxEvals = opts.maxEvals ?? 3 * maxIter;
  const m = opts.memory ?? 10;
  const gradTol = opts.gradTol ?? 1e-6;
  const relTol = opts.relTol ?? 1e-10;
  const maxStep = opts.maxStep ?? Infinity;

  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let evals = 1;
  let f = fg(x, g);
  if (!Number.isFinite(f)) throw new ValueError(`lbfgs: the objective is ${f} at the starting point`);
  const history = [f];
  const hist: History = { S: [], Y: [], rho: [] };
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const xTry = new Float64Array(n);
  const gTry = new Float64Array(n);
  let reason: LbfgsResult["reason"] = "maxIter";
  let iter = 0;

  // f at x + t d, its gradient into gOut (one objective evaluation).
  const evalAt = (t: number, xOut: Float64Array, gOut: Float64Array): number => {
    for (let i = 0; i < n; i++) xOut[i] = x[i] + t * d[i];
    evals++;
    return fg(xOut, gOut);
  };

  for (; iter < maxIter; iter++) {
    if (infNorm(g) < gradTol) {
      reason = "gradTol";
      break;
    }
    // 1. Search direction d = -H g.
    const k = hist.S.length;
    twoLoopDirection(g, hist, d, alpha);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      hist.S.length = 0;
      hist.Y.length = 0;
      hist.rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    // First step: unit step for quasi-Newton directions, a scaled one for steepest descent.
    let t = k === 0 ? Math.min(1, 1 / Math.max(infNorm(g), 1e-12)) : 1;
    const dn = infNorm(d);
    if (t * dn > maxStep) t = maxStep / dn;

    // 2. Backtracking line search with the Armijo condition.
    let accepted = false;
    let fNew = NaN;
    while (evals < maxEvals) {
      fNew = evalAt(t, xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + ARMIJO_C1 * t * slope) {
        accepted = true;
        break;
      }
      // Quadratic interpolation of the step, kept within [0.1 t, 0.5 t].
      const tq = Number.isFinite(fNew) ? (-slope * t * t) / (2 * (fNew - f - slope * t)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, tq));
      if (t * dn < 1e-16) break;
    }
    if (!accepted) {
      reason = evals >= maxEvals ? "maxEvals" : "lineSearch";
      break;
    }
    // 3. Extrapolation: while the slope at the accepted point is still steep (the curvature condition
    // of Wolfe fails), try doubling the step; keep the best point. Good curvature pairs follow.
    for (let ext = 0; ext < MAX_EXTRAPOLATIONS && evals < maxEvals && dot(gNew, d) < WOLFE_C2 * slope; ext++) {
      const t2 = 2 * t;
      if (t2 * dn > maxStep) break;
      const fTry = evalAt(t2, xTry, gTry);
      if (!(Number.isFinite(fTry) && fTry < fNew && fTry <= f + ARMIJO_C1 * t2 * slope)) break;
      t = t2;
      fNew = fTry;
      xNew.set(xTry);
      gNew.set(gTry);
    }

    // 4. Curvature pair s = x_new - x, y = g_new - g; move.
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    pushCurvaturePair(hist, s, y, m);
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    history.push(f);
    opts.onIter?.(iter, f, infNorm(g));
    if (Math.abs(fOld - f) <= relTol * Math.max(Math.abs(fOld), Math.abs(f), 1e-12)) {
      reason = "relTol";
      iter++;
      break;
    }
    if (evals >= maxEvals) {
      reason = "maxEvals";
      iter++;
      break;
    }
  }
  return { x, f, iterations: iter, evaluations: evals, history, reason };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

function infNorm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]));
  return s;
}
