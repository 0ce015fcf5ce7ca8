import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng } from "../../lib/core";
import { cemRefit, cmaesAsk, cmaesInit, cmaesParams, cmaesPlan, cmaesTell, planReturn } from "../../lib/planners";
import { OPTIMAL_RETURN, toyProblem } from "./toy";

beforeAll(async () => {
  await initBackend();
});

/** f(x) = x^T A x with A = R diag(10^(6 i / (n-1))) R^T for a fixed random rotation R: ill-conditioned AND correlated axes. */
function rotatedEllipsoid(n: number, seed: number) {
  const rng = makeRng(seed);
  // Random orthogonal R by Gram-Schmidt on a Gaussian matrix.
  const R: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const u of R) {
      const d = v.reduce((s, x, j) => s + x * u[j], 0);
      for (let j = 0; j < n; j++) v[j] -= d * u[j];
    }
    const norm = Math.hypot(...v);
    R.push(v.map((x) => x / norm));
  }
  const scales = Array.from({ length: n }, (_, i) => 10 ** ((6 * i) / (n - 1)));
  return (x: ArrayLike<number>) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < n; j++) z += R[i][j] * x[j];
      f += scales[i] * z * z;
    }
    return f;
  };
}

function rosenbrock(x: ArrayLike<number>): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) f += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return f;
}

/** Minimises f with CMA-ES from x0; returns the best value found and the evaluations used. */
function minimiseCmaes(f: (x: ArrayLike<number>) => number, x0: number[], sigma0: number, evaluations: number, seed: number) {
  const state = cmaesInit(x0, sigma0);
  const rng = makeRng(seed);
  const n = x0.length;
  let best = Infinity;
  let used = 0;
  while (used + state.params.lambda <= evaluations) {
    const X = cmaesAsk(state, rng);
    const fit = new Float64Array(state.params.lambda);
    for (let k = 0; k < fit.length; k++) {
      const v = f(X.subarray(k * n, (k + 1) * n));
      best = Math.min(best, v);
      fit[k] = -v;
    }
    used += fit.length;
    cmaesTell(state, X, fit);
  }
  return { best, used, state };
}

/** The same budget spent by diagonal CEM (the course's cemRefit, alpha 0, elites 10 %, no floor). */
function minimiseCem(f: (x: ArrayLike<number>) => number, x0: number[], sigma0: number, evaluations: number, seed: number) {
  const rng = makeRng(seed);
  const n = x0.length;
  const N = 4 + Math.floor(3 * Math.log(n)) * 4;
  const K = Math.max(2, Math.floor(N / 10));
  let mean = Float64Array.from(x0);
  let std = new Float64Array(n).fill(sigma0);
  let best = Infinity;
  for (let used = 0; used + N <= evaluations; used += N) {
    const pop = Array.from({ length: N }, () => Float64Array.from(mean, (m, j) => m + std[j] * rng.normal()));
    const vals = pop.map((x) => f(x));
    for (const v of vals) best = Math.min(best, v);
    const order = vals.map((_, i) => i).sort((a, b) => vals[a] - vals[b]);
    ({ mean, std } = cemRefit(
      order.slice(0, K).map((i) => pop[i]),
      mean,
      std,
      0,
      0,
    ));
  }
  return best;
}

describe("CMA-ES", () => {
  it("has the tutorial's default parameters", () => {
    const p = cmaesParams(10);
    expect(p.lambda).toBe(10);
    expect(p.mu).toBe(5);
    expect(p.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
    // Weights decrease; mu_eff lies between 1 and mu.
    for (let i = 1; i < p.mu; i++) expect(p.weights[i]).toBeLessThan(p.weights[i - 1]);
    expect(p.muEff).toBeGreaterThan(1);
    expect(p.muEff).toBeLessThan(p.mu);
    // E|N(0, I_10)| = sqrt(2) Gamma(11/2) / Gamma(5) = 3.08439; the series is good to 1e-3 at n = 10.
    expect(Math.abs(p.chiN - 3.08439)).toBeLessThan(1e-3);
    expect(p.c1 + p.cMu).toBeLessThanOrEqual(1);
  });

  it("solves a rotated ill-conditioned quadratic where diagonal CEM stalls (equal evaluations)", () => {
    const n = 8;
    const f = rotatedEllipsoid(n, 11);
    const x0 = Array.from({ length: n }, () => 1);
    const budget = 6000;
    const cma = minimiseCmaes(f, x0, 0.5, budget, 1);
    const cem = minimiseCem(f, x0, 0.5, budget, 1);
    expect(cma.best).toBeLessThan(1e-8);
    expect(cem).toBeGreaterThan(1e3 * cma.best);
    // It learned the shape: C's condition number approaches the Hessian's 1e6.
    const D = cma.state.D;
    const cond = (Math.max(...D) / Math.min(...D)) ** 2;
    expect(cond).toBeGreaterThan(1e4);
  });

  it("finds the Rosenbrock minimum at (1, ..., 1), or its one known local minimum", () => {
    // In 5-D Rosenbrock has a local minimum near (-1, 1, 1, 1, 1), f ~ 3.93; CMA-ES from the origin
    // lands there on a minority of seeds (Hansen reports the same), and at (1, ..., 1) on the rest.
    const n = 5;
    let global = 0;
    for (let seed = 0; seed < 10; seed++) {
      const { best, state } = minimiseCmaes(rosenbrock, Array(n).fill(0), 0.5, 3000, seed);
      if (best < 1e-10) {
        global++;
        for (const m of state.mean) expect(m).toBeCloseTo(1, 4);
      } else {
        expect(best).toBeCloseTo(3.93, 2);
        expect(state.mean[0]).toBeLessThan(-0.9);
      }
    }
    expect(global).toBeGreaterThanOrEqual(8);
  });

  it("is reproducible with the same seed and differs with another", () => {
    const f = rotatedEllipsoid(4, 2);
    const a = minimiseCmaes(f, [1, 1, 1, 1], 0.3, 400, 7).best;
    const b = minimiseCmaes(f, [1, 1, 1, 1], 0.3, 400, 7).best;
    const c = minimiseCmaes(f, [1, 1, 1, 1], 0.3, 400, 8).best;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("rejects samples and fitness of the wrong size with a clear error", () => {
    const s = cmaesInit([0, 0, 0], 1);
    const X = cmaesAsk(s, makeRng(0));
    expect(() => cmaesTell(s, X.subarray(1), new Float64Array(s.params.lambda))).toThrow(/expected 7 x 3 samples/);
    expect(() => cmaesTell(s, X, [1, 2])).toThrow(/expected 7 fitness values/);
    expect(() => cmaesInit([], 1)).toThrow(/at least one entry/);
  });

  it("plans the toy problem's optimal sequence within the action box", () => {
    const p = toyProblem();
    const plan = cmaesPlan(p, [0], { generations: 60 }, makeRng(4));
    for (const a of plan.actions) {
      expect(a[0]).toBeGreaterThanOrEqual(-1);
      expect(a[0]).toBeLessThanOrEqual(1);
    }
    expect(plan.predictedReturn).toBeGreaterThan(OPTIMAL_RETURN - 0.01);
    expect(planReturn(p, [0], plan.actions)).toBeCloseTo(plan.predictedReturn, 10);
    expect(plan.mean.length).toBe(5);
  });
});
