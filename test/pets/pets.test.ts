import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf, ShapeError, type Rng } from "../../lib/core";
import { CartPole } from "../../lib/envs/cartpole";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble";
import { envReward, oracleModel } from "../../lib/models/oracle";
import { addTransition, emptyDataset } from "../../lib/models/types";
import {
  type ParticleDynamics,
  ablationModel,
  effectiveParticles,
  optimisticReturns,
  particleDynamics,
  particleAveragedReturns,
  particleFan,
  petsPlanner,
  propagateParticles,
  propagateStep,
  runPets,
  trialsToThreshold,
  ts1Assignment,
  tsInfAssignment,
  PetsController,
} from "../../lib/pets";

beforeAll(async () => {
  await initBackend();
});

/**
 * A toy 1-D "ensemble" of 3 members: member b adds b + 1 to the state (plus noise of std 0.1 when
 * sampled), so each particle's path reveals the members it used.
 */
function toyDynamics(): ParticleDynamics & { calls: number } {
  const dyn = {
    calls: 0,
    stateDim: 1,
    actionDim: 1,
    memberIds: [0, 1, 2],
    stochastic: true,
    step(S: Float64Array, A: Float64Array, member: Int32Array, rng: Rng | null) {
      dyn.calls++;
      return Float64Array.from(S, (s, i) => s + member[i] + 1 + A[i] + (rng ? 0.1 * rng.normal() : 0));
    },
    expected(S: Float64Array, A: Float64Array) {
      return Float64Array.from(S, (s, i) => s + 2 + A[i]);
    },
  };
  return dyn;
}

describe("trajectory sampling", () => {
  it("TS1 draws a fresh member per particle per step; TSinf keeps one member per particle, split evenly", () => {
    const dyn = toyDynamics();
    const actions = Array.from({ length: 6 }, () => [0]);
    const ts1 = propagateParticles(dyn, "TS1", [0], actions, 12, makeRng(1));
    expect(ts1.members.length).toBe(6);
    const changes = ts1.members.slice(1).reduce((c, row, t) => c + row.filter((b, p) => b !== ts1.members[t][p]).length, 0);
    expect(changes).toBeGreaterThan(10); // members switch along a TS1 particle's path
    const inf = propagateParticles(dyn, "TSinf", [0], actions, 12, makeRng(1));
    for (const row of inf.members) expect(row).toEqual(inf.members[0]);
    const counts = [0, 1, 2].map((b) => inf.members[0].filter((m) => m === b).length);
    expect(counts).toEqual([4, 4, 4]);
    // The path follows the member: after 6 steps particle p is near 6 (member + 1).
    inf.states.forEach((path, p) => expect(Math.abs(path[6][0] - 6 * (inf.members[0][p] + 1))).toBeLessThan(1.5));
  });

  it("ts1Assignment draws uniformly from the given members; tsInfAssignment is balanced", () => {
    const a = ts1Assignment(3000, [2, 5, 7], makeRng(2));
    for (const b of [2, 5, 7]) expect(Math.abs(a.filter((x) => x === b).length - 1000)).toBeLessThan(120);
    expect(new Set(a)).toEqual(new Set([2, 5, 7]));
    const t = tsInfAssignment(7, [0, 1, 2], makeRng(3));
    const counts = [0, 1, 2].map((b) => t.filter((x) => x === b).length).sort();
    expect(counts).toEqual([2, 2, 3]);
  });

  it("expectation propagates the members' mean without noise", () => {
    const dyn = toyDynamics();
    const r = propagateParticles(dyn, "expectation", [1], [[0], [0]], 4, makeRng(4));
    for (const path of r.states) expect(path.map((s) => s[0])).toEqual([1, 3, 5]);
    expect(() => propagateStep(dyn, "TSinf", new Float64Array(2), new Float64Array(2), null, makeRng(1))).toThrow(ShapeError);
  });

  it("is deterministic for a given seed", () => {
    const dyn = toyDynamics();
    const actions = [[0.1], [0.2], [-0.3]];
    const a = propagateParticles(dyn, "TS1", [0], actions, 5, makeRng(11));
    const b = propagateParticles(dyn, "TS1", [0], actions, 5, makeRng(11));
    expect(a).toEqual(b);
  });
});

describe("particle-averaged score", () => {
  it("averages each candidate's particle returns", () => {
    expect(Array.from(particleAveragedReturns([1, 2, 3, 10, 20, 30], 2, 3))).toEqual([2, 20]);
    expect(() => particleAveragedReturns([1, 2, 3], 2, 2)).toThrow(ShapeError);
  });

  it("optimism adds beta times the std of the per-member means", () => {
    // Candidate 0: member 0 particles 1, 3 (mean 2), member 1 particles 6, 6 (mean 6): mean 4, std 2.
    const s = optimisticReturns([1, 3, 6, 6], [0, 0, 1, 1], 1, 4, 1.5);
    expect(s[0]).toBeCloseTo(4 + 1.5 * 2, 12);
  });

  it("the planner's score is the particle average: the fan's score equals the mean of its particles' returns", () => {
    const dyn = toyDynamics();
    const reward = {
      batch: (_S: { data: Float64Array }, _A: unknown, S2: { data: Float64Array }) => Float64Array.from(S2.data, (s) => -Math.abs(s - 3)),
    };
    const cfg = { population: 10, elites: 2, iterations: 2, horizon: 4, particles: 6 };
    const fan = particleFan(dyn, reward as never, [-1], [1], cfg, [0], [[0], [0], [0], [0]], makeRng(5));
    expect(fan.states.length).toBe(6);
    expect(fan.states[0].length).toBe(5);
    expect(fan.members).toHaveLength(6); // the member each particle used last
    expect(fan.score).toBeCloseTo(fan.returns.reduce((a, b) => a + b, 0) / 6, 10);
    // Each particle's return is the sum of its rewards along its path.
    fan.states.forEach((path, p) => {
      const ret = path.slice(1).reduce((s, x) => s - Math.abs(x[0] - 3), 0);
      expect(fan.returns[p]).toBeCloseTo(ret, 10);
    });
  });
});

describe("particle counts", () => {
  it("uses one particle when all particles would coincide (one deterministic model, or expectation)", () => {
    const cfg = { population: 4, elites: 2, iterations: 1, horizon: 2, particles: 20 };
    const env = new CartPole({ reward: "pets" });
    expect(effectiveParticles(particleDynamics(oracleModel(env)), cfg)).toBe(1);
    const D = ablationModel("D", { stateDim: 4, actionDim: 1, seed: 1, hiddenSizes: [4] });
    const DE = ablationModel("DE", { stateDim: 4, actionDim: 1, seed: 1, hiddenSizes: [4] });
    const P = ablationModel("P", { stateDim: 4, actionDim: 1, seed: 1, hiddenSizes: [4] });
    expect(effectiveParticles(particleDynamics(D), cfg)).toBe(1);
    expect(effectiveParticles(particleDynamics(DE), cfg)).toBe(20);
    expect(effectiveParticles(particleDynamics(P), cfg)).toBe(20);
    expect(effectiveParticles(particleDynamics(P), { ...cfg, propagation: "expectation" })).toBe(1);
    for (const m of [D, DE, P]) m.dispose();
  });
});

describe("PETS planner and loop", () => {
  it("plans with the oracle on cart-pole and is seeded", () => {
    const env = new CartPole({ reward: "pets", maxSteps: 10, seed: 1 });
    const cfg = { population: 16, elites: 4, iterations: 2, horizon: 5 };
    const plan = (seed: number) =>
      petsPlanner(oracleModel(env), envReward(env), env.actionSpace.low, env.actionSpace.high, cfg)([0, 0, 0, 0], makeRng(seed));
    const a = plan(3),
      b = plan(3);
    expect(a.actions).toEqual(b.actions);
    expect(a.actions.length).toBe(5);
    expect(Number.isFinite(a.predictedReturn)).toBe(true);
  });

  it("does not leak tensors across 1,000 planner calls through an ensemble", async () => {
    const m = new EnsembleDynamicsModel({ stateDim: 4, actionDim: 1, angleDims: [2], hiddenSizes: [16], members: 3, epochs: 1, seed: 1 });
    const env = new CartPole({ reward: "pets", maxSteps: 40, seed: 2 });
    const D = emptyDataset();
    const rng = makeRng(1);
    env.reset(1);
    for (let i = 0; i < 30; i++) {
      const s = env.getState();
      const a = [rng.uniform(-10, 10)];
      const r = env.step(a);
      addTransition(D, s, a, r.reward, env.getState());
    }
    await m.fit(D);
    const planner = petsPlanner(m, envReward(env), env.actionSpace.low, env.actionSpace.high, {
      population: 8,
      elites: 2,
      iterations: 2,
      horizon: 3,
      particles: 4,
    });
    planner([0, 0, 0, 0], rng);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) planner([0, 0, 0.001 * i, 0], rng);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it("runPets runs the loop (tiny), reports timings, and the decision rules all act", async () => {
    const env = new CartPole({ reward: "pets", maxSteps: 6, seed: 3 });
    const model = ablationModel("PE", { stateDim: 4, actionDim: 1, angleDims: [2], hiddenSizes: [8], epochs: 1, seed: 4 }, 3);
    const res = await runPets({
      env,
      model,
      reward: envReward(env),
      planner: { population: 8, elites: 2, iterations: 1, horizon: 3, particles: 6 },
      trials: 2,
      seed: 1,
    });
    expect(res.trials.length).toBe(2);
    expect(res.data.states.length).toBe(18);
    expect(res.trials[0].trainSeconds).toBeGreaterThan(0);
    for (const rule of ["greedy", "posterior", "optimism"] as const) {
      const c = new PetsController(
        model,
        envReward(env),
        [-10],
        [10],
        { population: 8, elites: 2, iterations: 1, horizon: 3, particles: 6 },
        rule,
      );
      c.newTrial(makeRng(1));
      expect(rule === "posterior" ? c.sampledMember !== null : c.sampledMember === null).toBe(true);
      const a = c.act([0, 0, 0, 0], makeRng(2));
      expect(a.length).toBe(1);
    }
    model.dispose();
    expect(ablationModel("D", { stateDim: 4, actionDim: 1, seed: 1, hiddenSizes: [4] }).name).toBe("D");
    expect(ablationModel("DE", { stateDim: 4, actionDim: 1, seed: 1, hiddenSizes: [4] }).members).toBe(5);
    expect(trialsToThreshold([1, 5, 9], 4)).toBe(2);
    expect(trialsToThreshold([1, 2], 4)).toBe(null);
  });
});
