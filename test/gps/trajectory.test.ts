import { describe, expect, it } from "vitest";
import { makeRng, type Rng } from "../../lib/core";
import { Mat, cholesky, eye, mat, matmulNT, scale } from "../../lib/linalg";
import { linearGaussianController, type LinearGaussianController } from "../../lib/control";
import type { LinearGaussianDynamics } from "../../lib/models/localLinear";
import {
  expectedCost,
  forwardMarginals,
  sampleLinearGaussianTrajectory,
  trajectoryActionLogProb,
  trajectoryKl,
  klConstrainedUpdate,
  surrogateController,
  dualStep,
  adaptStepMultiplier,
  negLogPolicyQuadratic,
  QuadraticTrajectoryCost,
} from "../../lib/gps";
import { actionLogProb } from "../../lib/control";

const n = 2,
  m = 1,
  T = 6;

function spd(rng: Rng, d: number, s: number): Mat {
  const A = mat(d, d, rng.normals(d * d, 0, s));
  const S = matmulNT(A, A);
  for (let i = 0; i < d; i++) S.data[i * d + i] += s * s;
  return S;
}

function randomDynamics(rng: Rng): LinearGaussianDynamics {
  return {
    T,
    n,
    m,
    F: Array.from({ length: T }, () =>
      mat(
        n,
        n + m,
        [1, 0.1, 0, rng.normal(0, 0.2), 0.95, 0.2].map((v, i) => (i < 3 ? v + rng.normal(0, 0.05) : v)),
      ),
    ),
    f: Array.from({ length: T }, () => rng.normals(n, 0, 0.1)),
    cov: Array.from({ length: T }, () => spd(rng, n, 0.05)),
  };
}

function randomController(rng: Rng, s = 1): LinearGaussianController {
  return linearGaussianController(
    Array.from({ length: T }, () => mat(m, n, rng.normals(m * n, 0, 0.5 * s))),
    Array.from({ length: T }, () => rng.normals(m, 0, 0.5 * s)),
    Array.from({ length: T }, () => spd(rng, m, 0.4)),
  );
}

const x0Mean = Float64Array.of(0.5, -0.2);
const x0Cov = mat(2, 2, [0.02, 0.005, 0.005, 0.03]);

function sampleX0(rng: Rng): Float64Array {
  const L = cholesky(x0Cov);
  const e = rng.normals(2);
  return Float64Array.of(x0Mean[0] + L.data[0] * e[0], x0Mean[1] + L.data[2] * e[0] + L.data[3] * e[1]);
}

describe("trajectory distributions of linear-Gaussian controllers", () => {
  it("propagates the state marginals exactly (Monte Carlo)", () => {
    const rng = makeRng(31);
    const dyn = randomDynamics(rng);
    const ctrl = randomController(rng);
    const marg = forwardMarginals(dyn, ctrl, x0Mean, x0Cov);
    const chol = dyn.cov.map((c) => cholesky(c));
    const N = 20000;
    const sum = new Float64Array(2),
      sq = new Float64Array(4);
    for (let i = 0; i < N; i++) {
      const tr = sampleLinearGaussianTrajectory(dyn, ctrl, sampleX0(rng), rng, chol);
      const x = tr.xs[T];
      sum[0] += x[0];
      sum[1] += x[1];
      sq[0] += x[0] * x[0];
      sq[1] += x[0] * x[1];
      sq[3] += x[1] * x[1];
    }
    const mu = [sum[0] / N, sum[1] / N];
    expect(mu[0]).toBeCloseTo(marg.xMean[T][0], 1);
    expect(mu[1]).toBeCloseTo(marg.xMean[T][1], 1);
    const v00 = sq[0] / N - mu[0] * mu[0],
      v01 = sq[1] / N - mu[0] * mu[1];
    expect(Math.abs(v00 - marg.xCov[T].data[0])).toBeLessThan(0.05 * marg.xCov[T].data[0] + 1e-3);
    expect(Math.abs(v01 - marg.xCov[T].data[1])).toBeLessThan(0.05 * Math.abs(marg.xCov[T].data[0]) + 1e-3);
  });

  it("computes the KL between trajectory distributions exactly (Monte Carlo)", () => {
    const rng = makeRng(32);
    const dyn = randomDynamics(rng);
    const p = randomController(rng);
    const pBar = randomController(rng);
    const marg = forwardMarginals(dyn, p, x0Mean, x0Cov);
    const kl = trajectoryKl(p, pBar, marg);
    const chol = dyn.cov.map((c) => cholesky(c));
    // KL(p || p_bar) = E_p[log p(tau) - log p_bar(tau)]: the dynamics and p(x0) cancel.
    const N = 20000;
    let acc = 0,
      acc2 = 0;
    for (let i = 0; i < N; i++) {
      const tr = sampleLinearGaussianTrajectory(dyn, p, sampleX0(rng), rng, chol);
      const d = trajectoryActionLogProb(p, tr) - trajectoryActionLogProb(pBar, tr);
      acc += d;
      acc2 += d * d;
    }
    const mean = acc / N,
      se = Math.sqrt((acc2 / N - mean * mean) / N);
    expect(Math.abs(mean - kl.total)).toBeLessThan(4 * se);
    expect(kl.perStep.length).toBe(T);
    expect(trajectoryKl(p, p, marg).total).toBeCloseTo(0, 10);
  });

  it("writes -log p_bar(u | x) as the right quadratic", () => {
    const rng = makeRng(33);
    const pBar = randomController(rng);
    const q = negLogPolicyQuadratic(pBar, 2);
    const z1 = [0.3, -0.4, 0.8],
      z2 = [-0.1, 0.2, -0.5];
    const val = (z: number[]) => {
      let s = 0;
      for (let i = 0; i < 3; i++) {
        s += q.c[i] * z[i];
        for (let j = 0; j < 3; j++) s += 0.5 * z[i] * q.C.data[i * 3 + j] * z[j];
      }
      return s;
    };
    const nl = (z: number[]) => -actionLogProb(pBar, 2, z.slice(0, 2), z.slice(2));
    expect(val(z1) - val(z2)).toBeCloseTo(nl(z1) - nl(z2), 10);
  });
});

describe("KL-constrained update by dual gradient descent", () => {
  const rng = makeRng(34);
  const dyn = randomDynamics(rng);
  const pBar = randomController(rng);
  const cost: QuadraticTrajectoryCost = {
    C: Array.from({ length: T }, () => mat(3, 3, [1, 0, 0, 0, 0.1, 0, 0, 0, 0.01])),
    c: Array.from({ length: T }, () => new Float64Array(3)),
    c0: new Array(T).fill(0),
    CT: scale(eye(2), 10),
    cT: Float64Array.of(-10, 0),
    cT0: 5,
  };

  it("returns p_bar itself when eta is huge", () => {
    const c = surrogateController(dyn, cost, pBar, 1e12);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 2; i++) expect(c.K[t].data[i]).toBeCloseTo(pBar.K[t].data[i], 6);
      expect(c.k[t][0]).toBeCloseTo(pBar.k[t][0], 6);
      expect(c.cov[t].data[0]).toBeCloseTo(pBar.cov[t].data[0], 6);
    }
  });

  it("meets the bound within 10 % and lowers the expected cost", () => {
    const before = expectedCost(cost, forwardMarginals(dyn, pBar, x0Mean, x0Cov));
    for (const eps of [0.05, 0.5, 2]) {
      const res = klConstrainedUpdate(dyn, cost, pBar, x0Mean, x0Cov, eps);
      expect(res.status).toBe("converged");
      expect(Math.abs(res.kl - eps)).toBeLessThanOrEqual(0.1 * eps);
      // The reported KL is the exact one of the returned controller.
      const kl = trajectoryKl(res.controller, pBar, forwardMarginals(dyn, res.controller, x0Mean, x0Cov)).total;
      expect(kl).toBeCloseTo(res.kl, 10);
      expect(res.predictedCost).toBeLessThan(before);
    }
    // A looser bound buys a lower cost.
    const a = klConstrainedUpdate(dyn, cost, pBar, x0Mean, x0Cov, 0.05);
    const b = klConstrainedUpdate(dyn, cost, pBar, x0Mean, x0Cov, 2);
    expect(b.predictedCost).toBeLessThan(a.predictedCost);
    expect(b.eta).toBeLessThan(a.eta);
  });

  it("moves eta up when the KL is over the bound and down when under", () => {
    expect(dualStep(1, 2, 1)).toBeGreaterThan(1);
    expect(dualStep(1, 0.5, 1)).toBeLessThan(1);
    expect(dualStep(1, 1, 1)).toBe(1);
    expect(dualStep(1, 1e9, 1, 1, 1e-3, 100)).toBe(100);
  });

  it("adapts the step from predicted vs actual improvement", () => {
    expect(adaptStepMultiplier(1, 10, 8, 8)).toBeGreaterThan(1); // as good as predicted: grow
    expect(adaptStepMultiplier(1, 10, 8, 9.9)).toBeLessThan(1); // much worse than predicted: shrink
    expect(adaptStepMultiplier(1, 10, 8, 12)).toBeCloseTo(0.25, 12); // got worse: 2 / (2 * (2 - (-2)))
    expect(adaptStepMultiplier(9, 10, 8, 8)).toBe(10); // clipped
  });
});
