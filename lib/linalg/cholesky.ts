/**
 * Cholesky factorisation A = L L^T of a symmetric positive definite matrix, triangular solves with
 * one or many right-hand sides, and what follows from them (solve, log-determinant, inverse).
 *
 * GPs, Bayesian regression and Gaussian densities all go through here. A kernel matrix is often
 * positive definite in theory but not in float64 (nearly equal inputs), so `cholesky` retries with
 * a growing multiple of the identity added ("jitter") and says so in its error when even that fails.
 */
import { ShapeError, ValueError } from "../core/checks";
import { Mat, MatLike, VecLike, asMat, checkSquare, dotRows, isMat, mat } from "./mat";
import { SimdKernel, simdKernel } from "./simd";

/** Thrown when a matrix is not (numerically) positive definite. */
export class NotPositiveDefiniteError extends ValueError {
  override name = "NotPositiveDefiniteError";
}

export interface CholeskyOptions {
  /**
   * How many times to retry with jitter after the plain factorisation fails (0: never). Default 6.
   * Jitter starts at `jitter` times the mean diagonal and grows tenfold per retry.
   */
  maxTries?: number;
  /** The first jitter, relative to the mean of the diagonal. Default 1e-10. */
  jitter?: number;
  /** Check that A is symmetric (relative tolerance 1e-8 of the largest entry). Default true. */
  checkSymmetric?: boolean;
  /** Names the matrix in error messages (for example "K + noise I"). Default "matrix". */
  name?: string;
}

/** The factor and the jitter that was needed (0 when none). */
export interface CholeskyResult {
  L: Mat;
  /** The absolute amount added to the diagonal of A before factorising. */
  jitter: number;
}

/**
 * The lower Cholesky factor L of a symmetric positive definite A (A = L L^T), retrying with jitter
 * (see CholeskyOptions). Only the lower triangle of A is read; the upper triangle of L is zero.
 * Throws NotPositiveDefiniteError naming the size, the failing pivot and the largest jitter tried.
 */
export function cholesky(A: MatLike, opts: CholeskyOptions = {}): Mat {
  return choleskyWithJitter(A, opts).L;
}

/** Like `cholesky`, and also returns how much jitter was added to the diagonal. */
export function choleskyWithJitter(A: MatLike, opts: CholeskyOptions = {}): CholeskyResult {
  const a = asMat(A);
  const name = opts.name ?? "matrix";
  checkSquare(`cholesky (${name})`, a);
  const n = a.rows;
  const maxTries = opts.maxTries ?? 6;
  const rel = opts.jitter ?? 1e-10;
  checkInput(a, name, opts.checkSymmetric ?? true);
  const L = mat(n, n);
  let fail = factor(a.data, L.data, n, 0);
  if (fail === null) return { L, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += Math.abs(a.data[i * n + i]);
  meanDiag = n > 0 ? meanDiag / n : 1;
  if (meanDiag === 0) meanDiag = 1;
  let jitter = rel * meanDiag;
  for (let t = 0; t < maxTries; t++, jitter *= 10) {
    L.data.fill(0);
    fail = factor(a.data, L.data, n, jitter);
    if (fail === null) return { L, jitter };
  }
  const tried = maxTries > 0 ? `, even after adding jitter up to ${(jitter / 10).toExponential(2)} to the diagonal` : "";
  throw new NotPositiveDefiniteError(
    `cholesky: the ${n} x ${n} ${name} is not positive definite: pivot ${fail.index} is ` +
      `${fail.value.toExponential(3)}${tried} (is it symmetric with a positive spectrum? a kernel with ` +
      `duplicate inputs needs a larger noise term)`,
  );
}

function checkInput(a: Mat, name: string, symmetric: boolean): void {
  const n = a.rows,
    d = a.data;
  let maxAbs = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) {
      throw new ValueError(`cholesky: entry (${Math.floor(i / n)}, ${i % n}) of the ${n} x ${n} ${name} is ${v}`);
    }
    const av = Math.abs(v);
    if (av > maxAbs) maxAbs = av;
  }
  if (!symmetric) return;
  const tol = 1e-8 * maxAbs;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(d[i * n + j] - d[j * n + i]) > tol) {
        throw new ValueError(
          `cholesky: the ${n} x ${n} ${name} is not symmetric: entry (${i}, ${j}) is ${d[i * n + j]} ` +
            `but (${j}, ${i}) is ${d[j * n + i]} (symmetrize it, or pass checkSymmetric: false to use the lower triangle)`,
        );
      }
    }
  }
}

type Failure = { index: number; value: number } | null;

/** Factorises into L (zeroed), in WebAssembly memory with the SIMD block kernel when available. */
function factor(A: Float64Array, L: Float64Array, n: number, jitter: number): Failure {
  const kern = n >= SIMD_MIN_N ? simdKernel() : null;
  if (!kern) return factorInto(A, L, n, jitter, null);
  const bytes = n * n * 8;
  kern.ensure(bytes + 64);
  const Lw = new Float64Array(kern.memory.buffer, 0, n * n);
  Lw.fill(0);
  const fail = factorInto(A, Lw, n, jitter, kern);
  if (fail === null) L.set(Lw);
  return fail;
}

/** Below this size the plain loops win (the kernel's call overhead dominates). */
const SIMD_MIN_N = 24;

/**
 * Row-by-row (Cholesky-Banachiewicz) factorisation into L (zeroed by the caller), with `jitter` added
 * to the diagonal. Every inner product is between two contiguous row prefixes of L, so all reads have
 * unit stride. Four rows i..i+3 are done together against two rows j, j+1 (a 4 x 2 register block of
 * eight accumulators): each loaded value is used two or four times, so the loop is bound by
 * arithmetic rather than by loads. Returns null on success, else the failing pivot.
 */
function factorInto(A: Float64Array, L: Float64Array, n: number, jitter: number, kern: SimdKernel | null): Failure {
  let i = 0;
  // With the kernel, L lives at byte 0 of the wasm memory and the eight sums go right after it.
  const outByte = n * n * 8;
  const sums = kern ? new Float64Array(kern.memory.buffer, outByte, 8) : null;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * n;
    if (kern && sums) for (let j = 0; j < i; j += 2) block4x2Simd(A, L, n, r0, j, kern, sums, outByte);
    else for (let j = 0; j < i; j += 2) block4x2(A, L, n, r0, j);
    // The 4 x 4 diagonal block, row by row.
    for (let r = 0; r < 4; r++) {
      const ri = r0 + r * n,
        ii = i + r;
      for (let j = i; j < ii; j++) L[ri + j] = (A[ri + j] - dotRows(L, ri, L, j * n, j)) / L[j * n + j];
      const d = A[ri + ii] + jitter - dotRows(L, ri, L, ri, ii);
      if (!(d > 0)) return { index: ii, value: d };
      L[ri + ii] = Math.sqrt(d);
    }
  }
  for (; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) L[ri + j] = (A[ri + j] - dotRows(L, ri, L, j * n, j)) / L[j * n + j];
    const d = A[ri + i] + jitter - dotRows(L, ri, L, ri, i);
    if (!(d > 0)) return { index: i, value: d };
    L[ri + i] = Math.sqrt(d);
  }
  return null;
}

/** Entries (i..i+3, j) and (i..i+3, j+1) of L, where r0 = i n; j is even and j + 1 < i. */
function block4x2(A: Float64Array, L: Float64Array, n: number, r0: number, j: number): void {
  const r1 = r0 + n,
    r2 = r1 + n,
    r3 = r2 + n;
  const rj = j * n,
    rl = rj + n;
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0;
  for (let p = 0; p < j; p++) {
    const lj = L[rj + p],
      ll = L[rl + p];
    const x0 = L[r0 + p],
      x1 = L[r1 + p],
      x2 = L[r2 + p],
      x3 = L[r3 + p];
    a0 += x0 * lj;
    b0 += x0 * ll;
    a1 += x1 * lj;
    b1 += x1 * ll;
    a2 += x2 * lj;
    b2 += x2 * ll;
    a3 += x3 * lj;
    b3 += x3 * ll;
  }
  const djj = L[rj + j],
    dll = L[rl + j + 1],
    llj = L[rl + j];
  const c0 = (A[r0 + j] - a0) / djj,
    c1 = (A[r1 + j] - a1) / djj,
    c2 = (A[r2 + j] - a2) / djj,
    c3 = (A[r3 + j] - a3) / djj;
  L[r0 + j] = c0;
  L[r1 + j] = c1;
  L[r2 + j] = c2;
  L[r3 + j] = c3;
  L[r0 + j + 1] = (A[r0 + j + 1] - b0 - c0 * llj) / dll;
  L[r1 + j + 1] = (A[r1 + j + 1] - b1 - c1 * llj) / dll;
  L[r2 + j + 1] = (A[r2 + j + 1] - b2 - c2 * llj) / dll;
  L[r3 + j + 1] = (A[r3 + j + 1] - b3 - c3 * llj) / dll;
}

/** block4x2 with the inner products done by the wasm SIMD kernel (L is a view of its memory). */
function block4x2Simd(
  A: Float64Array,
  L: Float64Array,
  n: number,
  r0: number,
  j: number,
  kern: SimdKernel,
  s: Float64Array,
  outByte: number,
): void {
  const r1 = r0 + n,
    r2 = r1 + n,
    r3 = r2 + n;
  const rj = j * n,
    rl = rj + n;
  kern.dot4x2(r0 * 8, r1 * 8, r2 * 8, r3 * 8, rj * 8, rl * 8, j, outByte);
  const djj = L[rj + j],
    dll = L[rl + j + 1],
    llj = L[rl + j];
  const c0 = (A[r0 + j] - s[0]) / djj,
    c1 = (A[r1 + j] - s[1]) / djj,
    c2 = (A[r2 + j] - s[2]) / djj,
    c3 = (A[r3 + j] - s[3]) / djj;
  L[r0 + j] = c0;
  L[r1 + j] = c1;
  L[r2 + j] = c2;
  L[r3 + j] = c3;
  L[r0 + j + 1] = (A[r0 + j + 1] - s[4] - c0 * llj) / dll;
  L[r1 + j + 1] = (A[r1 + j + 1] - s[5] - c1 * llj) / dll;
  L[r2 + j + 1] = (A[r2 + j + 1] - s[6] - c2 * llj) / dll;
  L[r3 + j + 1] = (A[r3 + j + 1] - s[7] - c3 * llj) / dll;
}

/** True when A is symmetric positive definite (a plain Cholesky succeeds without jitter). */
export function isPositiveDefinite(A: MatLike): boolean {
  const a = asMat(A);
  if (a.rows !== a.cols) return false;
  try {
    cholesky(a, { maxTries: 0 });
    return true;
  } catch (e) {
    if (e instanceof ValueError) return false;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Triangular solves. The right-hand side is a Mat (n x m: m right-hand sides, one per column) or a
// vector; the result has the same kind. Only the relevant triangle of the factor is read.

type Rhs = { x: Float64Array; m: number; isVec: boolean };

function rhs(what: string, T: Mat, B: MatLike | VecLike): Rhs {
  checkSquare(what, T);
  const n = T.rows;
  if (isMat(B) || (Array.isArray(B) && B.length > 0 && typeof B[0] !== "number")) {
    const b = asMat(B as MatLike);
    if (b.rows !== n) throw new ShapeError(`${what}: the factor is ${n} x ${n} but the right-hand side has ${b.rows} rows`);
    return { x: b.data.slice(), m: b.cols, isVec: false };
  }
  const v = B as VecLike;
  if (v.length !== n) throw new ShapeError(`${what}: the factor is ${n} x ${n} but the right-hand side has length ${v.length}`);
  return { x: Float64Array.from(v), m: 1, isVec: true };
}

function out(r: Rhs, n: number): Mat | Float64Array {
  return r.isVec ? r.x : mat(n, r.m, r.x);
}

function checkPivot(what: string, v: number, i: number, n: number): void {
  if (v === 0 || !Number.isFinite(v)) {
    throw new ValueError(`${what}: the ${n} x ${n} triangular factor has diagonal entry ${i} equal to ${v} (singular)`);
  }
}

/** Solves L X = B for lower-triangular L (forward substitution). */
export function solveLower(L: MatLike, B: Mat | readonly (readonly number[])[]): Mat;
export function solveLower(L: MatLike, b: VecLike): Float64Array;
export function solveLower(L: MatLike, B: MatLike | VecLike): Mat | Float64Array {
  const l = asMat(L);
  const r = rhs("solveLower", l, B);
  forwardInPlace(l, r.x, r.m);
  return out(r, l.rows);
}

/** Solves L^T X = B for lower-triangular L (backward substitution), without forming L^T. */
export function solveLowerT(L: MatLike, B: Mat | readonly (readonly number[])[]): Mat;
export function solveLowerT(L: MatLike, b: VecLike): Float64Array;
export function solveLowerT(L: MatLike, B: MatLike | VecLike): Mat | Float64Array {
  const l = asMat(L);
  const r = rhs("solveLowerT", l, B);
  backwardTInPlace(l, r.x, r.m);
  return out(r, l.rows);
}

/** Solves U X = B for upper-triangular U (backward substitution). */
export function solveUpper(U: MatLike, B: Mat | readonly (readonly number[])[]): Mat;
export function solveUpper(U: MatLike, b: VecLike): Float64Array;
export function solveUpper(U: MatLike, B: MatLike | VecLike): Mat | Float64Array {
  const u = asMat(U);
  const r = rhs("solveUpper", u, B);
  const n = u.rows,
    m = r.m,
    T = u.data,
    X = r.x;
  for (let i = n - 1; i >= 0; i--) {
    const ti = i * n,
      d = T[ti + i];
    checkPivot("solveUpper", d, i, n);
    const xi = i * m;
    if (m === 1) {
      X[i] = (X[i] - dotRows(T, ti + i + 1, X, i + 1, n - i - 1)) / d;
      continue;
    }
    for (let k = i + 1; k < n; k++) {
      const t = T[ti + k];
      if (t === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= t * X[xk + c];
    }
    const inv = 1 / d;
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
  }
  return out(r, n);
}

/** Forward substitution in place on X (n x m, row-major). */
function forwardInPlace(l: Mat, X: Float64Array, m: number): void {
  const n = l.rows,
    T = l.data;
  for (let i = 0; i < n; i++) {
    const ti = i * n,
      d = T[ti + i];
    checkPivot("solveLower", d, i, n);
    if (m === 1) {
      X[i] = (X[i] - dotRows(T, ti, X, 0, i)) / d;
      continue;
    }
    const xi = i * m;
    for (let k = 0; k < i; k++) {
      const t = T[ti + k];
      if (t === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= t * X[xk + c];
    }
    const inv = 1 / d;
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
  }
}

/** Backward substitution with L^T in place: row i of L (contiguous) updates the rows above it. */
function backwardTInPlace(l: Mat, X: Float64Array, m: number): void {
  const n = l.rows,
    T = l.data;
  for (let i = n - 1; i >= 0; i--) {
    const ti = i * n,
      d = T[ti + i];
    checkPivot("solveLowerT", d, i, n);
    const xi = i * m;
    const inv = 1 / d;
    if (m === 1) {
      const xv = (X[i] *= inv);
      if (xv !== 0) for (let k = 0; k < i; k++) X[k] -= T[ti + k] * xv;
      continue;
    }
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
    for (let k = 0; k < i; k++) {
      const t = T[ti + k];
      if (t === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xk + c] -= t * X[xi + c];
    }
  }
}

/** Solves A X = B given the Cholesky factor L of A (A = L L^T). */
export function cholSolve(L: MatLike, B: Mat | readonly (readonly number[])[]): Mat;
export function cholSolve(L: MatLike, b: VecLike): Float64Array;
export function cholSolve(L: MatLike, B: MatLike | VecLike): Mat | Float64Array {
  const l = asMat(L);
  const r = rhs("cholSolve", l, B);
  forwardInPlace(l, r.x, r.m);
  backwardTInPlace(l, r.x, r.m);
  return out(r, l.rows);
}

/** log det A = 2 sum_i log L_ii, given the Cholesky factor L of A. */
export function logDetChol(L: MatLike): number {
  const l = asMat(L);
  checkSquare("logDetChol", l);
  let s = 0;
  for (let i = 0; i < l.rows; i++) s += Math.log(l.data[i * l.cols + i]);
  return 2 * s;
}

/** A^{-1} from the Cholesky factor L of A, symmetrised (costs n^3; prefer cholSolve when you can). */
export function cholInverse(L: MatLike): Mat {
  const l = asMat(L);
  checkSquare("cholInverse", l);
  const n = l.rows;
  // L^{-1} column by column is triangular; A^{-1} = L^{-T} L^{-1}.
  const I = mat(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  forwardInPlace(l, I.data, n);
  backwardTInPlace(l, I.data, n);
  const d = I.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return I;
}
