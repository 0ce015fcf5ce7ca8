/** Shared helpers for the PILCO tests: random GPs, random covariances, Monte Carlo moments. */
import { makeRng, type Rng } from "../../lib/core";
import { fitGp, makeHyp, type Gp } from "../../lib/models/gp";
import { mat } from "../../lib/linalg";

/** A random SPD matrix (D x D, row-major) with entries of about `scale`. */
export function randomCov(D: number, rng: Rng, scale = 0.3): Float64Array {
  const A = new Float64Array(D * D);
  for (let i = 0; i < D * D; i++) A[i] = rng.normal();
  const S = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      let v = 0;
      for (let k = 0; k < D; k++) v += A[i * D + k] * A[j * D + k];
      S[i * D + j] = (scale * v) / D + (i === j ? 0.05 * scale : 0);
    }
  return S;
}

/** E random GPs on shared random inputs (n x D) with smooth random targets. */
export function randomGps(n: number, D: number, E: number, seed: number): Gp[] {
  const rng = makeRng(seed);
  const X = mat(n, D);
  for (let i = 0; i < n * D; i++) X.data[i] = rng.normal();
  const gps: Gp[] = [];
  for (let e = 0; e < E; e++) {
    const w = Array.from({ length: D }, () => rng.normal());
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += w[d] * X.data[i * D + d];
      y[i] = Math.sin(s) + 0.3 * Math.cos(2 * X.data[i * D]) + 0.05 * rng.normal();
    }
    const ell = Array.from({ length: D }, () => rng.uniform(0.7, 2));
    gps.push(fitGp(X, y, makeHyp(ell, rng.uniform(0.6, 1.4), rng.uniform(0.05, 0.2))));
  }
  return gps;
}

/** Cholesky-free sampler for small D: x = m + L z with L from a plain Cholesky (test only). */
export function sampler(m: ArrayLike<number>, S: ArrayLike<number>, rng: Rng): () => Float64Array {
  const D = m.length;
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let v = S[i * D + j];
      for (let k = 0; k < j; k++) v -= L[i * D + k] * L[j * D + k];
      L[i * D + j] = i === j ? Math.sqrt(v) : v / L[j * D + j];
    }
  }
  const z = new Float64Array(D);
  return () => {
    for (let i = 0; i < D; i++) z[i] = rng.normal();
    const x = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      let v = m[i];
      for (let j = 0; j <= i; j++) v += L[i * D + j] * z[j];
      x[i] = v;
    }
    return x;
  };
}

/** Running first and second moments of vectors (joint over [x, y]). */
export class Moments {
  n = 0;
  sum: Float64Array;
  sq: Float64Array;
  constructor(public dim: number) {
    this.sum = new Float64Array(dim);
    this.sq = new Float64Array(dim * dim);
  }
  add(v: ArrayLike<number>): void {
    this.n++;
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      this.sum[i] += v[i];
      for (let j = 0; j < d; j++) this.sq[i * d + j] += v[i] * v[j];
    }
  }
  mean(i: number): number {
    return this.sum[i] / this.n;
  }
  cov(i: number, j: number): number {
    return this.sq[i * this.dim + j] / this.n - this.mean(i) * this.mean(j);
  }
}

/** A central finite difference of f at x along every coordinate. */
export function fdGrad(f: (x: Float64Array) => number, x0: ArrayLike<number>, h = 1e-5): Float64Array {
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + h;
    const fp = f(x);
    x[i] = v - h;
    const fm = f(x);
    x[i] = v;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Max |a - b| / (|b| + floor). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + floor));
  return e;
}
