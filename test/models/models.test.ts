import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Pendulum } from "../../lib/envs/pendulum";
import { mat } from "../../lib/linalg/mat";
import { LinearModel } from "../../lib/models/linear";
import { deltaArrays, deltaStats, inputLayout, writeInput } from "../../lib/models/features";
import { MlpDynamicsModel, normalizedDeltaLoss, trajectoryWindows } from "../../lib/models/mlp";
import { DifferentiableOracle, envReward, oracleModel } from "../../lib/models/oracle";
import { RewardModel } from "../../lib/models/reward";
import {
  type Dataset,
  addTransition,
  concatDatasets,
  datasetSize,
  emptyDataset,
  rollout,
  rolloutBatch,
  splitDataset,
} from "../../lib/models/types";
import { randomPolicy, runEpisode } from "../../lib/mbrl/collect";

beforeAll(async () => {
  await initBackend();
});

function pendulumData(episodes: number, seed: number): Dataset {
  const env = new Pendulum({ seed });
  const rng = makeRng(seed);
  return concatDatasets(
    ...Array.from({ length: episodes }, (_, i) => runEpisode(env, randomPolicy(env, rng), { seed: seed * 100 + i }).data),
  );
}

describe("Dataset helpers", () => {
  it("append, concatenate and split keep the four arrays aligned", () => {
    const D = emptyDataset();
    for (let i = 0; i < 10; i++) addTransition(D, [i], [i / 10], -i, [i + 1]);
    expect(datasetSize(D)).toBe(10);
    const { train, valid } = splitDataset(D, 0.3, makeRng(0));
    expect(datasetSize(train)).toBe(7);
    expect(datasetSize(valid)).toBe(3);
    const all = concatDatasets(train, valid);
    expect(all.states.map((s) => s[0]).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 10; i++) expect(all.nextStates[i][0]).toBe(all.states[i][0] + 1);
    D.rewards.pop();
    expect(() => datasetSize(D)).toThrow(/same length/);
  });
});

describe("LinearModel", () => {
  it("recovers linear dynamics exactly, in delta and direct form, and its tensor form agrees", async () => {
    const rng = makeRng(1);
    const D = emptyDataset();
    for (let i = 0; i < 50; i++) {
      const s = [rng.normal(), rng.normal()],
        a = [rng.normal()];
      addTransition(D, s, a, 0, [0.9 * s[0] + 0.1 * s[1] + 0.5 * a[0] + 0.2, -0.3 * s[0] + s[1] - a[0]]);
    }
    for (const delta of [true, false]) {
      const m = new LinearModel({ stateDim: 2, actionDim: 1, delta, ridge: 1e-10 });
      const rep = await m.fit(D);
      expect(rep.trainLoss[0]).toBeLessThan(1e-12);
      const p = m.predict([1, 2], [3]);
      expect(p[0]).toBeCloseTo(0.9 + 0.2 + 1.5 + 0.2, 8);
      expect(p[1]).toBeCloseTo(-0.3 + 2 - 3, 8);
      const t = tf.tidy(() => m.predictTensor(tf.tensor2d([[1, 2]]), tf.tensor2d([[3]])).dataSync());
      expect(t[0]).toBeCloseTo(p[0], 4);
      expect(t[1]).toBeCloseTo(p[1], 4);
    }
  });
  it("throws on an empty dataset or a wrong action length", async () => {
    const m = new LinearModel({ stateDim: 1, actionDim: 1 });
    await expect(m.fit(emptyDataset())).rejects.toThrow(/empty/);
    expect(() => m.predict([0], [1, 2])).toThrow(/expected length 1/);
  });
});

describe("normalised delta helpers", () => {
  it("deltaStats and normalizedDeltaLoss match hand computation", () => {
    const S = [
      [0, 0],
      [1, 1],
      [2, 4],
    ];
    const S2 = [
      [1, 0],
      [3, 1],
      [5, 4],
    ]; // deltas [1,0],[2,0],[3,0]
    const { mean, std } = deltaStats(S, S2);
    expect(mean[0]).toBeCloseTo(2, 12);
    expect(std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(std[1]).toBe(1e-6); // floored
    const perfect = [
      [-1 / std[0], 0],
      [0, 0],
      [1 / std[0], 0],
    ];
    expect(normalizedDeltaLoss(perfect, S, S2, mean, std)).toBeCloseTo(0, 12);
    const off = perfect.map((r) => [r[0] + 1, r[1]]);
    expect(normalizedDeltaLoss(off, S, S2, mean, std)).toBeCloseTo(0.5, 12); // 3 errors of 1 over 6 entries
  });
  it("inputLayout and writeInput put angles in as (cos, sin); deltaArrays pairs them with the targets", () => {
    const f = inputLayout("test model", 3, 1, [1]);
    expect(f.inputSize).toBe(5);
    const out = new Float64Array(7).fill(NaN);
    writeInput(f, [9, 0.5, Math.PI / 3, -2], 1, [7, 0.25], 1, out, 1);
    expect(Array.from(out.subarray(1, 6))).toEqual([0.5, Math.cos(Math.PI / 3), Math.sin(Math.PI / 3), -2, 0.25]);
    expect(() => inputLayout("EnsembleDynamicsModel", 3, 1, [3])).toThrow(
      /EnsembleDynamicsModel: angle dimension 3 is not a state dimension/,
    );
    const D = emptyDataset();
    addTransition(D, [1, 0, 2], [0.5], 0, [2, 0.1, 4]);
    const { x, y, n } = deltaArrays(f, D, [1, 0, 0], [1, 0.1, 4], (len) => new Float32Array(len));
    expect(n).toBe(1);
    expect(Array.from(x)).toEqual(Array.from(Float32Array.from([1, 1, 0, 2, 0.5])));
    expect(Array.from(y)).toEqual(Array.from(Float32Array.from([0, 1, 0.5])));
    expect(() => deltaStats([[1]], [])).toThrow(/1 states but 0 next states/);
  });
  it("trajectoryWindows finds runs of linked transitions", () => {
    const D = emptyDataset();
    addTransition(D, [0], [0], 0, [1]);
    addTransition(D, [1], [0], 0, [2]);
    addTransition(D, [2], [0], 0, [3]);
    addTransition(D, [7], [0], 0, [8]); // a new episode
    addTransition(D, [8], [0], 0, [9]);
    expect(trajectoryWindows(D, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(trajectoryWindows(D, 2)).toEqual([0, 1, 3]);
    expect(trajectoryWindows(D, 3)).toEqual([0]);
  });
});

describe("MlpDynamicsModel on the pendulum", () => {
  it("learns one-step deltas, agrees with its tensor form, and errors compound open loop", async () => {
    const D = pendulumData(4, 1);
    const m = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], seed: 1, maxEpochs: 40, hiddenSizes: [64, 64] });
    const rep = await m.fit(D);
    expect(rep.validLoss.length).toBe(rep.epochs);
    expect(Math.min(...rep.validLoss)).toBeLessThan(0.02);
    expect(rep.trainLoss[rep.trainLoss.length - 1]).toBeLessThan(rep.trainLoss[0]);
    const test = pendulumData(1, 9);
    expect(m.evaluate(test)).toBeLessThan(0.05);
    const S = mat(2, 2, [0.3, -1, 3, 2]),
      A = mat(2, 1, [1, -2]);
    const b = m.predictBatch(S, A);
    const t = tf.tidy(() =>
      m
        .predictTensor(
          tf.tensor2d([
            [0.3, -1],
            [3, 2],
          ]),
          tf.tensor2d([[1], [-2]]),
        )
        .dataSync(),
    );
    for (let i = 0; i < 4; i++) expect(b.data[i]).toBeCloseTo(t[i], 4);
    // Open-loop error grows with the horizon.
    const env = new Pendulum({ seed: 3 });
    const ep = runEpisode(env, randomPolicy(env, makeRng(3)), { seed: 5 });
    const pred = rollout(m, ep.states[0], ep.actions);
    const err = (k: number) => Math.hypot(pred[k][0] - ep.states[k][0], pred[k][1] - ep.states[k][1]);
    expect(err(1)).toBeLessThan(0.05);
    expect(err(100)).toBeGreaterThan(err(1));
    m.dispose();
  });

  it("input gradients of predictTensor match finite differences of predictBatch", async () => {
    const m = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], seed: 2, maxEpochs: 5, hiddenSizes: [32] });
    await m.fit(pendulumData(1, 2));
    const s = [0.7, 1.5],
      a = [0.4];
    const g = tf.tidy(() => {
      const f = (x: tf.Tensor) => tf.sum(m.predictTensor(x.slice([0, 0], [1, 2]) as tf.Tensor2D, x.slice([0, 2], [1, 1]) as tf.Tensor2D));
      return Array.from(
        tf
          .grad(f)(tf.tensor2d([[...s, ...a]]))
          .dataSync(),
      );
    });
    const eps = 1e-2;
    const x0 = [...s, ...a];
    for (let j = 0; j < 3; j++) {
      const xp = x0.slice(),
        xm = x0.slice();
      xp[j] += eps;
      xm[j] -= eps;
      const fp = m.predict(xp.slice(0, 2), xp.slice(2));
      const fm = m.predict(xm.slice(0, 2), xm.slice(2));
      const fd = (fp[0] + fp[1] - fm[0] - fm[1]) / (2 * eps);
      expect(Math.abs(g[j] - fd)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    m.dispose();
  });

  it("trains with the k-step unrolled loss", async () => {
    const D = pendulumData(2, 4);
    const m = new MlpDynamicsModel({
      stateDim: 2,
      actionDim: 1,
      angleDims: [0],
      seed: 4,
      maxEpochs: 6,
      kStep: 5,
      hiddenSizes: [32, 32],
      validFraction: 0,
    });
    const rep = await m.fit(D);
    expect(rep.epochs).toBe(6);
    expect(rep.trainLoss[5]).toBeLessThan(rep.trainLoss[0]);
    m.dispose();
  });
});

describe("RewardModel", () => {
  it("learns the pendulum's reward from (s, a)", async () => {
    const D = pendulumData(3, 5);
    const r = new RewardModel({ stateDim: 2, actionDim: 1, inputs: "stateAction", angleDims: [0], seed: 5, epochs: 60 });
    await r.fit(D);
    const test = pendulumData(1, 6);
    const n = datasetSize(test);
    const pred = r.batch(
      mat(n, 2, Float64Array.from(test.states.flat())),
      mat(n, 1, Float64Array.from(test.actions.flat())),
      mat(n, 2, Float64Array.from(test.nextStates.flat())),
    );
    const mean = test.rewards.reduce((a, b) => a + b, 0) / n;
    let ssr = 0,
      sst = 0;
    for (let i = 0; i < n; i++) {
      ssr += (pred[i] - test.rewards[i]) ** 2;
      sst += (test.rewards[i] - mean) ** 2;
    }
    expect(1 - ssr / sst).toBeGreaterThan(0.85);
    r.dispose();
  });
});

describe("oracle", () => {
  it("is the env's own dynamics and reward, batched and differentiable", () => {
    const env = new Pendulum({ seed: 0 });
    const m = oracleModel(env);
    expect(m).toBeInstanceOf(DifferentiableOracle);
    const S = mat(2, 2, [0.1, 0.2, 3, -1]),
      A = mat(2, 1, [1, -5]);
    const P = m.predictBatch(S, A);
    expect(Array.from(P.data.slice(2))).toEqual(env.nextState([3, -1], [-5]));
    const t = tf.tidy(() =>
      (m as DifferentiableOracle)
        .predictTensor(
          tf.tensor2d([
            [0.1, 0.2],
            [3, -1],
          ]),
          tf.tensor2d([[1], [-5]]),
        )
        .dataSync(),
    );
    for (let i = 0; i < 4; i++) expect(t[i]).toBeCloseTo(P.data[i], 4);
    const r = envReward(env).batch(S, A, P);
    expect(r[0]).toBeCloseTo(-(0.01 + 0.1 * 0.04 + 0.001), 12);
    // rollout / rolloutBatch agree with each other
    const seq = rollout(m, [0.1, 0.2], [[1], [1], [1]]);
    const batch = rolloutBatch(m, mat(1, 2, [0.1, 0.2]), [mat(1, 1, [1]), mat(1, 1, [1]), mat(1, 1, [1])]);
    expect(seq).toHaveLength(4);
    expect(Array.from(batch[3].data)).toEqual(seq[3]);
  });
});
