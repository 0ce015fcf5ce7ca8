import { describe, expect, it } from "vitest";
import * as math from "mathjs";
import { makeRng } from "../../lib/core/random";
import { ShapeError, ValueError } from "../../lib/core/checks";
import {
  Mat,
  NotPositiveDefiniteError,
  add,
  addDiag,
  cholInverse,
  cholSolve,
  cholesky,
  choleskyWithJitter,
  det,
  diag,
  eigSym,
  eye,
  fromArray,
  inv,
  isPositiveDefinite,
  logDetChol,
  lu,
  luSolve,
  mat,
  matmul,
  matmulBatch,
  matmulNT,
  matmulTN,
  matvec,
  maxAbsDiff,
  scale,
  solve,
  solveLower,
  solveLowerT,
  solveUpper,
  sub,
  toArray,
  transpose,
} from "../../lib/linalg";
import { simdKernel } from "../../lib/linalg/simd";

function randMat(rows: number, cols: number, seed: number): Mat {
  return mat(rows, cols, makeRng(seed).normals(rows * cols));
}

/** A random SPD matrix B B^T + eps I. */
function randSpd(n: number, seed: number, eps = 1e-3): Mat {
  const B = randMat(n, n, seed);
  return addDiag(matmulNT(B, B), eps);
}

function mathjsMatmul(A: Mat, B: Mat): number[][] {
  return math.multiply(toArray(A), toArray(B)) as number[][];
}

describe("Mat basics", () => {
  it("converts to and from arrays and checks shapes", () => {
    const A = fromArray([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(A.rows).toBe(2);
    expect(A.cols).toBe(3);
    expect(toArray(transpose(A))).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(() => fromArray([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => mat(2, 2, [1, 2, 3])).toThrow(/needs 4 entries/);
    expect(toArray(add(A, scale(A, 2)))).toEqual([
      [3, 6, 9],
      [12, 15, 18],
    ]);
    expect(toArray(sub(A, A))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(Array.from(diag(eye(3)))).toEqual([1, 1, 1]);
  });

  it("transposes large non-square matrices (tiled loop)", () => {
    const A = randMat(70, 45, 1);
    const T = transpose(A);
    for (let i = 0; i < 70; i++) for (let j = 0; j < 45; j++) expect(T.data[j * 70 + i]).toBe(A.data[i * 45 + j]);
  });

  it("matmul and its transposed variants agree with mathjs", () => {
    for (const [n, k, m] of [
      [1, 1, 1],
      [3, 4, 5],
      [7, 13, 2],
      [33, 17, 21],
    ]) {
      const A = randMat(n, k, n + k);
      const B = randMat(k, m, m + 7);
      const ref = fromArray(mathjsMatmul(A, B));
      expect(maxAbsDiff(matmul(A, B), ref)).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmulTN(transpose(A), B), ref)).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmulNT(A, transpose(B)), ref)).toBeLessThan(1e-12);
    }
    expect(() => matmul(randMat(2, 3, 1), randMat(2, 3, 1))).toThrow(/inner sizes differ/);
    expect(
      Array.from(
        matvec(
          [
            [1, 2],
            [3, 4],
          ],
          [1, 1],
        ),
      ),
    ).toEqual([3, 7]);
  });
});

describe("cholesky", () => {
  it("matches a hand-computed factor", () => {
    // [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt 2]].
    const L = cholesky([
      [4, 2],
      [2, 3],
    ]);
    expect(L.data[0]).toBeCloseTo(2, 14);
    expect(L.data[1]).toBe(0);
    expect(L.data[2]).toBeCloseTo(1, 14);
    expect(L.data[3]).toBeCloseTo(Math.SQRT2, 14);
  });

  it("reconstructs random SPD matrices of odd and even sizes", () => {
    for (const n of [1, 2, 3, 5, 8, 31, 64, 101]) {
      const A = randSpd(n, n);
      const L = cholesky(A);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L.data[i * n + j]).toBe(0);
      const rel = maxAbsDiff(matmulNT(L, L), A) / Math.max(...Array.from(A.data, Math.abs));
      expect(rel).toBeLessThan(1e-13);
    }
  });

  it("the WebAssembly SIMD path agrees with a textbook Cholesky (odd sizes, memory growth, reuse)", () => {
    expect(simdKernel()).not.toBeNull(); // Node 20 has wasm SIMD; without it the plain loops run
    const naive = (A: Mat): Float64Array => {
      const n = A.rows,
        L = new Float64Array(n * n);
      for (let j = 0; j < n; j++) {
        let d = A.data[j * n + j];
        for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
        L[j * n + j] = Math.sqrt(d);
        for (let i = j + 1; i < n; i++) {
          let v = A.data[i * n + j];
          for (let k = 0; k < j; k++) v -= L[i * n + k] * L[j * n + k];
          L[i * n + j] = v / L[j * n + j];
        }
      }
      return L;
    };
    for (const n of [23, 24, 25, 30, 67, 130, 410, 41]) {
      const A = randSpd(n, 1000 + n, 1);
      const L = cholesky(A);
      expect(maxAbsDiff(L, mat(n, n, naive(A))) / Math.sqrt(n)).toBeLessThan(1e-10);
    }
  });

  it("solves with many right-hand sides and vectors, consistent with mathjs lusolve", () => {
    const n = 40;
    const A = randSpd(n, 3);
    const B = randMat(n, 6, 4);
    const L = cholesky(A);
    const X = cholSolve(L, B);
    expect(maxAbsDiff(matmul(A, X), B)).toBeLessThan(1e-9);
    const b = Array.from(makeRng(5).normals(n));
    const x = cholSolve(L, b);
    expect(x).toBeInstanceOf(Float64Array);
    const ref = (math.lusolve(toArray(A), b) as number[][]).map((r) => r[0]);
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(ref[i], 8);
  });

  it("triangular solves: L X = B, L^T X = B, U X = B", () => {
    const n = 25;
    const L = cholesky(randSpd(n, 9));
    const B = randMat(n, 3, 10);
    expect(maxAbsDiff(matmul(L, solveLower(L, B)), B)).toBeLessThan(1e-10);
    expect(maxAbsDiff(matmul(transpose(L), solveLowerT(L, B)), B)).toBeLessThan(1e-10);
    const U = transpose(L);
    expect(maxAbsDiff(matmul(U, solveUpper(U, B)), B)).toBeLessThan(1e-10);
    const b = makeRng(11).normals(n);
    expect(maxAbsDiff(mat(n, 1, matvec(L, solveLower(L, b))), mat(n, 1, b))).toBeLessThan(1e-10);
    expect(maxAbsDiff(mat(n, 1, matvec(U, solveUpper(U, b))), mat(n, 1, b))).toBeLessThan(1e-10);
    expect(() => solveLower(L, new Float64Array(n + 1))).toThrow(ShapeError);
    expect(() =>
      solveLower(
        [
          [0, 0],
          [1, 1],
        ],
        [1, 1],
      ),
    ).toThrow(/singular/);
  });

  it("log-determinant and inverse agree with mathjs", () => {
    const n = 12;
    const A = randSpd(n, 21, 0.5);
    const L = cholesky(A);
    expect(logDetChol(L)).toBeCloseTo(Math.log(math.det(toArray(A))), 9);
    const Ai = cholInverse(L);
    expect(maxAbsDiff(Ai, fromArray(math.inv(toArray(A))))).toBeLessThan(1e-8);
    expect(maxAbsDiff(matmul(A, Ai), eye(n))).toBeLessThan(1e-9);
  });

  it("adds jitter to a singular PSD matrix and reports how much", () => {
    // A rank-one kernel matrix of duplicated inputs: PSD but singular.
    const v = [1, 1, 1, 1];
    const A = v.map((a) => v.map((b) => a * b));
    expect(isPositiveDefinite(A)).toBe(false);
    const { L, jitter } = choleskyWithJitter(A);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(1e-3);
    expect(maxAbsDiff(matmulNT(L, L), addDiag(A, jitter))).toBeLessThan(1e-12);
    expect(() => cholesky(A, { maxTries: 0 })).toThrow(NotPositiveDefiniteError);
  });

  it("handles an ill-conditioned SE kernel (condition ~1e12) with a small residual", () => {
    const n = 60;
    const xs = Array.from({ length: n }, (_, i) => i / n);
    const K = mat(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K.data[i * n + j] = Math.exp(-0.5 * ((xs[i] - xs[j]) / 0.3) ** 2);
    const { L, jitter } = choleskyWithJitter(K);
    const Kj = addDiag(K, jitter);
    expect(maxAbsDiff(matmulNT(L, L), Kj)).toBeLessThan(1e-12);
    const b = makeRng(2).normals(n);
    const x = cholSolve(L, b);
    // Backward-stable: the residual is small relative to |K| |x| even though x is huge.
    const r = matvec(Kj, x);
    let res = 0,
      xn = 0;
    for (let i = 0; i < n; i++) {
      res = Math.max(res, Math.abs(r[i] - b[i]));
      xn = Math.max(xn, Math.abs(x[i]));
    }
    expect(res / (xn * n)).toBeLessThan(1e-12);
  });

  it("fails clearly on an indefinite, non-symmetric or non-finite matrix", () => {
    const bad = [
      [1, 2],
      [2, 1],
    ];
    expect(() => cholesky(bad, { name: "K" })).toThrow(/2 x 2 K is not positive definite: pivot 1/);
    expect(() =>
      cholesky([
        [1, 0.5],
        [0, 1],
      ]),
    ).toThrow(/not symmetric/);
    expect(() =>
      cholesky([
        [1, NaN],
        [NaN, 1],
      ]),
    ).toThrow(ValueError);
    expect(() => cholesky([[1, 2, 3]])).toThrow(/square/);
  });
});

describe("LU, solve, det, inv", () => {
  it("solves general systems like mathjs, with pivoting", () => {
    // A zero leading entry forces a row swap.
    const A = [
      [0, 2, 1],
      [1, 1, 1],
      [2, 1, 0],
    ];
    const b = [3, 3, 3];
    const x = solve(A, b);
    expect(Array.from(x).map((v) => +v.toFixed(12))).toEqual([1, 1, 1]);
    expect(det(A)).toBeCloseTo(math.det(A), 12);
    expect(
      det([
        [1, 2],
        [2, 4],
      ]),
    ).toBe(0);
    for (const n of [1, 4, 17, 50]) {
      const M = randMat(n, n, 100 + n);
      const B = randMat(n, 3, 200 + n);
      const X = luSolve(lu(M), B);
      expect(maxAbsDiff(matmul(M, X), B)).toBeLessThan(1e-9);
      expect(det(M)).toBeCloseTo(math.det(toArray(M)), 6 - Math.log10(Math.abs(math.det(toArray(M))) + 1));
      expect(maxAbsDiff(inv(M), fromArray(math.inv(toArray(M))))).toBeLessThan(1e-8);
    }
    expect(() =>
      inv([
        [1, 2],
        [2, 4],
      ]),
    ).toThrow(/singular/);
  });
});

describe("eigSym", () => {
  it("decomposes a hand example", () => {
    const { values, vectors } = eigSym([
      [2, 1],
      [1, 2],
    ]);
    expect(values[0]).toBeCloseTo(1, 13);
    expect(values[1]).toBeCloseTo(3, 13);
    expect(Math.abs(vectors.data[0 * 2 + 1])).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it("reconstructs random symmetric matrices with orthonormal vectors", () => {
    for (const n of [1, 3, 10, 24]) {
      const B = randMat(n, n, 50 + n);
      const A = scale(add(B, transpose(B)), 0.5);
      const { values, vectors: V } = eigSym(A);
      for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
      const D = mat(n, n);
      for (let i = 0; i < n; i++) D.data[i * n + i] = values[i];
      expect(maxAbsDiff(matmul(matmul(V, D), transpose(V)), A)).toBeLessThan(1e-11);
      expect(maxAbsDiff(matmulTN(V, V), eye(n))).toBeLessThan(1e-12);
      // Sum of eigenvalues is the trace; against mathjs eigs for the values.
      const ref = (math.eigs(toArray(A)).values as number[]).slice().sort((a, b) => a - b);
      for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(ref[i], 9);
    }
  });
});

describe("matmulBatch", () => {
  it("equals a matmul per pair, plain and with B transposed, for odd and even sizes", () => {
    const rng = makeRng(17);
    for (const [count, m, k, n] of [
      [5, 6, 6, 6],
      [3, 3, 4, 5],
      [4, 1, 2, 7],
      [2, 5, 1, 1],
    ]) {
      const a = Float64Array.from(rng.normals(count * m * k)),
        b = Float64Array.from(rng.normals(count * k * n));
      const bt = Float64Array.from(rng.normals(count * n * k));
      const c = matmulBatch(a, b, count, m, k, n);
      const ct = matmulBatch(a, bt, count, m, k, n, { transB: true });
      for (let t = 0; t < count; t++) {
        const A = mat(m, k, a.slice(t * m * k, (t + 1) * m * k));
        const want = matmul(A, mat(k, n, b.slice(t * k * n, (t + 1) * k * n)));
        const wantT = matmulNT(A, mat(n, k, bt.slice(t * n * k, (t + 1) * n * k)));
        for (let q = 0; q < m * n; q++) {
          expect(c[t * m * n + q]).toBeCloseTo(want.data[q], 12);
          expect(ct[t * m * n + q]).toBeCloseTo(wantT.data[q], 12);
        }
      }
    }
  });

  it("writes into a given output and rejects sizes that do not match", () => {
    const a = new Float64Array([1, 2, 3, 4]),
      b = new Float64Array([1, 0, 0, 1]);
    const out = new Float64Array(4).fill(NaN);
    expect(matmulBatch(a, b, 1, 2, 2, 2, { out })).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(() => matmulBatch(a, b, 2, 2, 2, 2)).toThrow(/A holds 4 numbers, not 2 x 2 x 2/);
    expect(() => matmulBatch(a, b, 1, 2, 2, 2, { out: new Float64Array(3) })).toThrow(ShapeError);
    expect(() => matmulBatch(a, b, 1.5, 2, 2, 2)).toThrow(/count must be a non-negative integer/);
    expect(matmulBatch(new Float64Array(0), new Float64Array(0), 0, 3, 3, 3).length).toBe(0);
  });
});
