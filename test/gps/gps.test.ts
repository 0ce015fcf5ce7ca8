import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng } from "../../lib/core";
import { eye, mat, scale } from "../../lib/linalg";
import { BatchDynamics, leastSquaresCost, linearGaussianController } from "../../lib/control";
import { GlobalPolicy, guidedPolicySearch, linearizePolicy, runControllerMean, sampleRollout, trainPolicy } from "../../lib/gps";
import { EnsembleMLP } from "../../lib/nn";

/** A point mass on a line (position, velocity), force input, dt = 0.1: only ever sampled by GPS. */
const pointMass: BatchDynamics = {
  stateDim: 2,
  actionDim: 1,
  uLow: [-10],
  uHigh: [10],
  dynamics(S, U) {
    const out = new Float64Array(S.length);
    for (let r = 0; r < U.length; r++) {
      const v = S[2 * r + 1] + 0.1 * U[r];
      out[2 * r] = S[2 * r] + 0.1 * v;
      out[2 * r + 1] = v;
    }
    return out;
  },
};
const reachOne = leastSquaresCost(
  (x, u) => Float64Array.of(x[0] - 1, 0.1 * u[0]),
  (x) => Float64Array.of(3 * (x[0] - 1), 3 * x[1]),
);

beforeAll(async () => {
  await initBackend();
});

describe("local-model trajectory optimisation", () => {
  it("reaches the target from samples only, with every step's KL within its bound", () => {
    const T = 30;
    const kls: number[] = [],
      bounds: number[] = [],
      costs: number[] = [];
    const state = guidedPolicySearch(
      pointMass,
      reachOne,
      { T, conditions: [[0, 0]], samplesPerCondition: 5, iterations: 8, klStep: 0.5, seed: 3 },
      (info) => {
        kls.push(info.kl[0]);
        bounds.push(info.epsilon[0]);
        costs.push(info.sampleCost[0]);
      },
    );
    kls.forEach((kl, i) => expect(kl).toBeLessThanOrEqual(1.1 * bounds[i]));
    expect(costs[costs.length - 1]).toBeLessThan(0.5 * costs[0]);
    const run = runControllerMean(pointMass, state.controllers[0], [0, 0]);
    expect(Math.abs(run.xs[T][0] - 1)).toBeLessThan(0.05);
  });

  it("rejects bad configurations", () => {
    expect(() => guidedPolicySearch(pointMass, reachOne, { T: 5, conditions: [], seed: 1 })).toThrow(/no initial conditions/);
    expect(() => guidedPolicySearch(pointMass, reachOne, { T: 5, conditions: [[0]], seed: 1 })).toThrow(/condition 0/);
  });
});

describe("the global policy (S-step)", () => {
  it("imitates a linear controller and its linearisation recovers the gains", () => {
    const T = 20;
    const K = mat(1, 2, [-2, -1.5]);
    const teacher = linearGaussianController(
      Array.from({ length: T }, () => K),
      Array.from({ length: T }, () => Float64Array.of(1)),
      Array.from({ length: T }, () => scale(eye(1), 0.25)),
    );
    const rng = makeRng(4);
    const starts = [
      [-1, 0],
      [1, 0],
      [0, 1],
      [0, -1],
    ];
    const samples = starts.map((s) => Array.from({ length: 5 }, () => sampleRollout(pointMass, teacher, s, rng)));
    const net = new EnsembleMLP({ inputSize: 2, outputSize: 1, hiddenSizes: [32, 32], activation: "tanh", learningRate: 3e-3, seed: 5 });
    const policy: GlobalPolicy = { net, cov: eye(1), n: 2, m: 1 };
    trainPolicy(
      policy,
      starts.map(() => teacher),
      samples,
      200,
      6,
    );
    // The policy noise is the inverse of the teachers' mean precision.
    expect(policy.cov.data[0]).toBeCloseTo(0.25, 6);
    const xbar = samples[0][0].xs.slice(0, T);
    const lin = linearizePolicy(policy, xbar);
    let err = 0;
    for (let t = 0; t < T; t++) {
      err += (Math.abs(lin.K[t].data[0] - K.data[0]) + Math.abs(lin.K[t].data[1] - K.data[1])) / (2 * T);
      // pi(x_bar) = K x_bar + k for the linearisation at x_bar.
      const teacherMean = K.data[0] * xbar[t][0] + K.data[1] * xbar[t][1] + 1;
      const linMean = lin.K[t].data[0] * xbar[t][0] + lin.K[t].data[1] * xbar[t][1] + lin.k[t][0];
      expect(linMean).toBeCloseTo(teacherMean, 0);
    }
    // A network fitted on 400 noisy points is not exactly linear; its mean gain error stays small.
    expect(err).toBeLessThan(0.2);
    net.dispose();
  });
});
