import { describe, expect, it } from "vitest";
import { makeRng, type Rng } from "../../lib/core";
import { Mat, mat, matmulNT, solve, NotPositiveDefiniteError } from "../../lib/linalg";
import { LqrProblem, lqrBackward, lqrRollout, quadraticValue, concat } from "../../lib/control";

function randMat(rng: Rng, r: number, c: number, s = 1): Mat {
  return mat(r, c, rng.normals(r * c, 0, s));
}

/** A random positive definite (n x n) matrix. */
function randSpd(rng: Rng, n: number, ridge = 0.5): Mat {
  const A = randMat(rng, n, n);
  const S = matmulNT(A, A);
  for (let i = 0; i < n; i++) S.data[i * n + i] += ridge;
  return S;
}

function randomProblem(rng: Rng, n: number, m: number, T: number): LqrProblem {
  return {
    n,
    m,
    F: Array.from({ length: T }, () => randMat(rng, n, n + m, 0.6)),
    f: Array.from({ length: T }, () => rng.normals(n, 0, 0.3)),
    C: Array.from({ length: T }, () => randSpd(rng, n + m)), // includes x-u cross terms
    c: Array.from({ length: T }, () => rng.normals(n + m)),
    CT: randSpd(rng, n),
    cT: rng.normals(n),
  };
}

/** Total cost of the open-loop action sequence U (stacked) from x0. */
function openLoopCost(p: LqrProblem, x0: Float64Array, U: Float64Array): number {
  const T = p.F.length;
  let x = Float64Array.from(x0);
  let J = 0;
  for (let t = 0; t < T; t++) {
    const z = concat(x, U.subarray(t * p.m, (t + 1) * p.m));
    J += quadraticValue(p.C[t], p.c[t], z);
    const xn = new Float64Array(p.n);
    for (let i = 0; i < p.n; i++) {
      let s = p.f[t][i];
      for (let j = 0; j < p.n + p.m; j++) s += p.F[t].data[i * (p.n + p.m) + j] * z[j];
      xn[i] = s;
    }
    x = xn;
  }
  return J + quadraticValue(p.CT!, p.cT!, x);
}

describe("lqrBackward", () => {
  it("matches the brute-force minimiser of the stacked quadratic program", () => {
    const rng = makeRng(1);
    const n = 3,
      m = 2,
      T = 5;
    const p = randomProblem(rng, n, m, T);
    const x0 = rng.normals(n);
    const sol = lqrBackward(p);
    const roll = lqrRollout(p, sol, x0);

    // J(U) is exactly quadratic: its gradient and Hessian by central differences are exact up to
    // round-off, and the minimiser solves H U = -g.
    const d = T * m;
    const h = 1e-2;
    const U0 = new Float64Array(d);
    const g = new Float64Array(d);
    const H = mat(d, d);
    const J0 = openLoopCost(p, x0, U0);
    const J = (U: Float64Array) => openLoopCost(p, x0, U);
    for (let i = 0; i < d; i++) {
      const Up = U0.slice();
      Up[i] += h;
      const Um = U0.slice();
      Um[i] -= h;
      g[i] = (J(Up) - J(Um)) / (2 * h);
      for (let j = 0; j < d; j++) {
        const Upp = U0.slice();
        Upp[i] += h;
        Upp[j] += h;
        const Upm = U0.slice();
        Upm[i] += h;
        Upm[j] -= h;
        const Ump = U0.slice();
        Ump[i] -= h;
        Ump[j] += h;
        const Umm = U0.slice();
        Umm[i] -= h;
        Umm[j] -= h;
        H.data[i * d + j] = (J(Upp) - J(Upm) - J(Ump) + J(Umm)) / (4 * h * h);
      }
    }
    const Ustar = solve(
      H,
      Array.from(g, (v) => -v),
    );
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < m; i++) expect(roll.us[t][i]).toBeCloseTo(Ustar[t * m + i], 6);
    }
    expect(roll.cost).toBeCloseTo(J(Ustar), 6);
    expect(roll.cost).toBeLessThan(J0);

    // The value function predicts the optimal cost up to the constant: V_0(x0) - V_0(0) = cost(x0) - cost(0).
    const V0 = (x: Float64Array) => quadraticValue(sol.V[0], sol.v[0], x);
    const costFromZero = lqrRollout(p, sol, new Float64Array(n)).cost;
    expect(V0(x0) - V0(new Float64Array(n))).toBeCloseTo(roll.cost - costFromZero, 6);
  });

  it("is optimal against random perturbations of its actions", () => {
    const rng = makeRng(2);
    const p = randomProblem(rng, 2, 1, 8);
    const x0 = rng.normals(2);
    const roll = lqrRollout(p, lqrBackward(p), x0);
    const U = new Float64Array(roll.us.flatMap((u) => Array.from(u)));
    const best = openLoopCost(p, x0, U);
    for (let trial = 0; trial < 20; trial++) {
      const V = U.map((u) => u + rng.normal(0, 0.1));
      expect(openLoopCost(p, x0, V)).toBeGreaterThan(best);
    }
  });

  it("reduces to the textbook Riccati recursion without cross or linear terms", () => {
    // Scalar system x' = a x + b u, cost q x^2 + r u^2 (halves), terminal qT: the recursion by hand.
    const a = 1.1,
      b = 0.5,
      q = 2,
      r = 0.3,
      qT = 5,
      T = 6;
    const p: LqrProblem = {
      n: 1,
      m: 1,
      F: Array.from({ length: T }, () => mat(1, 2, [a, b])),
      f: Array.from({ length: T }, () => new Float64Array(1)),
      C: Array.from({ length: T }, () => mat(2, 2, [q, 0, 0, r])),
      c: Array.from({ length: T }, () => new Float64Array(2)),
      CT: mat(1, 1, [qT]),
    };
    const sol = lqrBackward(p);
    let P = qT;
    for (let t = T - 1; t >= 0; t--) {
      const K = -(b * P * a) / (r + b * P * b);
      expect(sol.K[t].data[0]).toBeCloseTo(K, 12);
      P = q + a * P * a + a * P * b * K;
      expect(sol.V[t].data[0]).toBeCloseTo(P, 10);
    }
  });

  it("predicts the cost change of scaled feed-forward terms exactly on a quadratic problem", () => {
    const rng = makeRng(3);
    // Deviation coordinates around the nominal x = 0, u = 0: that nominal must be a trajectory (f = 0).
    const p = { ...randomProblem(rng, 3, 2, 6), f: Array.from({ length: 6 }, () => new Float64Array(3)) };
    const sol = lqrBackward(p);
    const x0 = new Float64Array(3);
    const zeroK = { K: sol.K, k: sol.k.map((k) => new Float64Array(k.length)) };
    const base = lqrRollout(p, zeroK, x0).cost;
    for (const alpha of [1, 0.5, 0.1]) {
      const scaled = { K: sol.K, k: sol.k.map((k) => k.map((v) => alpha * v)) };
      const cost = lqrRollout(p, scaled, x0).cost;
      expect(cost - base).toBeCloseTo(alpha * sol.dJ[0] + alpha * alpha * sol.dJ[1], 8);
    }
  });

  it("throws a named error when Q_uu is not positive definite, and mu fixes it", () => {
    const p: LqrProblem = {
      n: 1,
      m: 1,
      F: [mat(1, 2, [1, 1])],
      f: [new Float64Array(1)],
      C: [mat(2, 2, [1, 0, 0, -1])],
      c: [new Float64Array(2)],
    };
    expect(() => lqrBackward(p)).toThrow(NotPositiveDefiniteError);
    expect(() => lqrBackward(p)).toThrow(/step 0/);
    expect(lqrBackward(p, { mu: 2 }).K[0].data[0]).toBeCloseTo(0, 12);
  });

  it("rejects bad shapes", () => {
    const rng = makeRng(4);
    const p = randomProblem(rng, 2, 1, 3);
    expect(() => lqrBackward({ ...p, f: p.f.slice(1) })).toThrow(/one entry per step/);
    expect(() => lqrBackward({ ...p, F: [mat(2, 2), p.F[1], p.F[2]] })).toThrow(/F\[0\]/);
  });
});
