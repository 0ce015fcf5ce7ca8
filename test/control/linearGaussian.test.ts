import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { mat } from "../../lib/linalg";
import {
  actionLogProb,
  controllerEntropy,
  controllerFromPlan,
  controllerMean,
  linearGaussianController,
  maxEntropyController,
  sampleAction,
} from "../../lib/control";

const K = [mat(2, 3, [0.5, -1, 0.2, 0.1, 0.3, -0.4])];
const k = [Float64Array.of(0.3, -0.7)];
const cov = [mat(2, 2, [0.5, 0.2, 0.2, 0.3])];

describe("linear-Gaussian controllers", () => {
  it("samples with the right mean and covariance (Monte Carlo)", () => {
    const c = linearGaussianController(K, k, cov);
    const rng = makeRng(7);
    const x = [1, 2, -1];
    const mean = controllerMean(c, 0, x);
    const N = 40000;
    const s = [0, 0],
      ss = [0, 0, 0];
    for (let i = 0; i < N; i++) {
      const u = sampleAction(c, 0, x, rng);
      const d0 = u[0] - mean[0],
        d1 = u[1] - mean[1];
      s[0] += d0;
      s[1] += d1;
      ss[0] += d0 * d0;
      ss[1] += d0 * d1;
      ss[2] += d1 * d1;
    }
    expect(Math.abs(s[0] / N)).toBeLessThan(0.02);
    expect(Math.abs(s[1] / N)).toBeLessThan(0.02);
    expect(ss[0] / N).toBeCloseTo(0.5, 1);
    expect(ss[1] / N).toBeCloseTo(0.2, 1);
    expect(ss[2] / N).toBeCloseTo(0.3, 1);
  });

  it("computes the Gaussian log-density (closed form in 2-D) and the entropy (Monte Carlo)", () => {
    const c = linearGaussianController(K, k, cov);
    const x = [0.2, -0.1, 0.4];
    const mean = controllerMean(c, 0, x);
    const u = [0.9, -0.3];
    const d = [u[0] - mean[0], u[1] - mean[1]];
    const det = 0.5 * 0.3 - 0.2 * 0.2;
    const q = (0.3 * d[0] * d[0] - 2 * 0.2 * d[0] * d[1] + 0.5 * d[1] * d[1]) / det;
    const expected = -0.5 * q - 0.5 * Math.log(det) - Math.log(2 * Math.PI);
    expect(actionLogProb(c, 0, x, u)).toBeCloseTo(expected, 12);
    const rng = makeRng(8);
    let negLog = 0;
    const N = 20000;
    for (let i = 0; i < N; i++) negLog -= actionLogProb(c, 0, x, sampleAction(c, 0, x, rng));
    expect(negLog / N).toBeCloseTo(controllerEntropy(c, 0), 1);
  });

  it("converts iLQR's u = K (x - x_hat) + k + u_hat to the absolute form", () => {
    const xhat = [Float64Array.of(1, 0, -1)],
      uhat = [Float64Array.of(0.1, 0.2)];
    const c = controllerFromPlan(xhat, uhat, K, k, cov);
    const x = [0.5, 0.5, 0.5];
    const direct = [0, 1].map((i) => {
      let s = k[0][i] + uhat[0][i];
      for (let j = 0; j < 3; j++) s += K[0].data[i * 3 + j] * (x[j] - xhat[0][j]);
      return s;
    });
    const mean = controllerMean(c, 0, x);
    expect(mean[0]).toBeCloseTo(direct[0], 12);
    expect(mean[1]).toBeCloseTo(direct[1], 12);
  });

  it("sets Sigma = Q_uu^-1 for the maximum-entropy controller", () => {
    const Quu = [mat(2, 2, [4, 1, 1, 2])];
    const c = maxEntropyController([Float64Array.of(0, 0, 0)], [Float64Array.of(0, 0)], K, k, Quu);
    // Sigma Quu = I
    const S = c.cov[0].data;
    expect(S[0] * 4 + S[1] * 1).toBeCloseTo(1, 12);
    expect(S[0] * 1 + S[1] * 2).toBeCloseTo(0, 12);
    expect(S[2] * 1 + S[3] * 2).toBeCloseTo(1, 12);
  });

  it("names bad shapes", () => {
    expect(() => linearGaussianController(K, [Float64Array.of(1)], cov)).toThrow(/k\[0\]/);
    expect(() => linearGaussianController(K, k, [mat(3, 3)])).toThrow(/cov\[0\]/);
  });
});
