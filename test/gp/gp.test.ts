import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { cholesky, inv, mat, matmul, matvec, NotPositiveDefiniteError } from "../../lib/linalg";
import {
  defaultHyp,
  fitGp,
  gpNegLogMarginal,
  gpPredict,
  gpPredictJoint,
  gpSample,
  hypPenalty,
  makeHyp,
  seArd,
  subsetOfData,
  trainGp,
  trainGps,
} from "../../lib/models/gp";

function randomData(n: number, D: number, seed: number) {
  const rng = makeRng(seed);
  const X = mat(n, D);
  for (let i = 0; i < n * D; i++) X.data[i] = rng.uniform(-2, 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.sin(X.data[i * D]) + (0.5 * X.data[i * D + D - 1] ** 2) / 4 + 0.1 * rng.normal();
  return { X, y, rng };
}

describe("GP regression (SE-ARD)", () => {
  it("posterior mean and variance equal the dense textbook formulas", () => {
    const { X, y } = randomData(30, 2, 1);
    const hyp = makeHyp([0.8, 1.3], 1.1, 0.15);
    const gp = fitGp(X, y, hyp);
    const Xs = mat(5, 2, [0, 0, 1, -1, -1.5, 0.5, 3, 3, 0.2, 1.9]);
    const p = gpPredict(gp, Xs);
    // Direct: mean = Ks (K + sn^2 I)^{-1} y, var = kss - Ks (K + sn^2 I)^{-1} Ks^T.
    const K = seArd(X, X, hyp);
    for (let i = 0; i < 30; i++) K.data[i * 30 + i] += 0.15 ** 2;
    const Ki = inv(K);
    const Ks = seArd(Xs, X, hyp);
    const mean = matvec(Ks, matvec(Ki, y));
    const KsKi = matmul(Ks, Ki);
    for (let i = 0; i < 5; i++) {
      expect(p.mean[i]).toBeCloseTo(mean[i], 9);
      let q = 0;
      for (let j = 0; j < 30; j++) q += KsKi.data[i * 30 + j] * Ks.data[i * 30 + j];
      expect(p.variance[i]).toBeCloseTo(1.1 ** 2 - q, 9);
    }
    // Far from the data the posterior falls back to the prior.
    expect(p.variance[3]).toBeGreaterThan(0.9 * 1.1 ** 2);
    const withNoise = gpPredict(gp, Xs, { includeNoise: true });
    expect(withNoise.variance[0] - p.variance[0]).toBeCloseTo(0.15 ** 2, 12);
    // The joint covariance has the same diagonal.
    const joint = gpPredictJoint(gp, Xs);
    for (let i = 0; i < 5; i++) expect(joint.cov.data[i * 5 + i]).toBeCloseTo(p.variance[i], 9);
  });

  it("joint samples have the posterior's mean and covariance", () => {
    const { X, y } = randomData(15, 1, 2);
    const gp = fitGp(X, y, makeHyp([0.7], 1, 0.1));
    const Xs = mat(3, 1, [-1, 0.1, 2.5]);
    const { mean, cov } = gpPredictJoint(gp, Xs);
    const rng = makeRng(3);
    const S = gpSample(gp, Xs, 20000, rng);
    for (let a = 0; a < 3; a++) {
      const m = S.reduce((acc, s) => acc + s[a], 0) / S.length;
      expect(Math.abs(m - mean[a])).toBeLessThan(5 * Math.sqrt(cov.data[a * 3 + a] / S.length) + 1e-6);
      for (let b = 0; b < 3; b++) {
        const c = S.reduce((acc, s) => acc + (s[a] - mean[a]) * (s[b] - mean[b]), 0) / S.length;
        expect(Math.abs(c - cov.data[a * 3 + b])).toBeLessThan(0.05 * Math.sqrt(cov.data[a * 3 + a] * cov.data[b * 3 + b]) + 1e-6);
      }
    }
    // Prior samples need hyper-parameters.
    expect(() => gpSample(null, Xs, 1, rng)).toThrow(/hyper-parameters/);
    expect(gpSample(null, Xs, 2, rng, makeHyp([1], 1, 0.1))).toHaveLength(2);
  });

  it("the log marginal likelihood gradient matches finite differences (and the penalty's too)", () => {
    const { X, y } = randomData(25, 3, 4);
    const hyp = Float64Array.from([Math.log(0.9), Math.log(1.7), Math.log(1.2), Math.log(0.8), Math.log(0.2)]);
    const g = new Float64Array(5);
    const f0 = gpNegLogMarginal(X, y, hyp, g);
    expect(Number.isFinite(f0)).toBe(true);
    const h = 1e-6;
    for (let k = 0; k < 5; k++) {
      const hp = hyp.slice(),
        hm = hyp.slice();
      hp[k] += h;
      hm[k] -= h;
      const fd = (gpNegLogMarginal(X, y, hp) - gpNegLogMarginal(X, y, hm)) / (2 * h);
      expect(Math.abs(fd - g[k])).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
    }
    const xStd = [1, 1, 1];
    const far = Float64Array.from([Math.log(400), 0, 0, 0, Math.log(1e-4)]);
    const gp = new Float64Array(5);
    const p0 = hypPenalty(far, xStd, {}, gp);
    expect(p0).toBeGreaterThan(1);
    for (let k = 0; k < 5; k++) {
      const hp = far.slice(),
        hm = far.slice();
      hp[k] += 1e-6;
      hm[k] -= 1e-6;
      const fd = (hypPenalty(hp, xStd, {}) - hypPenalty(hm, xStd, {})) / 2e-6;
      expect(Math.abs(fd - gp[k])).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
    }
  });

  it("recovers the hyper-parameters of the GP the data were drawn from", () => {
    const rng = makeRng(5);
    const n = 250;
    const X = mat(n, 2);
    for (let i = 0; i < n * 2; i++) X.data[i] = rng.uniform(-3, 3);
    const truth = makeHyp([0.6, 2.0], 1.5, 0.1);
    const K = seArd(X, X, truth);
    for (let i = 0; i < n; i++) K.data[i * n + i] += 0.1 ** 2 + 1e-10;
    const L = cholesky(K);
    const z = Float64Array.from({ length: n }, () => rng.normal());
    const y = matvec(L, z);
    const res = trainGp(X, y, { maxIter: 150 });
    expect(res.nlmlAfter).toBeLessThan(res.nlmlBefore);
    const h = res.gp.hyp;
    expect(Math.exp(h[0])).toBeGreaterThan(0.45);
    expect(Math.exp(h[0])).toBeLessThan(0.8);
    expect(Math.exp(h[1])).toBeGreaterThan(1.3);
    expect(Math.exp(h[1])).toBeLessThan(3.2);
    expect(Math.exp(h[2])).toBeGreaterThan(0.9);
    expect(Math.exp(h[2])).toBeLessThan(2.5);
    expect(Math.exp(h[3])).toBeGreaterThan(0.08);
    expect(Math.exp(h[3])).toBeLessThan(0.125);
    // The truth is (nearly) as likely as the fit, and the fit beats the default start by a lot.
    expect(res.nlmlAfter).toBeLessThanOrEqual(gpNegLogMarginal(X, y, truth) + 1e-6);
    expect(gpNegLogMarginal(X, y, defaultHyp(X, y))).toBeGreaterThan(res.nlmlAfter + 10);
  });

  it("multi-output training, subset of data, and clear errors", () => {
    const { X, y, rng } = randomData(40, 2, 6);
    const Y = mat(40, 2);
    for (let i = 0; i < 40; i++) {
      Y.data[i * 2] = y[i];
      Y.data[i * 2 + 1] = -2 * y[i] + 0.1 * rng.normal();
    }
    const m = trainGps(X, Y, { maxIter: 30 });
    expect(m.gps).toHaveLength(2);
    expect(m.E).toBe(2);
    const idx = subsetOfData(500, 300, makeRng(1), 80);
    expect(idx).toHaveLength(300);
    expect(new Set(idx).size).toBe(300);
    expect(idx.slice(-80)).toEqual(Array.from({ length: 80 }, (_, i) => 420 + i));
    expect(subsetOfData(100, 300, makeRng(1))).toHaveLength(100);
    expect(() => fitGp(X, y.slice(1), makeHyp([1, 1], 1, 0.1))).toThrow(/targets/);
    expect(() => fitGp(X, y, makeHyp([1], 1, 0.1))).toThrow(/hyper-parameters/);
    expect(() => makeHyp([-1], 1, 0.1)).toThrow(/positive/);
    // Duplicated inputs with (almost) no noise: Cholesky gets jitter, or says clearly that it cannot.
    const Xd = mat(3, 1, [0, 0, 0]);
    try {
      const gp = fitGp(Xd, [1, 1, 1], makeHyp([1], 1, 1e-12));
      expect(gp.jitter).toBeGreaterThan(0);
    } catch (e) {
      expect(e).toBeInstanceOf(NotPositiveDefiniteError);
    }
  });
});
