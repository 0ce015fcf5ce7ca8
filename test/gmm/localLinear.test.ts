import { describe, expect, it } from "vitest";
import { makeRng, type Rng } from "../../lib/core";
import { mat } from "../../lib/linalg";
import {
  Trajectory,
  conditionJointGaussian,
  fitDynamicsGmm,
  fitLocalDynamicsPrior,
  fitLocalDynamicsRidge,
  jointGaussianPosterior,
  linearRegressionStep,
  transitionTuples,
} from "../../lib/models/localLinear";

/** Samples of a known time-varying linear-Gaussian system x' = A_t x + B_t u + c_t + noise. */
function linearSamples(rng: Rng, N: number, T: number, noise: number) {
  const A = (t: number) => [
    [1, 0.1 + 0.01 * t],
    [-0.05 * t, 0.9],
  ];
  const B = (t: number) => [
    [0.2, 0],
    [0.05 * t, 0.3],
  ];
  const c = (t: number) => [0.1, -0.02 * t];
  const samples: Trajectory[] = [];
  for (let i = 0; i < N; i++) {
    const xs = [rng.normals(2)],
      us: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const u = rng.normals(2);
      const x = xs[t];
      const xn = new Float64Array(2);
      for (let a = 0; a < 2; a++) {
        xn[a] = c(t)[a] + rng.normal(0, noise);
        for (let b = 0; b < 2; b++) xn[a] += A(t)[a][b] * x[b] + B(t)[a][b] * u[b];
      }
      us.push(u);
      xs.push(xn);
    }
    samples.push({ xs, us });
  }
  return { samples, A, B, c };
}

describe("local linear dynamics fits", () => {
  it("linear regression recovers a known time-varying system and its noise", () => {
    const rng = makeRng(21);
    const { samples, A, B, c } = linearSamples(rng, 400, 5, 0.05);
    const dyn = fitLocalDynamicsRidge(samples);
    for (let t = 0; t < 5; t++) {
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) {
          expect(dyn.F[t].data[a * 4 + b]).toBeCloseTo(A(t)[a][b], 1);
          expect(dyn.F[t].data[a * 4 + 2 + b]).toBeCloseTo(B(t)[a][b], 1);
        }
        expect(dyn.f[t][a]).toBeCloseTo(c(t)[a], 1);
        expect(dyn.cov[t].data[a * 3]).toBeCloseTo(0.0025, 3);
      }
    }
  });

  it("conditioning the sample Gaussian equals ordinary least squares", () => {
    const rng = makeRng(22);
    const { samples } = linearSamples(rng, 30, 1, 0.1);
    const pts = transitionTuples(samples);
    const g = jointGaussianPosterior(pts);
    const cond = conditionJointGaussian(g.mean, g.cov, 4, 0);
    const ols = linearRegressionStep(
      samples.map((s) => s.xs[0]),
      samples.map((s) => s.us[0]),
      samples.map((s) => s.xs[1]),
      0,
      0,
    );
    for (let i = 0; i < 8; i++) expect(cond.F.data[i]).toBeCloseTo(ols.F.data[i], 8);
    for (let i = 0; i < 2; i++) expect(cond.f[i]).toBeCloseTo(ols.f[i], 8);
    for (let i = 0; i < 4; i++) expect(cond.cov.data[i]).toBeCloseTo(ols.cov.data[i], 8);
  });

  it("the NIW posterior is the sample estimate plus pseudo-counts of the prior", () => {
    const pts = mat(2, 1, [1, 3]);
    const post = jointGaussianPosterior(pts, { mu0: Float64Array.of(0), Phi: mat(1, 1, [4]), m: 2, n0: 2 });
    // mean (2*0 + 2*2)/4 = 1; cov (S=2 + Phi=4 + 2*2/4*(2-0)^2=4) / 4 = 2.5
    expect(post.mean[0]).toBeCloseTo(1, 12);
    expect(post.cov.data[0]).toBeCloseTo(2.5, 12);
  });

  it("with 5 rollouts, the GMM prior beats plain regression on a nonlinear system", () => {
    const rng = makeRng(23);
    const T = 20;
    const step = (x: Float64Array, u: Float64Array) => Float64Array.of(x[0] + 0.1 * x[1], x[1] + 0.1 * (-3 * Math.sin(x[0]) + u[0]));
    const roll = (N: number, spread: number, r: Rng): Trajectory[] =>
      Array.from({ length: N }, () => {
        const xs = [Float64Array.of(0.5 + r.normal(0, spread), r.normal(0, spread))],
          us: Float64Array[] = [];
        for (let t = 0; t < T; t++) {
          const u = Float64Array.of(Math.sin(0.3 * t) + r.normal(0, 0.5));
          us.push(u);
          xs.push(step(xs[t], u));
        }
        return { xs, us };
      });
    const broad = roll(60, 0.3, rng); // earlier data for the global prior
    const few = roll(5, 0.05, rng);
    const gmm = fitDynamicsGmm([...broad, ...few], makeRng(1), { K: 6 });
    const ridge = fitLocalDynamicsRidge(few);
    const bayes = fitLocalDynamicsPrior(few, gmm);
    const test = roll(20, 0.05, rng);
    const err = (dyn: typeof ridge) => {
      let e = 0;
      for (const s of test) {
        for (let t = 0; t < T; t++) {
          for (let i = 0; i < 2; i++) {
            let p = dyn.f[t][i];
            for (let j = 0; j < 2; j++) p += dyn.F[t].data[i * 3 + j] * s.xs[t][j];
            p += dyn.F[t].data[i * 3 + 2] * s.us[t][0];
            e += (p - s.xs[t + 1][i]) ** 2;
          }
        }
      }
      return e;
    };
    expect(err(bayes)).toBeLessThan(err(ridge));
  });

  it("names bad samples", () => {
    const s = { xs: [Float64Array.of(0), Float64Array.of(1)], us: [Float64Array.of(0)] };
    expect(() => fitLocalDynamicsRidge([s, { xs: [Float64Array.of(0)], us: [] }])).toThrow(/sample 1/);
    expect(() => fitLocalDynamicsRidge([])).toThrow(/no samples/);
  });
});
