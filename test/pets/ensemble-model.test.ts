import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf, ValueError } from "../../lib/core";
import { mat } from "../../lib/linalg/mat";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble";
import { type Dataset, emptyDataset, addTransition } from "../../lib/models/types";
import { gaussianNll, softBoundLogVar } from "../../lib/nn/ops";

beforeAll(async () => {
  await initBackend();
});

/** s' = 0.9 s + 0.1 a + noise on a 2-D state, 1-D action. */
function linearData(n: number, seed: number, noise = 0.01): Dataset {
  const rng = makeRng(seed);
  const D = emptyDataset();
  for (let i = 0; i < n; i++) {
    const s = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const a = [rng.uniform(-1, 1)];
    const s2 = [0.9 * s[0] + 0.1 * a[0] + noise * rng.normal(), 0.9 * s[1] - 0.2 * a[0] + noise * rng.normal()];
    addTransition(D, s, a, 0, s2);
  }
  return D;
}

const small = (over: Partial<ConstructorParameters<typeof EnsembleDynamicsModel>[0]> = {}) =>
  new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, hiddenSizes: [16], members: 3, epochs: 3, seed: 3, ...over });

describe("Gaussian NLL and soft bounds", () => {
  it("gaussianNll equals the hand computation mean((mu - y)^2 exp(-v) + v)", () => {
    const mu = [0.5, -1, 2, 0],
      v = [0, -1, 0.7, -3],
      y = [0, 0, 1.5, 0.1];
    let want = 0;
    for (let i = 0; i < 4; i++) want += ((mu[i] - y[i]) ** 2 * Math.exp(-v[i]) + v[i]) / 4;
    const got = tf.tidy(() => gaussianNll(tf.tensor1d(mu), tf.tensor1d(v), tf.tensor1d(y)).dataSync()[0]);
    expect(got).toBeCloseTo(want, 5);
  });

  it("soft bounds keep the log-variance inside (min, max) and are near identity in between", () => {
    const raw = [-100, -12, -5, 0, 0.4, 3, 100];
    const out = tf.tidy(() => Array.from(softBoundLogVar(tf.tensor1d(raw), tf.scalar(-10), tf.scalar(0.5)).dataSync()));
    for (const v of out) {
      expect(v).toBeGreaterThan(-10 - 1e-6);
      expect(v).toBeLessThan(0.5 + 1e-3); // the lower softplus can push a value at the top a hair (e^-10.5) above max
    }
    expect(out[2]).toBeCloseTo(-5, 1); // well inside: almost unchanged
    for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThanOrEqual(out[i - 1]); // monotone
    // By hand: max - softplus(max - v), then min + softplus(. - min).
    const sp = (x: number) => Math.log1p(Math.exp(x));
    const hand = (x: number) => -10 + sp(0.5 - sp(0.5 - x) + 10);
    raw.slice(1, 6).forEach((x, i) => expect(out[i + 1]).toBeCloseTo(hand(x), 4));
  });

  it("the model's JavaScript head (soft bounds) matches the network's tensor head", () => {
    const m = small();
    const rng = makeRng(1);
    const x = Float32Array.from(rng.normals(5 * m.inputSize));
    const fast = m.rawMemberOutputs([x, x, x]);
    const ref = tf.tidy(() => {
      const o = m.net.forwardMembers(tf.tensor2d(x, [5, m.inputSize]));
      return {
        mean: o.mean.map((t) => Array.from(t.dataSync())),
        logVar: o.logVar!.map((t) => Array.from(t.dataSync())),
      } as unknown as tf.TensorContainer;
    }) as unknown as { mean: number[][]; logVar: number[][] };
    for (let b = 0; b < 3; b++) {
      fast[b].m.forEach((v, i) => expect(v).toBeCloseTo(ref.mean[b][i], 4));
      fast[b].v!.forEach((v, i) => expect(v).toBeCloseTo(ref.logVar[b][i], 4));
    }
    m.dispose();
  });
});

describe("EnsembleDynamicsModel", () => {
  it("learns a linear system, deterministic and probabilistic, and predicts in raw units", async () => {
    const D = linearData(300, 1);
    for (const probabilistic of [false, true]) {
      const m = small({ probabilistic, epochs: 30, hiddenSizes: [32], members: 2 });
      const rep = await m.fit(D);
      expect(rep.trainLoss.length).toBe(30);
      const s2 = m.predict([0.5, -0.5], [0.2]);
      expect(s2[0]).toBeCloseTo(0.9 * 0.5 + 0.02, 1);
      expect(s2[1]).toBeCloseTo(-0.45 - 0.04, 1);
      expect(m.name).toBe(probabilistic ? "PE" : "DE");
      m.dispose();
    }
  });

  it("chooses the elites by held-out loss (best first) and predicts only through them", async () => {
    const m = small({ members: 4, elites: 2, validFraction: 0.2 });
    await m.fit(linearData(100, 2));
    expect(m.memberValidLoss.length).toBe(4);
    expect(m.elites.length).toBe(2);
    const sorted = m.memberValidLoss.map((l, b) => ({ l, b })).sort((p, q) => p.l - q.l);
    expect(m.elites).toEqual([sorted[0].b, sorted[1].b]);
    expect(m.predictMembers(mat(3, 2), mat(3, 1)).mean.length).toBe(2);
    expect(() => small({ members: 2, elites: 3 })).toThrow(ValueError);
    m.dispose();
  });

  it("disagreement is the largest distance between elites' means: 0 for one member, grows off the data", async () => {
    const one = small({ members: 1 });
    await one.fit(linearData(50, 3));
    expect(Array.from(one.disagreement(mat(2, 2, [0, 0, 1, 1]), mat(2, 1, [0, 0])))).toEqual([0, 0]);
    one.dispose();
    const m = small({ members: 5, epochs: 20, hiddenSizes: [32] });
    await m.fit(linearData(200, 4));
    const S = mat(2, 2, [0.1, 0.1, 8, -8]),
      A = mat(2, 1, [0, 0]);
    const d = m.disagreement(S, A);
    const { mean } = m.predictMembers(S, A);
    let want = 0;
    for (let i = 0; i < 5; i++)
      for (let j = i + 1; j < 5; j++) want = Math.max(want, Math.hypot(mean[i][0] - mean[j][0], mean[i][1] - mean[j][1]));
    expect(d[0]).toBeCloseTo(want, 8);
    expect(d[1]).toBeGreaterThan(d[0]); // far outside the data [-1, 1]^2 the members disagree more
    m.dispose();
  });

  it("bootstrap and shared-data ensembles both train; seeded fits are deterministic", async () => {
    const D = linearData(80, 5);
    const preds: number[][] = [];
    for (const bootstrap of [true, false, true]) {
      const m = small({ bootstrap });
      await m.fit(D);
      preds.push(Array.from(m.predictBatch(mat(1, 2, [0.3, 0.3]), mat(1, 1, [0.1]), makeRng(9)).data));
      m.dispose();
    }
    expect(preds[0]).toEqual(preds[2]);
    expect(preds[0]).not.toEqual(preds[1]);
  });

  it("stepMembers: row i goes through member[i]; samples differ from the mean only for probabilistic members", async () => {
    const m = small({ members: 3 });
    await m.fit(linearData(60, 6));
    const S = new Float64Array([0.2, 0.1, 0.2, 0.1, 0.2, 0.1]),
      A = new Float64Array([0.5, 0.5, 0.5]);
    const mean = m.stepMembers(S, A, [0, 1, 2], null);
    const per = [0, 1, 2].map((b) => m.predictMembers(mat(1, 2, [0.2, 0.1]), mat(1, 1, [0.5])).mean[m.elites.indexOf(b)]);
    for (let b = 0; b < 3; b++) {
      expect(mean[2 * b]).toBeCloseTo(per[b][0], 6);
      expect(mean[2 * b + 1]).toBeCloseTo(per[b][1], 6);
    }
    const sample = m.stepMembers(S, A, [0, 1, 2], makeRng(1));
    expect(Array.from(sample)).not.toEqual(Array.from(mean));
    const det = small({ members: 3, probabilistic: false });
    await det.fit(linearData(60, 6));
    expect(Array.from(det.stepMembers(S, A, [0, 1, 2], makeRng(1)))).toEqual(Array.from(det.stepMembers(S, A, [0, 1, 2], null)));
    m.dispose();
    det.dispose();
  });
});
