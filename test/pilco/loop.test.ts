import { describe, expect, it } from "vitest";
import { Pendulum } from "../../lib/envs";
import { lbfgs } from "../../lib/optim";
import { makeRng } from "../../lib/core";
import { augment, immediateCost, pilco, pilcoTrialRecord, policyInputMoments, type PilcoTrial } from "../../lib/pilco/pilco";
import { cartpoleScenario, cartpoleSuccess, pendulumScenario, pendulumSuccess } from "../../lib/pilco/scenarios";

describe("L-BFGS", () => {
  it("minimises the Rosenbrock function", () => {
    const f = (x: Float64Array, g: Float64Array) => {
      const a = 1 - x[0],
        b = x[1] - x[0] * x[0];
      g[0] = -2 * a - 400 * x[0] * b;
      g[1] = 200 * b;
      return a * a + 100 * b * b;
    };
    const r = lbfgs(f, [-1.2, 1], { maxIter: 200 });
    expect(r.f).toBeLessThan(1e-10);
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.history[r.history.length - 1]).toBeLessThan(r.history[0]);
  });

  it("rejects a non-finite start", () => {
    expect(() => lbfgs(() => NaN, [0])).toThrow(/starting point/);
  });
});

describe("the initial RBF policy's centre distribution", () => {
  it("has the policy input's moments under the start distribution, cross-covariances included", () => {
    // Pendulum inputs [omega, sin theta, cos theta] with theta ~ N(m, s^2): E sin = sin m e^{-s^2/2},
    // E cos = cos m e^{-s^2/2}, E[sin cos] = sin(2m) e^{-2 s^2} / 2, E sin^2 = (1 - cos(2m) e^{-2 s^2}) / 2.
    const m = Math.PI / 4,
      s2 = 0.25;
    const sc = { ...pendulumScenario(), mu0: [m, 0], S0: [s2, 0, 0, 0.04] };
    const { mean, cov } = policyInputMoments(sc, makeRng(11));
    const eSin = Math.sin(m) * Math.exp(-s2 / 2),
      eCos = Math.cos(m) * Math.exp(-s2 / 2);
    const covSinCos = (Math.sin(2 * m) * Math.exp(-2 * s2)) / 2 - eSin * eCos;
    const varSin = (1 - Math.cos(2 * m) * Math.exp(-2 * s2)) / 2 - eSin * eSin;
    // 2,000 draws: Monte Carlo standard errors are about 0.01 for these moments.
    expect(mean[0]).toBeCloseTo(0, 1);
    expect(mean[1]).toBeCloseTo(eSin, 1);
    expect(mean[2]).toBeCloseTo(eCos, 1);
    expect(cov[0]).toBeCloseTo(0.04, 2);
    expect(cov[1 * 3 + 1]).toBeCloseTo(varSin, 1);
    expect(covSinCos).toBeLessThan(-0.04); // strongly negative at m = pi/4: the bug drew sin and cos apart, giving ~0
    expect(Math.abs(cov[1 * 3 + 2] - covSinCos)).toBeLessThan(0.015);
    expect(cov[1 * 3 + 2]).toBe(cov[2 * 3 + 1]);
  });
});

describe("the PILCO loop", () => {
  it("runs a random and a learned trial on the pendulum, deterministically per seed", () => {
    const run = () =>
      pilco(new Pendulum({ start: "down", maxSteps: 1e9 }), pendulumScenario({ H: 15 }), {
        seed: 3,
        trials: 1,
        policyIters: 3,
        gpIters: 20,
        success: pendulumSuccess,
      });
    const a = run();
    expect(a.trials).toHaveLength(2);
    const t1 = a.trials[1];
    expect(t1.prediction!.means).toHaveLength(16);
    expect(t1.prediction!.costs).toHaveLength(15);
    expect(t1.states).toHaveLength(16);
    expect(t1.actions.every((u) => Math.abs(u[0]) <= 2 + 1e-12)).toBe(true);
    expect(t1.realCosts.every((c) => c >= 0 && c <= 1)).toBe(true);
    expect(t1.dataSize).toBe(15);
    expect(a.interactionSeconds).toBeCloseTo(2 * 15 * 0.1, 10);
    const b = run();
    expect(b.trials[1].states).toEqual(t1.states);
    expect(b.policy.params).toEqual(a.policy.params);
  });

  it("uses the sparse (FITC) GP for prediction once the data exceed `inducing` points", () => {
    const res = pilco(new Pendulum({ start: "down", maxSteps: 1e9 }), pendulumScenario({ H: 15 }), {
      seed: 3,
      trials: 2,
      policyIters: 3,
      gpIters: 20,
      inducing: 20,
      success: pendulumSuccess,
    });
    expect(res.trials[1].mmSize).toBe(15); // 15 points: full GP
    expect(res.trials[2].dataSize).toBe(30);
    expect(res.trials[2].mmSize).toBe(20); // 30 points: FITC on 20 inducing inputs
    expect(Number.isFinite(res.trials[2].prediction!.total)).toBe(true);
  });

  it("optimises on a longer prediction than the trial, and restarts keep the best predicted cost", () => {
    const base = { seed: 3, trials: 1, policyIters: 6, gpIters: 20, success: pendulumSuccess };
    const env = () => new Pendulum({ start: "down", maxSteps: 1e9 });
    const plain = pilco(env(), pendulumScenario({ H: 15 }), base);
    // The trial stays 15 steps; the prediction the policy is optimised on runs 25.
    const long = pilco(env(), pendulumScenario({ H: 15 }), { ...base, predictionHorizon: 25 });
    expect(long.trials[1].states).toHaveLength(16);
    expect(long.trials[1].prediction!.costs).toHaveLength(25);
    expect(plain.trials[1].prediction!.costs).toHaveLength(15);
    // Restarts: more evaluations, and on this seed a predicted cost at least as low as without them
    // (not guaranteed in general: the best start after a short search is not always the best after a
    // long one); the same numbers for the same seed.
    const restarted = () => pilco(env(), pendulumScenario({ H: 15 }), { ...base, policyRestarts: 3, restartIters: 6 });
    const r = restarted();
    expect(r.trials[1].optEvaluations).toBeGreaterThan(plain.trials[1].optEvaluations);
    expect(r.trials[1].prediction!.total).toBeLessThanOrEqual(plain.trials[1].prediction!.total + 1e-9);
    expect(restarted().policy.params).toEqual(r.policy.params);
    // No restarts is the default: the same numbers as before the option existed.
    expect(pilco(env(), pendulumScenario({ H: 15 }), { ...base, policyRestarts: 0 }).policy.params).toEqual(plain.policy.params);
  });

  it("scenario geometry: the cart-pole cost is the tip distance cost, success needs the last second upright", () => {
    const sc = cartpoleScenario();
    expect(immediateCost(sc.plant, sc.cost, [0, 0, Math.PI, 0])).toBeCloseTo(0, 12);
    // Tip of a pole hanging down is 2 l = 1 m below the target: cost 1 - exp(-1 / (2 * 0.25^2)).
    expect(immediateCost(sc.plant, sc.cost, [0, 0, 0, 0])).toBeCloseTo(1 - Math.exp(-1 / 0.125), 12);
    expect(augment(sc.plant, [1, 2, 0.5, 3])).toEqual([1, 2, 0.5, 3, Math.sin(0.5), Math.cos(0.5)]);
    const up = Array.from({ length: 41 }, () => [0, 0, Math.PI, 0]);
    expect(cartpoleSuccess(up)).toBe(true);
    up[35] = [0.4, 0, Math.PI, 0];
    expect(cartpoleSuccess(up)).toBe(false);
  });
});

describe("pilcoTrialRecord (bench pilco --out, notebook 09)", () => {
  it("keeps summed costs, the real angle and the predicted angle's mean and sd at the angle's index", () => {
    // A 2-state trial (angle at index 1): covariances row-major, so the angle's variance is S[1 * 2 + 1].
    const trial = {
      index: 3,
      states: [
        [0.5, 1.25],
        [0.25, 2.5],
      ],
      actions: [[0.1]],
      realCosts: [0.75, 0.5],
      success: false,
      prediction: {
        means: [Float64Array.from([0, 1]), Float64Array.from([0, 2])],
        covs: [Float64Array.from([9, 0, 0, 0.25]), Float64Array.from([9, 0, 0, 4])],
        costs: [0.4, 0.6],
        total: 1,
      },
    } as unknown as PilcoTrial;
    expect(pilcoTrialRecord(trial, 1)).toEqual({
      index: 3,
      realCost: 1.25,
      predictedCost: 1,
      success: false,
      angle: [1.25, 2.5],
      predictedAngleMean: [1, 2],
      predictedAngleSd: [0.5, 2],
    });
    // The random first trial has no prediction.
    expect(pilcoTrialRecord({ ...trial, prediction: undefined }, 0).predictedAngleSd).toBeNull();
  });
});
