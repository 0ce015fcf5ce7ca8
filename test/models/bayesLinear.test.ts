import { describe, expect, it } from "vitest";
import { ShapeError, ValueError, makeRng } from "../../lib/core";
import { cholesky, eye, inv, logDetChol, mat, matmul, matmulTN, matvec, maxAbsDiff, scale, add, transpose } from "../../lib/linalg";
import {
  bayesLinearPredict,
  bayesLinearPrior,
  featureMatrix,
  fitBayesLinear,
  linearFeatures,
  polynomialFeatures,
  rbfFeatures,
  sampleFunctions,
  sampleWeights,
} from "../../lib/models/bayesLinear";
import { ensembleMoments, gapRegressionData } from "../../lib/models/uncertainty";

function toyData(n: number, seed: number) {
  const rng = makeRng(seed);
  const x = Array.from({ length: n }, () => rng.uniform(-3, 3));
  const y = x.map((v) => Math.sin(v) + 0.2 * rng.normal());
  return { x, y };
}

describe("Bayesian linear regression: posterior", () => {
  const feats = rbfFeatures([-2, -1, 0, 1, 2], 0.8);
  const opts = { priorStd: 1.5, noiseStd: 0.3 };

  it("equals the textbook formulas S = (alpha I + beta Phi^T Phi)^-1, m = beta S Phi^T y", () => {
    const { x, y } = toyData(25, 1);
    const post = fitBayesLinear(feats, x, y, opts);
    const Phi = featureMatrix(feats, x);
    const alpha = 1 / opts.priorStd ** 2,
      beta = 1 / opts.noiseStd ** 2;
    const S = inv(add(scale(eye(Phi.cols), alpha), scale(matmulTN(Phi, Phi), beta)));
    const m = matvec(
      S,
      Array.from(matvec(transpose(Phi), y), (v) => beta * v),
    );
    expect(maxAbsDiff(post.cov, S)).toBeLessThan(1e-10);
    expect(maxAbsDiff(mat(1, m.length, post.mean), mat(1, m.length, m))).toBeLessThan(1e-10);
    expect(post.n).toBe(25);
  });

  it("predictive mean and variance equal the function-space (kernel) form", () => {
    // With prior N(0, s_p^2 I), f = Phi w is a GP with kernel s_p^2 Phi Phi^T: conditioning the joint
    // Gaussian of (f(X*), y) gives the same predictive mean and latent variance.
    const { x, y } = toyData(15, 2);
    const xs = [-3.5, -0.3, 0.7, 4];
    const post = fitBayesLinear(feats, x, y, opts);
    const p = bayesLinearPredict(post, xs);
    const Phi = featureMatrix(feats, x),
      Phs = featureMatrix(feats, xs);
    const sp2 = opts.priorStd ** 2,
      sn2 = opts.noiseStd ** 2;
    const K = add(scale(matmul(Phi, transpose(Phi)), sp2), scale(eye(x.length), sn2));
    const Ks = scale(matmul(Phs, transpose(Phi)), sp2);
    const Kss = scale(matmul(Phs, transpose(Phs)), sp2);
    const Kinv = inv(K);
    const mean = matvec(matmul(Ks, Kinv), y);
    const cov = matmul(matmul(Ks, Kinv), transpose(Ks));
    for (let i = 0; i < xs.length; i++) {
      expect(p.mean[i]).toBeCloseTo(mean[i], 9);
      expect(p.epistemicVar[i]).toBeCloseTo(Kss.data[i * xs.length + i] - cov.data[i * xs.length + i], 9);
      expect(p.aleatoricVar[i]).toBeCloseTo(sn2, 12);
      expect(p.variance[i]).toBeCloseTo(p.epistemicVar[i] + sn2, 12);
    }
  });

  it("log evidence equals log N(y | 0, s_p^2 Phi Phi^T + s_n^2 I)", () => {
    const { x, y } = toyData(12, 3);
    const post = fitBayesLinear(feats, x, y, opts);
    const Phi = featureMatrix(feats, x);
    const C = add(scale(matmul(Phi, transpose(Phi)), opts.priorStd ** 2), scale(eye(x.length), opts.noiseStd ** 2));
    const Cinv = inv(C);
    const quad = y.reduce((s, yi, i) => s + yi * matvec(Cinv, y)[i], 0);
    const direct = -0.5 * quad - 0.5 * logDetChol(cholesky(C)) - 0.5 * x.length * Math.log(2 * Math.PI);
    expect(post.logEvidence).toBeCloseTo(direct, 8);
  });

  it("weight samples have the posterior mean and covariance (Monte Carlo)", () => {
    const { x, y } = toyData(6, 4);
    const post = fitBayesLinear(polynomialFeatures(2), x, y, { priorStd: 1, noiseStd: 0.5 });
    const N = 40000;
    const ws = sampleWeights(post, N, makeRng(5));
    const M = post.mean.length;
    const mean = new Float64Array(M);
    for (const w of ws) for (let r = 0; r < M; r++) mean[r] += w[r] / N;
    const cov = mat(M, M);
    for (const w of ws)
      for (let r = 0; r < M; r++) for (let c = 0; c < M; c++) cov.data[r * M + c] += ((w[r] - mean[r]) * (w[c] - mean[c])) / (N - 1);
    for (let r = 0; r < M; r++) {
      const sd = Math.sqrt(post.cov.data[r * M + r]);
      expect(Math.abs(mean[r] - post.mean[r])).toBeLessThan((5 * sd) / Math.sqrt(N));
    }
    const maxVar = Math.max(...Array.from({ length: M }, (_, r) => post.cov.data[r * M + r]));
    expect(maxAbsDiff(cov, post.cov)).toBeLessThan(0.03 * maxVar);
  });

  it("function samples have the predictive mean and epistemic variance (Monte Carlo)", () => {
    const { x, y } = toyData(20, 6);
    const post = fitBayesLinear(feats, x, y, opts);
    const xs = [-2.5, 0, 1.3, 3.5];
    const fs = sampleFunctions(post, xs, 20000, makeRng(7));
    const p = bayesLinearPredict(post, xs);
    for (let i = 0; i < xs.length; i++) {
      const vals = fs.map((f) => f[i]);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1);
      expect(Math.abs(m - p.mean[i])).toBeLessThan(5 * Math.sqrt(p.epistemicVar[i] / vals.length));
      expect(Math.abs(v / p.epistemicVar[i] - 1)).toBeLessThan(0.05);
    }
  });

  it("the posterior after no data is the prior", () => {
    const prior = bayesLinearPrior(feats, opts);
    expect(prior.n).toBe(0);
    expect(Array.from(prior.mean)).toEqual(new Array(feats.size).fill(0));
    expect(maxAbsDiff(prior.cov, scale(eye(feats.size), opts.priorStd ** 2))).toBeLessThan(1e-12);
    const p = bayesLinearPredict(prior, [0.5]);
    const phi = featureMatrix(feats, [0.5]).data;
    const expected = opts.priorStd ** 2 * phi.reduce((s, v) => s + v * v, 0);
    expect(p.epistemicVar[0]).toBeCloseTo(expected, 12);
    expect(fitBayesLinear(feats, [], [], opts).logEvidence).toBeCloseTo(0, 12);
  });

  it("predictive (epistemic) variance never grows as data are added, and shrinks near new data", () => {
    const { x, y } = toyData(60, 8);
    const grid = Array.from({ length: 41 }, (_, i) => -4 + 0.2 * i);
    let prev = bayesLinearPredict(bayesLinearPrior(feats, opts), grid).epistemicVar;
    for (const n of [1, 3, 10, 30, 60]) {
      const cur = bayesLinearPredict(fitBayesLinear(feats, x.slice(0, n), y.slice(0, n), opts), grid).epistemicVar;
      for (let i = 0; i < grid.length; i++) expect(cur[i]).toBeLessThanOrEqual(prev[i] * (1 + 1e-9) + 1e-15);
      prev = cur;
    }
    // Near the data the epistemic part ends up well below the noise; far away (an RBF centred there,
    // no bias, data only in [-3, 3]) it stays at the prior's.
    const local = rbfFeatures([-2, -1, 0, 1, 2, 7], 0.8, { bias: false });
    const p = bayesLinearPredict(fitBayesLinear(local, x, y, opts), [0, 7]);
    expect(p.epistemicVar[0]).toBeLessThan(0.2 * opts.noiseStd ** 2);
    const farPrior = bayesLinearPredict(bayesLinearPrior(local, opts), [7]).epistemicVar[0];
    expect(p.epistemicVar[1] / farPrior).toBeGreaterThan(0.9);
  });

  it("recovers the weights of a noiseless linear function as the prior gets wide", () => {
    const X = [
      [0, 1],
      [1, 0],
      [1, 1],
      [2, -1],
      [-1, 3],
    ];
    const y = X.map((r) => 0.5 + 2 * r[0] - 3 * r[1]);
    const post = fitBayesLinear(linearFeatures(2), X, y, { priorStd: 1e4, noiseStd: 1e-4 });
    expect(Array.from(post.mean).map((v) => Number(v.toFixed(6)))).toEqual([0.5, 2, -3]);
  });

  it("feature maps have the advertised values", () => {
    expect(Array.from(polynomialFeatures(3, { scale: 2 }).map([4]))).toEqual([1, 2, 4, 8]);
    const r = rbfFeatures(
      [
        [0, 0],
        [1, 1],
      ],
      1,
      { bias: false },
    ).map([1, 0]);
    expect(r[0]).toBeCloseTo(Math.exp(-0.5), 14);
    expect(r[1]).toBeCloseTo(Math.exp(-0.5), 14);
    expect(Array.from(linearFeatures(2).map([3, 4]))).toEqual([1, 3, 4]);
  });
});

describe("Bayesian linear regression: errors", () => {
  const feats = polynomialFeatures(2);
  it("rejects mismatched shapes", () => {
    expect(() => fitBayesLinear(feats, [1, 2, 3], [1, 2], { priorStd: 1, noiseStd: 1 })).toThrow(ShapeError);
    expect(() => fitBayesLinear(linearFeatures(2), [[1, 2, 3]], [1], { priorStd: 1, noiseStd: 1 })).toThrow(ShapeError);
    expect(() => fitBayesLinear(linearFeatures(2), [1, 2], [1, 2], { priorStd: 1, noiseStd: 1 })).toThrow(ShapeError);
    const post = fitBayesLinear(feats, [1, 2], [1, 2], { priorStd: 1, noiseStd: 1 });
    expect(() => bayesLinearPredict(post, [[1, 2]])).toThrow(ShapeError);
    expect(() => rbfFeatures([], 1)).toThrow(ShapeError);
  });
  it("rejects bad numbers", () => {
    expect(() => fitBayesLinear(feats, [1], [1], { priorStd: 0, noiseStd: 1 })).toThrow(ValueError);
    expect(() => fitBayesLinear(feats, [1], [1], { priorStd: 1, noiseStd: -1 })).toThrow(ValueError);
    expect(() => fitBayesLinear(feats, [1], [NaN], { priorStd: 1, noiseStd: 1 })).toThrow(ValueError);
    expect(() => fitBayesLinear(feats, [Infinity], [1], { priorStd: 1, noiseStd: 1 })).toThrow(ValueError);
    expect(() => rbfFeatures([0], 0)).toThrow(ValueError);
    expect(() => polynomialFeatures(1.5)).toThrow(ValueError);
  });
});

describe("uncertainty helpers", () => {
  it("the gap data set is seeded, sorted, and leaves the gap empty", () => {
    const a = gapRegressionData({ seed: 3, n: 80 });
    const b = gapRegressionData({ seed: 3, n: 80 });
    expect(a.y).toEqual(b.y);
    expect(a.x).toEqual([...a.x].sort((p, q) => p - q));
    expect(a.x.every((v) => v >= -4 && v <= 4 && (v < a.gap[0] || v >= a.gap[1]))).toBe(true);
    expect(gapRegressionData({ seed: 4, n: 80 }).y).not.toEqual(a.y);
    expect(a.noiseStd(4)).toBeGreaterThan(5 * a.noiseStd(-4));
    expect(() => gapRegressionData({ seed: 1, gap: [3, 5] })).toThrow(ValueError);
  });
  it("ensemble moments follow the law of total variance", () => {
    const means = [
      [0, 1],
      [2, 1],
      [4, 1],
    ];
    const vars = [
      [1, 0.5],
      [1, 0.5],
      [4, 0.5],
    ];
    const m = ensembleMoments(means, vars);
    expect(m.mean).toEqual([2, 1]);
    expect(m.aleatoric).toEqual([2, 0.5]);
    expect(m.epistemic[0]).toBeCloseTo(8 / 3, 12);
    expect(m.epistemic[1]).toBe(0);
    expect(m.total[0]).toBeCloseTo(2 + 8 / 3, 12);
    // Monte Carlo of the uniform mixture at point 0.
    const rng = makeRng(9);
    const draws = Array.from({ length: 60000 }, () => {
      const b = rng.int(3);
      return rng.normal(means[b][0], Math.sqrt(vars[b][0]));
    });
    const mu = draws.reduce((s, v) => s + v, 0) / draws.length;
    const v = draws.reduce((s, d) => s + (d - mu) ** 2, 0) / draws.length;
    expect(Math.abs(v / m.total[0] - 1)).toBeLessThan(0.03);
    expect(ensembleMoments(means).aleatoric).toEqual([0, 0]);
    expect(() => ensembleMoments([[1, 2], [1]])).toThrow(ShapeError);
    expect(() => ensembleMoments(means, [[1, 1]])).toThrow(ShapeError);
  });
});
