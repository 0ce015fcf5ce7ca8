/**
 * Gaussian-process regression in float64 with the squared-exponential kernel with automatic
 * relevance determination (SE-ARD) and Gaussian noise (Rasmussen and Williams, ch. 2 and 5):
 *
 *   k(x, x') = sf^2 exp(-1/2 sum_d (x_d - x'_d)^2 / ell_d^2),   y = f(x) + eps, eps ~ N(0, sn^2).
 *
 * Hyper-parameters live in log space in the order of the PILCO reference code:
 * [log ell_1 .. log ell_D, log sf, log sn]. Fitting maximises the log marginal likelihood with its
 * analytic gradient (L-BFGS), with an optional soft "curb" penalty that keeps length-scales within
 * a factor of the input spread and the signal-to-noise ratio bounded (as PILCO's hypCurb does).
 *
 * Multi-output dynamics: one independent GP per output dimension sharing the inputs
 * (`trainGps`), the form PILCO's moment matching (lib/pilco/momentMatch.ts) consumes.
 */
import { ShapeError, ValueError, checkFinite, checkInt, type Rng } from "../core";
import { type Mat, type MatLike, type VecLike, asMat, cholInverse, choleskyWithJitter, cholSolve, mat, solveLower } from "../linalg";
import { lbfgs } from "../optim/lbfgs";

/** Log hyper-parameters [log ell_1..D, log sf, log sn] as a Float64Array of length D + 2. */
export type GpHyp = Float64Array;

/** Builds a hyper-parameter vector from plain (not log) values. */
export function makeHyp(lengthscales: VecLike, signalStd: number, noiseStd: number): GpHyp {
  const D = lengthscales.length;
  const h = new Float64Array(D + 2);
  for (let d = 0; d < D; d++) {
    if (!(lengthscales[d] > 0)) throw new ValueError(`makeHyp: length-scale ${d} must be positive, got ${lengthscales[d]}`);
    h[d] = Math.log(lengthscales[d]);
  }
  if (!(signalStd > 0) || !(noiseStd > 0)) throw new ValueError(`makeHyp: signal and noise std must be positive`);
  h[D] = Math.log(signalStd);
  h[D + 1] = Math.log(noiseStd);
  return h;
}

/** A GP conditioned on data: what prediction and moment matching need. */
export interface Gp {
  /** Training inputs, n x D. */
  X: Mat;
  /** Training targets, length n. */
  y: Float64Array;
  hyp: GpHyp;
  n: number;
  D: number;
  /** Lower Cholesky factor of K + sn^2 I (+ jitter). */
  L: Mat;
  /** beta = (K + sn^2 I)^{-1} y. */
  beta: Float64Array;
  /** Jitter the Cholesky needed on top of sn^2 (0 normally). */
  jitter: number;
  /** (K + sn^2 I)^{-1}, computed on first use by `gpInverse` (moment matching needs it). */
  iK?: Mat;
}

/** The SE-ARD kernel matrix between the rows of X1 (n1 x D) and X2 (n2 x D), without noise. */
export function seArd(X1: MatLike, X2: MatLike, hyp: GpHyp): Mat {
  const a = asMat(X1);
  const b = asMat(X2);
  const D = a.cols;
  if (b.cols !== D) throw new ShapeError(`seArd: inputs have ${a.cols} and ${b.cols} columns`);
  if (hyp.length !== D + 2) throw new ShapeError(`seArd: expected ${D + 2} log hyper-parameters for ${D} inputs, got ${hyp.length}`);
  const iell2 = new Float64Array(D);
  for (let d = 0; d < D; d++) iell2[d] = Math.exp(-2 * hyp[d]);
  const sf2 = Math.exp(2 * hyp[D]);
  const K = mat(a.rows, b.rows);
  const ad = a.data,
    bd = b.data,
    kd = K.data;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let q = 0;
      for (let d = 0; d < D; d++) {
        const r = ad[i * D + d] - bd[j * D + d];
        q += r * r * iell2[d];
      }
      kd[i * b.rows + j] = sf2 * Math.exp(-0.5 * q);
    }
  }
  return K;
}

function checkData(what: string, X: Mat, y: VecLike): void {
  if (y.length !== X.rows) throw new ShapeError(`${what}: ${X.rows} input rows but ${y.length} targets`);
  if (X.rows === 0) throw new ShapeError(`${what}: no training data`);
  checkFinite(`${what} inputs`, X.data);
  checkFinite(`${what} targets`, y);
}

/** Conditions a GP with hyper-parameters `hyp` on data (X, y). */
export function fitGp(Xin: MatLike, yin: VecLike, hyp: GpHyp): Gp {
  const X = asMat(Xin);
  const y = Float64Array.from(yin);
  checkData("fitGp", X, y);
  if (hyp.length !== X.cols + 2) throw new ShapeError(`fitGp: expected ${X.cols + 2} log hyper-parameters, got ${hyp.length}`);
  checkFinite("fitGp hyper-parameters", hyp);
  const K = seArd(X, X, hyp);
  const sn2 = Math.exp(2 * hyp[X.cols + 1]);
  for (let i = 0; i < X.rows; i++) K.data[i * X.rows + i] += sn2;
  const { L, jitter } = choleskyWithJitter(K, { name: "K + sn^2 I", checkSymmetric: false });
  const beta = cholSolve(L, y);
  return { X, y, hyp: Float64Array.from(hyp), n: X.rows, D: X.cols, L, beta, jitter };
}

/** (K + sn^2 I)^{-1}, cached on the GP. */
export function gpInverse(gp: Gp): Mat {
  if (!gp.iK) gp.iK = cholInverse(gp.L);
  return gp.iK;
}

export interface GpPrediction {
  mean: Float64Array;
  /** Predictive variance of the latent f (plus sn^2 when includeNoise). */
  variance: Float64Array;
}

/** Posterior mean and marginal variance at the rows of Xs. */
export function gpPredict(gp: Gp, Xsin: MatLike, { includeNoise = false } = {}): GpPrediction {
  const Xs = asMat(Xsin);
  if (Xs.cols !== gp.D) throw new ShapeError(`gpPredict: test inputs have ${Xs.cols} columns, the GP has ${gp.D}`);
  const Ks = seArd(Xs, gp.X, gp.hyp); // m x n
  const m = Xs.rows,
    n = gp.n;
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  const sf2 = Math.exp(2 * gp.hyp[gp.D]);
  const sn2 = Math.exp(2 * gp.hyp[gp.D + 1]);
  const v = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    let mu = 0;
    for (let j = 0; j < n; j++) {
      v[j] = Ks.data[i * n + j];
      mu += v[j] * gp.beta[j];
    }
    mean[i] = mu;
    const w = solveLower(gp.L, v);
    let q = 0;
    for (let j = 0; j < n; j++) q += w[j] * w[j];
    variance[i] = Math.max(sf2 - q, 0) + (includeNoise ? sn2 : 0);
  }
  return { mean, variance };
}

/** Posterior mean and full covariance of f at the rows of Xs (for joint samples). */
export function gpPredictJoint(gp: Gp, Xsin: MatLike): { mean: Float64Array; cov: Mat } {
  const Xs = asMat(Xsin);
  const m = Xs.rows,
    n = gp.n;
  const Ks = seArd(Xs, gp.X, gp.hyp);
  const Kss = seArd(Xs, Xs, gp.hyp);
  const mean = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let mu = 0;
    for (let j = 0; j < n; j++) mu += Ks.data[i * n + j] * gp.beta[j];
    mean[i] = mu;
  }
  // W = L^{-1} Ks^T (n x m); cov = Kss - W^T W.
  const KsT = mat(n, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) KsT.data[j * m + i] = Ks.data[i * n + j];
  const W = solveLower(gp.L, KsT);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b <= a; b++) {
      let q = 0;
      for (let j = 0; j < n; j++) q += W.data[j * m + a] * W.data[j * m + b];
      const c = Kss.data[a * m + b] - q;
      Kss.data[a * m + b] = c;
      Kss.data[b * m + a] = c;
    }
  }
  return { mean, cov: Kss };
}

/** Joint samples from N(mean, cov): returns nSamples arrays of length mean.length. */
export function sampleMvn(mean: VecLike, covIn: MatLike, nSamples: number, rng: Rng): Float64Array[] {
  const cov = asMat(covIn);
  const m = mean.length;
  if (cov.rows !== m || cov.cols !== m) throw new ShapeError(`sampleMvn: covariance is ${cov.rows}x${cov.cols}, mean has ${m}`);
  // Posterior covariances are PSD only up to rounding: a relative jitter keeps Cholesky working.
  const { L } = choleskyWithJitter(cov, { name: "sample covariance", jitter: 1e-9, maxTries: 8, checkSymmetric: false });
  const out: Float64Array[] = [];
  const z = new Float64Array(m);
  for (let s = 0; s < nSamples; s++) {
    for (let i = 0; i < m; i++) z[i] = rng.normal();
    const x = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let v = mean[i];
      for (let j = 0; j <= i; j++) v += L.data[i * m + j] * z[j];
      x[i] = v;
    }
    out.push(x);
  }
  return out;
}

/** Joint samples of f at Xs: from the posterior of `gp`, or from the prior with `hyp` when gp is null. */
export function gpSample(gp: Gp | null, Xs: MatLike, nSamples: number, rng: Rng, hyp?: GpHyp): Float64Array[] {
  if (gp) {
    const { mean, cov } = gpPredictJoint(gp, Xs);
    return sampleMvn(mean, cov, nSamples, rng);
  }
  if (!hyp) throw new ValueError("gpSample: give a GP or prior hyper-parameters");
  const X = asMat(Xs);
  return sampleMvn(new Float64Array(X.rows), seArd(X, X, hyp), nSamples, rng);
}

/**
 * Negative log marginal likelihood -log p(y | X, hyp) and, when `grad` is given, its gradient with
 * respect to the log hyper-parameters: d/dtheta = 1/2 tr((K^-1 - beta beta^T) dK/dtheta).
 */
export function gpNegLogMarginal(Xin: MatLike, yin: VecLike, hyp: GpHyp, grad?: Float64Array): number {
  const X = asMat(Xin);
  const n = X.rows,
    D = X.cols;
  let gp: Gp;
  try {
    gp = fitGp(X, yin, hyp);
  } catch (e) {
    if (grad) grad.fill(0);
    return Infinity;
  }
  let nlml = 0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) nlml += Math.log(gp.L.data[i * n + i]) + 0.5 * gp.y[i] * gp.beta[i];
  if (!grad) return nlml;
  const iK = cholInverse(gp.L);
  const iell2 = new Float64Array(D);
  for (let d = 0; d < D; d++) iell2[d] = Math.exp(-2 * hyp[d]);
  const sf2 = Math.exp(2 * hyp[D]);
  const sn2 = Math.exp(2 * hyp[D + 1]);
  grad.fill(0);
  const xd = X.data,
    b = gp.beta;
  let gsf = 0,
    gsn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const W = iK.data[i * n + j] - b[i] * b[j];
      let q = 0;
      for (let d = 0; d < D; d++) {
        const r = xd[i * D + d] - xd[j * D + d];
        q += r * r * iell2[d];
      }
      const k = sf2 * Math.exp(-0.5 * q);
      const wk = 0.5 * W * k;
      for (let d = 0; d < D; d++) {
        const r = xd[i * D + d] - xd[j * D + d];
        grad[d] += wk * r * r * iell2[d];
      }
      gsf += 2 * wk;
    }
    gsn += (iK.data[i * n + i] - b[i] * b[i]) * sn2;
  }
  grad[D] = gsf;
  grad[D + 1] = gsn;
  return nlml;
}

/** Options of the soft hyper-parameter penalty (PILCO's hypCurb): pen = sum ((u - c)/log(r))^p. */
export interface HypCurb {
  /** Largest allowed ratio of a length-scale to the input standard deviation. Default 100. */
  lengthscaleRatio?: number;
  /** Largest allowed signal-to-noise ratio sf/sn. Default 500. */
  snr?: number;
  /** Exponent (even, large: flat inside, steep outside). Default 30. */
  power?: number;
}

/** Adds the curb penalty (and its gradient) for inputs with standard deviations `xStd`. */
export function hypPenalty(hyp: GpHyp, xStd: VecLike, curb: HypCurb, grad?: Float64Array): number {
  const D = xStd.length;
  const p = curb.power ?? 30;
  const lr = Math.log(curb.lengthscaleRatio ?? 100);
  const ls = Math.log(curb.snr ?? 500);
  let pen = 0;
  for (let d = 0; d < D; d++) {
    const u = (hyp[d] - Math.log(Math.max(xStd[d], 1e-12))) / lr;
    pen += Math.pow(u, p);
    if (grad) grad[d] += (p * Math.pow(u, p - 1)) / lr;
  }
  const u = (hyp[D] - hyp[D + 1]) / ls;
  pen += Math.pow(u, p);
  if (grad) {
    const g = (p * Math.pow(u, p - 1)) / ls;
    grad[D] += g;
    grad[D + 1] -= g;
  }
  return pen;
}

function columnStd(X: Mat): Float64Array {
  const s = new Float64Array(X.cols);
  for (let d = 0; d < X.cols; d++) {
    let m = 0,
      v = 0;
    for (let i = 0; i < X.rows; i++) m += X.data[i * X.cols + d];
    m /= X.rows;
    for (let i = 0; i < X.rows; i++) v += (X.data[i * X.cols + d] - m) ** 2;
    s[d] = Math.sqrt(v / Math.max(X.rows - 1, 1));
  }
  return s;
}

function std(y: VecLike): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i];
  m /= y.length;
  let v = 0;
  for (let i = 0; i < y.length; i++) v += (y[i] - m) ** 2;
  return Math.sqrt(v / Math.max(y.length - 1, 1));
}

/** The reference code's starting point: ell_d = std(x_d), sf = std(y), sn = std(y) / 10. */
export function defaultHyp(Xin: MatLike, y: VecLike): GpHyp {
  const X = asMat(Xin);
  const s = columnStd(X);
  const sy = Math.max(std(y), 1e-6);
  const ell = Array.from(s, (v) => Math.max(v, 1e-3));
  return makeHyp(ell, sy, sy / 10);
}

export interface TrainGpOptions {
  /** Starting log hyper-parameters (default: `defaultHyp`). */
  init?: GpHyp;
  /** L-BFGS iterations. Default 100. */
  maxIter?: number;
  /** Soft bounds; `false` switches them off. Default {} (the reference values). */
  curb?: HypCurb | false;
}

export interface TrainGpResult {
  gp: Gp;
  /** Negative log marginal likelihood (without penalty) before and after. */
  nlmlBefore: number;
  nlmlAfter: number;
  /** Objective per iteration. */
  history: number[];
}

/** Fits the hyper-parameters of one GP by maximising the (penalised) log marginal likelihood. */
export function trainGp(Xin: MatLike, y: VecLike, opts: TrainGpOptions = {}): TrainGpResult {
  const X = asMat(Xin);
  checkData("trainGp", X, y);
  const init = opts.init ? Float64Array.from(opts.init) : defaultHyp(X, y);
  if (init.length !== X.cols + 2) throw new ShapeError(`trainGp: init has ${init.length} entries, expected ${X.cols + 2}`);
  const xStd = columnStd(X);
  const curb = opts.curb === false ? null : (opts.curb ?? {});
  const objective = (h: Float64Array, g: Float64Array): number => {
    let f = gpNegLogMarginal(X, y, h, g);
    if (curb && Number.isFinite(f)) f += hypPenalty(h, xStd, curb, g);
    return f;
  };
  const nlmlBefore = gpNegLogMarginal(X, y, init);
  const res = lbfgs(objective, init, { maxIter: opts.maxIter ?? 100, maxStep: 2, relTol: 1e-9 });
  const gp = fitGp(X, y, res.x);
  return { gp, nlmlBefore, nlmlAfter: gpNegLogMarginal(X, y, res.x), history: res.history };
}

/** Independent GPs, one per output column, sharing the training inputs. */
export interface MultiGp {
  gps: Gp[];
  X: Mat;
  /** Output dimension E. */
  E: number;
  D: number;
}

/** Trains one GP per column of Y (n x E) on inputs X (n x D); `init` may warm-start each output. */
export function trainGps(Xin: MatLike, Yin: MatLike, opts: TrainGpOptions & { inits?: GpHyp[] } = {}): MultiGp {
  const X = asMat(Xin);
  const Y = asMat(Yin);
  if (Y.rows !== X.rows) throw new ShapeError(`trainGps: ${X.rows} input rows but ${Y.rows} target rows`);
  const gps: Gp[] = [];
  for (let e = 0; e < Y.cols; e++) {
    const y = new Float64Array(Y.rows);
    for (let i = 0; i < Y.rows; i++) y[i] = Y.data[i * Y.cols + e];
    gps.push(trainGp(X, y, { ...opts, init: opts.inits?.[e] ?? opts.init }).gp);
  }
  return { gps, X, E: Y.cols, D: X.cols };
}

/**
 * Subset of data: the GP cost grows as n^3 (training) and n^2 per moment-matching pass, so once the
 * data set exceeds `maxN` points we keep the `keepLast` most recent ones (the current policy's
 * region) and fill the rest with a uniformly random choice of the older ones. Returns row indices.
 */
export function subsetOfData(n: number, maxN: number, rng: Rng, keepLast = 0): number[] {
  checkInt("subsetOfData maxN", maxN);
  if (n <= maxN) return Array.from({ length: n }, (_, i) => i);
  const last = Math.min(keepLast, maxN);
  const older = rng
    .permutation(n - last)
    .slice(0, maxN - last)
    .sort((a, b) => a - b);
  const recent = Array.from({ length: last }, (_, i) => n - last + i);
  return older.concat(recent);
}

/**
 * A sparse (FITC) view of trained GPs, as the PILCO reference code's gp1 uses once the data grow
 * (Snelson and Ghahramani 2006): with M inducing inputs Z (here a subset of the training inputs),
 *
 *   Lambda = diag(K_nn - Q_nn) + sn^2 I,  Q_nn = K_nm K_mm^{-1} K_mn,
 *   Sigma  = (K_mm + K_mn Lambda^{-1} K_nm)^{-1},
 *   mean(x*) = k_*m beta,   beta = Sigma K_mn Lambda^{-1} y,
 *   var(x*)  = k_** - k_*m (K_mm^{-1} - Sigma) k_m*.
 *
 * This has the form of an exact GP on the M points Z with weights beta and "inverse kernel"
 * iK = K_mm^{-1} - Sigma, so moment matching runs unchanged on M instead of n points. With Z = X it
 * reproduces the full GP. The hyper-parameters are those of the given GPs (trained on the full data
 * or a subset).
 */
export interface SparseGpView {
  /** Inducing inputs, M x D (shared by all outputs). */
  Z: Mat;
  hyps: GpHyp[];
  /** Per output: beta (M) and iK (M x M row-major). */
  betas: Float64Array[];
  iKs: Float64Array[];
}

/** Builds the FITC view of `model` with the training rows `inducing` as inducing inputs. */
export function sparseGpView(model: MultiGp, inducing: number[]): SparseGpView {
  const { X } = model;
  const n = X.rows,
    D = X.cols,
    M = inducing.length;
  if (M === 0) throw new ShapeError("sparseGpView: no inducing inputs");
  const Z = mat(M, D);
  inducing.forEach((r, i) => {
    if (!(r >= 0 && r < n)) throw new ShapeError(`sparseGpView: inducing row ${r} outside 0..${n - 1}`);
    Z.data.set(X.data.subarray(r * D, (r + 1) * D), i * D);
  });
  const betas: Float64Array[] = [];
  const iKs: Float64Array[] = [];
  const hyps: GpHyp[] = [];
  for (const gp of model.gps) {
    const h = gp.hyp;
    const sf2 = Math.exp(2 * h[D]);
    const sn2 = Math.exp(2 * h[D + 1]);
    const Kmm = seArd(Z, Z, h);
    for (let i = 0; i < M; i++) Kmm.data[i * M + i] += 1e-8 * sf2;
    const { L } = choleskyWithJitter(Kmm, { name: "K_mm", checkSymmetric: false });
    const Kmn = seArd(Z, X, h); // M x n
    const V = solveLower(L, Kmn); // L^{-1} K_mn
    const ilam = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let q = 0;
      for (let i = 0; i < M; i++) q += V.data[i * n + j] ** 2;
      ilam[j] = 1 / (Math.max(sf2 - q, 0) + sn2);
    }
    // A = K_mm + K_mn Lambda^{-1} K_nm.
    const A = mat(M, M);
    const kd = Kmn.data;
    for (let a = 0; a < M; a++)
      for (let b = 0; b <= a; b++) {
        let v = Kmm.data[a * M + b];
        for (let j = 0; j < n; j++) v += kd[a * n + j] * ilam[j] * kd[b * n + j];
        A.data[a * M + b] = v;
        A.data[b * M + a] = v;
      }
    const LA = choleskyWithJitter(A, { name: "K_mm + K_mn Lambda^-1 K_nm", checkSymmetric: false }).L;
    const r = new Float64Array(M);
    for (let a = 0; a < M; a++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += kd[a * n + j] * ilam[j] * gp.y[j];
      r[a] = v;
    }
    const beta = cholSolve(LA, r);
    const iKmm = cholInverse(L).data;
    const Sig = cholInverse(LA).data;
    const iK = new Float64Array(M * M);
    for (let k = 0; k < M * M; k++) iK[k] = iKmm[k] - Sig[k];
    betas.push(beta);
    iKs.push(iK);
    hyps.push(Float64Array.from(h));
  }
  return { Z, hyps, betas, iKs };
}

/** Posterior mean and latent variance of a sparse view at the rows of Xs (for checks and plots). */
export function sparsePredict(view: SparseGpView, output: number, Xsin: MatLike): GpPrediction {
  const Xs = asMat(Xsin);
  const M = view.Z.rows;
  const h = view.hyps[output];
  const Ks = seArd(Xs, view.Z, h);
  const sf2 = Math.exp(2 * h[view.Z.cols]);
  const mean = new Float64Array(Xs.rows);
  const variance = new Float64Array(Xs.rows);
  const beta = view.betas[output],
    iK = view.iKs[output];
  for (let s = 0; s < Xs.rows; s++) {
    const k = Ks.data.subarray(s * M, (s + 1) * M);
    let mu = 0,
      q = 0;
    for (let a = 0; a < M; a++) {
      mu += k[a] * beta[a];
      let v = 0;
      for (let b = 0; b < M; b++) v += iK[a * M + b] * k[b];
      q += k[a] * v;
    }
    mean[s] = mu;
    variance[s] = Math.max(sf2 - q, 0);
  }
  return { mean, variance };
}

/**
 * Chooses M inducing rows: the `keepLast` most recent rows, then greedy farthest-point selection
 * in the input space scaled by the length-scales `ell` (D), so the inducing inputs cover the data.
 */
export function selectInducing(Xin: MatLike, M: number, ell: VecLike, keepLast = 0): number[] {
  const X = asMat(Xin);
  const n = X.rows,
    D = X.cols;
  checkInt("selectInducing M", M);
  if (n <= M) return Array.from({ length: n }, (_, i) => i);
  const chosen: number[] = [];
  const dist = new Float64Array(n).fill(Infinity);
  const take = (r: number) => {
    chosen.push(r);
    dist[r] = -1;
    for (let i = 0; i < n; i++) {
      if (dist[i] < 0) continue;
      let q = 0;
      for (let d = 0; d < D; d++) q += ((X.data[i * D + d] - X.data[r * D + d]) / ell[d]) ** 2;
      if (q < dist[i]) dist[i] = q;
    }
  };
  for (let r = Math.max(n - Math.min(keepLast, M), 0); r < n; r++) take(r);
  if (chosen.length === 0) take(0);
  while (chosen.length < M) {
    let best = -1,
      bd = -1;
    for (let i = 0; i < n; i++)
      if (dist[i] > bd) {
        bd = dist[i];
        best = i;
      }
    take(best);
  }
  return chosen.sort((a, b) => a - b);
}
