/**
 * Local, time-varying linear-Gaussian dynamics p(x_{t+1} | x_t, u_t) = N(F_t [x_t; u_t] + f_t, N_t)
 * fitted per time step from a handful of rollouts (lecture 004, "fit dynamics at each time step").
 *
 * - Version 1.0: (ridge) linear regression of x_{t+1} on [x_t; u_t; 1] at each step.
 * - Version 2.0: Bayesian linear regression. The joint Gaussian of (x_t, u_t, x_{t+1}) gets a
 *   normal-inverse-Wishart prior from a GMM fitted on ALL (x, u, x') tuples (a global model), its
 *   MAP estimate is conditioned on (x_t, u_t). With 5 rollouts and 6 inputs the regression alone is
 *   underdetermined; the prior fills in the directions the samples do not cover.
 */
import { ShapeError, ValueError, checkInt } from "../core/checks";
import type { Rng } from "../core/random";
import { Mat, cholSolve, cholesky, mat, transpose } from "../linalg";
import { Gmm, fitGmm, gmmMoments, gmmResponsibilities } from "./gmm";

/** One rollout: T + 1 states and T actions. */
export interface Trajectory {
  xs: Float64Array[];
  us: Float64Array[];
}

/** x_{t+1} ~ N(F_t [x_t; u_t] + f_t, cov_t), t = 0..T-1. */
export interface LinearGaussianDynamics {
  readonly T: number;
  readonly n: number;
  readonly m: number;
  /** n x (n + m): [A_t B_t]. */
  readonly F: Mat[];
  /** Offsets c_t. */
  readonly f: Float64Array[];
  /** Noise covariances N_t. */
  readonly cov: Mat[];
}

/** Checks that all samples have the same T, n and m; returns them. */
export function checkSamples(what: string, samples: readonly Trajectory[]): { N: number; T: number; n: number; m: number } {
  if (samples.length === 0) throw new ShapeError(`${what}: no samples`);
  const T = samples[0].us.length,
    n = samples[0].xs[0].length,
    m = samples[0].us[0]?.length ?? 0;
  if (T === 0) throw new ShapeError(`${what}: samples have no actions`);
  samples.forEach((s, i) => {
    if (s.us.length !== T || s.xs.length !== T + 1) {
      throw new ShapeError(`${what}: sample ${i} has ${s.xs.length} states and ${s.us.length} actions, expected ${T + 1} and ${T}`);
    }
    for (let t = 0; t <= T; t++)
      if (s.xs[t].length !== n) throw new ShapeError(`${what}: sample ${i} state ${t} has length ${s.xs[t].length}, expected ${n}`);
    for (let t = 0; t < T; t++)
      if (s.us[t].length !== m) throw new ShapeError(`${what}: sample ${i} action ${t} has length ${s.us[t].length}, expected ${m}`);
  });
  return { N: samples.length, T, n, m };
}

/**
 * One step of version 1.0: least squares of x' on z = [x; u; 1] with a ridge on the non-constant
 * weights, W = (Z^T Z + ridge I')^-1 Z^T Y. Returns F = [A B], f = c, and the residual covariance
 * (plus `minVar` on its diagonal so it stays invertible with few samples).
 */
export function linearRegressionStep(
  X: readonly ArrayLike<number>[],
  U: readonly ArrayLike<number>[],
  Xnext: readonly ArrayLike<number>[],
  ridge = 1e-6,
  minVar = 1e-6,
): { F: Mat; f: Float64Array; cov: Mat } {
  const N = X.length;
  if (N === 0 || U.length !== N || Xnext.length !== N) {
    throw new ShapeError(
      `linearRegressionStep: need the same positive number of x, u and x', got ${X.length}, ${U.length}, ${Xnext.length}`,
    );
  }
  const n = X[0].length,
    m = U[0].length,
    p = n + m + 1;
  const Z = mat(N, p),
    Y = mat(N, n);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < n; j++) Z.data[i * p + j] = X[i][j];
    for (let j = 0; j < m; j++) Z.data[i * p + n + j] = U[i][j];
    Z.data[i * p + n + m] = 1;
    for (let j = 0; j < n; j++) Y.data[i * n + j] = Xnext[i][j];
  }
  const G = mat(p, p);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < p; a++) {
      const za = Z.data[i * p + a];
      for (let b = 0; b < p; b++) G.data[a * p + b] += za * Z.data[i * p + b];
    }
  }
  for (let a = 0; a < p - 1; a++) G.data[a * p + a] += ridge;
  // A tiny ridge on the constant too, only so a single sample still gives a solvable system.
  G.data[p * p - 1] += 1e-12;
  const ZtY = mat(p, n);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < p; a++) {
      const za = Z.data[i * p + a];
      for (let b = 0; b < n; b++) ZtY.data[a * n + b] += za * Y.data[i * n + b];
    }
  }
  const W = cholSolve(cholesky(G, { name: "Z^T Z + ridge" }), ZtY); // p x n
  const F = mat(n, n + m);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n + m; j++) F.data[i * (n + m) + j] = W.data[j * n + i];
    f[i] = W.data[(n + m) * n + i];
  }
  const cov = mat(n, n);
  for (let s = 0; s < N; s++) {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let pred = f[i];
      for (let j = 0; j < p - 1; j++) pred += F.data[i * (n + m) + j] * Z.data[s * p + j];
      r[i] = Y.data[s * n + i] - pred;
    }
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) cov.data[a * n + b] += (r[a] * r[b]) / N;
  }
  for (let a = 0; a < n; a++) cov.data[a * n + a] += minVar;
  return { F, f, cov };
}

/** Version 1.0: linearRegressionStep at every time step. */
export function fitLocalDynamicsRidge(samples: readonly Trajectory[], { ridge = 1e-6, minVar = 1e-6 } = {}): LinearGaussianDynamics {
  const { T, n, m } = checkSamples("fitLocalDynamicsRidge", samples);
  const F: Mat[] = [],
    f: Float64Array[] = [],
    cov: Mat[] = [];
  for (let t = 0; t < T; t++) {
    const r = linearRegressionStep(
      samples.map((s) => s.xs[t]),
      samples.map((s) => s.us[t]),
      samples.map((s) => s.xs[t + 1]),
      ridge,
      minVar,
    );
    F.push(r.F);
    f.push(r.f);
    cov.push(r.cov);
  }
  return { T, n, m, F, f, cov };
}

/** A normal-inverse-Wishart prior on a joint Gaussian: mean mu0 (m pseudo-counts), scatter Phi (n0 pseudo-counts). */
export interface NiwPrior {
  mu0: Float64Array;
  Phi: Mat;
  m: number;
  n0: number;
}

/** The (x_t, u_t, x_{t+1}) tuples of every sample, one row each (N T x (2n + m)). */
export function transitionTuples(samples: readonly Trajectory[]): Mat {
  const { N, T, n, m } = checkSamples("transitionTuples", samples);
  const D = 2 * n + m;
  const out = mat(N * T, D);
  let r = 0;
  for (const s of samples) {
    for (let t = 0; t < T; t++, r++) {
      out.data.set(s.xs[t], r * D);
      out.data.set(s.us[t], r * D + n);
      out.data.set(s.xs[t + 1], r * D + n + m);
    }
  }
  return out;
}

/**
 * Fits the global GMM of the dynamics prior on all (x, u, x') tuples; K defaults to one cluster per
 * `pointsPerCluster` tuples, between 2 and `maxClusters`.
 */
export function fitDynamicsGmm(
  samples: readonly Trajectory[],
  rng: Rng,
  {
    K,
    maxClusters = 20,
    pointsPerCluster = 40,
    maxIter = 100,
  }: { K?: number; maxClusters?: number; pointsPerCluster?: number; maxIter?: number } = {},
): Gmm {
  const pts = transitionTuples(samples);
  const k = K ?? Math.max(2, Math.min(maxClusters, Math.floor(pts.rows / pointsPerCluster)));
  return fitGmm(pts, Math.min(k, pts.rows), rng, { maxIter, reg: 1e-6 }).gmm;
}

/**
 * The NIW prior for the points `pts` of one time step: the GMM's components weighted by the mean
 * responsibility of those points, moment-matched to one Gaussian (mu0, Sigma0), with
 * Phi = n0 Sigma0 and m = n0 = strength pseudo-observations.
 */
export function niwPriorFromGmm(gmm: Gmm, pts: Mat, strength = 1): NiwPrior {
  if (!(strength > 0)) throw new ValueError(`niwPriorFromGmm: strength must be > 0, got ${strength}`);
  const R = gmmResponsibilities(gmm, pts);
  const w = new Float64Array(gmm.K);
  for (let i = 0; i < R.rows; i++) for (let k = 0; k < gmm.K; k++) w[k] += R.data[i * gmm.K + k] / R.rows;
  const { mean, cov } = gmmMoments(gmm, w);
  const Phi = mat(
    cov.rows,
    cov.cols,
    cov.data.map((v) => v * strength),
  );
  return { mu0: mean, Phi, m: strength, n0: strength };
}

/**
 * MAP estimate of a joint Gaussian from the rows of `pts` under a NIW prior:
 *   mean = (m mu0 + N x_bar) / (m + N)
 *   Sigma = (S + Phi + N m / (N + m) (x_bar - mu0)(x_bar - mu0)^T) / (N + n0)
 * with S the scatter of the points about x_bar. Without a prior: the sample mean and covariance.
 */
export function jointGaussianPosterior(pts: Mat, prior?: NiwPrior): { mean: Float64Array; cov: Mat } {
  const N = pts.rows,
    D = pts.cols;
  checkInt("jointGaussianPosterior: rows", N);
  const xbar = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let a = 0; a < D; a++) xbar[a] += pts.data[i * D + a] / N;
  const S = mat(D, D);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < D; a++) {
      const da = pts.data[i * D + a] - xbar[a];
      for (let b = 0; b < D; b++) S.data[a * D + b] += da * (pts.data[i * D + b] - xbar[b]);
    }
  }
  if (!prior)
    return {
      mean: xbar,
      cov: mat(
        D,
        D,
        S.data.map((v) => v / N),
      ),
    };
  if (prior.mu0.length !== D || prior.Phi.rows !== D)
    throw new ShapeError(`jointGaussianPosterior: prior has dimension ${prior.mu0.length}, points ${D}`);
  const { mu0, Phi, m, n0 } = prior;
  const mean = new Float64Array(D);
  for (let a = 0; a < D; a++) mean[a] = (m * mu0[a] + N * xbar[a]) / (m + N);
  const c = (N * m) / (N + m);
  const cov = mat(D, D);
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < D; b++) {
      cov.data[a * D + b] = (S.data[a * D + b] + Phi.data[a * D + b] + c * (xbar[a] - mu0[a]) * (xbar[b] - mu0[b])) / (N + n0);
    }
  }
  return { mean, cov };
}

/**
 * Conditions a joint Gaussian over (z, y) = ([x; u], x') on z: y | z ~ N(F z + f, N) with
 * F = Sigma_yz Sigma_zz^-1, f = mu_y - F mu_z, N = Sigma_yy - F Sigma_zz F^T. `reg` is added to the
 * diagonal of Sigma_zz first (the samples of one step barely vary in some directions).
 */
export function conditionJointGaussian(mean: Float64Array, cov: Mat, dz: number, reg = 1e-6): { F: Mat; f: Float64Array; cov: Mat } {
  const D = mean.length,
    dy = D - dz;
  const Szz = mat(dz, dz),
    Szy = mat(dz, dy),
    Syy = mat(dy, dy);
  for (let a = 0; a < dz; a++) {
    for (let b = 0; b < dz; b++) Szz.data[a * dz + b] = cov.data[a * D + b];
    Szz.data[a * dz + a] += reg;
    for (let b = 0; b < dy; b++) Szy.data[a * dy + b] = cov.data[a * D + dz + b];
  }
  for (let a = 0; a < dy; a++) for (let b = 0; b < dy; b++) Syy.data[a * dy + b] = cov.data[(dz + a) * D + dz + b];
  const L = cholesky(Szz, { name: "Sigma_zz of the local dynamics" });
  const Ft = cholSolve(L, Szy); // dz x dy = Sigma_zz^-1 Sigma_zy
  const F = transpose(Ft);
  const f = new Float64Array(dy);
  for (let i = 0; i < dy; i++) {
    let s = mean[dz + i];
    for (let j = 0; j < dz; j++) s -= F.data[i * dz + j] * mean[j];
    f[i] = s;
  }
  // N = Syy - Sigma_yz Sigma_zz^-1 Sigma_zy = Syy - F Szy
  const N = mat(dy, dy);
  for (let a = 0; a < dy; a++) {
    for (let b = 0; b < dy; b++) {
      let s = Syy.data[a * dy + b];
      for (let j = 0; j < dz; j++) s -= F.data[a * dz + j] * Szy.data[j * dy + b];
      N.data[a * dy + b] = s;
    }
  }
  for (let a = 0; a < dy; a++) {
    for (let b = 0; b < a; b++) {
      const v = 0.5 * (N.data[a * dy + b] + N.data[b * dy + a]);
      N.data[a * dy + b] = v;
      N.data[b * dy + a] = v;
    }
  }
  return { F, f, cov: N };
}

/** Version 2.0: per-step Bayesian linear regression with the NIW prior of the GMM. */
export function fitLocalDynamicsPrior(
  samples: readonly Trajectory[],
  gmm: Gmm,
  { strength = 1, reg = 1e-6 }: { strength?: number; reg?: number } = {},
): LinearGaussianDynamics {
  const { N, T, n, m } = checkSamples("fitLocalDynamicsPrior", samples);
  const D = 2 * n + m;
  if (gmm.d !== D) throw new ShapeError(`fitLocalDynamicsPrior: the GMM has dimension ${gmm.d}, tuples have ${D}`);
  const F: Mat[] = [],
    f: Float64Array[] = [],
    cov: Mat[] = [];
  for (let t = 0; t < T; t++) {
    const pts = mat(N, D);
    samples.forEach((s, i) => {
      pts.data.set(s.xs[t], i * D);
      pts.data.set(s.us[t], i * D + n);
      pts.data.set(s.xs[t + 1], i * D + n + m);
    });
    const prior = niwPriorFromGmm(gmm, pts, strength);
    const post = jointGaussianPosterior(pts, prior);
    const c = conditionJointGaussian(post.mean, post.cov, n + m, reg);
    F.push(c.F);
    f.push(c.f);
    cov.push(c.cov);
  }
  return { T, n, m, F, f, cov };
}
