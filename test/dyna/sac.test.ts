import { beforeAll, describe, expect, it } from "vitest";
import { yieldToRunner } from "../helpers/yield";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Pendulum } from "../../lib/envs";
import { makeReplayBuffer, pushTransition } from "../../lib/dyna/buffer";
import { bufferToDataset, disposeDynaResult, dynaStyle, pendulumObservationReward, realStepsToReach } from "../../lib/dyna/dyna";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble";
import { disagreement } from "../../lib/dyna/rollouts";
import { disposeSac, makeSac, sacAct, sacLogProb, sacSample, sacUpdate } from "../../lib/dyna/sac";

beforeAll(async () => {
  await initBackend();
});

describe("soft actor-critic", () => {
  it("log pi(a|s) is a density over the bounded action interval (integrates to 1)", () => {
    const agent = makeSac({ stateDim: 2, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 4 });
    // Noise on a fine grid; actions are a monotone function of it, so integrate exp(logp) over a.
    const n = 4001;
    const eps = Float64Array.from({ length: n }, (_, i) => -8 + (16 * i) / (n - 1));
    const states = new Float64Array(2 * n).fill(0.3);
    const { actions, logProbs } = sacSample(agent, states, n, eps);
    let integral = 0;
    for (let i = 1; i < n; i++) integral += 0.5 * (Math.exp(logProbs[i]) + Math.exp(logProbs[i - 1])) * (actions[i] - actions[i - 1]);
    expect(integral).toBeCloseTo(1, 2);
    for (const a of actions) expect(Math.abs(a)).toBeLessThanOrEqual(2);
    disposeSac(agent);
  });

  it("sacLogProb gives the log-density of the actions sacSample draws (the tanh inverted)", () => {
    const agent = makeSac({ stateDim: 2, actionDim: 2, actionLow: [-2, 0], actionHigh: [2, 1], seed: 5 });
    const n = 50;
    const rng = makeRng(6);
    const states = Float64Array.from({ length: 2 * n }, () => rng.normal());
    // Noise within 2 sd, so no action sits so near a bound that float32 loses its inverse.
    const eps = Float64Array.from({ length: 2 * n }, () => Math.max(-2, Math.min(2, rng.normal())));
    const { actions, logProbs } = sacSample(agent, states, n, eps);
    const again = sacLogProb(agent, states, n, actions);
    for (let i = 0; i < n; i++) expect(again[i]).toBeCloseTo(logProbs[i], 2);
    expect(() => sacLogProb(agent, states, n, new Float64Array(3))).toThrow(/50 x 2 actions/);
    disposeSac(agent);
  });

  it("AWAC moves the policy to the better of the actions in the batch, and only towards actions taken", async () => {
    // One-step task: from one state the batch holds actions -1 (reward -1) and +0.5 (reward +1);
    // the reward of +2 would be higher still, but no transition took it, so AWAC cannot go there.
    const agent = makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 3, gamma: 0 });
    const n = 64;
    const actions = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 0.5));
    const batch = {
      n,
      states: new Float64Array(n).fill(1),
      actions,
      rewards: actions.map((a) => (a > 0 ? 1 : -1)),
      nextStates: new Float64Array(n).fill(1),
      dones: new Float64Array(n).fill(1),
    };
    for (let it = 0; it < 200; it++) {
      sacUpdate(agent, batch, { criticOnly: true });
      await yieldToRunner(it);
    }
    const alphaBefore = agent.logAlpha.dataSync()[0];
    for (let it = 0; it < 300; it++) {
      sacUpdate(agent, batch, { awacLambda: 0.3 });
      await yieldToRunner(it);
    }
    const mode = sacAct(agent, Float64Array.from([1]), 1, true)[0];
    expect(Math.abs(mode - 0.5)).toBeLessThan(0.15);
    expect(agent.logAlpha.dataSync()[0]).toBe(alphaBefore);
    expect(() => sacUpdate(agent, batch, { awacLambda: -1 })).toThrow(/awacLambda/);
    disposeSac(agent);
  }, 120_000);

  it("learns the best action of a one-step task and keeps the tensor count flat", async () => {
    // Reward -(a - 1)^2 from a single state, every transition terminal: the optimum is a = 1.
    const agent = makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 1, initAlpha: 0.05 });
    const rng = makeRng(2);
    const n = 64;
    let before = 0;
    for (let it = 0; it < 300; it++) {
      if (it === 1) before = tf.memory().numTensors; // after the optimizers made their moment variables
      const actions = Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
      sacUpdate(agent, {
        n,
        states: new Float64Array(n).fill(1),
        actions,
        rewards: actions.map((a) => -((a - 1) ** 2)),
        nextStates: new Float64Array(n).fill(1),
        dones: new Float64Array(n).fill(1),
      });
      await yieldToRunner(it);
    }
    expect(tf.memory().numTensors).toBe(before);
    const a = sacAct(agent, Float64Array.from([1]), 1, true)[0];
    expect(Math.abs(a - 1)).toBeLessThan(0.3);
    // stochastic actions are reproducible from the seed
    const b = makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 9 });
    const c = makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 9 });
    expect(Array.from(sacAct(b, Float64Array.from([0.5, 1]), 2))).toEqual(Array.from(sacAct(c, Float64Array.from([0.5, 1]), 2)));
    [agent, b, c].forEach(disposeSac);
  }, 240_000);

  it("rejects inconsistent shapes", () => {
    expect(() => makeSac({ stateDim: 1, actionDim: 1, actionLow: [-2, 0], actionHigh: [2], seed: 0 })).toThrow(/length 1/);
    const agent = makeSac({ stateDim: 2, actionDim: 1, actionLow: [-2], actionHigh: [2], seed: 0 });
    expect(() => sacAct(agent, Float64Array.from([1, 2, 3]), 2)).toThrow(/2 x 2/);
    disposeSac(agent);
  });
});

describe("ensemble model for rollouts", () => {
  it("predicts pendulum steps well on its data and its members disagree more far from it", async () => {
    const env = new Pendulum({ seed: 0 });
    const rng = makeRng(0);
    const buf = makeReplayBuffer(1200, 3, 1);
    let obs = env.reset(0);
    for (let t = 0; t < 1200; t++) {
      const a = [rng.uniform(-2, 2)];
      const out = env.step(a);
      pushTransition(buf, obs, a, out.reward, out.observation, false);
      obs = out.truncated ? env.reset() : out.observation;
    }
    const model = new EnsembleDynamicsModel({
      stateDim: 3,
      actionDim: 1,
      members: 5,
      hiddenSizes: [64, 64],
      batchSize: 128,
      validFraction: 0,
      seed: 1,
    });
    await model.fit(bufferToDataset(buf), { epochs: 40 });
    // one-step error on the training data, relative to the typical step size
    const n = 200;
    const S = buf.states.slice(0, 3 * n);
    const A = buf.actions.slice(0, n);
    const { means } = model.sampleMembers(S, A, n, rng);
    let err = 0;
    let step = 0;
    for (let i = 0; i < 3 * n; i++) {
      err += (means[0][i] - buf.nextStates[i]) ** 2;
      step += (buf.nextStates[i] - buf.states[i]) ** 2;
    }
    expect(Math.sqrt(err / step)).toBeLessThan(0.2);
    // far outside the data (spinning at 25 rad/s) the members disagree much more
    const inData = disagreement(means, n, 3).reduce((s, d) => s + d, 0) / n;
    const far = model.sampleMembers(Float64Array.from([1, 0, 25, 0, 1, -25]), Float64Array.from([2, -2]), 2, rng).means;
    const dFar = disagreement(far, 2, 3);
    expect(Math.min(dFar[0], dFar[1])).toBeGreaterThan(5 * inData);
    model.dispose();
  });
});

describe("the Dyna loop", () => {
  it("collects, fits, rolls out and trains, with and without the model, and cleans up", async () => {
    const starts = [[Math.PI, 0]];
    const common = { realSteps: 300, randomSteps: 100, evalEvery: 100, evalStarts: starts, stateScale: [1, 1, 8], batchSize: 32 };
    const free = await dynaStyle(new Pendulum({ seed: 0 }), { ...common, useModel: false, seed: 0 });
    expect(free.curve.map((p) => p.realSteps)).toEqual([100, 200, 300]);
    expect(free.curve[2].updates).toBe(201);
    expect(free.curve[2].simulated).toBe(0);
    const dyna = await dynaStyle(new Pendulum({ seed: 0 }), {
      ...common,
      useModel: true,
      reward: pendulumObservationReward,
      horizon: 2,
      rolloutEvery: 50,
      rolloutsPerStep: 2,
      modelEvery: 100,
      modelEpochs: 2,
      updatesPerStep: 2,
      penalty: { kappa: 1, alpha: 0.5 },
      seed: 0,
    });
    expect(dyna.curve[2].updates).toBe(402);
    // rollouts at t = 100 (first fit), 150, 200, 250, 300: 100 branches of 2 steps each
    expect(dyna.curve[2].simulated).toBe(5 * 100 * 2);
    expect(dyna.modelLosses.length).toBe(3);
    for (const p of [...free.curve, ...dyna.curve]) expect(Number.isFinite(p.evalReturn)).toBe(true);
    disposeDynaResult(free);
    disposeDynaResult(dyna);
    // No tensor leaks per step: a longer run leaves exactly as many tensors behind as a shorter one.
    const leftBehind = async (realSteps: number) => {
      const before = tf.memory().numTensors;
      disposeDynaResult(
        await dynaStyle(new Pendulum({ seed: 0 }), {
          ...common,
          realSteps,
          useModel: true,
          reward: pendulumObservationReward,
          rolloutsPerStep: 1,
          modelEpochs: 1,
          seed: 0,
        }),
      );
      return tf.memory().numTensors - before;
    };
    expect(await leftBehind(300)).toBe(await leftBehind(200));
    await expect(dynaStyle(new Pendulum(), { ...common, useModel: true, seed: 0 })).rejects.toThrow(/reward/);
  });

  it("realStepsToReach finds where the seed-averaged curve reaches the threshold for good", () => {
    const pt = (realSteps: number, evalReturn: number) => ({ realSteps, evalReturn, updates: 0, simulated: 0, seconds: 0 });
    const a = [pt(100, -900), pt(200, -250), pt(300, -600), pt(400, -200), pt(500, -150)];
    const b = [pt(100, -900), pt(200, -300), pt(300, -100), pt(400, -300), pt(500, -150)];
    expect(realStepsToReach([a, b], -300)).toBe(400);
    expect(realStepsToReach([a], -100)).toBeNull();
  });
});
