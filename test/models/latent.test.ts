import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Pendulum } from "../../lib/envs/pendulum";
import { PixelEnv } from "../../lib/envs/pixels";
import { LatentWorldModel, stopGradient, type PixelEpisode } from "../../lib/models/latent";
import { collectPixelEpisode, latentMpcPolicy, randomPixelPolicy } from "../../lib/mbrl/latentMpc";
import { mat } from "../../lib/linalg/mat";
import { cemPlan } from "../../lib/planners/cem";

beforeAll(async () => {
  await initBackend();
});

/** A tiny pixel pendulum (12 x 12, two frames) and a few short random episodes. */
function tinyData(seed: number, episodes = 3, steps = 30): { env: PixelEnv; data: PixelEpisode[] } {
  const env = new PixelEnv(new Pendulum({ seed, maxSteps: steps }), { size: 12 });
  const rng = makeRng(seed);
  const data = Array.from({ length: episodes }, (_, i) => collectPixelEpisode(env, randomPixelPolicy(env, rng), { seed: seed * 100 + i }));
  return { env, data };
}

function tinyModel(obsDim: number, seed = 0, k = 3): LatentWorldModel {
  return new LatentWorldModel({
    obsDim,
    actionDim: 1,
    actionScale: 2,
    latentDim: 4,
    encoderHidden: [32],
    transitionHidden: [16],
    k,
    batchSize: 8,
    seed,
    learningRate: 3e-3,
  });
}

describe("stopGradient", () => {
  it("passes the value and blocks the gradient: d/dx sum(sg(x) * x) = x, not 2x", () => {
    const x = tf.tensor1d([0.5, -2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stopGradient(v), v)))(x);
    expect(Array.from(g.dataSync())).toEqual([0.5, -2, 3]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([0.5, -2, 3]);
    tf.dispose([x, g]);
  });
});

describe("LatentWorldModel", () => {
  it("records episodes with consistent shapes (images, actions, rewards, true states)", () => {
    const { env, data } = tinyData(1, 1, 10);
    const ep = data[0];
    expect(ep.steps).toBe(10);
    expect(ep.obs.length).toBe(11 * env.obsDim);
    expect(ep.actions.length).toBe(10);
    expect(ep.rewards.length).toBe(10);
    expect(ep.states!.length).toBe(11);
  });

  it("has the shapes of the four networks: encode, decode, imagine, the latent DynamicsModel", () => {
    const { env, data } = tinyData(2, 1, 10);
    const m = tinyModel(env.obsDim);
    const z = m.encode(data[0].obs.subarray(0, 3 * env.obsDim));
    expect(z.length).toBe(3 * 4);
    const img = m.decode(z);
    expect(img.length).toBe(3 * env.obsDim);
    expect(img.every((v) => v >= 0 && v <= 1)).toBe(true);
    const im = m.imagine(data[0].obs.subarray(0, env.obsDim), [[1], [0], [-1]]);
    expect(im.latents.length).toBe(4 * 4);
    expect(im.frames.length).toBe(4 * env.obsDim);
    const dyn = m.latentDynamics();
    const S = mat(
      5,
      4,
      Float64Array.from({ length: 20 }, (_, i) => i / 20),
    );
    const A = mat(5, 1, Float64Array.from([0, 1, -1, 2, 0.5]));
    const S2 = dyn.predictBatch(S, A);
    expect([S2.rows, S2.cols]).toEqual([5, 4]);
    expect(dyn.reward.batch(S, A, S2).length).toBe(5);
    expect(() => dyn.predictBatch(mat(5, 3), A)).toThrow(/5 x 4 latents|n x 4 latents/);
    expect(() => m.encode(new Float32Array(7))).toThrow(/rows of/);
    m.dispose();
  });

  it("training and inference agree: the latent term of the loss equals a rollout through encode and latentDynamics", () => {
    const { env, data } = tinyData(3, 2, 20);
    const m = tinyModel(env.obsDim, 0, 3);
    m.setRewardStats(data);
    const batch = m.sampleBatch(data, makeRng(4), 6, 3);
    const terms = m.evaluate(batch);
    const D = env.obsDim,
      B = 6,
      dz = 4;
    const E = m.encode(batch.obs);
    const dyn = m.latentDynamics();
    let z = mat(B, dz, Float64Array.from(E.subarray(0, B * dz)));
    let lat = 0,
      norm = 0;
    for (let j = 1; j <= 3; j++) {
      const A = mat(
        B,
        1,
        Float64Array.from(batch.actions.subarray((j - 1) * B, j * B), (v) => v * 2),
      );
      z = dyn.predictBatch(z, A);
      let se = 0;
      for (let i = 0; i < B * dz; i++) se += (z.data[i] - E[j * B * dz + i]) ** 2;
      lat += 0.9 ** (j - 1) * (se / B);
      norm += 0.9 ** (j - 1);
    }
    expect(terms.lat).toBeCloseTo(lat / norm, 4);
    expect(D).toBe(288);
    m.dispose();
  });

  it("the loss decreases on a tiny problem", () => {
    const { env, data } = tinyData(5, 3, 30);
    const m = tinyModel(env.obsDim, 1);
    const rng = makeRng(6);
    m.setRewardStats(data);
    const probe = m.sampleBatch(data, makeRng(7), 32);
    const before = m.evaluate(probe);
    m.fit(data, { steps: 150, rng });
    const after = m.evaluate(probe);
    expect(after.total).toBeLessThan(0.5 * before.total);
    expect(after.rec).toBeLessThan(before.rec);
    expect(after.rew).toBeLessThan(before.rew);
    m.dispose();
  });

  it("is reproducible with a seed (same data, same seeds, same weights and losses)", () => {
    const run = () => {
      const { env, data } = tinyData(8, 2, 20);
      const m = tinyModel(env.obsDim, 9);
      const { losses } = m.fit(data, { steps: 5, rng: makeRng(10) });
      const z = Array.from(m.encode(data[0].obs.subarray(0, env.obsDim)));
      m.dispose();
      return { losses, z };
    };
    expect(run()).toEqual(run());
  });

  it("plans with cemPlan in latent space and acts through the MPC policy", () => {
    const { env, data } = tinyData(11, 2, 20);
    const m = tinyModel(env.obsDim, 2);
    m.fit(data, { steps: 3, rng: makeRng(1) });
    const dyn = m.latentDynamics();
    const z0 = m.encode(data[0].obs.subarray(0, env.obsDim));
    const plan = cemPlan(
      { model: dyn, reward: dyn.reward, horizon: 5, actionLow: [-2], actionHigh: [2] },
      z0,
      { population: 20, elites: 4, iterations: 2 },
      makeRng(3),
    );
    expect(plan.actions.length).toBe(5);
    expect(Number.isFinite(plan.predictedReturn)).toBe(true);
    const pol = latentMpcPolicy(m, env, { horizon: 4, cem: { population: 10, elites: 2, iterations: 1 } }, makeRng(4));
    const ep = collectPixelEpisode(env, pol, { seed: 1, maxSteps: 5 });
    expect(ep.steps).toBe(5);
    expect(pol.controller.planSeconds.length).toBe(5);
    m.dispose();
  });

  it("rejects bad input with a clear message", () => {
    const m = tinyModel(288);
    const bad = { obs: new Float32Array(10), actions: new Float32Array(2), rewards: new Float32Array(2), steps: 2 };
    expect(() => m.fit([bad], { steps: 1 })).toThrow(/episode 0 has 10 observation values/);
    expect(() => m.latentDynamics().fit({ states: [], actions: [], rewards: [], nextStates: [] })).toThrow(/pixel episodes/);
    m.dispose();
    expect(() => m.encode(new Float32Array(288))).toThrow(/disposed/);
  });
});
