/**
 * LU factorisation with partial pivoting (P A = L U) for general square systems: solve, determinant,
 * inverse. Use Cholesky instead when the matrix is symmetric positive definite (twice as fast, stabler).
 */
import { ShapeError, ValueError } from "../core/checks";
import { Mat, MatLike, VecLike, asMat, checkSquare, isMat, mat } from "./mat";

/** The packed factors: unit-lower L below the diagonal, U on and above it; row i of P A is row piv[i] of A. */
export interface LU {
  lu: Mat;
  piv: Int32Array;
  /** +1 or -1: the sign of the permutation (for the determinant). */
  sign: number;
}

/**
 * Factorises a square A. Right-looking Doolittle: the row updates are contiguous axpys.
 * Throws a ValueError when a pivot is zero (singular matrix), naming the column.
 */
export function lu(A: MatLike): LU {
  const a = asMat(A);
  checkSquare("lu", a);
  const n = a.rows;
  const f = mat(n, n, a.data.slice());
  const d = f.data;
  const piv = new Int32Array(n);
  for (let i = 0; i < n; i++) piv[i] = i;
  let sign = 1;
  let scale = 0;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new ValueError(`lu: entry (${Math.floor(i / n)}, ${i % n}) of the ${n} x ${n} matrix is ${d[i]}`);
    scale = Math.max(scale, Math.abs(d[i]));
  }
  for (let k = 0; k < n; k++) {
    let p = k,
      best = Math.abs(d[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(d[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0 || best <= 1e-300 * scale) {
      throw new ValueError(`lu: the ${n} x ${n} matrix is singular (no non-zero pivot in column ${k})`);
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = d[k * n + j];
        d[k * n + j] = d[p * n + j];
        d[p * n + j] = t;
      }
      const t = piv[k];
      piv[k] = piv[p];
      piv[p] = t;
      sign = -sign;
    }
    eliminate(d, n, k);
  }
  return { lu: f, piv, sign };
}

/** Step k of the elimination: scale column k below the pivot, update the trailing rows (small hot function, so V8 optimises it early). */
function eliminate(d: Float64Array, n: number, k: number): void {
  const rk = k * n;
  const inv = 1 / d[rk + k];
  let i = k + 1;
  // Four rows per pass over the pivot row: each loaded pivot entry serves four updates.
  for (; i + 4 <= n; i += 4) {
    const r0 = i * n,
      r1 = r0 + n,
      r2 = r1 + n,
      r3 = r2 + n;
    const l0 = (d[r0 + k] *= inv),
      l1 = (d[r1 + k] *= inv),
      l2 = (d[r2 + k] *= inv),
      l3 = (d[r3 + k] *= inv);
    for (let j = k + 1; j < n; j++) {
      const p = d[rk + j];
      d[r0 + j] -= l0 * p;
      d[r1 + j] -= l1 * p;
      d[r2 + j] -= l2 * p;
      d[r3 + j] -= l3 * p;
    }
  }
  for (; i < n; i++) {
    const ri = i * n;
    const l = (d[ri + k] *= inv);
    if (l === 0) continue;
    for (let j = k + 1; j < n; j++) d[ri + j] -= l * d[rk + j];
  }
}

/** Solves A X = B given lu(A). B is a Mat (many right-hand sides) or a vector. */
export function luSolve(f: LU, B: Mat | readonly (readonly number[])[]): Mat;
export function luSolve(f: LU, b: VecLike): Float64Array;
export function luSolve(f: LU, B: MatLike | VecLike): Mat | Float64Array {
  const n = f.lu.rows,
    d = f.lu.data;
  let m: number, src: Float64Array, isVec: boolean;
  if (isMat(B) || (Array.isArray(B) && B.length > 0 && typeof B[0] !== "number")) {
    const b = asMat(B as MatLike);
    if (b.rows !== n) throw new ShapeError(`luSolve: the matrix is ${n} x ${n} but the right-hand side has ${b.rows} rows`);
    m = b.cols;
    src = b.data;
    isVec = false;
  } else {
    const v = B as VecLike;
    if (v.length !== n) throw new ShapeError(`luSolve: the matrix is ${n} x ${n} but the right-hand side has length ${v.length}`);
    m = 1;
    src = Float64Array.from(v);
    isVec = true;
  }
  const X = new Float64Array(n * m);
  for (let i = 0; i < n; i++) X.set(src.subarray(f.piv[i] * m, f.piv[i] * m + m), i * m);
  // L y = P b (unit diagonal), then U x = y.
  for (let i = 0; i < n; i++) {
    const ri = i * n,
      xi = i * m;
    for (let k = 0; k < i; k++) {
      const l = d[ri + k];
      if (l === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= l * X[xk + c];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n,
      xi = i * m;
    for (let k = i + 1; k < n; k++) {
      const u = d[ri + k];
      if (u === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= u * X[xk + c];
    }
    const inv = 1 / d[ri + i];
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
  }
  return isVec ? X : mat(n, m, X);
}

/** Solves A X = B for a general square A (LU with partial pivoting). */
export function solve(A: MatLike, B: Mat | readonly (readonly number[])[]): Mat;
export function solve(A: MatLike, b: VecLike): Float64Array;
export function solve(A: MatLike, B: MatLike | VecLike): Mat | Float64Array {
  return luSolve(lu(A), B as VecLike);
}

/** The determinant (from LU; 0 for an exactly singular matrix). */
export function det(A: MatLike): number {
  const a = asMat(A);
  checkSquare("det", a);
  let f: LU;
  try {
    f = lu(a);
  } catch (e) {
    if (e instanceof ValueError && /singular/.test(e.message)) return 0;
    throw e;
  }
  const n = a.rows;
  let p = f.sign;
  for (let i = 0; i < n; i++) p *= f.lu.data[i * n + i];
  return p;
}

/** The inverse of a small square matrix (LU; throws for a singular one). Prefer solve where you can. */
export function inv(A: MatLike): Mat {
  const a = asMat(A);
  checkSquare("inv", a);
  const n = a.rows;
  const I = mat(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  return luSolve(lu(a), I);
}
