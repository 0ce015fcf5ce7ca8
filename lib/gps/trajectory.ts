/**
 * Trajectory distributions of a linear-Gaussian controller under fitted linear-Gaussian dynamics:
 * p(tau) = p(x_0) prod_t p(u_t | x_t) p(x_{t+1} | x_t, u_t), all Gaussian, so every marginal is a
 * Gaussian we can propagate exactly (lecture 004, "KL-divergences between trajectories").
 */
import { ShapeError } from "../core/checks";
import type { Rng } from "../core/random";
import { Mat, mat, matmul, matmulNT, matvec, symmetrize } from "../linalg";
import { LinearGaussianController, actionLogProb, sampleAction } from "../control/linearGaussian";
import type { TrajectoryCost } from "../control/ilqr";
import { finiteDifferenceExpansion } from "../control/ilqr";
import { concat } from "../control/lqr";
import type { LinearGaussianDynamics, Trajectory } from "../models/localLinear";

/** Gaussian marginals of states x_t (t = 0..T) and of z_t = [x_t; u_t] (t = 0..T-1). */
export interface TrajectoryMarginals {
  xMean: Float64Array[];
  xCov: Mat[];
  zMean: Float64Array[];
  zCov: Mat[];
}

/** A quadratic cost in absolute coordinates: 1/2 z^T C z + c^T z + c0 per step, and on x_T. */
export interface QuadraticTrajectoryCost {
  C: Mat[];
  c: Float64Array[];
  c0: number[];
  CT: Mat;
  cT: Float64Array;
  cT0: number;
}

function checkCompatible(dyn: LinearGaussianDynamics, ctrl: LinearGaussianController): void {
  if (dyn.T !== ctrl.T || dyn.n !== ctrl.n || dyn.m !== ctrl.m) {
    throw new ShapeError(
      `dynamics (T=${dyn.T}, n=${dyn.n}, m=${dyn.m}) and controller (T=${ctrl.T}, n=${ctrl.n}, m=${ctrl.m}) do not match`,
    );
  }
}

/**
 * Propagates N(x0Mean, x0Cov) through the controller and the dynamics:
 *   z_t ~ N([mu; K mu + k], [[S, S K^T], [K S, K S K^T + Sigma]]),  x_{t+1} ~ N(F mu_z + f, F S_z F^T + N).
 */
export function forwardMarginals(
  dyn: LinearGaussianDynamics,
  ctrl: LinearGaussianController,
  x0Mean: ArrayLike<number>,
  x0Cov: Mat,
): TrajectoryMarginals {
  checkCompatible(dyn, ctrl);
  const { T, n, m } = dyn;
  if (x0Mean.length !== n || x0Cov.rows !== n)
    throw new ShapeError(`forwardMarginals: the initial state has dimension ${x0Mean.length}, expected ${n}`);
  const xMean: Float64Array[] = [Float64Array.from(x0Mean)],
    xCov = [symmetrize(x0Cov)];
  const zMean: Float64Array[] = [],
    zCov: Mat[] = [];
  const nz = n + m;
  for (let t = 0; t < T; t++) {
    const mu = xMean[t],
      S = xCov[t],
      K = ctrl.K[t];
    const u = matvec(K, mu);
    for (let i = 0; i < m; i++) u[i] += ctrl.k[t][i];
    const KS = matmul(K, S); // m x n
    const KSKt = matmulNT(KS, K); // m x m
    const Z = mat(nz, nz);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Z.data[i * nz + j] = S.data[i * n + j];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        Z.data[(n + i) * nz + j] = KS.data[i * n + j];
        Z.data[j * nz + n + i] = KS.data[i * n + j];
      }
      for (let j = 0; j < m; j++) Z.data[(n + i) * nz + n + j] = KSKt.data[i * m + j] + ctrl.cov[t].data[i * m + j];
    }
    const zm = concat(mu, u);
    zMean.push(zm);
    zCov.push(Z);
    const xm = matvec(dyn.F[t], zm);
    for (let i = 0; i < n; i++) xm[i] += dyn.f[t][i];
    const Sx = matmulNT(matmul(dyn.F[t], Z), dyn.F[t]);
    for (let i = 0; i < n * n; i++) Sx.data[i] += dyn.cov[t].data[i];
    xMean.push(xm);
    xCov.push(symmetrize(Sx));
  }
  return { xMean, xCov, zMean, zCov };
}

/** E[1/2 z^T C z + c^T z + c0] for z ~ N(mu, S): the quadratic at the mean plus 1/2 tr(C S). */
function expectedQuadratic(C: Mat, c: Float64Array, c0: number, mu: Float64Array, S: Mat): number {
  const d = mu.length;
  const Cmu = matvec(C, mu);
  let v = c0;
  for (let i = 0; i < d; i++) {
    v += 0.5 * mu[i] * Cmu[i] + c[i] * mu[i];
    for (let j = 0; j < d; j++) v += 0.5 * C.data[i * d + j] * S.data[j * d + i];
  }
  return v;
}

/** The expected cost of the trajectory distribution under a quadratic cost (the "Laplace estimate"). */
export function expectedCost(cost: QuadraticTrajectoryCost, marg: TrajectoryMarginals): number {
  const T = marg.zMean.length;
  let J = 0;
  for (let t = 0; t < T; t++) J += expectedQuadratic(cost.C[t], cost.c[t], cost.c0[t], marg.zMean[t], marg.zCov[t]);
  return J + expectedQuadratic(cost.CT, cost.cT, cost.cT0, marg.xMean[T], marg.xCov[T]);
}

/**
 * The second-order expansion of a trajectory cost around the nominal (x_hat, u_hat), rewritten in
 * absolute coordinates: l(z) ~ l0 + g^T (z - z_hat) + 1/2 (z - z_hat)^T H (z - z_hat).
 */
export function quadratizeCost(cost: TrajectoryCost, xs: readonly Float64Array[], us: readonly Float64Array[]): QuadraticTrajectoryCost {
  const T = us.length,
    n = xs[0].length;
  const absolute = (e: { l: number; lz: Float64Array; lzz: Mat }, zh: Float64Array) => {
    const Hz = matvec(e.lzz, zh);
    const c = new Float64Array(zh.length);
    let c0 = e.l;
    for (let i = 0; i < zh.length; i++) {
      c[i] = e.lz[i] - Hz[i];
      c0 += -e.lz[i] * zh[i] + 0.5 * zh[i] * Hz[i];
    }
    return { C: e.lzz, c, c0 };
  };
  const C: Mat[] = [],
    c: Float64Array[] = [],
    c0: number[] = [];
  for (let t = 0; t < T; t++) {
    const zh = concat(xs[t], us[t]);
    const e = cost.runningExpansion
      ? cost.runningExpansion(xs[t], us[t], t)
      : finiteDifferenceExpansion((z) => cost.running(z.subarray(0, n), z.subarray(n), t), zh);
    const a = absolute(e, zh);
    C.push(a.C);
    c.push(a.c);
    c0.push(a.c0);
  }
  const xT = Float64Array.from(xs[T]);
  const eT = cost.terminalExpansion ? cost.terminalExpansion(xT) : finiteDifferenceExpansion((z) => cost.terminal(z), xT);
  const aT = absolute(eT, xT);
  return { C, c, c0, CT: aT.C, cT: aT.c, cT0: aT.c0 };
}

/**
 * The exact KL divergence D_KL(p(tau) || p_bar(tau)) between the trajectory distributions of two
 * linear-Gaussian controllers that share the dynamics and p(x_0). Only the action terms survive:
 *   sum_t E_{x_t ~ p}[ KL(p(u_t | x_t) || p_bar(u_t | x_t)) ],
 * and for Gaussians with means differing by dK x + dk the inner expectation over x ~ N(mu, S) is
 *   1/2 [ tr(P_bar Sigma) - m + log det Sigma_bar - log det Sigma
 *         + (dK mu + dk)^T P_bar (dK mu + dk) + tr(dK^T P_bar dK S) ].
 * `marg` are the state marginals under the NEW controller p. Returns the total and per-step terms.
 */
export function trajectoryKl(
  p: LinearGaussianController,
  pBar: LinearGaussianController,
  marg: Pick<TrajectoryMarginals, "xMean" | "xCov">,
): { total: number; perStep: number[] } {
  if (p.T !== pBar.T || p.n !== pBar.n || p.m !== pBar.m) throw new ShapeError("trajectoryKl: the controllers have different shapes");
  const { T, n, m } = p;
  const perStep: number[] = [];
  let total = 0;
  for (let t = 0; t < T; t++) {
    const P = pBar.precision[t];
    let tr = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) tr += P.data[i * m + j] * p.cov[t].data[j * m + i];
    const dK = mat(m, n);
    for (let i = 0; i < m * n; i++) dK.data[i] = p.K[t].data[i] - pBar.K[t].data[i];
    const dmu = matvec(dK, marg.xMean[t]);
    for (let i = 0; i < m; i++) dmu[i] += p.k[t][i] - pBar.k[t][i];
    const Pd = matvec(P, dmu);
    let quad = 0;
    for (let i = 0; i < m; i++) quad += dmu[i] * Pd[i];
    // tr(dK^T P dK S) = tr(P (dK S dK^T))
    const dKSdKt = matmulNT(matmul(dK, marg.xCov[t]), dK);
    let trS = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) trS += P.data[i * m + j] * dKSdKt.data[j * m + i];
    const kl = 0.5 * (tr - m + pBar.logDetCov[t] - p.logDetCov[t] + quad + trS);
    perStep.push(kl);
    total += kl;
  }
  return { total, perStep };
}

/**
 * Samples one trajectory of the controller under the fitted linear-Gaussian dynamics (for Monte Carlo
 * checks and for "imagined" rollouts).
 */
export function sampleLinearGaussianTrajectory(
  dyn: LinearGaussianDynamics,
  ctrl: LinearGaussianController,
  x0: ArrayLike<number>,
  rng: Rng,
  dynChol: Mat[],
): Trajectory {
  const xs: Float64Array[] = [Float64Array.from(x0)],
    us: Float64Array[] = [];
  for (let t = 0; t < dyn.T; t++) {
    const u = sampleAction(ctrl, t, xs[t], rng);
    const xn = matvec(dyn.F[t], concat(xs[t], u));
    const e = matvec(dynChol[t], rng.normals(dyn.n));
    for (let i = 0; i < dyn.n; i++) xn[i] += dyn.f[t][i] + e[i];
    us.push(u);
    xs.push(xn);
  }
  return { xs, us };
}

/** sum_t log p(u_t | x_t) of a trajectory under a controller. */
export function trajectoryActionLogProb(ctrl: LinearGaussianController, traj: Trajectory): number {
  let s = 0;
  for (let t = 0; t < ctrl.T; t++) s += actionLogProb(ctrl, t, traj.xs[t], traj.us[t]);
  return s;
}
