/**
 * iLQR (iterative LQR, the Gauss-Newton cousin of DDP) on nonlinear dynamics, lecture 004.
 *
 * Each iteration linearises the dynamics and quadratises the cost around the current trajectory
 * (x_hat, u_hat), solves the LQR problem in deviation coordinates (lqrBackward), and runs the
 * nonlinear forward pass
 *   u_t = u_hat_t + alpha k_t + K_t (x_t - x_hat_t),  x_{t+1} = f(x_t, u_t)
 * with a line search on alpha. Q_uu gets a Levenberg-style mu I when it is not positive definite or a
 * step fails; mu shrinks again after successful steps. A step is only accepted when it lowers the
 * true cost, so the cost per iteration decreases monotonically.
 *
 * The dynamics are anything with a batched `dynamics(states, actions)` on flat row-major arrays: a
 * ContinuousEnv of lib/envs (the true model) or a learned DynamicsModel (see `dynamicsFromModel`).
 * Jacobians come from the model when it has them, else from central finite differences computed in
 * ONE batched call per iteration.
 *
 * Cost curvature. iLQR drops the dynamics' second derivatives (that is what makes it Gauss-Newton
 * rather than DDP), so the local problem is only a trustworthy model of the cost when the cost's own
 * curvature is positive semi-definite. A cost given as residuals (`leastSquaresCost`) brings the
 * Gauss-Newton curvature J^T J, PSD by construction. For any other cost the Hessian comes from finite
 * differences, and a saturating or trigonometric cost (the cart-pole swing-up) has indefinite
 * Hessians far from the goal: the backward pass then builds value functions with negative curvature,
 * mu has to grow large to keep Q_uu positive definite, and the steps shrink until iLQR stalls. By
 * default (`curvature: "psd"`) those finite-difference Hessians are projected onto the PSD cone
 * (negative eigenvalues clipped to zero, `projectPsd`); `curvature: "exact"` keeps them as they are.
 * Expansions the cost provides itself are used as given.
 */
import { ShapeError, ValueError, checkInt } from "../core/checks";
import type { Rng } from "../core/random";
import { Mat, NotPositiveDefiniteError, mat, matvec, projectPsd } from "../linalg";
import type { DynamicsModel } from "../models/types";
import type { ContinuousEnv } from "../envs/types";
import { LqrProblem, LqrSolution, concat, lqrBackward } from "./lqr";

/** Batched dynamics on flat row-major arrays (the layout of lib/envs). */
export interface BatchDynamics {
  /** State dimension. */
  readonly n: number;
  /** Action dimension. */
  readonly m: number;
  /** rows x n states and rows x m actions (flat, row-major) to rows x n next states. */
  dynamics(states: Float64Array, actions: Float64Array): Float64Array;
  /** Optional analytic Jacobians A = df/dx (n x n), B = df/du (n x m). */
  jacobians?(x: Float64Array, u: Float64Array): { A: Mat; B: Mat };
  /** Optional action bounds; rollouts clip actions to them. */
  readonly uLow?: readonly number[];
  readonly uHigh?: readonly number[];
}

/** A second-order expansion of a cost term: l(z + d) ~ l + lz^T d + 1/2 d^T lzz d. */
export interface CostExpansion {
  l: number;
  lz: Float64Array;
  lzz: Mat;
}

/**
 * A trajectory cost: sum_t running(x_t, u_t, t) + terminal(x_T). The expansions are optional;
 * without them finite differences are used (see `leastSquaresCost` for a Gauss-Newton version).
 */
export interface TrajectoryCost {
  running(x: Float64Array, u: Float64Array, t: number): number;
  terminal(x: Float64Array): number;
  /** Expansion over z = [x; u]. */
  runningExpansion?(x: Float64Array, u: Float64Array, t: number): CostExpansion;
  /** Expansion over x. */
  terminalExpansion?(x: Float64Array): CostExpansion;
}

/** How iLQR treats the finite-difference Hessian of a cost without its own expansion. */
export type CostCurvature = "psd" | "exact";

export interface IlqrOptions {
  /** Maximum iterations (default 100). */
  maxIter?: number;
  /** Stop when the relative cost decrease of an accepted step falls below this (default 1e-6). */
  tol?: number;
  /** Initial regularisation mu (default 1e-6). */
  mu0?: number;
  /** Give up when mu exceeds this (default 1e10). */
  muMax?: number;
  /** Line-search step sizes, tried in parallel; the largest acceptable one wins (default 1, 0.5, ..., 2^-10). */
  alphas?: number[];
  /** Finite-difference step for Jacobians and cost expansions (default 1e-5). */
  eps?: number;
  /**
   * Curvature of costs without their own expansion: their finite-difference Hessian projected onto the
   * positive semi-definite matrices ("psd", default) or as it is ("exact", indefinite where the cost is
   * not convex). See the file comment.
   */
  curvature?: CostCurvature;
  /** Called after every iteration with the current cost. */
  onIteration?: (info: { iter: number; cost: number; mu: number; alpha: number | null }) => void;
}

export interface IlqrResult {
  /** Nominal states x_hat_0..x_hat_T. */
  xs: Float64Array[];
  /** Nominal actions u_hat_0..u_hat_{T-1}. */
  us: Float64Array[];
  /** Feedback gains at the final trajectory: u = u_hat + k + K (x - x_hat). */
  K: Mat[];
  /** Feed-forward corrections at the final trajectory (near zero at convergence). */
  k: Float64Array[];
  /** Q_uu at the final trajectory (its inverse is the max-entropy controller covariance). */
  Quu: Mat[];
  /** The cost of the initial trajectory, then after every accepted step (non-increasing). */
  costs: number[];
  iterations: number;
  converged: boolean;
  /** Why it stopped: "tolerance", "maxIter" or "regularisation" (mu exceeded muMax). */
  reason: "tolerance" | "maxIter" | "regularisation";
  mu: number;
}

/** Clips u in place to the bounds of `dyn` (if any). */
export function clipAction(dyn: Pick<BatchDynamics, "uLow" | "uHigh">, u: Float64Array): Float64Array {
  if (dyn.uLow) for (let i = 0; i < u.length; i++) u[i] = Math.max(dyn.uLow[i], u[i]);
  if (dyn.uHigh) for (let i = 0; i < u.length; i++) u[i] = Math.min(dyn.uHigh[i], u[i]);
  return u;
}

/** One step of the dynamics for a single state and action. */
export function stepOne(dyn: BatchDynamics, x: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  return dyn.dynamics(Float64Array.from(x), Float64Array.from(u)).slice(0, dyn.n);
}

/** Open-loop rollout of `us` from x0 (actions clipped); returns the T + 1 states. */
export function rolloutOpenLoop(dyn: BatchDynamics, x0: ArrayLike<number>, us: readonly ArrayLike<number>[]): Float64Array[] {
  const xs: Float64Array[] = [Float64Array.from(x0)];
  for (let t = 0; t < us.length; t++) xs.push(stepOne(dyn, xs[t], clipAction(dyn, Float64Array.from(us[t]))));
  return xs;
}

/**
 * Closed-loop rollout: from x0, T steps of u_t = policy(x_t, t) (clipped to the action bounds), the
 * one loop behind running iLQR's feedback plan, a linear-Gaussian controller or a global policy.
 */
export function rolloutClosedLoop(
  dyn: BatchDynamics,
  x0: ArrayLike<number>,
  T: number,
  policy: (x: Float64Array, t: number) => Float64Array,
): { xs: Float64Array[]; us: Float64Array[] } {
  const xs: Float64Array[] = [Float64Array.from(x0)];
  const us: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const u = clipAction(dyn, policy(xs[t], t));
    us.push(u);
    xs.push(stepOne(dyn, xs[t], u));
  }
  return { xs, us };
}

/** The total cost of a trajectory. */
export function trajectoryCost(cost: TrajectoryCost, xs: readonly Float64Array[], us: readonly Float64Array[]): number {
  let J = 0;
  for (let t = 0; t < us.length; t++) J += cost.running(xs[t], us[t], t);
  return J + cost.terminal(xs[us.length]);
}

/**
 * Jacobians A_t, B_t of the dynamics at every (x_t, u_t), by central differences in one batched
 * call (2 (n + m) perturbed rows per step), unless the dynamics provide them.
 */
export function linearizeTrajectory(
  dyn: BatchDynamics,
  xs: readonly Float64Array[],
  us: readonly Float64Array[],
  eps = 1e-5,
): { A: Mat[]; B: Mat[] } {
  const { n, m } = dyn;
  const T = us.length;
  if (dyn.jacobians) {
    const A: Mat[] = [], B: Mat[] = [];
    for (let t = 0; t < T; t++) {
      const J = dyn.jacobians(xs[t], us[t]);
      A.push(J.A);
      B.push(J.B);
    }
    return { A, B };
  }
  const nz = n + m;
  const rows = T * 2 * nz;
  const S = new Float64Array(rows * n), U = new Float64Array(rows * m);
  const h = new Float64Array(T * nz);
  let r = 0;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < nz; j++) {
      const base = j < n ? xs[t][j] : us[t][j - n];
      const hj = eps * Math.max(1, Math.abs(base));
      h[t * nz + j] = hj;
      for (const sign of [1, -1]) {
        S.set(xs[t], r * n);
        U.set(us[t], r * m);
        if (j < n) S[r * n + j] += sign * hj;
        else U[r * m + j - n] += sign * hj;
        r++;
      }
    }
  }
  const Y = dyn.dynamics(S, U);
  const A: Mat[] = [], B: Mat[] = [];
  r = 0;
  for (let t = 0; t < T; t++) {
    const At = mat(n, n), Bt = mat(n, m);
    for (let j = 0; j < nz; j++) {
      const hj = h[t * nz + j];
      for (let i = 0; i < n; i++) {
        const d = (Y[r * n + i] - Y[(r + 1) * n + i]) / (2 * hj);
        if (j < n) At.data[i * n + j] = d;
        else Bt.data[i * m + (j - n)] = d;
      }
      r += 2;
    }
    A.push(At);
    B.push(Bt);
  }
  return { A, B };
}

/** Gradient and Hessian of a scalar function at z by central differences (Hessian symmetrised). */
export function finiteDifferenceExpansion(fn: (z: Float64Array) => number, z: Float64Array, eps = 1e-4): CostExpansion {
  const d = z.length;
  const l = fn(z);
  const lz = new Float64Array(d);
  const lzz = mat(d, d);
  const zz = Float64Array.from(z);
  const hs = Array.from(z, (v) => eps * Math.max(1, Math.abs(v)));
  for (let i = 0; i < d; i++) {
    zz[i] = z[i] + hs[i];
    const fp = fn(zz);
    zz[i] = z[i] - hs[i];
    const fm = fn(zz);
    zz[i] = z[i];
    lz[i] = (fp - fm) / (2 * hs[i]);
    lzz.data[i * d + i] = (fp - 2 * l + fm) / (hs[i] * hs[i]);
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      zz[i] = z[i] + hs[i]; zz[j] = z[j] + hs[j];
      const fpp = fn(zz);
      zz[j] = z[j] - hs[j];
      const fpm = fn(zz);
      zz[i] = z[i] - hs[i];
      const fmm = fn(zz);
      zz[j] = z[j] + hs[j];
      const fmp = fn(zz);
      zz[i] = z[i]; zz[j] = z[j];
      const v = (fpp - fpm - fmp + fmm) / (4 * hs[i] * hs[j]);
      lzz.data[i * d + j] = v;
      lzz.data[j * d + i] = v;
    }
  }
  return { l, lz, lzz };
}

/**
 * A cost 1/2 ||r(x, u, t)||^2 + 1/2 ||r_T(x_T)||^2 given by residuals, with the Gauss-Newton
 * expansion lz = J^T r, lzz = J^T J (always positive semi-definite, so iLQR stays well posed even
 * where the exact Hessian of a distance is indefinite). J comes from finite differences.
 */
export function leastSquaresCost(
  residual: (x: Float64Array, u: Float64Array, t: number) => Float64Array,
  terminalResidual: (x: Float64Array) => Float64Array,
  eps = 1e-6,
): TrajectoryCost {
  const half = (r: Float64Array) => {
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i] * r[i];
    return 0.5 * s;
  };
  const gaussNewton = (res: (z: Float64Array) => Float64Array, z: Float64Array): CostExpansion => {
    const r0 = res(z);
    const p = r0.length, d = z.length;
    const J = mat(p, d);
    const zz = Float64Array.from(z);
    for (let j = 0; j < d; j++) {
      const h = eps * Math.max(1, Math.abs(z[j]));
      zz[j] = z[j] + h;
      const rp = res(zz);
      zz[j] = z[j] - h;
      const rm = res(zz);
      zz[j] = z[j];
      for (let i = 0; i < p; i++) J.data[i * d + j] = (rp[i] - rm[i]) / (2 * h);
    }
    const lz = new Float64Array(d);
    const lzz = mat(d, d);
    for (let i = 0; i < p; i++) {
      for (let a = 0; a < d; a++) {
        const Jia = J.data[i * d + a];
        if (Jia === 0) continue;
        lz[a] += Jia * r0[i];
        for (let b = 0; b < d; b++) lzz.data[a * d + b] += Jia * J.data[i * d + b];
      }
    }
    return { l: half(r0), lz, lzz };
  };
  return {
    running: (x, u, t) => half(residual(x, u, t)),
    terminal: (x) => half(terminalResidual(x)),
    runningExpansion: (x, u, t) => {
      const n = x.length;
      return gaussNewton((z) => residual(z.subarray(0, n), z.subarray(n), t), concat(x, u));
    },
    terminalExpansion: (x) => gaussNewton((z) => terminalResidual(z), Float64Array.from(x)),
  };
}

/** The LQR problem of one iLQR iteration, in deviation coordinates around (xs, us). */
export function localLqrProblem(
  dyn: BatchDynamics,
  cost: TrajectoryCost,
  xs: readonly Float64Array[],
  us: readonly Float64Array[],
  eps = 1e-5,
  curvature: CostCurvature = "psd",
): LqrProblem {
  const { n, m } = dyn;
  const T = us.length;
  const { A, B } = linearizeTrajectory(dyn, xs, us, eps);
  const curve = (e: CostExpansion): CostExpansion => (curvature === "psd" ? { ...e, lzz: projectPsd(e.lzz) } : e);
  const F: Mat[] = [], f: Float64Array[] = [], C: Mat[] = [], c: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const Ft = mat(n, n + m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) Ft.data[i * (n + m) + j] = A[t].data[i * n + j];
      for (let j = 0; j < m; j++) Ft.data[i * (n + m) + n + j] = B[t].data[i * m + j];
    }
    F.push(Ft);
    f.push(new Float64Array(n));
    const e = cost.runningExpansion
      ? cost.runningExpansion(xs[t], us[t], t)
      : curve(finiteDifferenceExpansion((z) => cost.running(z.subarray(0, n), z.subarray(n), t), concat(xs[t], us[t])));
    C.push(e.lzz);
    c.push(e.lz);
  }
  const eT = cost.terminalExpansion
    ? cost.terminalExpansion(xs[T])
    : curve(finiteDifferenceExpansion((z) => cost.terminal(z), Float64Array.from(xs[T])));
  return { n, m, F, f, C, c, CT: eT.lzz, cT: eT.lz };
}

/**
 * Runs the closed-loop forward pass for several step sizes at once (one batched dynamics call per
 * time step): u_t = u_hat_t + alpha k_t + K_t (x_t - x_hat_t). Returns the trajectories and costs.
 */
function forwardPasses(
  dyn: BatchDynamics,
  cost: TrajectoryCost,
  xs: readonly Float64Array[],
  us: readonly Float64Array[],
  sol: Pick<LqrSolution, "K" | "k">,
  alphas: readonly number[],
): { xs: Float64Array[][]; us: Float64Array[][]; costs: number[] } {
  const { n, m } = dyn;
  const T = us.length;
  const P = alphas.length;
  const X: Float64Array[][] = alphas.map(() => [Float64Array.from(xs[0])]);
  const U: Float64Array[][] = alphas.map(() => []);
  const costs = new Array<number>(P).fill(0);
  const S = new Float64Array(P * n), A = new Float64Array(P * m);
  for (let t = 0; t < T; t++) {
    for (let p = 0; p < P; p++) {
      const x = X[p][t];
      const dx = new Float64Array(n);
      for (let i = 0; i < n; i++) dx[i] = x[i] - xs[t][i];
      const Kdx = matvec(sol.K[t], dx);
      const u = new Float64Array(m);
      for (let i = 0; i < m; i++) u[i] = us[t][i] + alphas[p] * sol.k[t][i] + Kdx[i];
      clipAction(dyn, u);
      U[p].push(u);
      costs[p] += cost.running(x, u, t);
      S.set(x, p * n);
      A.set(u, p * m);
    }
    const Y = dyn.dynamics(S, A);
    for (let p = 0; p < P; p++) X[p].push(Y.slice(p * n, (p + 1) * n));
  }
  for (let p = 0; p < P; p++) costs[p] += cost.terminal(X[p][T]);
  return { xs: X, us: U, costs };
}

/** iLQR from x0 and an initial action sequence (length T); see the file comment. */
export function ilqr(
  dyn: BatchDynamics,
  cost: TrajectoryCost,
  x0: ArrayLike<number>,
  uInit: readonly ArrayLike<number>[],
  opts: IlqrOptions = {},
): IlqrResult {
  const { n, m } = dyn;
  checkInt("ilqr: n", n);
  checkInt("ilqr: m", m);
  if (x0.length !== n) throw new ShapeError(`ilqr: x0 has length ${x0.length}, expected ${n}`);
  const T = uInit.length;
  if (T === 0) throw new ShapeError("ilqr: the initial action sequence is empty");
  uInit.forEach((u, t) => {
    if (u.length !== m) throw new ShapeError(`ilqr: initial action ${t} has length ${u.length}, expected ${m}`);
  });
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-6;
  const muMin = 1e-8;
  const muMax = opts.muMax ?? 1e10;
  const alphas = opts.alphas ?? Array.from({ length: 11 }, (_, i) => Math.pow(2, -i));
  const eps = opts.eps ?? 1e-5;
  const curvature = opts.curvature ?? "psd";
  if (curvature !== "psd" && curvature !== "exact") throw new ValueError(`ilqr: curvature must be "psd" or "exact", got ${curvature}`);
  let mu = opts.mu0 ?? 1e-6;
  let muFactor = 1;

  let us = uInit.map((u) => clipAction(dyn, Float64Array.from(u)));
  let xs = rolloutOpenLoop(dyn, x0, us);
  let J = trajectoryCost(cost, xs, us);
  if (!Number.isFinite(J)) throw new ValueError(`ilqr: the initial trajectory has cost ${J}`);
  const costs = [J];
  let converged = false;
  let reason: IlqrResult["reason"] = "maxIter";
  let iter = 0;
  let problem = localLqrProblem(dyn, cost, xs, us, eps, curvature);
  // After a failed step (Q_uu not positive definite, or no step size lowered the cost): regularise
  // harder and retry at the same trajectory; false once mu passes muMax and iLQR gives up.
  const raiseMu = (): boolean => {
    muFactor = Math.max(2, muFactor * 2);
    mu = Math.max(muMin, mu * muFactor);
    opts.onIteration?.({ iter, cost: J, mu, alpha: null });
    return mu <= muMax;
  };
  for (; iter < maxIter; iter++) {
    let sol: LqrSolution;
    try {
      sol = lqrBackward(problem, { mu });
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      if (raiseMu()) continue;
      reason = "regularisation";
      break;
    }
    const fw = forwardPasses(dyn, cost, xs, us, sol, alphas);
    let accepted = -1;
    for (let p = 0; p < alphas.length; p++) {
      const a = alphas[p];
      const expected = -(a * sol.dJ[0] + a * a * sol.dJ[1]);
      const actual = J - fw.costs[p];
      // Accept a real decrease that is a fair fraction of the predicted one (or any decrease when
      // the prediction is degenerate).
      if (Number.isFinite(fw.costs[p]) && actual > 0 && (expected <= 0 || actual / expected > 1e-4)) {
        accepted = p;
        break;
      }
    }
    if (accepted < 0) {
      if (raiseMu()) continue;
      reason = "regularisation";
      break;
    }
    const Jnew = fw.costs[accepted];
    const rel = (J - Jnew) / Math.max(Math.abs(J), 1e-12);
    xs = fw.xs[accepted];
    us = fw.us[accepted];
    J = Jnew;
    costs.push(J);
    muFactor = Math.min(1 / 2, muFactor / 2);
    mu = mu * muFactor > muMin ? mu * muFactor : 0;
    opts.onIteration?.({ iter, cost: J, mu, alpha: alphas[accepted] });
    problem = localLqrProblem(dyn, cost, xs, us, eps, curvature);
    if (rel < tol) {
      converged = true;
      reason = "tolerance";
      iter++;
      break;
    }
  }
  // Gains at the final trajectory, for running the result as a feedback controller.
  let finalSol: LqrSolution | null = null;
  for (let tries = 0; tries < 30 && finalSol === null; tries++) {
    try {
      finalSol = lqrBackward(problem, { mu });
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      mu = Math.max(1e-6, mu * 10);
    }
  }
  if (finalSol === null) throw new ValueError("ilqr: could not regularise Q_uu at the final trajectory");
  return { xs, us, K: finalSol.K, k: finalSol.k, Quu: finalSol.Quu, costs, iterations: iter, converged, reason, mu };
}

/**
 * Wraps a learned DynamicsModel (lib/models) as BatchDynamics, so iLQR can plan through it exactly
 * as through the true system. Each batched call is one `predictBatch`.
 */
export function dynamicsFromModel(
  model: DynamicsModel,
  bounds: { uLow?: readonly number[]; uHigh?: readonly number[] } = {},
): BatchDynamics {
  const n = model.stateDim, m = model.actionDim;
  return {
    n,
    m,
    uLow: bounds.uLow,
    uHigh: bounds.uHigh,
    dynamics(states, actions) {
      const rows = states.length / n;
      const out = model.predictBatch(mat(rows, n, states), mat(rows, m, actions));
      return out.data;
    },
  };
}

/** The true model of a continuous system of lib/envs as BatchDynamics (its batched `dynamics`). */
export function dynamicsFromEnv(env: ContinuousEnv): BatchDynamics {
  return {
    n: env.stateSpace.dim,
    m: env.actionSpace.dim,
    uLow: env.actionSpace.low,
    uHigh: env.actionSpace.high,
    dynamics: (states, actions) => env.dynamics(states, actions),
  };
}

/**
 * Runs an iLQR plan as a feedback controller u_t = u_hat_t + K_t (x_t - x_hat_t) (+ Gaussian noise
 * of std `noiseStd` when an rng is given) on the dynamics `dyn`, e.g. the TRUE system after planning
 * through a learned model. Returns the visited states and the applied (clipped) actions.
 */
export function runFeedback(
  dyn: BatchDynamics,
  plan: Pick<IlqrResult, "xs" | "us" | "K">,
  x0: ArrayLike<number>,
  { rng, noiseStd = 0 }: { rng?: Rng; noiseStd?: number } = {},
): { xs: Float64Array[]; us: Float64Array[] } {
  const { n, m } = dyn;
  return rolloutClosedLoop(dyn, x0, plan.us.length, (x, t) => {
    const dx = new Float64Array(n);
    for (let i = 0; i < n; i++) dx[i] = x[i] - plan.xs[t][i];
    const u = matvec(plan.K[t], dx);
    for (let i = 0; i < m; i++) u[i] += plan.us[t][i] + (rng && noiseStd > 0 ? rng.normal(0, noiseStd) : 0);
    return u;
  });
}
