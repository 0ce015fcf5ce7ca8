/**
 * Time-varying linear-Gaussian controllers p(u_t | x_t) = N(K_t x_t + k_t, Sigma_t) (lecture 004,
 * "version 2.0: add noise so that all samples don't look the same").
 *
 * iLQR's form u = K (x - x_hat) + k + u_hat is stored in the equivalent absolute form
 * u = K x + (k + u_hat - K x_hat), which is what the KL and the trajectory optimiser work with.
 * With Sigma_t = Q_uu^-1 the controller is the maximum-entropy solution: it acts randomly only where
 * that barely changes the cost to go.
 */
import { ShapeError } from "../core/checks";
import type { Rng } from "../core/random";
import { Mat, cholInverse, cholesky, logDetChol, mat, matvec, scale } from "../linalg";

export interface LinearGaussianController {
  readonly T: number;
  readonly n: number;
  readonly m: number;
  /** Gains (m x n). */
  readonly K: Mat[];
  /** Offsets (length m), absolute form: mean = K x + k. */
  readonly k: Float64Array[];
  /** Covariances Sigma_t (m x m). */
  readonly cov: Mat[];
  /** Lower Cholesky factors of Sigma_t. */
  readonly cholCov: Mat[];
  /** Sigma_t^-1. */
  readonly precision: Mat[];
  /** log det Sigma_t. */
  readonly logDetCov: number[];
}

/** Builds a controller from K, k (absolute form) and covariances; factorises each Sigma_t. */
export function linearGaussianController(
  K: readonly Mat[],
  k: readonly ArrayLike<number>[],
  cov: readonly Mat[],
): LinearGaussianController {
  const T = K.length;
  if (T === 0) throw new ShapeError("linearGaussianController: no time steps");
  if (k.length !== T || cov.length !== T) {
    throw new ShapeError(`linearGaussianController: K, k and cov need the same length, got ${T}, ${k.length}, ${cov.length}`);
  }
  const m = K[0].rows,
    n = K[0].cols;
  const cholCov: Mat[] = [],
    precision: Mat[] = [],
    logDetCov: number[] = [];
  for (let t = 0; t < T; t++) {
    if (K[t].rows !== m || K[t].cols !== n)
      throw new ShapeError(`linearGaussianController: K[${t}] is ${K[t].rows} x ${K[t].cols}, expected ${m} x ${n}`);
    if (k[t].length !== m) throw new ShapeError(`linearGaussianController: k[${t}] has length ${k[t].length}, expected ${m}`);
    if (cov[t].rows !== m || cov[t].cols !== m)
      throw new ShapeError(`linearGaussianController: cov[${t}] is ${cov[t].rows} x ${cov[t].cols}, expected ${m} x ${m}`);
    const L = cholesky(cov[t], { name: `controller covariance at step ${t}` });
    cholCov.push(L);
    precision.push(cholInverse(L));
    logDetCov.push(logDetChol(L));
  }
  return { T, n, m, K: K.slice(), k: k.map((v) => Float64Array.from(v)), cov: cov.slice(), cholCov, precision, logDetCov };
}

/**
 * The controller u = K_t (x - x_hat_t) + k_t + u_hat_t + N(0, Sigma_t) of an iLQR / LQR solution,
 * converted to the absolute form.
 */
export function controllerFromPlan(
  xhat: readonly ArrayLike<number>[],
  uhat: readonly ArrayLike<number>[],
  K: readonly Mat[],
  kff: readonly ArrayLike<number>[],
  cov: readonly Mat[],
): LinearGaussianController {
  const kAbs = K.map((Kt, t) => {
    const Kx = matvec(Kt, xhat[t]);
    const out = new Float64Array(Kt.rows);
    for (let i = 0; i < out.length; i++) out[i] = kff[t][i] + uhat[t][i] - Kx[i];
    return out;
  });
  return linearGaussianController(K, kAbs, cov);
}

/** Sigma_t = Q_uu^-1 (times `scaleBy`, e.g. to shrink the exploration noise). */
export function maxEntropyController(
  xhat: readonly ArrayLike<number>[],
  uhat: readonly ArrayLike<number>[],
  K: readonly Mat[],
  kff: readonly ArrayLike<number>[],
  Quu: readonly Mat[],
  scaleBy = 1,
): LinearGaussianController {
  const cov = Quu.map((Q, t) => scale(cholInverse(cholesky(Q, { name: `Q_uu at step ${t}` })), scaleBy));
  return controllerFromPlan(xhat, uhat, K, kff, cov);
}

/** The mean action K_t x + k_t. */
export function controllerMean(c: LinearGaussianController, t: number, x: ArrayLike<number>): Float64Array {
  if (x.length !== c.n) throw new ShapeError(`controllerMean: x has length ${x.length}, expected ${c.n}`);
  const u = matvec(c.K[t], x);
  for (let i = 0; i < c.m; i++) u[i] += c.k[t][i];
  return u;
}

/** A sample u ~ N(K_t x + k_t, Sigma_t), using the Cholesky factor. */
export function sampleAction(c: LinearGaussianController, t: number, x: ArrayLike<number>, rng: Rng): Float64Array {
  const u = controllerMean(c, t, x);
  const e = rng.normals(c.m);
  const Le = matvec(c.cholCov[t], e);
  for (let i = 0; i < c.m; i++) u[i] += Le[i];
  return u;
}

/** log N(u; K_t x + k_t, Sigma_t). */
export function actionLogProb(c: LinearGaussianController, t: number, x: ArrayLike<number>, u: ArrayLike<number>): number {
  if (u.length !== c.m) throw new ShapeError(`actionLogProb: u has length ${u.length}, expected ${c.m}`);
  const mean = controllerMean(c, t, x);
  const d = new Float64Array(c.m);
  for (let i = 0; i < c.m; i++) d[i] = u[i] - mean[i];
  const Pd = matvec(c.precision[t], d);
  let q = 0;
  for (let i = 0; i < c.m; i++) q += d[i] * Pd[i];
  return -0.5 * (q + c.logDetCov[t] + c.m * Math.log(2 * Math.PI));
}

/** The entropy of p(u_t | x_t) (the same for every x). */
export function controllerEntropy(c: LinearGaussianController, t: number): number {
  return 0.5 * (c.logDetCov[t] + c.m * (1 + Math.log(2 * Math.PI)));
}

/** A controller with K = 0, a constant mean and isotropic noise: the usual first controller. */
export function initialController(T: number, n: number, m: number, mean: ArrayLike<number>, std: number): LinearGaussianController {
  const K = Array.from({ length: T }, () => mat(m, n));
  const k = Array.from({ length: T }, () => Float64Array.from(mean));
  const cov = Array.from({ length: T }, () => {
    const S = mat(m, m);
    for (let i = 0; i < m; i++) S.data[i * m + i] = std * std;
    return S;
  });
  return linearGaussianController(K, k, cov);
}
