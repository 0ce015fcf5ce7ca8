import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { mat } from "../../lib/linalg";
import { fitGmm, gmmLogLikelihood, gmmMoments, gmmResponsibilities, makeGmm, sampleGmm } from "../../lib/models/gmm";

const truth = makeGmm(
  [0.5, 0.3, 0.2],
  [
    [0, 0],
    [4, 1],
    [-1, 5],
  ],
  [
    [
      [1, 0.3],
      [0.3, 0.5],
    ],
    [
      [0.4, -0.1],
      [-0.1, 0.6],
    ],
    [
      [0.8, 0],
      [0, 0.2],
    ],
  ],
);

describe("GMM by EM", () => {
  it("raises the log-likelihood at every iteration (no ridge)", () => {
    const rng = makeRng(11);
    const X = sampleGmm(truth, 600, rng);
    for (const seed of [1, 2, 3]) {
      const res = fitGmm(X, 3, makeRng(seed), { reg: 0, maxIter: 60, tol: 0 });
      for (let i = 1; i < res.logLikelihoods.length; i++) {
        expect(res.logLikelihoods[i]).toBeGreaterThanOrEqual(res.logLikelihoods[i - 1] - 1e-10);
      }
    }
  });

  it("recovers a known mixture", () => {
    const rng = makeRng(12);
    const X = sampleGmm(truth, 3000, rng);
    const { gmm } = fitGmm(X, 3, makeRng(5), { maxIter: 200 });
    // Match components by nearest mean.
    for (let k = 0; k < 3; k++) {
      let best = 0,
        bestD = Infinity;
      for (let j = 0; j < 3; j++) {
        const d = Math.hypot(gmm.means[j][0] - truth.means[k][0], gmm.means[j][1] - truth.means[k][1]);
        if (d < bestD) {
          bestD = d;
          best = j;
        }
      }
      expect(bestD).toBeLessThan(0.15);
      expect(gmm.weights[best]).toBeCloseTo(truth.weights[k], 1);
      for (let i = 0; i < 4; i++) expect(Math.abs(gmm.covs[best].data[i] - truth.covs[k].data[i])).toBeLessThan(0.12);
    }
    // The fitted mixture explains held-out data about as well as the truth.
    const Y = sampleGmm(truth, 2000, makeRng(13));
    expect(gmmLogLikelihood(gmm, Y) / 2000).toBeGreaterThan(gmmLogLikelihood(truth, Y) / 2000 - 0.02);
  });

  it("has normalised responsibilities and a density that integrates to one (Monte Carlo)", () => {
    const R = gmmResponsibilities(truth, [
      [0, 0],
      [4, 1],
      [2, 2],
    ]);
    for (let i = 0; i < 3; i++) expect(R.data[i * 3] + R.data[i * 3 + 1] + R.data[i * 3 + 2]).toBeCloseTo(1, 12);
    expect(R.data[0]).toBeGreaterThan(0.9);
    // Importance sampling from a broad Gaussian: E_q[p / q] = 1.
    const rng = makeRng(14);
    const N = 40000,
      s = 4,
      c = [1, 2];
    let acc = 0;
    const pts = mat(N, 2);
    const logq = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const a = rng.normal(0, s),
        b = rng.normal(0, s);
      pts.data[2 * i] = c[0] + a;
      pts.data[2 * i + 1] = c[1] + b;
      logq[i] = -(a * a + b * b) / (2 * s * s) - Math.log(2 * Math.PI * s * s);
    }
    const R2 = gmmResponsibilities(truth, pts); // used only to exercise the batch path
    expect(R2.rows).toBe(N);
    for (let i = 0; i < N; i++) acc += Math.exp(gmmLogLikelihood(truth, [[pts.data[2 * i], pts.data[2 * i + 1]]]) - logq[i]);
    expect(acc / N).toBeCloseTo(1, 1);
  });

  it("gives the moments of the mixture", () => {
    const rng = makeRng(15);
    const X = sampleGmm(truth, 50000, rng);
    const { mean, cov } = gmmMoments(truth);
    let m0 = 0,
      m1 = 0;
    for (let i = 0; i < X.rows; i++) {
      m0 += X.data[2 * i];
      m1 += X.data[2 * i + 1];
    }
    m0 /= X.rows;
    m1 /= X.rows;
    expect(mean[0]).toBeCloseTo(m0, 1);
    expect(mean[1]).toBeCloseTo(m1, 1);
    let v0 = 0;
    for (let i = 0; i < X.rows; i++) v0 += (X.data[2 * i] - m0) ** 2;
    expect(cov.data[0]).toBeCloseTo(v0 / X.rows, 0);
  });

  it("names bad inputs", () => {
    expect(() => fitGmm([[1, 2]], 3, makeRng(1))).toThrow(/cannot support/);
    expect(() =>
      makeGmm(
        [1],
        [[0, 0]],
        [
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
        ],
      ),
    ).toThrow(/covariance 0/);
  });
});
