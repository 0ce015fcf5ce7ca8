/**
 * Dense float64 matrices in row-major typed arrays: the type, constructors, converters and the
 * elementwise and product operations the rest of lib/linalg builds on.
 *
 * Entry (i, j) of a Mat `A` is `A.data[i * A.cols + j]`. Functions never modify their inputs unless
 * their name says so (`...InPlace`). Most functions accept a `MatLike` (a Mat or an array of rows)
 * so notebooks can pass plain `number[][]`.
 */
import { ShapeError, ValueError, checkMatrix } from "../core/checks";

/** A dense row-major float64 matrix. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A Mat or a rectangular array of rows. */
export type MatLike = Mat | readonly (readonly number[])[] | readonly Float64Array[];

/** A vector: any array-like of numbers. */
export type VecLike = ArrayLike<number>;

/** True when `x` is a Mat (rows, cols and a Float64Array of rows * cols entries). */
export function isMat(x: unknown): x is Mat {
  if (x === null || typeof x !== "object") return false;
  const m = x as Partial<Mat>;
  return typeof m.rows === "number" && typeof m.cols === "number" && m.data instanceof Float64Array && m.data.length === m.rows * m.cols;
}

/** A rows x cols Mat; wraps `data` (no copy) when given, else zeros. */
export function mat(rows: number, cols: number, data?: Float64Array | readonly number[]): Mat {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new ShapeError(`mat: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (data.length !== rows * cols) {
    throw new ShapeError(`mat: ${rows} x ${cols} needs ${rows * cols} entries, got ${data.length}`);
  }
  return { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/** A rows x cols matrix of zeros. */
export function zeros(rows: number, cols: number): Mat {
  return mat(rows, cols);
}

/** The n x n identity. */
export function eye(n: number): Mat {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** A square matrix with `d` on its diagonal. */
export function diagMat(d: VecLike): Mat {
  const n = d.length;
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = d[i];
  return m;
}

/** The diagonal of a (possibly non-square) matrix. */
export function diag(A: MatLike): Float64Array {
  const a = asMat(A);
  const k = Math.min(a.rows, a.cols);
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = a.data[i * a.cols + i];
  return out;
}

/** A Mat from an array of rows (copies). Checks the rows are rectangular. */
export function fromArray(rows: readonly (readonly number[])[] | readonly Float64Array[]): Mat {
  const [n, m] = checkMatrix("fromArray", rows as readonly ArrayLike<number>[]);
  const out = mat(n, m);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    for (let j = 0; j < m; j++) out.data[i * m + j] = r[j];
  }
  return out;
}

/** The matrix as an array of rows (plain numbers). */
export function toArray(A: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < A.rows; i++) out.push(Array.from(A.data.subarray(i * A.cols, (i + 1) * A.cols)));
  return out;
}

/** A Mat as is, or an array of rows converted (copied). */
export function asMat(A: MatLike): Mat {
  if (isMat(A)) return A;
  if (Array.isArray(A)) return fromArray(A as readonly (readonly number[])[]);
  throw new ShapeError("expected a Mat {rows, cols, data: Float64Array} or an array of rows");
}

/** An n x 1 column from a vector (copies). */
export function colVec(v: VecLike): Mat {
  return mat(v.length, 1, Float64Array.from(v));
}

/** A deep copy. */
export function copy(A: MatLike): Mat {
  const a = asMat(A);
  return mat(a.rows, a.cols, a.data.slice());
}

/** Row i as a view (no copy) into the data. */
export function row(A: Mat, i: number): Float64Array {
  return A.data.subarray(i * A.cols, (i + 1) * A.cols);
}

/** Column j as a new array. */
export function col(A: Mat, j: number): Float64Array {
  const out = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) out[i] = A.data[i * A.cols + j];
  return out;
}

/** Entry (i, j). */
export function get(A: Mat, i: number, j: number): number {
  return A.data[i * A.cols + j];
}

/** Sets entry (i, j) in place. */
export function set(A: Mat, i: number, j: number, v: number): void {
  A.data[i * A.cols + j] = v;
}

/** The transpose (a new matrix), in cache-sized tiles so large matrices do not thrash. */
export function transpose(A: MatLike): Mat {
  const a = asMat(A);
  const { rows: n, cols: m } = a;
  const out = mat(m, n);
  const s = a.data,
    d = out.data;
  const T = 32;
  for (let i0 = 0; i0 < n; i0 += T) {
    const i1 = Math.min(n, i0 + T);
    for (let j0 = 0; j0 < m; j0 += T) {
      const j1 = Math.min(m, j0 + T);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) d[j * n + i] = s[i * m + j];
    }
  }
  return out;
}

function sameShape(what: string, a: Mat, b: Mat): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeError(`${what}: shapes differ, ${a.rows} x ${a.cols} vs ${b.rows} x ${b.cols}`);
  }
}

/** A + B. */
export function add(A: MatLike, B: MatLike): Mat {
  const a = asMat(A),
    b = asMat(B);
  sameShape("add", a, b);
  const out = mat(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

/** A - B. */
export function sub(A: MatLike, B: MatLike): Mat {
  const a = asMat(A),
    b = asMat(B);
  sameShape("sub", a, b);
  const out = mat(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] - b.data[i];
  return out;
}

/** s * A. */
export function scale(A: MatLike, s: number): Mat {
  const a = asMat(A);
  const out = mat(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = s * a.data[i];
  return out;
}

/** A + s I (a new matrix); A must be square. */
export function addDiag(A: MatLike, s: number | VecLike): Mat {
  const a = copy(A);
  checkSquare("addDiag", a);
  const n = a.rows;
  for (let i = 0; i < n; i++) a.data[i * n + i] += typeof s === "number" ? s : s[i];
  return a;
}

/** (A + A^T) / 2: removes round-off asymmetry from a covariance. */
export function symmetrize(A: MatLike): Mat {
  const a = asMat(A);
  checkSquare("symmetrize", a);
  const n = a.rows;
  const out = mat(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
      out.data[i * n + j] = v;
      out.data[j * n + i] = v;
    }
  }
  return out;
}

/** The sum of the diagonal. */
export function trace(A: MatLike): number {
  const a = asMat(A);
  checkSquare("trace", a);
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += a.data[i * a.cols + i];
  return s;
}

/** Throws a ShapeError unless A is square. */
export function checkSquare(what: string, A: Mat): void {
  if (A.rows !== A.cols) throw new ShapeError(`${what}: expected a square matrix, got ${A.rows} x ${A.cols}`);
}

/** Throws a ValueError naming the first non-finite entry. */
export function checkFiniteMat(what: string, A: Mat): void {
  const d = A.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor(i / A.cols),
        c = i % A.cols;
      throw new ValueError(`${what}: entry (${r}, ${c}) of the ${A.rows} x ${A.cols} matrix is ${d[i]}`);
    }
  }
}

/**
 * C = A B. The i-k-j loop order streams rows of B and C (unit stride), which is what makes a plain
 * JavaScript loop fast; rows of C are computed four at a time so each loaded row of B is used four times.
 */
export function matmul(A: MatLike, B: MatLike): Mat {
  const a = asMat(A),
    b = asMat(B);
  if (a.cols !== b.rows) {
    throw new ShapeError(`matmul: inner sizes differ, ${a.rows} x ${a.cols} times ${b.rows} x ${b.cols}`);
  }
  const n = a.rows,
    K = a.cols,
    m = b.cols;
  const out = mat(n, m);
  const A_ = a.data,
    B_ = b.data,
    C = out.data;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = i * m,
      c1 = c0 + m,
      c2 = c1 + m,
      c3 = c2 + m;
    for (let k = 0; k < K; k++) {
      const a0 = A_[i * K + k],
        a1 = A_[(i + 1) * K + k],
        a2 = A_[(i + 2) * K + k],
        a3 = A_[(i + 3) * K + k];
      const bk = k * m;
      for (let j = 0; j < m; j++) {
        const bv = B_[bk + j];
        C[c0 + j] += a0 * bv;
        C[c1 + j] += a1 * bv;
        C[c2 + j] += a2 * bv;
        C[c3 + j] += a3 * bv;
      }
    }
  }
  for (; i < n; i++) {
    const ci = i * m;
    for (let k = 0; k < K; k++) {
      const av = A_[i * K + k];
      if (av === 0) continue;
      const bk = k * m;
      for (let j = 0; j < m; j++) C[ci + j] += av * B_[bk + j];
    }
  }
  return out;
}

/** C = A^T B without forming A^T. */
export function matmulTN(A: MatLike, B: MatLike): Mat {
  const a = asMat(A),
    b = asMat(B);
  if (a.rows !== b.rows) {
    throw new ShapeError(`matmulTN: A^T B needs equal row counts, got ${a.rows} x ${a.cols} and ${b.rows} x ${b.cols}`);
  }
  const K = a.rows,
    n = a.cols,
    m = b.cols;
  const out = mat(n, m);
  const A_ = a.data,
    B_ = b.data,
    C = out.data;
  // Row k of A and row k of B give the rank-one update a_k b_k^T; both are read with unit stride.
  for (let k = 0; k < K; k++) {
    const ak = k * n,
      bk = k * m;
    for (let i = 0; i < n; i++) {
      const av = A_[ak + i];
      if (av === 0) continue;
      const ci = i * m;
      for (let j = 0; j < m; j++) C[ci + j] += av * B_[bk + j];
    }
  }
  return out;
}

/** C = A B^T without forming B^T: each entry is a dot product of two contiguous rows. */
export function matmulNT(A: MatLike, B: MatLike): Mat {
  const a = asMat(A),
    b = asMat(B);
  if (a.cols !== b.cols) {
    throw new ShapeError(`matmulNT: A B^T needs equal column counts, got ${a.rows} x ${a.cols} and ${b.rows} x ${b.cols}`);
  }
  const n = a.rows,
    m = b.rows,
    K = a.cols;
  const out = mat(n, m);
  const A_ = a.data,
    B_ = b.data,
    C = out.data;
  for (let i = 0; i < n; i++) {
    const ai = i * K;
    for (let j = 0; j < m; j++) C[i * m + j] = dotRows(A_, ai, B_, j * K, K);
  }
  return out;
}

/**
 * Many small products at once: C_i = A_i B_i for i < count, with A_i (m x k), B_i (k x n) and C_i
 * (m x n) stored back to back, row-major, in flat arrays; transB: B_i is stored as n x k and B_i^T
 * is used. Writes into `out` when given (no allocation at all). For moment matching and other work
 * on thousands of tiny matrices, where a Mat per product costs more than its arithmetic (about 20x
 * for 6 x 6).
 */
export function matmulBatch(
  a: Float64Array,
  b: Float64Array,
  count: number,
  m: number,
  k: number,
  n: number,
  { transB = false, out }: { transB?: boolean; out?: Float64Array } = {},
): Float64Array {
  for (const [what, v] of [
    ["count", count],
    ["m", m],
    ["k", k],
    ["n", n],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`matmulBatch: ${what} must be a non-negative integer, got ${v}`);
  }
  if (a.length !== count * m * k) throw new ShapeError(`matmulBatch: A holds ${a.length} numbers, not ${count} x ${m} x ${k}`);
  if (b.length !== count * k * n) throw new ShapeError(`matmulBatch: B holds ${b.length} numbers, not ${count} x ${k} x ${n}`);
  const C = out ?? new Float64Array(count * m * n);
  if (C.length !== count * m * n) throw new ShapeError(`matmulBatch: out holds ${C.length} numbers, not ${count} x ${m} x ${n}`);
  const sa = m * k,
    sb = k * n,
    sc = m * n;
  // B_i's entry (q, j) sits at bq * q + bj * j: row-major, or transposed storage.
  const bq = transB ? 1 : n,
    bj = transB ? k : 1;
  for (let t = 0; t < count; t++) {
    const ao = t * sa,
      bo = t * sb,
      co = t * sc;
    // Entries as dot products kept in registers, two rows of C at a time so each loaded entry of B
    // is used twice (tiny matrices sit in L1: B's stride costs nothing, stores into C would).
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const a0 = ao + i * k,
        a1 = a0 + k,
        c0 = co + i * n;
      for (let j = 0; j < n; j++) {
        let s0 = 0,
          s1 = 0;
        for (let q = 0, p = bo + j * bj; q < k; q++, p += bq) {
          const bv = b[p];
          s0 += a[a0 + q] * bv;
          s1 += a[a1 + q] * bv;
        }
        C[c0 + j] = s0;
        C[c0 + n + j] = s1;
      }
    }
    if (i < m) {
      const a0 = ao + i * k,
        c0 = co + i * n;
      for (let j = 0; j < n; j++) {
        let s0 = 0;
        for (let q = 0, p = bo + j * bj; q < k; q++, p += bq) s0 += a[a0 + q] * b[p];
        C[c0 + j] = s0;
      }
    }
  }
  return C;
}

/** y = A x. */
export function matvec(A: MatLike, x: VecLike): Float64Array {
  const a = asMat(A);
  if (x.length !== a.cols) throw new ShapeError(`matvec: ${a.rows} x ${a.cols} matrix times vector of length ${x.length}`);
  const out = new Float64Array(a.rows);
  const xs = x instanceof Float64Array ? x : Float64Array.from(x);
  for (let i = 0; i < a.rows; i++) out[i] = dotRows(a.data, i * a.cols, xs, 0, a.cols);
  return out;
}

/** The dot product of two vectors. */
export function dot(x: VecLike, y: VecLike): number {
  if (x.length !== y.length) throw new ShapeError(`dot: lengths differ, ${x.length} vs ${y.length}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** x y^T. */
export function outer(x: VecLike, y: VecLike): Mat {
  const out = mat(x.length, y.length);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < y.length; j++) out.data[i * y.length + j] = x[i] * y[j];
  return out;
}

/**
 * sum_k a[ai + k] * b[bi + k] for k < len, with four accumulators so the loop is not bound by the
 * latency of one chain of additions. The workhorse of Cholesky and the triangular solves.
 */
export function dotRows(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    s0 += a[ai + k] * b[bi + k];
    s1 += a[ai + k + 1] * b[bi + k + 1];
    s2 += a[ai + k + 2] * b[bi + k + 2];
    s3 += a[ai + k + 3] * b[bi + k + 3];
  }
  for (; k < len; k++) s0 += a[ai + k] * b[bi + k];
  return s0 + s1 + (s2 + s3);
}

/** The largest absolute entry of A - B (for tests and sanity checks). */
export function maxAbsDiff(A: MatLike, B: MatLike): number {
  const a = asMat(A),
    b = asMat(B);
  sameShape("maxAbsDiff", a, b);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}
