import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Adam, EnsembleMLP, ParallelEnsemble, ParallelTrainer } from "../../lib/nn";

beforeAll(async () => {
  await initBackend();
});

/** Adam written out plainly (Kingma and Ba, Algorithm 1, with PyTorch's epsilon placement and L2). */
function referenceAdam(p: number[], grads: (p: number[]) => number[], steps: number, lr: number, wd = 0): number[] {
  const m = p.map(() => 0), v = p.map(() => 0);
  const q = p.slice();
  for (let t = 1; t <= steps; t++) {
    const g = grads(q).map((gi, i) => gi + wd * q[i]);
    for (let i = 0; i < q.length; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const mh = m[i] / (1 - 0.9 ** t), vh = v[i] / (1 - 0.999 ** t);
      q[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return q;
}

describe("Adam", () => {
  it("matches a plain implementation on a quadratic, with and without weight decay", () => {
    for (const wd of [0, 0.1]) {
      const p0 = [1, -2, 0.5];
      const v = tf.variable(tf.tensor1d(p0));
      const opt = new Adam([v], { learningRate: 0.05, weightDecay: wd });
      // loss = sum (p - c)^2 * w: gradient 2 w (p - c).
      const c = [0.3, 0.1, -1], w = [1, 3, 0.5];
      for (let t = 0; t < 25; t++) {
        opt.minimize(() => tf.sum(tf.mul(tf.square(tf.sub(v, tf.tensor1d(c))), tf.tensor1d(w))));
      }
      const ref = referenceAdam(p0, (p) => p.map((pi, i) => 2 * w[i] * (pi - c[i])), 25, 0.05, wd);
      const got = v.dataSync();
      ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
      expect(opt.steps).toBe(25);
      v.dispose();
    }
  });
});

describe("Adam on the backend's memory", () => {
  it("takes the same step from tensors and from arrays", () => {
    const p0 = Float32Array.from(makeRng(1).normals(300)), g = Float32Array.from(makeRng(2).normals(300));
    const a = tf.variable(tf.tensor2d(p0, [20, 15])), b = tf.variable(tf.tensor2d(p0, [20, 15]));
    const oa = new Adam([a], { learningRate: 0.01, weightDecay: 0.1 }), ob = new Adam([b], { learningRate: 0.01, weightDecay: 0.1 });
    const gt = tf.tensor2d(g, [20, 15]);
    for (let t = 0; t < 3; t++) {
      oa.step([gt]);
      ob.step([g]);
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(a.dataSync()[0]).not.toBe(p0[0]);
    tf.dispose([a, b, gt]);
  });

  it("a matMul sees the weights of the latest step (the backend caches packed weights by tensor)", () => {
    // XNNPACK packs a matMul's right-hand side once per tensor; an update written into the old
    // tensor's memory would leave the product using the old weights.
    const w = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
    const x = tf.tensor2d([1, 1], [1, 2]);
    const before = tf.fused.matMul({ a: x, b: w }).dataSync();
    expect(Array.from(before)).toEqual([4, 6]);
    const opt = new Adam([w], { learningRate: 0.5 });
    opt.step([new Float32Array([1, 1, 1, 1])]); // Adam's first step moves every weight by -lr
    expect(Array.from(tf.fused.matMul({ a: x, b: w }).dataSync())).toEqual([3, 5]);
    tf.dispose([w, x]);
  });
});

describe("ParallelEnsemble", () => {
  let net: EnsembleMLP;
  let par: ParallelEnsemble;
  beforeAll(async () => {
    net = new EnsembleMLP({ inputSize: 3, outputSize: 2, hiddenSizes: [16, 16], members: 3, head: "gaussian", seed: 4 });
    net.setInputNormalizer([0.1, 0.2, 0.3], [1, 2, 3]);
    par = await ParallelEnsemble.create(net, { workers: 1 });
  }, 60_000);
  afterAll(async () => {
    await par.dispose();
    net.dispose();
  });

  it("gives the same outputs as the single-threaded forward (per-member and shared inputs)", async () => {
    const rows = 37;
    const x = Float32Array.from(makeRng(1).normals(3 * rows * 3));
    const got = await par.forward(x, rows);
    const ref = net.forwardMembers(tf.tensor3d(x, [3, rows, 3]));
    for (let b = 0; b < 3; b++) {
      const rm = ref.mean[b].dataSync(), rl = ref.logVar![b].dataSync();
      for (let i = 0; i < rm.length; i++) {
        expect(got.mean[b][i]).toBeCloseTo(rm[i], 5);
        expect(got.logVar![b][i]).toBeCloseTo(rl[i], 5);
      }
    }
    const xs = x.slice(0, rows * 3);
    const gotShared = await par.forward(xs, rows);
    const refShared = net.forwardMembers(tf.tensor2d(xs, [rows, 3]));
    expect(Array.from(gotShared.mean[2]).map((v) => +v.toFixed(5))).toEqual(Array.from(refShared.mean[2].dataSync()).map((v) => +v.toFixed(5)));
  });

  it("follows the network after training once syncWeights is called", async () => {
    const x = Float32Array.from(makeRng(2).normals(10 * 3));
    const before = await par.forward(x, 10);
    net.fit([[1, 2, 3], [2, 3, 4], [0, 1, 0]], [[1, 0], [0, 1], [1, 1]], { epochs: 5, batchSize: 3 });
    await par.syncWeights();
    const after = await par.forward(x, 10);
    expect(after.mean[0]).not.toEqual(before.mean[0]);
    const ref = net.forwardMembers(tf.tensor2d(x, [10, 3]));
    const r0 = ref.mean[0].dataSync();
    for (let i = 0; i < r0.length; i++) expect(after.mean[0][i]).toBeCloseTo(r0[i], 5);
    await expect(par.forward(new Float32Array(7), 10)).rejects.toThrow(/entries/);
  });
});

describe("ParallelTrainer", () => {
  it("takes the same steps as single-threaded training on the whole batch", async () => {
    const cfg = { inputSize: 3, outputSize: 2, hiddenSizes: [12, 12], members: 2, head: "gaussian" as const, learningRate: 1e-2, seed: 9 };
    const serial = new EnsembleMLP(cfg), par = new EnsembleMLP(cfg);
    serial.trainStep(tf.ones([2, 4, 3]) as tf.Tensor3D, tf.ones([2, 4, 2]) as tf.Tensor3D); // optimizer state to copy over
    par.setWeights(serial.getWeights());
    par.setOptimizerState(serial.optimizerState());
    const trainer = await ParallelTrainer.create(par);
    try {
      const rng = makeRng(3);
      const rows = 21;
      for (let step = 0; step < 4; step++) {
        const x = Float32Array.from(rng.normals(2 * rows * 3)), y = Float32Array.from(rng.normals(2 * rows * 2));
        const l1 = serial.trainStep(tf.tensor3d(x, [2, rows, 3]), tf.tensor3d(y, [2, rows, 2]));
        const l2 = await trainer.trainStep(x, y, rows);
        expect(l2).toBeCloseTo(l1, 4);
      }
      // The worker's member lives in the worker until pulled; using the network before that is an error.
      expect(() => par.getWeights()).toThrow(/trainer\.pull\(\)/);
      expect(() => par.predict([[0, 0, 0]])).toThrow(/ParallelTrainer worker/);
      await trainer.pull();
      const a = serial.getWeights(), b = par.getWeights();
      a.layers.forEach((ls, m) => ls.forEach((p, l) => p.w.forEach((w, k) => expect(b.layers[m][l].w[k]).toBeCloseTo(w, 4))));
      a.maxLogVar!.forEach((v, i) => expect(b.maxLogVar![i]).toBeCloseTo(v, 5));
      // Training resumes in the worker where it stopped (pull does not reset it).
      const x = Float32Array.from(rng.normals(2 * 2 * 3)), y = Float32Array.from(rng.normals(2 * 2 * 2));
      const l1 = serial.trainStep(tf.tensor3d(x, [2, 2, 3]), tf.tensor3d(y, [2, 2, 2]));
      expect(await trainer.trainStep(x, y, 2)).toBeCloseTo(l1, 4);
      // A network changed behind the trainer's back (trained on the main thread) is pushed again by
      // itself before the next parallel step, so the worker never trains stale weights.
      await trainer.pull();
      const l2 = serial.trainStep(tf.tensor3d(x, [2, 2, 3]), tf.tensor3d(y, [2, 2, 2]));
      expect(par.trainStep(tf.tensor3d(x, [2, 2, 3]), tf.tensor3d(y, [2, 2, 2]))).toBeCloseTo(l2, 4);
      const l3 = serial.trainStep(tf.tensor3d(x, [2, 2, 3]), tf.tensor3d(y, [2, 2, 2]));
      expect(await trainer.trainStep(x, y, 2)).toBeCloseTo(l3, 4);
      await trainer.pull();
      const w1 = serial.getWeights().layers[1][0].w, w2 = par.getWeights().layers[1][0].w;
      w1.forEach((w, k) => expect(w2[k]).toBeCloseTo(w, 4));
      await expect(trainer.trainStep(x, y, 3)).rejects.toThrow(/expected x/);
      const first = trainer.trainStep(x, y, 2);
      await expect(trainer.trainStep(x, y, 2)).rejects.toThrow(/previous step is still running/);
      await first;
    } finally {
      await trainer.dispose();
      serial.dispose();
      par.dispose();
    }
  }, 60_000);

  it("splits by members, by rows within a member, or by rows (B = 1), with or without bounds, and keeps the optimizer state in step", async () => {
    // [members, mainShare, head]: whole members; member 1 split by rows (main: member 0 and half of
    // 1, worker: member 2 and the other half); one network split by rows; a split of 0.3 of 2
    // members; a deterministic ensemble (no log-variance bounds to add up).
    const cases = [[3, undefined, "gaussian"], [3, 0.5, "gaussian"], [1, undefined, "gaussian"], [2, 0.3, "gaussian"], [4, undefined, "deterministic"]] as const;
    for (const [members, mainShare, head] of cases) {
      const cfg = { inputSize: 3, outputSize: 2, hiddenSizes: [10], members, head, learningRate: 1e-2, seed: 4 };
      const serial = new EnsembleMLP(cfg), par = new EnsembleMLP(cfg);
      const trainer = await ParallelTrainer.create(par, mainShare === undefined ? {} : { mainShare });
      try {
        const rng = makeRng(11);
        const rows = 7;
        for (let step = 0; step < 3; step++) {
          const x = Float32Array.from(rng.normals(members * rows * 3)), y = Float32Array.from(rng.normals(members * rows * 2));
          const l1 = serial.trainStep(tf.tensor3d(x, [members, rows, 3]), tf.tensor3d(y, [members, rows, 2]));
          expect(await trainer.trainStep(x, y, rows)).toBeCloseTo(l1, 4);
        }
        await trainer.pull();
        const a = serial.optimizerState(), b = par.optimizerState();
        expect(b.t).toBe(a.t);
        a.m.forEach((m, i) => m.forEach((v, k) => expect(b.m[i][k]).toBeCloseTo(v, 5)));
        a.v.forEach((m, i) => m.forEach((v, k) => expect(b.v[i][k]).toBeCloseTo(v, 6)));
        const wa = serial.getWeights(), wb = par.getWeights();
        wa.layers.forEach((ls, m) => ls.forEach((p, l) => p.w.forEach((w, k) => expect(wb.layers[m][l].w[k]).toBeCloseTo(w, 4))));
        wa.layers.forEach((ls, m) => ls.forEach((p, l) => p.b.forEach((v, k) => expect(wb.layers[m][l].b[k]).toBeCloseTo(v, 5))));
        if (head === "gaussian") wa.minLogVar!.forEach((v, i) => expect(wb.minLogVar![i]).toBeCloseTo(v, 5));
        else expect(wb.minLogVar).toBeNull();
      } finally {
        await trainer.dispose();
        serial.dispose();
        par.dispose();
      }
    }
  }, 60_000);

  it("fitAsync with a trainer follows fit", async () => {
    const cfg = { inputSize: 2, outputSize: 1, hiddenSizes: [8], members: 2, head: "gaussian" as const, seed: 5 };
    const a = new EnsembleMLP(cfg), b = new EnsembleMLP(cfg);
    const rng = makeRng(8);
    const x = Array.from({ length: 50 }, () => [rng.normal(), rng.normal()]);
    const y = x.map(([u, v]) => [u - 2 * v]);
    const trainer = await ParallelTrainer.create(b);
    try {
      const ra = a.fit(x, y, { epochs: 3, batchSize: 16 });
      const rb = await b.fitAsync(x, y, { epochs: 3, batchSize: 16, trainer });
      ra.losses.forEach((l, i) => expect(rb.losses[i]).toBeCloseTo(l, 3));
    } finally {
      await trainer.dispose();
      a.dispose();
      b.dispose();
    }
  }, 60_000);
});
