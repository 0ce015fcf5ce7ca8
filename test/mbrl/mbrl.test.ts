import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Hill } from "../../lib/envs/hill";
import { Pendulum } from "../../lib/envs/pendulum";
import { type Mat } from "../../lib/linalg/mat";
import { DifferentiableOracle, envReward, oracleModel } from "../../lib/models/oracle";
import type { Dataset, DynamicsModel } from "../../lib/models/types";
import { evaluatePolicy, randomPolicy, runEpisode } from "../../lib/mbrl/collect";
import { dagger } from "../../lib/mbrl/dagger";
import { NeuralPolicy } from "../../lib/mbrl/policy";
import { mbrlV05 } from "../../lib/mbrl/v05";
import { mbrlV10 } from "../../lib/mbrl/v10";
import { mbrlV15 } from "../../lib/mbrl/v15";
import { mbrlV20, policyGradient, unrolledObjective } from "../../lib/mbrl/v20";

beforeAll(async () => {
  await initBackend();
});

/** The oracle, counting fits and remembering the dataset sizes it was fitted on. */
function countingOracle(env: Pendulum | Hill): DynamicsModel & { fitSizes: number[] } {
  const o = oracleModel(env);
  const m = {
    name: "counting-oracle",
    stateDim: o.stateDim,
    actionDim: o.actionDim,
    fitSizes: [] as number[],
    async fit(D: Dataset) {
      m.fitSizes.push(D.states.length);
      return o.fit();
    },
    predict: o.predict.bind(o),
    predictBatch: (S: Mat, A: Mat) => o.predictBatch(S, A),
  };
  return m;
}

describe("runEpisode", () => {
  it("records a linked trajectory whose rewards sum to the return", () => {
    const env = new Pendulum({ seed: 1, maxSteps: 20 });
    const ep = runEpisode(env, randomPolicy(env, makeRng(1)), { seed: 3 });
    expect(ep.states).toHaveLength(21);
    expect(ep.data.states).toHaveLength(20);
    for (let i = 0; i + 1 < 20; i++) expect(ep.data.nextStates[i]).toEqual(ep.data.states[i + 1]);
    expect(ep.return).toBeCloseTo(
      ep.rewards.reduce((a, b) => a + b, 0),
      12,
    );
    // same seed, same start
    const again = runEpisode(env, () => [0], { seed: 3 });
    expect(again.states[0]).toEqual(ep.states[0]);
    expect(evaluatePolicy(env, () => [0], 2, 3)[0]).toBeCloseTo(again.return, 12);
  });
});

describe("version 0.5 and 1.0 with the true model", () => {
  it("v0.5: with the oracle, the open-loop plan does in reality exactly what the model predicted", async () => {
    const env = new Hill({ seed: 0, maxSteps: 40 });
    const res = await mbrlV05({
      env,
      model: oracleModel(env),
      reward: envReward(env),
      baseEpisodes: 2,
      cem: { population: 100, elites: 10, iterations: 5 },
      actionRepeat: 4,
      evalSeed: 3,
      seed: 1,
    });
    expect(res.data.states).toHaveLength(80);
    expect(res.real).toBeCloseTo(res.predicted, 6);
    expect(res.actions).toHaveLength(40);
    expect(res.realStates[40][0]).toBeCloseTo(res.predictedStates[40][0], 8);
    expect(res.real).toBeGreaterThan(res.realStates.length * 0); // climbs: positive heights
    expect(res.realStates[40][0]).toBeGreaterThan(1.5); // it walked uphill (right)
  });

  it("v1.0: refits every round on D plus the executed plan", async () => {
    const env = new Hill({ seed: 0, maxSteps: 20 });
    const model = countingOracle(env);
    const { rounds, data } = await mbrlV10({
      env,
      model,
      reward: envReward(env),
      baseEpisodes: 1,
      iterations: 3,
      cem: { population: 50, elites: 5, iterations: 3 },
      actionRepeat: 5,
      evalSeed: 2,
      seed: 1,
    });
    expect(model.fitSizes).toEqual([20, 40, 60]);
    expect(rounds.map((r) => r.transitions)).toEqual([20, 40, 60]);
    expect(data.states).toHaveLength(80);
    for (const r of rounds) expect(r.real).toBeCloseTo(r.predicted, 6);
  });
});

describe("version 1.5", () => {
  it("appends every MPC step and refits every N steps; with the oracle it swings the pendulum up", async () => {
    const env = new Pendulum({ seed: 0, maxSteps: 60, start: "down" });
    const model = countingOracle(env);
    const res = await mbrlV15({
      env,
      model,
      reward: envReward(env),
      baseEpisodes: 1,
      mpcEpisodes: 2,
      horizon: 15,
      cem: { population: 100, elites: 10, iterations: 3 },
      refitEvery: 25,
      seed: 2,
    });
    // 1 initial fit, then every 25 of the 120 MPC steps: 1 + 4
    expect(model.fitSizes).toEqual([60, 85, 110, 135, 160]);
    expect(res.data.states).toHaveLength(180);
    expect(res.curve.map((c) => c.transitions)).toEqual([120, 180]);
    expect(res.realEpisodes).toBe(3);
    // From hanging down, the MPC controller swings the pendulum up within 120 steps.
    const longer = new Pendulum({ seed: 0, maxSteps: 120, start: "down" });
    res.controller.reset();
    const rng = makeRng(4);
    const ep = runEpisode(longer, (s) => res.controller.act(s, rng), { seed: 9 });
    const th = ep.states[120][0];
    expect(Math.abs(Math.atan2(Math.sin(th), Math.cos(th)))).toBeLessThan(0.5);
  });
});

describe("version 2.0", () => {
  it("the policy gradient of the unrolled objective matches a finite difference", () => {
    const env = new Pendulum({ seed: 0 });
    const model = new DifferentiableOracle(env);
    const reward = envReward(env);
    const policy = new NeuralPolicy({
      stateDim: 2,
      actionDim: 1,
      actionLow: [-2],
      actionHigh: [2],
      angleDims: [0],
      hiddenSizes: [8],
      seed: 3,
    });
    const S0 = tf.tensor2d([
      [2.5, 0.3],
      [-1, 1],
    ]);
    const H = 6;
    const g = policyGradient(model, reward, policy, S0, H);
    // direction: the gradient itself; d/deps J(theta + eps * g / |g|) at 0 equals |g| (ascent direction of J is -grad(-J))
    const vars = policy.net.variables();
    const J = () => tf.tidy(() => unrolledObjective(model, reward, policy, S0, H).dataSync()[0]);
    const eps = 1e-3;
    const orig = vars.map((v) => v.clone());
    const step = (sign: number) =>
      vars.forEach((v, i) => v.assign(tf.tidy(() => tf.sub(orig[i], tf.mul((sign * eps) / g.norm, g.grads[i])))));
    step(1);
    const jp = J();
    step(-1);
    const jm = J();
    vars.forEach((v, i) => v.assign(orig[i]));
    const fd = (jp - jm) / (2 * eps);
    expect(g.objective).toBeCloseTo(J(), 3);
    expect(Math.abs(fd - g.norm)).toBeLessThan(0.05 * g.norm);
    tf.dispose([...orig, ...g.grads, S0]);
    policy.dispose();
  });

  it("runs the loop: each round appends one policy episode", async () => {
    const env = new Pendulum({ seed: 0, maxSteps: 30 });
    const model = new DifferentiableOracle(env);
    const policy = new NeuralPolicy({
      stateDim: 2,
      actionDim: 1,
      actionLow: [-2],
      actionHigh: [2],
      angleDims: [0],
      hiddenSizes: [16],
      seed: 1,
      learningRate: 3e-3,
    });
    const res = await mbrlV20({
      env,
      model,
      reward: envReward(env),
      policy,
      baseEpisodes: 1,
      iterations: 2,
      horizon: 5,
      policySteps: 5,
      batchSize: 16,
      seed: 1,
    });
    expect(res.rounds.map((r) => r.transitions)).toEqual([60, 90]);
    expect(res.realEpisodes).toBe(3);
    for (const r of res.rounds) expect(Number.isFinite(r.gradNorm)).toBe(true);
    policy.dispose();
  });
});

describe("DAgger", () => {
  it("labels the policy's own states with the expert and imitates the expert", async () => {
    const env = new Pendulum({ seed: 0, maxSteps: 40 });
    // An analytic expert: a saturated PD controller on the wrapped angle.
    const expert = (s: number[]) => {
      const th = Math.atan2(Math.sin(s[0]), Math.cos(s[0]));
      return [Math.max(-2, Math.min(2, -3 * th - 1 * s[1]))];
    };
    const policy = new NeuralPolicy({
      stateDim: 2,
      actionDim: 1,
      actionLow: [-2],
      actionHigh: [2],
      angleDims: [0],
      hiddenSizes: [32],
      seed: 2,
      learningRate: 3e-3,
    });
    const res = await dagger({ env, expert, policy, iterations: 3, epochs: 30, seed: 1 });
    expect(res.rounds.map((r) => r.labels)).toEqual([80, 120, 160]);
    for (let i = 0; i < res.states.length; i++) expect(res.actions[i]).toEqual(expert(res.states[i]));
    // The policy now acts like the expert on the states it was trained on.
    let err = 0;
    for (let i = 0; i < res.states.length; i++) err += Math.abs(policy.act(res.states[i])[0] - res.actions[i][0]);
    expect(err / res.states.length).toBeLessThan(0.5);
    policy.dispose();
  });

  it("starts from given demonstrations without running the expert for them", async () => {
    const env = new Pendulum({ seed: 0, maxSteps: 40 });
    let expertCalls = 0;
    const expert = (s: number[]) => {
      expertCalls++;
      return [Math.max(-2, Math.min(2, -3 * Math.atan2(Math.sin(s[0]), Math.cos(s[0])) - s[1]))];
    };
    const demoStates = Array.from({ length: 25 }, (_, i) => [i / 10 - 1.2, 0.1 * i]);
    const demonstrations = { states: demoStates, actions: demoStates.map(() => [0.5]) };
    const policy = new NeuralPolicy({
      stateDim: 2,
      actionDim: 1,
      actionLow: [-2],
      actionHigh: [2],
      angleDims: [0],
      hiddenSizes: [16],
      seed: 2,
    });
    const res = await dagger({ env, expert, policy, demonstrations, iterations: 2, epochs: 5, seed: 1 });
    // Only the policy's own episodes (2 x 40 steps) were labelled by the expert; the demos come first, as given.
    expect(expertCalls).toBe(80);
    expect(res.rounds.map((r) => r.labels)).toEqual([65, 105]);
    expect(res.states.slice(0, 25)).toEqual(demoStates);
    expect(res.actions.slice(0, 25)).toEqual(demonstrations.actions);
    await expect(
      dagger({ env, expert, policy, demonstrations: { states: demoStates, actions: [[1]] }, iterations: 1, seed: 1 }),
    ).rejects.toThrow(/25 states, 1 actions/);
    policy.dispose();
  });
});
