import { beforeAll, describe, expect, it } from "vitest";
import { yieldToRunner } from "../helpers/yield";
import { initBackend, makeRng } from "../../lib/core";
import { makeReplayBuffer, pushTransition, sampleBatch } from "../../lib/dyna/buffer";
import { dynaStyle } from "../../lib/dyna/dyna";
import { disposeSac, makeSac, sacAct, sacUpdate } from "../../lib/dyna/sac";
import { Pendulum } from "../../lib/envs";
import { mbmf, observedTransitions, sacImitator, startStates } from "../../lib/hybrid/mbmf";
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
      fineTune: { realSteps: 60, criticWarmup: 10 },
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
    // The returned agent is the fine-tuned actor.
    expect(sacAct(r.agent, Float64Array.from([1, 0, 0]), 1, true).length).toBe(1);
    disposeSac(r.agent);
  });
});
