import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf, ShapeError } from "../../lib/core";
import { Activation, EnsembleMLP, activate, dense, gaussianNll, mlp, silu, softBoundLogVar, transpose2d } from "../../lib/nn";

beforeAll(async () => {
  await initBackend();
});

function randn(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from(makeRng(seed).normals(n)), shape);
}

describe("ops", () => {
  it("dense has the same value and gradients as tf's own matMul + add", () => {
    const x = randn([7, 5], 1) as tf.Tensor2D,
      w = randn([5, 3], 2) as tf.Tensor2D,
      b = randn([3], 3) as tf.Tensor1D;
    const up = randn([7, 3], 4);
    const f1 = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      tf.sum(tf.mul(dense(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), up));
    const f2 = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), d), up));
    const g1 = tf.grads(f1)([x, w, b]);
    const g2 = tf.grads(f2)([x, w, b]);
    for (let i = 0; i < 3; i++) {
      const d = tf.max(tf.abs(tf.sub(g1[i], g2[i]))).dataSync()[0];
      expect(d).toBeLessThan(1e-4);
    }
    expect(f1(x, w, b).dataSync()[0]).toBeCloseTo(f2(x, w, b).dataSync()[0], 3);
  });

  it("transpose2d equals tf.transpose for tiled and ragged shapes", () => {
    for (const [r, c] of [
      [256, 200],
      [33, 70],
      [1, 5],
      [64, 1],
    ]) {
      const x = randn([r, c], r + c) as tf.Tensor2D;
      const got = transpose2d(x),
        want = tf.transpose(x);
      expect(got.shape).toEqual([c, r]);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([x, got, want]);
    }
  });

  it("mlp's fused backward pass equals autodiff through dense + activate, for every activation", () => {
    const sizes = [4, 6, 5, 3];
    const x = randn([9, 4], 20) as tf.Tensor2D;
    const ws = sizes.slice(0, 3).map((s, l) => tf.mul(randn([s, sizes[l + 1]], 21 + l), 0.5) as tf.Tensor2D);
    const bs = sizes.slice(1).map((s, l) => randn([s], 31 + l) as tf.Tensor1D);
    const up = randn([9, 3], 40);
    for (const act of ["silu", "relu", "tanh", "linear"] as Activation[]) {
      const chain = (...a: tf.Tensor[]) => {
        let h = a[0] as tf.Tensor2D;
        for (let l = 0; l < 3; l++) {
          h = dense(h, a[1 + l] as tf.Tensor2D, a[4 + l] as tf.Tensor1D);
          if (l < 2) h = activate(h, act);
        }
        return tf.sum(tf.mul(h, up));
      };
      const fused = (...a: tf.Tensor[]) =>
        tf.sum(tf.mul(mlp(a[0] as tf.Tensor2D, a.slice(1, 4) as tf.Tensor2D[], a.slice(4, 7) as tf.Tensor1D[], act), up));
      const inputs = [x, ...ws, ...bs];
      expect(fused(...inputs).dataSync()[0]).toBeCloseTo(chain(...inputs).dataSync()[0], 4);
      const g1 = tf.grads((...a: tf.Tensor[]) => fused(...a))(inputs);
      const g2 = tf.grads((...a: tf.Tensor[]) => chain(...a))(inputs);
      g1.forEach((g, i) => {
        expect(g.shape).toEqual(inputs[i].shape);
        expect(tf.max(tf.abs(tf.sub(g, g2[i]))).dataSync()[0]).toBeLessThan(1e-4);
      });
      // Weights held in tf.Variables take the other path (read directly, not saved).
      const vws = ws.map((w) => tf.variable(w));
      const vg = tf.variableGrads(() => fused(x, ...vws, ...bs) as tf.Scalar, vws);
      vws.forEach((v, l) => expect(tf.max(tf.abs(tf.sub(vg.grads[v.name], g2[1 + l]))).dataSync()[0]).toBeLessThan(1e-4));
      vws.forEach((v) => v.dispose());
    }
  });

  it("mlp with inputGrad false gives the same weight gradients and a zero input gradient", () => {
    const x = randn([6, 3], 50) as tf.Tensor2D;
    const ws = [randn([3, 5], 51) as tf.Tensor2D, randn([5, 2], 52) as tf.Tensor2D];
    const bs = [randn([5], 53) as tf.Tensor1D, randn([2], 54) as tf.Tensor1D];
    const loss =
      (inputGrad: boolean) =>
      (...a: tf.Tensor[]) =>
        tf.sum(tf.square(mlp(a[0] as tf.Tensor2D, [a[1], a[2]] as tf.Tensor2D[], [a[3], a[4]] as tf.Tensor1D[], "silu", { inputGrad })));
    const on = tf.grads(loss(true))([x, ...ws, ...bs]);
    const off = tf.grads(loss(false))([x, ...ws, ...bs]);
    expect(Array.from(off[0].dataSync())).toEqual(new Array(18).fill(0));
    expect(tf.max(tf.abs(on[0])).dataSync()[0]).toBeGreaterThan(0);
    for (let i = 1; i < 5; i++) expect(Array.from(off[i].dataSync())).toEqual(Array.from(on[i].dataSync()));
  });

  it("silu's hand-written gradient matches finite differences", () => {
    const xs = [-4, -1.3, -0.2, 0, 0.4, 2.5];
    const g = tf
      .grad((x: tf.Tensor) => tf.sum(silu(x)))(tf.tensor1d(xs))
      .dataSync();
    const s = (v: number) => v / (1 + Math.exp(-v));
    xs.forEach((v, i) => expect(g[i]).toBeCloseTo((s(v + 1e-4) - s(v - 1e-4)) / 2e-4, 4));
    const val = silu(tf.tensor1d(xs)).dataSync();
    xs.forEach((v, i) => expect(val[i]).toBeCloseTo(s(v), 5));
  });

  it("softBoundLogVar stays inside the bounds and is near identity in between", () => {
    const lv = tf.tensor1d([-100, -10, -3, 0, 0.4, 5, 100]);
    const out = softBoundLogVar(lv, tf.scalar(-10), tf.scalar(0.5)).dataSync();
    for (const v of out) {
      // float32: the far tails round onto the bound itself.
      expect(v).toBeGreaterThanOrEqual(-10);
      // The lower softplus can lift the top by softplus's tail, log1p(exp(-(max - min))) ~ 3e-5.
      expect(v).toBeLessThanOrEqual(0.5 + 1e-4);
    }
    const sp = (v: number) => Math.log1p(Math.exp(v));
    expect(out[2]).toBeCloseTo(-10 + sp(0.5 - sp(0.5 - -3) + 10), 4);
  });

  it("gaussianNll matches a hand computation", () => {
    const mu = [0.5, -1],
      lv = [0.1, -2],
      y = [1, 0];
    const ref = (0.5 ** 2 * Math.exp(-0.1) + 0.1 + 1 * Math.exp(2) - 2) / 2;
    expect(gaussianNll(tf.tensor1d(mu), tf.tensor1d(lv), tf.tensor1d(y)).dataSync()[0]).toBeCloseTo(ref, 4);
  });
});

describe("EnsembleMLP", () => {
  it("initialises deterministically from the seed", () => {
    const cfg = { inputSize: 3, outputSize: 2, hiddenSizes: [8, 8], members: 3, seed: 5 };
    const a = new EnsembleMLP(cfg),
      b = new EnsembleMLP(cfg),
      c = new EnsembleMLP({ ...cfg, seed: 6 });
    const x = [
      [0.1, 0.2, 0.3],
      [1, -1, 2],
    ];
    expect(a.predict(x).mean).toEqual(b.predict(x).mean);
    expect(a.predict(x).mean).not.toEqual(c.predict(x).mean);
    // Members differ from each other.
    const m = a.predict(x).mean;
    expect(m[0]).not.toEqual(m[1]);
    [a, b, c].forEach((n) => n.dispose());
  });

  it("accepts shared [rows, in] and per-member [B, rows, in] inputs with consistent results", () => {
    const net = new EnsembleMLP({ inputSize: 4, outputSize: 3, hiddenSizes: [16], members: 2, head: "gaussian", seed: 1 });
    const x = randn([5, 4], 9) as tf.Tensor2D;
    const shared = net.forward(x);
    expect(shared.mean.shape).toEqual([2, 5, 3]);
    expect(shared.logVar!.shape).toEqual([2, 5, 3]);
    const per = net.forward(tf.stack([x, x]) as tf.Tensor3D);
    expect(tf.max(tf.abs(tf.sub(shared.mean, per.mean))).dataSync()[0]).toBe(0);
    // forward (head run once on stacked members) and forwardMembers (head per member) agree.
    const xs = randn([2, 5, 4], 10) as tf.Tensor3D;
    const f3 = net.forward(xs),
      fm = net.forwardMembers(xs);
    expect(tf.max(tf.abs(tf.sub(f3.logVar!, tf.stack(fm.logVar!)))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(tf.sub(f3.mean, tf.stack(fm.mean)))).dataSync()[0]).toBeLessThan(1e-6);
    expect(() => net.forward(randn([5, 3], 1) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => net.forward(randn([3, 5, 4], 1) as tf.Tensor3D)).toThrow(/3 members/);
    net.dispose();
  });

  it("gives the same rows for large batches (computed in chunks) as for small ones", () => {
    const net = new EnsembleMLP({ inputSize: 3, outputSize: 2, hiddenSizes: [8], members: 2, head: "gaussian", seed: 7 });
    const x = randn([2100, 3], 5) as tf.Tensor2D;
    const big = net.forward(x);
    const small = net.forward(tf.slice(x, [1500, 0], [40, 3]) as tf.Tensor2D);
    const bigPart = tf.slice(big.logVar!, [0, 1500, 0], [2, 40, 2]);
    expect(big.mean.shape).toEqual([2, 2100, 2]);
    expect(tf.max(tf.abs(tf.sub(bigPart, small.logVar!))).dataSync()[0]).toBeLessThan(1e-6);
    net.dispose();
  });

  it("loss equals the average of the members' losses, with per-member and shared batches", () => {
    const net = new EnsembleMLP({
      inputSize: 2,
      outputSize: 2,
      hiddenSizes: [6],
      members: 3,
      head: "gaussian",
      boundPenalty: 0.01,
      seed: 3,
    });
    const x3 = randn([3, 5, 2], 1) as tf.Tensor3D,
      y3 = randn([3, 5, 2], 2) as tf.Tensor3D;
    const o = net.forward(x3);
    let ref = 0;
    for (let b = 0; b < 3; b++) {
      const m = o.mean.arraySync()[b],
        lv = o.logVar!.arraySync()[b],
        y = y3.arraySync()[b];
      let s = 0;
      for (let i = 0; i < 5; i++) for (let j = 0; j < 2; j++) s += (m[i][j] - y[i][j]) ** 2 * Math.exp(-lv[i][j]) + lv[i][j];
      ref += s / 10 / 3;
    }
    const gap = 2 * (0.5 - -10);
    expect(net.loss(x3, y3, "nll").dataSync()[0]).toBeCloseTo(ref + 0.01 * gap, 4);
    expect(net.loss(x3, y3, "nll", { penalty: false, scale: 0.5 }).dataSync()[0]).toBeCloseTo(0.5 * ref, 4);
    // A shared [rows, in] batch and shared targets: the same as giving every member that batch.
    const x2 = randn([5, 2], 3) as tf.Tensor2D,
      y2 = randn([5, 2], 4) as tf.Tensor2D;
    const a = net.loss(x2, y2, "mse").dataSync()[0];
    const b = net.loss(tf.stack([x2, x2, x2]) as tf.Tensor3D, tf.stack([y2, y2, y2]) as tf.Tensor3D, "mse").dataSync()[0];
    expect(a).toBeCloseTo(b, 5);
    expect(() => net.loss(x3, randn([3, 4, 2], 5) as tf.Tensor3D)).toThrow(/target rows/);
    net.dispose();
  });

  it("differentiates through the network w.r.t. its inputs (finite differences)", () => {
    const net = new EnsembleMLP({ inputSize: 3, outputSize: 2, hiddenSizes: [10, 10], members: 2, activation: "tanh", seed: 2 });
    net.setInputNormalizer([0.5, -0.2, 0], [2, 1, 0.5]);
    const x0 = [0.3, -0.7, 0.2];
    const f = (x: tf.Tensor) => tf.sum(net.forward(tf.reshape(x, [1, 3]) as tf.Tensor2D).mean);
    const g = tf.grad(f)(tf.tensor1d(x0)).dataSync();
    for (let i = 0; i < 3; i++) {
      const h = 1e-2;
      const xp = x0.slice(),
        xm = x0.slice();
      xp[i] += h;
      xm[i] -= h;
      const fd = (f(tf.tensor1d(xp)).dataSync()[0] - f(tf.tensor1d(xm)).dataSync()[0]) / (2 * h);
      expect(g[i]).toBeCloseTo(fd, 2);
    }
    net.dispose();
  });

  it("fits a noisy function and learns the noise level with the Gaussian head", () => {
    const rng = makeRng(11);
    const n = 400;
    const x: number[][] = [],
      y: number[][] = [];
    for (let i = 0; i < n; i++) {
      const v = rng.uniform(-2, 2);
      x.push([v]);
      y.push([Math.sin(2 * v) + rng.normal(0, 0.1)]);
    }
    const net = new EnsembleMLP({
      inputSize: 1,
      outputSize: 1,
      hiddenSizes: [32, 32],
      members: 2,
      head: "gaussian",
      learningRate: 5e-3,
      seed: 3,
    });
    const { losses } = net.fit(x, y, { epochs: 60, batchSize: 32 });
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] - 1);
    const p = net.predict([[0.5], [-1]]);
    for (let b = 0; b < 2; b++) {
      expect(Math.abs(p.mean[b][0][0] - Math.sin(1))).toBeLessThan(0.15);
      expect(Math.abs(p.mean[b][1][0] - Math.sin(-2))).toBeLessThan(0.15);
      // The true noise variance is 0.01 (log -4.6); allow a factor of ~4.
      expect(p.logVar![b][0][0]).toBeGreaterThan(-6);
      expect(p.logVar![b][0][0]).toBeLessThan(-3.2);
    }
    net.dispose();
  });

  it("trains a deterministic net with MSE on per-member minibatches", () => {
    const net = new EnsembleMLP({
      inputSize: 2,
      outputSize: 1,
      hiddenSizes: [16],
      members: 3,
      activation: "relu",
      learningRate: 1e-2,
      seed: 4,
    });
    const x = randn([3, 64, 2], 1) as tf.Tensor3D;
    const y = tf.sum(x, 2, true) as tf.Tensor3D;
    const first = net.trainStep(x, y);
    let last = first;
    for (let i = 0; i < 200; i++) last = net.trainStep(x, y);
    expect(last).toBeLessThan(0.1 * first);
    expect(() => net.trainStep(x, y, "nll")).toThrow(/gaussian/);
    net.dispose();
  });

  it("minimize moves only this network's variables", () => {
    const a = new EnsembleMLP({ inputSize: 2, outputSize: 1, hiddenSizes: [4], seed: 1 });
    const b = new EnsembleMLP({ inputSize: 1, outputSize: 1, hiddenSizes: [4], seed: 2 });
    const wb = b.getWeights();
    const x = tf.tensor2d([[0.1, 0.2]]);
    const before = a.predict([[0.1, 0.2]]).mean[0][0][0];
    // Loss through both nets (a policy through a model): only a's weights change.
    a.minimize(() => tf.sum(b.forward(a.forward(x).mean.reshape([1, 1]) as tf.Tensor2D).mean));
    expect(a.predict([[0.1, 0.2]]).mean[0][0][0]).not.toBe(before);
    expect(b.getWeights().layers[0][0].w).toEqual(wb.layers[0][0].w);
    a.dispose();
    b.dispose();
  });

  it("round-trips weights and does Polyak updates", () => {
    const cfg = { inputSize: 2, outputSize: 2, hiddenSizes: [6], members: 2, head: "gaussian" as const, seed: 1 };
    const a = new EnsembleMLP(cfg),
      b = new EnsembleMLP({ ...cfg, seed: 2 });
    a.setInputNormalizer([1, 2], [3, 4]);
    b.setWeights(a.getWeights());
    const x = [[0.3, -0.4]];
    expect(b.predict(x)).toEqual(a.predict(x));
    const c = new EnsembleMLP({ ...cfg, seed: 3 });
    const w0 = c.getWeights().layers[1][0].w[0];
    c.polyakUpdate(a, 0.25);
    const wa = a.getWeights().layers[1][0].w[0];
    expect(c.getWeights().layers[1][0].w[0]).toBeCloseTo(0.25 * wa + 0.75 * w0, 6);
    c.polyakUpdate(a, 1);
    expect(c.predict(x)).toEqual(a.predict(x));
    [a, b, c].forEach((n) => n.dispose());
  });

  it("leaks no tensors across 1,000 forward calls and many training steps", () => {
    const net = new EnsembleMLP({ inputSize: 3, outputSize: 2, hiddenSizes: [8, 8], members: 3, head: "gaussian", seed: 1 });
    const x = randn([3, 10, 3], 1) as tf.Tensor3D,
      y = randn([3, 10, 2], 2) as tf.Tensor3D;
    net.trainStep(x, y); // creates the optimizer's slots once
    const start = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      tf.tidy(() => {
        const o = net.forward(x);
        return o.mean.add(o.logVar!).sum();
      }).dispose();
      const m = net.forwardMembers(x);
      tf.dispose([...m.mean, ...m.logVar!]);
    }
    for (let i = 0; i < 50; i++) net.trainStep(x, y);
    net.fit(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [1, 2],
        [3, 4],
      ],
      { epochs: 3 },
    );
    expect(tf.memory().numTensors).toBe(start);
    const total = tf.memory().numTensors;
    net.dispose();
    expect(tf.memory().numTensors).toBeLessThan(total);
  });
});
