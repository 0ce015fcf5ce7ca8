import { beforeAll, describe, expect, it } from "vitest";
import { yieldToRunner } from "../helpers/yield";
import { initBackend, makeRng } from "../../lib/core";
import { makeReplayBuffer, pushTransition, sampleBatch } from "../../lib/dyna/buffer";
import { dynaStyle } from "../../lib/dyna/dyna";
import { disposeSac, makeSac, sacAct, sacUpdate } from "../../lib/dyna/sac";
import { Pendulum } from "../../lib/envs";
import { mbmf, modelTransitions, observedTransitions, sacImitator, startStates } from "../../lib/hybrid/mbmf";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { envReward } from "../../lib/models/oracle";
import { emptyDataset, addTransition } from "../../lib/models/types";

beforeAll(async () => {
  await initBackend();
});

const flat = (w: { layers: { w: Float32Array; b: Float32Array }[][] }) => w.layers.flat().flatMap((l) => [...l.w, ...l.b]);

describe("MBMF building blocks", () => {
  it("a critic-only SAC step changes the critic and leaves the actor and temperature alone", () => {
    const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 3 });
    const buf = makeReplayBuffer(64, 3, 1);
    const rng = makeRng(1);
    for (let i = 0; i < 64; i++)
      pushTransition(buf, [rng.normal(), rng.normal(), rng.normal()], [rng.uniform(-2, 2)], rng.normal(), [0, 0, 0], false);
    const actor0 = flat(agent.actor.getWeights());
    const critic0 = flat(agent.critic.getWeights());
    const alpha0 = agent.logAlpha.dataSync()[0];
    const losses = sacUpdate(agent, sampleBatch(buf, 32, rng), { criticOnly: true });
    expect(Number.isNaN(losses.actor)).toBe(true);
    expect(flat(agent.actor.getWeights())).toEqual(actor0);
    expect(agent.logAlpha.dataSync()[0]).toBe(alpha0);
    expect(flat(agent.critic.getWeights())).not.toEqual(critic0);
    // A full step does move the actor.
    sacUpdate(agent, sampleBatch(buf, 32, rng));
    expect(flat(agent.actor.getWeights())).not.toEqual(actor0);
    disposeSac(agent);
  });

  it("an anchored actor step stays near the expert labels where a plain SAC step drifts (TD3+BC-style term)", async () => {
    // A one-step task whose reward wants a = +1.5 everywhere, while the expert labels say a = -1:
    // with a large anchor weight the actor's deterministic action stays near -1; without, it moves up.
    const run = async (weight: number | null) => {
      const agent = makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 5, initAlpha: 0.01 });
      const rng = makeRng(6);
      const n = 64;
      const anchor = {
        n,
        states: Float64Array.from({ length: n }, () => rng.uniform(-1, 1)),
        actions: new Float64Array(n).fill(-1),
        weight: weight ?? 0,
      };
      for (let it = 0; it < 250; it++) {
        const actions = Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
        const batch = {
          n,
          states: Float64Array.from({ length: n }, () => rng.uniform(-1, 1)),
          actions,
          rewards: actions.map((a) => -((a - 1.5) ** 2)),
          nextStates: new Float64Array(n),
          dones: new Float64Array(n).fill(1),
        };
        sacUpdate(agent, batch, { anchor: weight === null ? undefined : anchor });
        await yieldToRunner(it);
      }
      const a = sacAct(agent, Float64Array.from([0.2]), 1, true)[0];
      disposeSac(agent);
      return a;
    };
    const free = await run(null);
    const anchored = await run(5);
    expect(free).toBeGreaterThan(0.5);
    expect(Math.abs(anchored + 1)).toBeLessThan(0.3);
    // Weight 0 is the plain step, bit for bit.
    expect(await run(0)).toBe(free);
  });

  it("dynaStyle names an anchor whose arrays do not match its row count", async () => {
    const env = new Pendulum({ seed: 1 });
    const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 1 });
    const transitions = {
      n: 0,
      states: new Float64Array(0),
      actions: new Float64Array(0),
      rewards: new Float64Array(0),
      nextStates: new Float64Array(0),
      dones: new Float64Array(0),
    };
    const anchor = { n: 4, states: new Float64Array(12), actions: new Float64Array(3), weight: 0.4, steps: 10 };
    await expect(
      dynaStyle(env, {
        realSteps: 10,
        useModel: false,
        evalEvery: 10,
        evalStarts: [[0, 0]],
        seed: 1,
        init: { agent, transitions, anchor },
      }),
    ).rejects.toThrow(/init\.anchor has 4 rows.*actions 4 \(got 3\)/);
    disposeSac(agent);
  });

  it("the SAC actor imitates a state-dependent controller (behaviour cloning on observations)", () => {
    const env = new Pendulum({ seed: 2 });
    const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], stateScale: [1, 1, 8], seed: 5 });
    const imitator = sacImitator(agent, env, -1);
    const rng = makeRng(4);
    // The expert: an energy-pumping law, saturated to the box.
    const expert = (s: number[]) => [Math.max(-2, Math.min(2, 1.5 * Math.sign(s[1] * Math.cos(s[0]) || 1) - 0.5 * s[1]))];
    const states = Array.from({ length: 600 }, () => [rng.uniform(-Math.PI, Math.PI), rng.uniform(-6, 6)]);
    const losses = imitator.fitActions(states, states.map(expert), 40, 64, rng);
    expect(losses[losses.length - 1]).toBeLessThan(0.25 * losses[0]);
    const pi = imitator.asStatePolicy();
    let err = 0;
    for (const s of states.slice(0, 100)) err += Math.abs(pi(s, 0)[0] - expert(s)[0]);
    expect(err / 100).toBeLessThan(0.4);
    disposeSac(agent);
  });

  it("maps raw-state transitions to SAC's observations", () => {
    const env = new Pendulum();
    const d = emptyDataset();
    addTransition(d, [0.5, 1], [0.3], -1, [0.6, 1.2]);
    addTransition(d, [Math.PI, 0], [-2], -9, [Math.PI, 0.1]);
    const b = observedTransitions(env, [d, d]);
    expect(b.n).toBe(4);
    expect(Array.from(b.states.subarray(0, 3))).toEqual(env.observe([0.5, 1]));
    expect(Array.from(b.nextStates.subarray(9, 12))).toEqual(env.observe([Math.PI, 0.1]));
    expect(Array.from(b.actions)).toEqual([0.3, -2, 0.3, -2]);
    expect(Array.from(b.dones)).toEqual([0, 0, 0, 0]);
  });

  it("modelTransitions makes up transitions inside the real states' box, with the model's next states and the reward's rewards", () => {
    const env = new Pendulum({ seed: 1 });
    // A known "model" (a double integrator), so every next state can be checked.
    const model = {
      name: "known",
      stateDim: 2,
      actionDim: 1,
      fit: () => Promise.reject(new Error("not used")),
      predict: (s: ArrayLike<number>, a: ArrayLike<number>) => Float64Array.from([s[0] + 0.05 * s[1], s[1] + 0.1 * a[0]]),
      predictBatch(S: { rows: number; cols: number; data: Float64Array }, A: { rows: number; cols: number; data: Float64Array }) {
        const out = new Float64Array(S.rows * 2);
        for (let i = 0; i < S.rows; i++) out.set(this.predict(S.data.subarray(2 * i, 2 * i + 2), A.data.subarray(i, i + 1)), 2 * i);
        return { rows: S.rows, cols: 2, data: out };
      },
    };
    const reward = envReward(env);
    const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], stateScale: [1, 1, 8], seed: 2 });
    const real = [
      [-1, -3],
      [0.5, 2],
      [2, 0],
    ];
    const b = modelTransitions(env, model, reward, agent, real, 200, makeRng(3));
    expect(b.n).toBe(200);
    expect([b.states.length, b.actions.length, b.rewards.length, b.nextStates.length]).toEqual([600, 200, 200, 600]);
    expect(Array.from(b.dones).every((d) => d === 0)).toBe(true);
    for (let i = 0; i < b.n; i++) {
      // Back from the observation (cos, sin, speed) to the raw state: inside [-1, 2] x [-3, 2].
      const s = [Math.atan2(b.states[3 * i + 1], b.states[3 * i]), b.states[3 * i + 2]];
      expect(s[0]).toBeGreaterThanOrEqual(-1 - 1e-12);
      expect(s[0]).toBeLessThanOrEqual(2 + 1e-12);
      expect(s[1]).toBeGreaterThanOrEqual(-3);
      expect(s[1]).toBeLessThanOrEqual(2);
      const a = b.actions[i];
      expect(Math.abs(a)).toBeLessThanOrEqual(2);
      const s2 = model.predict(s, [a]);
      expect(b.nextStates[3 * i + 2]).toBeCloseTo(s2[1], 10);
      expect(b.rewards[i]).toBeCloseTo(
        reward.batch(
          { rows: 1, cols: 2, data: Float64Array.from(s) },
          { rows: 1, cols: 1, data: Float64Array.from([a]) },
          { rows: 1, cols: 2, data: s2 },
        )[0],
        10,
      );
    }
    // The same seed makes the same transitions.
    const agent2 = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], stateScale: [1, 1, 8], seed: 2 });
    expect(Array.from(modelTransitions(env, model, reward, agent2, real, 200, makeRng(3)).actions)).toEqual(Array.from(b.actions));
    expect(() => modelTransitions(env, model, reward, agent, [], 10, makeRng(3))).toThrow(/no real states/);
    expect(() => modelTransitions(env, model, reward, agent, [[1, 2, 3]], 10, makeRng(3))).toThrow(/has 3 numbers, the model's states 2/);
    disposeSac(agent);
    disposeSac(agent2);
  });

  it("dynaStyle's made-up transitions: a zero share is the plain run bit for bit, a half share moves the warm-up's critic, a bad share is named", async () => {
    const env = new Pendulum({ seed: 1, maxSteps: 40 });
    const d = emptyDataset();
    for (let i = 0; i < 40; i++) addTransition(d, [i / 10, 0], [0], -1, [i / 10, 0.1]);
    // Made-up transitions unlike the real ones: fast spins with a large penalty.
    const m = emptyDataset();
    for (let i = 0; i < 40; i++) addTransition(m, [i / 10, 6], [2], -12, [i / 10 + 0.3, 6.5]);
    const run = async (madeUp: { share: number; fadeSteps: number } | null, realSteps = 20) => {
      const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], stateScale: [1, 1, 8], seed: 9 });
      await dynaStyle(env, {
        realSteps,
        useModel: false,
        evalEvery: 20,
        evalStarts: startStates(env, 900, 1),
        seed: 3,
        init: {
          agent,
          transitions: observedTransitions(env, [d]),
          criticWarmup: 10,
          madeUp: madeUp ? { transitions: observedTransitions(env, [m]), ...madeUp } : undefined,
        },
      });
      const w = { actor: flat(agent.actor.getWeights()), critic: flat(agent.critic.getWeights()) };
      disposeSac(agent);
      return w;
    };
    const plain = await run(null);
    expect(await run({ share: 0, fadeSteps: 20 })).toEqual(plain);
    const half = await run({ share: 0.5, fadeSteps: 20 });
    expect(half.critic).not.toEqual(plain.critic);
    await expect(run({ share: 1.5, fadeSteps: 20 })).rejects.toThrow(/init\.madeUp\.share/);
  });

  it("dynaStyle started from an agent and data keeps the data and acts with the agent from step one", async () => {
    const env = new Pendulum({ seed: 1, maxSteps: 50 });
    const agent = makeSac({ stateDim: 3, actionDim: 1, actionLow: [-2], actionHigh: [2], stateScale: [1, 1, 8], seed: 9 });
    const d = emptyDataset();
    for (let i = 0; i < 40; i++) addTransition(d, [i / 10, 0], [0], -1, [i / 10, 0.1]);
    const res = await dynaStyle(env, {
      realSteps: 50,
      useModel: false,
      evalEvery: 50,
      evalStarts: startStates(env, 900, 2),
      seed: 3,
      init: { agent, transitions: observedTransitions(env, [d]), criticWarmup: 5 },
    });
    expect(res.agent).toBe(agent);
    // 5 warm-up steps plus one per real step (no random phase by default).
    expect(agent.updates).toBe(55);
    disposeSac(agent);
  });
});

describe("mbmf", () => {
  it("runs the three phases, counting every real step", async () => {
    const env = new Pendulum({ seed: 3, maxSteps: 30 });
    const r = await mbmf({
      env,
      model: new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], seed: 1, maxEpochs: 3 }),
      reward: envReward(env),
      modelBased: { baseEpisodes: 1, mpcEpisodes: 1, horizon: 5, cem: { population: 20, elites: 4, iterations: 2 } },
      distil: { iterations: 2, epochs: 3 },
      fineTune: { realSteps: 60, modelWarmup: { transitions: 100, steps: 4, fadeSteps: 20 } },
      evalSeedBase: 900,
      evalEpisodes: 2,
      evalEvery: 30,
      seed: 2,
    });
    expect(r.curve.map((p) => p.phase)).toEqual(["model-based", "distilled", "fine-tuned", "fine-tuned"]);
    // 2 episodes of 30 steps, then DAgger's 2 policy episodes (its first labels are the MPC episode's,
    // no extra expert episode), then 30 and 60 SAC steps.
    expect(r.curve.map((p) => p.realSteps)).toEqual([60, 120, 150, 180]);
    for (const p of r.curve) expect(Number.isFinite(p.evalReturn)).toBe(true);
    // 4 critic steps of the model warm-up (no real-only warm-up after it by default), then one update per real step.
    expect(r.agent.updates).toBe(64);
    // The returned agent is the fine-tuned actor.
    expect(sacAct(r.agent, Float64Array.from([1, 0, 0]), 1, true).length).toBe(1);
    disposeSac(r.agent);
  });
});
