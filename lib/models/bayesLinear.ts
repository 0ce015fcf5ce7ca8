/**
 * Bayesian linear regression (the "posterior over parameters" of lecture 002, Bishop's PRML ch. 3.3):
 * a model that is linear in its weights, y = w^T phi(x) + eps, with fixed features phi (polynomial,
 * radial basis functions, or the raw inputs), a Gaussian prior w ~ N(0, priorStd^2 I) and Gaussian
 * noise eps ~ N(0, noiseStd^2). With alpha = 1 / priorStd^2 and beta = 1 / noiseStd^2, the posterior
 * after data (X, y) is Gaussian in closed form:
 *
 *   precision  A = alpha I + beta Phi^T Phi,    covariance S = A^{-1},    mean m = beta S Phi^T y,
 *
 * and the predictive distribution at a new input x is N(m^T phi(x), s^2(x)) with
 *
 *   s^2(x) = noiseStd^2  (aleatoric: the noise, the same everywhere)  +  phi(x)^T S phi(x)  (epistemic:
 *            what we do not know about w; it shrinks as data arrive near x).
 *
 * Everything is float64 and goes through the Cholesky factor L of A (A = L L^T): m by two triangular
 * solves, phi^T S phi = |L^{-1} phi|^2, and weight samples m + L^{-T} z with z ~ N(0, I).
 */
import { ShapeError, ValueError, checkFinite, checkInt, checkNumber, type Rng } from "../core";
import { type Mat, type MatLike, asMat, cholInverse, cholesky, cholSolve, logDetChol, mat, solveLower, solveLowerT } from "../linalg";

// -------------------------------------------------------------------------------------------------
// Features.

/** A fixed feature map phi: R^inputSize -> R^size. */
export interface FeatureMap {
  readonly name: string;
  readonly inputSize: number;
  readonly size: number;
  /** phi(x) for one input x of length inputSize. */
  map(x: ArrayLike<number>): Float64Array;
}

/** Polynomial features of a scalar input: [1, x/scale, (x/scale)^2, ..., (x/scale)^degree]. */
export function polynomialFeatures(degree: number, { scale = 1 }: { scale?: number } = {}): FeatureMap {
  checkInt("polynomialFeatures degree", degree, { allowZero: true });
  checkNumber("polynomialFeatures scale", scale);
  if (scale <= 0) throw new ValueError(`polynomialFeatures: scale must be positive, got ${scale}`);
  return {
    name: `polynomial (degree ${degree})`,
    inputSize: 1,
    size: degree + 1,
    map(x) {
      checkInputLength("polynomialFeatures", x, 1);
      const u = x[0] / scale;
      const out = new Float64Array(degree + 1);
      let p = 1;
      for (let k = 0; k <= degree; k++, p *= u) out[k] = p;
      return out;
    },
  };
}

/**
 * Gaussian radial basis functions exp(-|x - c_k|^2 / (2 lengthscale^2)), one per centre, preceded by a
 * constant 1 when `bias` (default true). Centres: numbers (scalar inputs) or rows of a matrix.
 */
export function rbfFeatures(
  centers: readonly number[] | MatLike,
  lengthscale: number,
  { bias = true }: { bias?: boolean } = {},
): FeatureMap {
  checkNumber("rbfFeatures lengthscale", lengthscale);
  if (lengthscale <= 0) throw new ValueError(`rbfFeatures: lengthscale must be positive, got ${lengthscale}`);
  const C = isNumberList(centers) ? mat(centers.length, 1, centers) : asMat(centers);
  if (C.rows === 0) throw new ShapeError("rbfFeatures: no centres given");
  checkFinite("rbfFeatures centres", C.data);
  const d = C.cols,
    K = C.rows,
    off = bias ? 1 : 0;
  const inv2l2 = 1 / (2 * lengthscale * lengthscale);
  return {
    name: `${K} RBFs (lengthscale ${lengthscale})${bias ? " + bias" : ""}`,
    inputSize: d,
    size: K + off,
    map(x) {
      checkInputLength("rbfFeatures", x, d);
      const out = new Float64Array(K + off);
      if (bias) out[0] = 1;
      for (let k = 0; k < K; k++) {
        let r2 = 0;
        for (let j = 0; j < d; j++) r2 += (x[j] - C.data[k * d + j]) ** 2;
        out[k + off] = Math.exp(-r2 * inv2l2);
      }
      return out;
    },
  };
}

/** The inputs themselves, preceded by a constant 1 when `bias` (default true): ordinary linear regression. */
export function linearFeatures(inputSize: number, { bias = true }: { bias?: boolean } = {}): FeatureMap {
  checkInt("linearFeatures inputSize", inputSize);
  const off = bias ? 1 : 0;
  return {
    name: `linear${bias ? " + bias" : ""}`,
    inputSize,
    size: inputSize + off,
    map(x) {
      checkInputLength("linearFeatures", x, inputSize);
      const out = new Float64Array(inputSize + off);
      if (bias) out[0] = 1;
      for (let j = 0; j < inputSize; j++) out[j + off] = x[j];
      return out;
    },
  };
}

/** Inputs as a matrix: a plain list of numbers is a column of scalar inputs; otherwise rows. */
export type Inputs = readonly number[] | Float64Array | MatLike;

/** The design matrix Phi (rows x features.size) of the inputs X. */
export function featureMatrix(features: FeatureMap, X: Inputs): Mat {
  const A = inputsToMat("featureMatrix", X, features.inputSize);
  const M = features.size;
  const Phi = mat(A.rows, M);
  const d = A.cols;
  for (let i = 0; i < A.rows; i++) {
    const phi = features.map(A.data.subarray(i * d, (i + 1) * d));
    if (phi.length !== M) throw new ShapeError(`featureMatrix: ${features.name} returned ${phi.length} features, expected ${M}`);
    Phi.data.set(phi, i * M);
  }
  checkFinite(`featureMatrix (${features.name})`, Phi.data);
  return Phi;
}

// -------------------------------------------------------------------------------------------------
// Posterior.

export interface BayesLinearOptions {
  /** Prior standard deviation of every weight (alpha = 1 / priorStd^2). */
  priorStd: number;
  /** Standard deviation of the observation noise (beta = 1 / noiseStd^2). */
  noiseStd: number;
}

export interface BayesLinearPosterior {
  readonly features: FeatureMap;
  readonly priorStd: number;
  readonly noiseStd: number;
  /** Number of observations conditioned on (0: this is the prior). */
  readonly n: number;
  /** Posterior mean of the weights, length features.size. */
  readonly mean: Float64Array;
  /** Posterior covariance of the weights (features.size square). */
  readonly cov: Mat;
  /** Cholesky factor of the posterior precision A = S^{-1} = L L^T. */
  readonly precisionChol: Mat;
  /** log p(y | X) with the weights integrated out (the evidence, or marginal likelihood). */
  readonly logEvidence: number;
}

/**
 * The posterior over the weights after observing targets y at inputs X (X may have zero rows: then
 * the result is the prior). Throws ShapeError when X and y disagree, ValueError for bad numbers.
 */
export function fitBayesLinear(features: FeatureMap, X: Inputs, y: ArrayLike<number>, opts: BayesLinearOptions): BayesLinearPosterior {
  const priorStd = checkNumber("fitBayesLinear priorStd", opts.priorStd);
  const noiseStd = checkNumber("fitBayesLinear noiseStd", opts.noiseStd);
  if (priorStd <= 0 || noiseStd <= 0) {
    throw new ValueError(`fitBayesLinear: priorStd and noiseStd must be positive, got ${priorStd} and ${noiseStd}`);
  }
  const Phi = featureMatrix(features, X);
  const n = Phi.rows,
    M = Phi.cols;
  if (y.length !== n) throw new ShapeError(`fitBayesLinear: ${n} inputs but ${y.length} targets`);
  checkFinite("fitBayesLinear y", y);
  const alpha = 1 / (priorStd * priorStd),
    beta = 1 / (noiseStd * noiseStd);
  // A = alpha I + beta Phi^T Phi and b = beta Phi^T y, accumulated row by row.
  const A = mat(M, M);
  const b = new Float64Array(M);
  const P = Phi.data;
  for (let i = 0; i < n; i++) {
    const o = i * M;
    for (let r = 0; r < M; r++) {
      const pr = P[o + r];
      if (pr === 0) continue;
      b[r] += beta * pr * y[i];
      for (let c = 0; c <= r; c++) A.data[r * M + c] += beta * pr * P[o + c];
    }
  }
  for (let r = 0; r < M; r++) {
    A.data[r * M + r] += alpha;
    for (let c = 0; c < r; c++) A.data[c * M + r] = A.data[r * M + c];
  }
  const L = cholesky(A, { name: "posterior precision alpha I + beta Phi^T Phi" });
  const mean = cholSolve(L, b);
  const cov = cholInverse(L);
  // Evidence (PRML eq. 3.86): M/2 log alpha + n/2 log beta - E(m) - 1/2 log|A| - n/2 log(2 pi),
  // with E(m) = beta/2 |y - Phi m|^2 + alpha/2 |m|^2.
  let sse = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let r = 0; r < M; r++) f += P[i * M + r] * mean[r];
    sse += (y[i] - f) ** 2;
  }
  let mm = 0;
  for (let r = 0; r < M; r++) mm += mean[r] * mean[r];
  const logEvidence =
    0.5 * M * Math.log(alpha) +
    0.5 * n * Math.log(beta) -
    0.5 * beta * sse -
    0.5 * alpha * mm -
    0.5 * logDetChol(L) -
    0.5 * n * Math.log(2 * Math.PI);
  return { features, priorStd, noiseStd, n, mean, cov, precisionChol: L, logEvidence };
}

/** The prior as a "posterior after no data" (same type, so prediction and sampling work on it). */
export function bayesLinearPrior(features: FeatureMap, opts: BayesLinearOptions): BayesLinearPosterior {
  return fitBayesLinear(features, mat(0, features.inputSize), [], opts);
}

export interface BayesLinearPrediction {
  /** Predictive mean m^T phi(x). */
  mean: Float64Array;
  /** phi(x)^T S phi(x): the variance of f(x) = w^T phi(x) under the posterior (model uncertainty). */
  epistemicVar: Float64Array;
  /** noiseStd^2 at every input (the noise the model cannot explain away). */
  aleatoricVar: Float64Array;
  /** epistemicVar + aleatoricVar: the variance of a new observation y at x. */
  variance: Float64Array;
}

/** The posterior predictive distribution at inputs X, its variance split into its two parts. */
export function bayesLinearPredict(post: BayesLinearPosterior, X: Inputs): BayesLinearPrediction {
  const Phi = featureMatrix(post.features, X);
  const n = Phi.rows,
    M = Phi.cols;
  const mean = new Float64Array(n),
    epistemicVar = new Float64Array(n);
  const noise = post.noiseStd * post.noiseStd;
  for (let i = 0; i < n; i++) {
    const phi = Phi.data.subarray(i * M, (i + 1) * M);
    let f = 0;
    for (let r = 0; r < M; r++) f += phi[r] * post.mean[r];
    mean[i] = f;
    const v = solveLower(post.precisionChol, phi); // |L^{-1} phi|^2 = phi^T A^{-1} phi
    let s = 0;
    for (let r = 0; r < M; r++) s += v[r] * v[r];
    epistemicVar[i] = s;
  }
  const aleatoricVar = new Float64Array(n).fill(noise);
  const variance = Float64Array.from(epistemicVar, (v) => v + noise);
  return { mean, epistemicVar, aleatoricVar, variance };
}

/** nSamples weight vectors drawn from the posterior N(m, S) (as m + L^{-T} z, z ~ N(0, I)). */
export function sampleWeights(post: BayesLinearPosterior, nSamples: number, rng: Rng): Float64Array[] {
  checkInt("sampleWeights nSamples", nSamples, { allowZero: true });
  const M = post.mean.length;
  const out: Float64Array[] = [];
  for (let s = 0; s < nSamples; s++) {
    const z = new Float64Array(M);
    for (let r = 0; r < M; r++) z[r] = rng.normal();
    const w = solveLowerT(post.precisionChol, z);
    for (let r = 0; r < M; r++) w[r] += post.mean[r];
    out.push(w);
  }
  return out;
}

/** Whole functions from the posterior: for each of nSamples weight samples w, the values w^T phi(x) at X. */
export function sampleFunctions(post: BayesLinearPosterior, X: Inputs, nSamples: number, rng: Rng): Float64Array[] {
  const Phi = featureMatrix(post.features, X);
  const n = Phi.rows,
    M = Phi.cols;
  return sampleWeights(post, nSamples, rng).map((w) => {
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let r = 0; r < M; r++) v += Phi.data[i * M + r] * w[r];
      f[i] = v;
    }
    return f;
  });
}

// -------------------------------------------------------------------------------------------------

function isNumberList(x: unknown): x is readonly number[] | Float64Array {
  if (x instanceof Float64Array) return true;
  return Array.isArray(x) && (x.length === 0 || typeof x[0] === "number");
}

function inputsToMat(what: string, X: Inputs, inputSize: number): Mat {
  if (isNumberList(X)) {
    if (X.length === 0) return mat(0, inputSize);
    if (inputSize !== 1) {
      throw new ShapeError(
        `${what}: a plain list of numbers is a column of scalar inputs, but the features take inputs of size ${inputSize}`,
      );
    }
    return mat(X.length, 1, Array.from(X));
  }
  const A = asMat(X as MatLike);
  if (A.rows > 0 && A.cols !== inputSize) throw new ShapeError(`${what}: inputs have ${A.cols} columns, the features take ${inputSize}`);
  if (A.rows === 0) return mat(0, inputSize);
  checkFinite(`${what} inputs`, A.data);
  return A;
}

function checkInputLength(what: string, x: ArrayLike<number>, d: number): void {
  if (x.length !== d) throw new ShapeError(`${what}: input has length ${x.length}, expected ${d}`);
}
