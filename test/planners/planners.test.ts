import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng } from "../../lib/core";
import { type Mat, mat } from "../../lib/linalg/mat";
import type { DynamicsModel } from "../../lib/models/types";
import {
  MpcController,
  cemPlan,
  cemRefit,
  collocation,
  evaluateSequences,
  gradientShooting,
  makeSequences,
  planReturn,
  randomShooting,
  setSequence,
  shiftPlan,
  withActionRepeat,
  expandPlan,
  type Plan,
  type Planner,
} from "../../lib/planners";
import { GOAL, OPTIMAL_RETURN, integratorModel, toyProblem } from "./toy";

beforeAll(async () => {
  await initBackend();
});

/** Wraps a model and counts predictBatch calls. */
function counting(model: DynamicsModel): DynamicsModel & { calls: number } {
  const wrapped = {
    name: "counting",
    stateDim: model.stateDim,
    actionDim: model.actionDim,
    calls: 0,
    fit: model.fit.bind(model),
    predict: model.predict.bind(model),
    predictBatch(S: Mat, A: Mat) {
      wrapped.calls++;
      return model.predictBatch(S, A);
    },
  };
  return wrapped;
}

describe("evaluateSequences", () => {
  it("sums discounted rewards along each candidate's rollout, one model call per step", () => {
    const model = counting(integratorModel());
    const p = { ...toyProblem(3), model, gamma: 0.5 };
    const seqs = makeSequences(2, 3, 1);
    setSequence(seqs, 0, [[1], [1], [1]]);
    setSequence(seqs, 1, [[-1], [0], [0.5]]);
    const { returns, states } = evaluateSequences(p, [0], seqs, undefined, true);
    expect(model.calls).toBe(3);
    // candidate 0 visits 1, 2, 3: -(4) - 0.5 * 1 - 0.25 * 0
    expect(returns[0]).toBeCloseTo(-4.5, 12);
    // candidate 1 visits -1, -1, -0.5: -16 - 0.5 * 16 - 0.25 * 12.25
    expect(returns[1]).toBeCloseTo(-16 - 8 - 3.0625, 12);
    expect(Array.from(states![3].data)).toEqual([3, -0.5]);
  });

  it("adds gamma^H V(s_H) when a terminal value is given", () => {
    const p = { ...toyProblem(2), gamma: 0.9, terminalValue: (S: Mat) => Float64Array.from(S.data, (x) => 10 * x) };
    const r = planReturn(p, [0], [[1], [1]]);
    expect(r).toBeCloseTo(-4 - 0.9 * 1 + 0.81 * 20, 12);
  });

  it("rejects a start state of the wrong length", () => {
    expect(() => planReturn(toyProblem(2), [0, 1], [[1], [1]])).toThrow(/s0 has length 2/);
  });
});

describe("withActionRepeat", () => {
  it("a macro plan scores exactly like its expanded plan, with discounting", () => {
    const p = { ...toyProblem(6), gamma: 0.9 };
    const macro = withActionRepeat(p, 3);
    expect(macro.horizon).toBe(2);
    const plan = [[1], [-0.5]];
    expect(expandPlan(plan, 3)).toEqual([[1], [1], [1], [-0.5], [-0.5], [-0.5]]);
    expect(planReturn(macro, [0], plan)).toBeCloseTo(planReturn(p, [0], expandPlan(plan, 3)), 12);
    expect(() => withActionRepeat(p, 4)).toThrow(/multiple of 4/);
  });
});

describe("randomShooting", () => {
  it("returns the best candidate, inside the bounds, reproducibly", () => {
    const p = toyProblem(5);
    const a = randomShooting(p, [0], { numCandidates: 500 }, makeRng(1));
    const b = randomShooting(p, [0], { numCandidates: 500 }, makeRng(1));
    expect(a).toEqual(b);
    for (const [u] of a.actions) expect(Math.abs(u)).toBeLessThanOrEqual(1);
    expect(a.predictedReturn).toBeCloseTo(planReturn(p, [0], a.actions), 10);
    expect(a.predictedReturn).toBeGreaterThan(-9); // random sequences average far below this
    expect(a.predictedReturn).toBeLessThanOrEqual(OPTIMAL_RETURN + 1e-12);
  });
});

describe("cemRefit", () => {
  it("moves mean and variance towards the elites, smoothed by alpha, with a floor on std", () => {
    const elites = [
      [1, 2],
      [3, 2],
    ];
    const { mean, std } = cemRefit(elites, [0, 0], [1, 1], 0.25, 0.1);
    expect(mean[0]).toBeCloseTo(0.75 * 2, 12);
    expect(mean[1]).toBeCloseTo(0.75 * 2, 12);
    expect(std[0]).toBeCloseTo(Math.sqrt(0.25 * 1 + 0.75 * 1), 12);
    expect(std[1]).toBeCloseTo(Math.sqrt(0.25 * 1 + 0.75 * 0), 12);
    const floored = cemRefit(elites, [0, 0], [0, 0], 0, 0.3);
    expect(floored.std[1]).toBe(0.3);
    const kept = cemRefit(elites, [5, 5], [2, 2], 1, 0);
    expect(Array.from(kept.mean)).toEqual([5, 5]);
  });
  it("throws on an empty elite set or mismatched lengths", () => {
    expect(() => cemRefit([], [0], [1], 0.1, 0)).toThrow(/at least one elite/);
    expect(() => cemRefit([[1, 2]], [0], [1], 0.1, 0)).toThrow(/length 2/);
  });
});

describe("cemPlan", () => {
  it("finds the optimal plan of the integrator and its std shrinks", () => {
    const p = toyProblem(5);
    const plan = cemPlan(
      p,
      [0],
      { population: 200, elites: 20, iterations: 6, alpha: 0.1, minStdFraction: 0.01 },
      makeRng(2),
      undefined,
      true,
    );
    expect(plan.predictedReturn).toBeGreaterThan(OPTIMAL_RETURN - 0.05);
    expect(plan.actions[0][0]).toBeGreaterThan(0.9);
    const h = plan.history!;
    expect(h).toHaveLength(6);
    const meanStd = (s: Float64Array) => s.reduce((a, b) => a + b, 0) / s.length;
    expect(meanStd(h[5].std)).toBeLessThan(0.5 * meanStd(h[0].std));
    expect(h[5].eliteMeanReturn).toBeGreaterThan(h[0].eliteMeanReturn);
  });
  it("keeps a perfect warm start (the mean is always one of the candidates)", () => {
    const p = toyProblem(5);
    const best = [[1], [1], [1], [0], [0]];
    const plan = cemPlan(p, [0], { population: 10, elites: 2, iterations: 1 }, makeRng(3), best);
    expect(plan.predictedReturn).toBeCloseTo(OPTIMAL_RETURN, 12);
  });
  it("rejects more elites than candidates", () => {
    expect(() => cemPlan(toyProblem(2), [0], { population: 5, elites: 6, iterations: 1 }, makeRng(0))).toThrow(/elites/);
  });
});

describe("gradientShooting", () => {
  it("climbs to near the optimum through the differentiable model", () => {
    const p = toyProblem(5);
    const plan = gradientShooting(p, [0], { iterations: 150, learningRate: 0.1, restarts: 3 }, makeRng(4));
    expect(plan.predictedReturn).toBeGreaterThan(OPTIMAL_RETURN - 0.1);
    expect(plan.lossHistory[plan.lossHistory.length - 1]).toBeLessThan(plan.lossHistory[0]);
    expect(plan.restartReturns).toHaveLength(3);
  });
  it("throws for a model without a tensor form", () => {
    const m = integratorModel();
    const plain: DynamicsModel = {
      name: "plain",
      stateDim: 1,
      actionDim: 1,
      fit: m.fit.bind(m),
      predict: m.predict.bind(m),
      predictBatch: m.predictBatch.bind(m),
    };
    expect(() => gradientShooting({ ...toyProblem(2), model: plain }, [0], { iterations: 1 }, makeRng(0))).toThrow(/not differentiable/);
  });
});

describe("collocation", () => {
  it("ends near-feasible and near-optimal", () => {
    const p = toyProblem(5);
    const plan = collocation(p, [0], { iterations: 400, learningRate: 0.05, rho0: 1, rhoGrowth: 10, rounds: 4 }, makeRng(5));
    expect(plan.maxDefect).toBeLessThan(0.05);
    expect(plan.predictedReturn).toBeGreaterThan(OPTIMAL_RETURN - 0.3);
    expect(plan.states).toHaveLength(5);
    expect(plan.history[plan.history.length - 1].rho).toBeGreaterThan(plan.history[0].rho);
  });
});

describe("MPC", () => {
  it("shiftPlan drops executed steps and repeats the last action", () => {
    expect(shiftPlan([[1], [2], [3]], 1)).toEqual([[2], [3], [3]]);
    expect(shiftPlan([[1], [2], [3]], 5)).toEqual([[3], [3], [3]]);
  });

  it("replans every step or every N steps, passing the shifted plan as warm start", () => {
    const warmSeen: (number[][] | undefined)[] = [];
    let k = 0;
    const planner: Planner = (_s, _rng, warm) => {
      warmSeen.push(warm?.map((r) => Array.from(r)));
      k++;
      return { actions: [[k], [k + 0.1], [k + 0.2], [k + 0.3]], predictedReturn: 0 };
    };
    const every = new MpcController(planner, { replanEvery: 1 });
    const acts1 = Array.from({ length: 3 }, () => every.act([0], makeRng(0))[0]);
    expect(acts1).toEqual([1, 2, 3]);
    expect(warmSeen[1]).toEqual([[1.1], [1.2], [1.3], [1.3]]);
    k = 0;
    warmSeen.length = 0;
    const third = new MpcController(planner, { replanEvery: 3 });
    const acts3 = Array.from({ length: 7 }, () => third.act([0], makeRng(0))[0]);
    expect(acts3).toEqual([1, 1.1, 1.2, 2, 2.1, 2.2, 3]);
    expect(third.planSeconds).toHaveLength(3);
    expect(warmSeen[1]).toEqual([[1.3], [1.3], [1.3], [1.3]]);
  });

  it("closes the loop: CEM-MPC drives the integrator to the goal despite a wrong model", () => {
    // The model believes x' = x + 0.8 a; the real system is x' = x + a - 0.1 (a drift it does not know).
    const wrong = integratorModel();
    wrong.W = mat(3, 1, [0, 0.8, 0]);
    const p = { ...toyProblem(5), model: wrong };
    const mpc = new MpcController((s, rng, warm) => cemPlan(p, s, { population: 100, elites: 10, iterations: 3 }, rng, warm));
    let x = 0;
    const rng = makeRng(6);
    for (let t = 0; t < 15; t++) x = x + Math.max(-1, Math.min(1, mpc.act([x], rng)[0])) - 0.1;
    expect(Math.abs(x - GOAL)).toBeLessThan(0.2);
    // Open loop, the same model's 15-step plan misses: the drift accumulates unobserved.
    const open = cemPlan({ ...p, horizon: 15 }, [0], { population: 300, elites: 30, iterations: 5 }, makeRng(7));
    let y = 0;
    for (const [a] of open.actions) y = y + a - 0.1;
    expect(Math.abs(y - GOAL)).toBeGreaterThan(0.5);
  });

  it("resets its plan", () => {
    const plans: Plan[] = [];
    const mpc = new MpcController((s) => {
      const plan = { actions: [[s[0]]], predictedReturn: 0 };
      plans.push(plan);
      return plan;
    });
    mpc.act([1], makeRng(0));
    mpc.reset();
    expect(mpc.plan).toBeNull();
  });
});
