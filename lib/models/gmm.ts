/**
 * Gaussian mixture models fitted by expectation-maximisation (lecture 004: "GMM over (s, a, s')
 * tuples"; guided policy search uses one as the global prior of its local dynamics fits).
 *
 * p(x) = sum_k w_k N(x; mu_k, Sigma_k). E-step: responsibilities r_ik = p(k | x_i) by log-sum-exp;
 * M-step: weighted means, covariances (plus a small ridge so no component collapses on a point)
 * and weights. Without the ridge every EM iteration can only raise the log-likelihood.
 */
import { ShapeError, ValueError, checkInt } from "../core/checks";
import type { Rng } from "../core/random";
import { Mat, MatLike, asMat, cholesky, logDetChol, mat } from "../linalg";

export interface Gmm {
  /** Number of components. */
  readonly K: number;
  /** Dimension of the data. */
  readonly d: number;
  /** Mixing weights (sum to 1). */
  readonly weights: Float64Array;
  readonly means: Float64Array[];
  readonly covs: Mat[];
  /** Lower Cholesky factors of the covariances. */
  readonly chols: Mat[];
}

export interface GmmFitOptions {
  /** Maximum EM iterations (default 100). */
  maxIter?: number;
  /** Stop when the mean log-likelihood per point improves by less than this (default 1e-6). */
  tol?: number;
  /** Ridge added to each covariance diagonal, relative to the data variance (default 1e-6). */
  reg?: number;
  /** Start from this mixture (same K and d) instead of a k-means++-style initialisation. */
  init?: Gmm;
}

export interface GmmFitResult {
  gmm: Gmm;
  /** Mean log-likelihood per point before each M-step (non-decreasing when reg = 0). */
  logLikelihoods: number[];
  iterations: number;
  converged: boolean;
}

/** Builds a mixture from weights, means and covariances (factorises the covariances). */
export function makeGmm(weights: ArrayLike<number>, means: readonly ArrayLike<number>[], covs: readonly MatLike[]): Gmm {
  const K = weights.length;
  if (K === 0) throw new ShapeError("makeGmm: no components");
  if (means.length !== K || covs.length !== K) {
    throw new ShapeError(`makeGmm: ${K} weights but ${means.length} means and ${covs.length} covariances`);
  }
  const d = means[0].length;
  let s = 0;
  for (let k = 0; k < K; k++) {
    if (!(weights[k] >= 0)) throw new ValueError(`makeGmm: weight ${k} is ${weights[k]}`);
    s += weights[k];
    if (means[k].length !== d) throw new ShapeError(`makeGmm: mean ${k} has length ${means[k].length}, expected ${d}`);
  }
  if (!(s > 0)) throw new ValueError("makeGmm: the weights sum to zero");
  const cm = covs.map((c) => asMat(c));
  cm.forEach((c, k) => {
    if (c.rows !== d || c.cols !== d) throw new ShapeError(`makeGmm: covariance ${k} is ${c.rows} x ${c.cols}, expected ${d} x ${d}`);
  });
  return {
    K,
    d,
    weights: Float64Array.from(weights, (w) => w / s),
    means: means.map((m) => Float64Array.from(m)),
    covs: cm,
    chols: cm.map((c, k) => cholesky(c, { name: `GMM covariance ${k}` })),
  };
}

/**
 * log N(x; mu, L L^T) given the Cholesky factor; `work` is scratch space of length d. The forward
 * substitution is inlined because EM calls this N K times per iteration.
 */
function logGauss(x: ArrayLike<number>, mu: Float64Array, L: Mat, logDet: number, work: Float64Array): number {
  const d = mu.length,
    l = L.data;
  let q = 0;
  for (let i = 0; i < d; i++) {
    let s = x[i] - mu[i];
    const row = i * d;
    for (let j = 0; j < i; j++) s -= l[row + j] * work[j];
    const y = s / l[row + i];
    work[i] = y;
    q += y * y;
  }
  return -0.5 * (q + logDet + d * Math.log(2 * Math.PI));
}

function rowsOf(what: string, X: MatLike, d?: number): Mat {
  const m = asMat(X);
  if (d !== undefined && m.cols !== d) throw new ShapeError(`${what}: data has ${m.cols} columns, expected ${d}`);
  return m;
}

/**
 * log w_k + log N(x_i; mu_k, Sigma_k) for every point and component (N x K), and the log-likelihood
 * log p(x_i) of every point.
 */
export function gmmLogJoint(gmm: Gmm, X: MatLike): { logJoint: Mat; logLik: Float64Array } {
  const x = rowsOf("gmmLogJoint", X, gmm.d);
  const N = x.rows,
    K = gmm.K,
    d = gmm.d;
  const logJoint = mat(N, K);
  const logLik = new Float64Array(N);
  const logDets = gmm.chols.map((L) => logDetChol(L));
  const work = new Float64Array(d);
  for (let i = 0; i < N; i++) {
    const xi = x.data.subarray(i * d, (i + 1) * d);
    let mx = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = Math.log(gmm.weights[k]) + logGauss(xi, gmm.means[k], gmm.chols[k], logDets[k], work);
      logJoint.data[i * K + k] = v;
      if (v > mx) mx = v;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logJoint.data[i * K + k] - mx);
    logLik[i] = mx + Math.log(s);
  }
  return { logJoint, logLik };
}

/** The responsibilities p(k | x_i) (N x K; rows sum to 1). */
export function gmmResponsibilities(gmm: Gmm, X: MatLike): Mat {
  const { logJoint, logLik } = gmmLogJoint(gmm, X);
  const R = mat(logJoint.rows, logJoint.cols);
  for (let i = 0; i < R.rows; i++) {
    for (let k = 0; k < R.cols; k++) R.data[i * R.cols + k] = Math.exp(logJoint.data[i * R.cols + k] - logLik[i]);
  }
  return R;
}

/** The total log-likelihood sum_i log p(x_i). */
export function gmmLogLikelihood(gmm: Gmm, X: MatLike): number {
  return gmmLogJoint(gmm, X).logLik.reduce((a, b) => a + b, 0);
}

/** N samples from the mixture (N x d). */
export function sampleGmm(gmm: Gmm, N: number, rng: Rng): Mat {
  checkInt("sampleGmm: N", N);
  const out = mat(N, gmm.d);
  for (let i = 0; i < N; i++) {
    let u = rng.uniform(),
      k = 0;
    while (k < gmm.K - 1 && u > gmm.weights[k]) u -= gmm.weights[k++];
    const e = rng.normals(gmm.d);
    const L = gmm.chols[k];
    for (let a = 0; a < gmm.d; a++) {
      let s = gmm.means[k][a];
      for (let b = 0; b <= a; b++) s += L.data[a * gmm.d + b] * e[b];
      out.data[i * gmm.d + a] = s;
    }
  }
  return out;
}

/** Mean and covariance of the whole data set. */
function dataMoments(x: Mat): { mean: Float64Array; cov: Mat } {
  const N = x.rows,
    d = x.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < N; i++) for (let a = 0; a < d; a++) mean[a] += x.data[i * d + a] / N;
  const cov = mat(d, d);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < d; a++) {
      const da = x.data[i * d + a] - mean[a];
      for (let b = 0; b < d; b++) cov.data[a * d + b] += (da * (x.data[i * d + b] - mean[b])) / N;
    }
  }
  return { mean, cov };
}

/** k-means++-style seeding: means spread over the data, shared data covariance, equal weights. */
function initGmm(x: Mat, K: number, rng: Rng, ridge: Float64Array): Gmm {
  const N = x.rows,
    d = x.cols;
  const { cov } = dataMoments(x);
  for (let a = 0; a < d; a++) cov.data[a * d + a] += ridge[a];
  const centers: number[] = [rng.int(N)];
  const dist = new Float64Array(N).fill(Infinity);
  while (centers.length < K) {
    const c = centers[centers.length - 1];
    let total = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let a = 0; a < d; a++) {
        const v = x.data[i * d + a] - x.data[c * d + a];
        s += (v * v) / (cov.data[a * d + a] || 1);
      }
      dist[i] = Math.min(dist[i], s);
      total += dist[i];
    }
    let u = rng.uniform(0, total),
      pick = 0;
    while (pick < N - 1 && u > dist[pick]) u -= dist[pick++];
    centers.push(pick);
  }
  const means = centers.map((c) => x.data.slice(c * d, (c + 1) * d));
  return makeGmm(
    new Float64Array(K).fill(1 / K),
    means,
    means.map(() => cov),
  );
}

/** Fits a K-component GMM to the rows of X by EM. */
export function fitGmm(X: MatLike, K: number, rng: Rng, opts: GmmFitOptions = {}): GmmFitResult {
  const x = rowsOf("fitGmm", X);
  checkInt("fitGmm: K", K);
  const N = x.rows,
    d = x.cols;
  if (N < K) throw new ValueError(`fitGmm: ${N} points cannot support ${K} components`);
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-6;
  const { cov: dataCov } = dataMoments(x);
  const ridge = new Float64Array(d);
  for (let a = 0; a < d; a++) ridge[a] = (opts.reg ?? 1e-6) * Math.max(dataCov.data[a * d + a], 1e-12);
  let gmm: Gmm;
  if (opts.init) {
    if (opts.init.K !== K || opts.init.d !== d)
      throw new ShapeError(`fitGmm: init has K=${opts.init.K}, d=${opts.init.d}; expected ${K}, ${d}`);
    gmm = opts.init;
  } else {
    gmm = initGmm(x, K, rng, ridge);
  }
  const logLikelihoods: number[] = [];
  let converged = false;
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // E-step.
    const { logJoint, logLik } = gmmLogJoint(gmm, x);
    const ll = logLik.reduce((a, b) => a + b, 0) / N;
    logLikelihoods.push(ll);
    if (iter > 0 && ll - logLikelihoods[iter - 1] < tol) {
      converged = true;
      break;
    }
    // M-step.
    const weights = new Float64Array(K);
    const means: Float64Array[] = [];
    const covs: Mat[] = [];
    const R = new Float64Array(N * K);
    for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) R[i * K + k] = Math.exp(logJoint.data[i * K + k] - logLik[i]);
    for (let k = 0; k < K; k++) {
      let Nk = 0;
      const mu = new Float64Array(d);
      for (let i = 0; i < N; i++) {
        const r = R[i * K + k];
        Nk += r;
        for (let a = 0; a < d; a++) mu[a] += r * x.data[i * d + a];
      }
      if (Nk < 1e-10) {
        // An empty component: re-seed it on a random point with the data covariance.
        const c = rng.int(N);
        means.push(x.data.slice(c * d, (c + 1) * d));
        const S = mat(d, d, dataCov.data.slice());
        for (let a = 0; a < d; a++) S.data[a * d + a] += ridge[a];
        covs.push(S);
        weights[k] = 1 / N;
        continue;
      }
      for (let a = 0; a < d; a++) mu[a] /= Nk;
      const S = mat(d, d);
      for (let i = 0; i < N; i++) {
        const r = R[i * K + k];
        if (r === 0) continue;
        for (let a = 0; a < d; a++) {
          const da = r * (x.data[i * d + a] - mu[a]);
          for (let b = 0; b <= a; b++) S.data[a * d + b] += da * (x.data[i * d + b] - mu[b]);
        }
      }
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) {
          const v = S.data[a * d + b] / Nk;
          S.data[a * d + b] = v;
          S.data[b * d + a] = v;
        }
        S.data[a * d + a] += ridge[a];
      }
      weights[k] = Nk / N;
      means.push(mu);
      covs.push(S);
    }
    gmm = makeGmm(weights, means, covs);
  }
  if (!converged) logLikelihoods.push(gmmLogLikelihood(gmm, x) / N);
  return { gmm, logLikelihoods, iterations: iter, converged };
}

/**
 * The moments of the mixture with its weights replaced by `w` (a distribution over components):
 * mean mu = sum_k w_k mu_k and covariance sum_k w_k (Sigma_k + (mu_k - mu)(mu_k - mu)^T).
 */
export function gmmMoments(gmm: Gmm, w: ArrayLike<number> = gmm.weights): { mean: Float64Array; cov: Mat } {
  if (w.length !== gmm.K) throw new ShapeError(`gmmMoments: ${w.length} weights for ${gmm.K} components`);
  const d = gmm.d;
  const mean = new Float64Array(d);
  for (let k = 0; k < gmm.K; k++) for (let a = 0; a < d; a++) mean[a] += w[k] * gmm.means[k][a];
  const cov = mat(d, d);
  for (let k = 0; k < gmm.K; k++) {
    const mk = gmm.means[k],
      Sk = gmm.covs[k].data;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov.data[a * d + b] += w[k] * (Sk[a * d + b] + (mk[a] - mean[a]) * (mk[b] - mean[b]));
      }
    }
  }
  return { mean, cov };
}
