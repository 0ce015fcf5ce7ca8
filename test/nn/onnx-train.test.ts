import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import {
  type Activation,
  EnsembleMLP,
  type LossKind,
  OnnxTrainStep,
  type StackedParams,
  type TrainGraphSpec,
  onnxRuntime,
  onnxTrainer,
} from "../../lib/nn";

beforeAll(async () => {
  await initBackend();
});

interface Case {
  activation: Activation;
  head: "gaussian" | "deterministic";
  kind: LossKind;
}
const CASES: Case[] = [
  { activation: "silu", head: "gaussian", kind: "nll" },
  { activation: "relu", head: "deterministic", kind: "mse" },
  { activation: "tanh", head: "gaussian", kind: "mse" },
  { activation: "linear", head: "gaussian", kind: "nll" },
];

const E = 3,
  IN = 4,
  D = 2,
  ROWS = 24;

function net(c: Case, seed = 5): EnsembleMLP {
  return new EnsembleMLP({ members: E, inputSize: IN, outputSize: D, hiddenSizes: [12, 10], activation: c.activation, head: c.head, seed });
}

function spec(n: EnsembleMLP, kind: LossKind): TrainGraphSpec {
  const { activation, head, outputSize } = n.config;
  return { members: n.members, sizes: n.sizes, activation, head, outputSize, kind };
}

/** The network's variables stacked per layer, as the graph takes them. */
function stacked(n: EnsembleMLP): StackedParams {
  const w = n.getWeights();
  const L = n.sizes.length - 1;
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    W: Array.from({ length: L }, (_, l) => cat(w.layers.map((m) => m[l].w))),
    B: Array.from({ length: L }, (_, l) => cat(w.layers.map((m) => m[l].b))),
    minLV: w.minLogVar,
    maxLV: w.maxLogVar,
  };
}

function batch(seed: number): { x: Float32Array; y: Float32Array } {
  const r = makeRng(seed);
  return { x: Float32Array.from(r.normals(E * ROWS * IN)), y: Float32Array.from(r.normals(E * ROWS * D)) };
}

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0,
    m = 1e-12;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

describe("the training step on ONNX Runtime", () => {
  it("ONNX Runtime loads here (the course's training and planning engine)", () => {
    expect(onnxRuntime()).not.toBeNull();
  });

  it.each(CASES)("gives tfjs's loss and gradient ($activation, $head head, $kind)", (c) => {
    const n = net(c);
    const { x, y } = batch(1);
    const step = OnnxTrainStep.create(spec(n, c.kind))!;
    const g = step.run(x, y, ROWS, stacked(n));
    const vars = n.variables();
    const xt = tf.tensor3d(x, [E, ROWS, IN]),
      yt = tf.tensor3d(y, [E, ROWS, D]);
    const { value, grads } = tf.variableGrads(() => n.loss(xt, yt, c.kind, { penalty: false }), vars);
    const ref = {
      loss: value.dataSync()[0],
      grads: vars.map((v) => (grads[v.name] ? (grads[v.name].dataSync().slice() as Float32Array) : null)),
    };
    tf.dispose([xt, yt, value, ...Object.values(grads)]);
    expect(Math.abs(g.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-6);
    const L = n.sizes.length - 1;
    for (let m = 0; m < E; m++) {
      for (let l = 0; l < L; l++) {
        const wSize = n.sizes[l] * n.sizes[l + 1],
          bSize = n.sizes[l + 1];
        expect(relErr(g.W[l].subarray(m * wSize, (m + 1) * wSize), ref.grads[2 * (m * L + l)]!)).toBeLessThan(1e-5);
        expect(relErr(g.B[l].subarray(m * bSize, (m + 1) * bSize), ref.grads[2 * (m * L + l) + 1]!)).toBeLessThan(1e-5);
      }
    }
    if (c.kind === "nll") {
      // The bounds' gradients are sums of tiny terms where tfjs's autodiff subtracts nearly equal
      // numbers (1 - sigmoid(c), c large); the graph writes sigmoid(-c), so only 1e-2 agreement is
      // expected here, and the finite-difference test below checks them to 1 %.
      expect(relErr(g.minLV!, ref.grads[2 * E * L]!)).toBeLessThan(1e-2);
      expect(relErr(g.maxLV!, ref.grads[2 * E * L + 1]!)).toBeLessThan(1e-2);
    } else expect(g.minLV).toBeNull();
    n.dispose();
  });

  it("matches central finite differences of its own loss (weights, biases and both bounds)", () => {
    const c = CASES[0];
    // Bounds near the outputs' log-variances, so that both bounds' gradients are large enough to check.
    const n = new EnsembleMLP({
      members: E,
      inputSize: IN,
      outputSize: D,
      hiddenSizes: [12, 10],
      head: "gaussian",
      minLogVar: -0.6,
      maxLogVar: 0.3,
      seed: 9,
    });
    const { x, y } = batch(2);
    const step = OnnxTrainStep.create(spec(n, c.kind))!;
    const p = stacked(n);
    const g = step.run(x, y, ROWS, p);
    const h = 1e-2;
    const probes: [Float32Array, Float32Array, number][] = [
      [p.W[0], g.W[0], 3],
      [p.W[1], g.W[1], 40],
      [p.W[2], g.W[2], 17],
      [p.B[0], g.B[0], 5],
      [p.B[2], g.B[2], 3],
      [p.minLV!, g.minLV!, 0],
      [p.maxLV!, g.maxLV!, 1],
    ];
    for (const [param, grad, i] of probes) {
      const keep = param[i];
      param[i] = keep + h;
      const up = step.run(x, y, ROWS, p).loss;
      param[i] = keep - h;
      const down = step.run(x, y, ROWS, p).loss;
      param[i] = keep;
      const fd = (up - down) / (2 * h);
      expect(Math.abs(grad[i])).toBeGreaterThan(1e-4);
      expect(Math.abs(fd - grad[i])).toBeLessThan(3e-5 + 0.01 * Math.abs(fd));
    }
    n.dispose();
  });

  it("gives the same numbers, bit for bit, on 1, 2 and 3 threads (results do not depend on the core count)", () => {
    const n = new EnsembleMLP({ members: 5, inputSize: 6, outputSize: 4, hiddenSizes: [64, 64, 64], head: "gaussian", seed: 2 });
    const r = makeRng(4);
    const rows = 128;
    const x = Float32Array.from(r.normals(5 * rows * 6)),
      y = Float32Array.from(r.normals(5 * rows * 4));
    const runs = [1, 2, 3].map((t) => OnnxTrainStep.create(spec(n, "nll"), t)!.run(x, y, rows, stacked(n)));
    for (const o of runs.slice(1)) {
      expect(o.loss).toBe(runs[0].loss);
      o.W.forEach((w, l) => expect(Buffer.compare(Buffer.from(w.buffer), Buffer.from(runs[0].W[l].buffer))).toBe(0));
      expect(Array.from(o.maxLV!)).toEqual(Array.from(runs[0].maxLV!));
    }
    n.dispose();
  });
});

describe("fit on ONNX Runtime", () => {
  const data = () => {
    const r = makeRng(11);
    const n = 200;
    const X = Array.from({ length: n }, () => r.normals(IN).map((v) => 3 * v + 1));
    const Y = X.map((v) => [Math.sin(v[0]) + 0.1 * v[1] * v[2], 0.2 * v[3]]);
    return { X, Y };
  };

  it("follows the tfjs fit to float32 rounding: same minibatches, same Adam steps, same losses", () => {
    const { X, Y } = data();
    for (const c of [CASES[0], CASES[1]]) {
      const a = net(c),
        b = net(c);
      const ra = a.fit(X, Y, { epochs: 8, batchSize: 32, engine: "tfjs" });
      const rb = b.fit(X, Y, { epochs: 8, batchSize: 32 });
      expect(ra.engine).toBe("tfjs");
      expect(rb.engine).toBe("onnx");
      expect(rb.losses[7]).toBeLessThan(rb.losses[0]); // it learns
      for (let e = 0; e < 8; e++) expect(Math.abs(rb.losses[e] - ra.losses[e])).toBeLessThan(1e-4 * (1 + Math.abs(ra.losses[e])));
      const wa = a.getWeights(),
        wb = b.getWeights();
      wa.layers.forEach((m, i) => m.forEach((l, j) => expect(relErr(wb.layers[i][j].w, l.w)).toBeLessThan(1e-4)));
      if (wa.maxLogVar) expect(relErr(wb.maxLogVar!, wa.maxLogVar)).toBeLessThan(1e-4);
      expect(b.optimizerState().t).toBe(a.optimizerState().t);
      // The fitted weights are in the variables: the tfjs forward pass sees them.
      expect(Math.abs(b.evaluate(X, Y) - a.evaluate(X, Y))).toBeLessThan(1e-3);
      a.dispose();
      b.dispose();
    }
  });

  it("onnxTrainer's steps equal tfjs's trainStep on a single network, with syncs between epochs (MlpDynamicsModel's loop)", () => {
    const cfg = { members: 1, inputSize: IN, outputSize: D, hiddenSizes: [16, 16], seed: 4 };
    const a = new EnsembleMLP(cfg),
      b = new EnsembleMLP(cfg);
    const r = makeRng(6);
    const X = { rows: 64, cols: IN, data: Float64Array.from(r.normals(64 * IN)) };
    a.fitInputNormalizer(X);
    b.fitInputNormalizer(X);
    const trainer = onnxTrainer(b, "mse")!;
    const xs = Float32Array.from(X.data),
      ys = Float32Array.from(r.normals(64 * D));
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let lo = 0; lo < 64; lo += 16) {
        const xb = xs.slice(lo * IN, (lo + 16) * IN),
          yb = ys.slice(lo * D, (lo + 16) * D);
        const xt = tf.tensor2d(xb, [16, IN]),
          yt = tf.tensor2d(yb, [16, D]);
        const la = a.trainStep(xt, yt, "mse");
        tf.dispose([xt, yt]);
        const lb = trainer.step(xb, yb, 16);
        expect(Math.abs(lb - la)).toBeLessThan(1e-5 * (1 + Math.abs(la)));
      }
      trainer.sync();
      expect(relErr(b.getWeights().layers[0][2].w, a.getWeights().layers[0][2].w)).toBeLessThan(1e-4);
    }
    a.dispose();
    b.dispose();
  });

  it("keeps the steps taken when a fit is stopped part-way (interrupt, or an error in a callback)", () => {
    const { X, Y } = data();
    const a = net(CASES[0]),
      b = net(CASES[0]);
    const before = a.stateVersion;
    expect(() =>
      a.fit(X, Y, {
        epochs: 3,
        batchSize: 50,
        onEpoch: () => {
          throw new Error("stop");
        },
      }),
    ).toThrow("stop");
    b.fit(X, Y, { epochs: 1, batchSize: 50 });
    expect(a.stateVersion).toBeGreaterThan(before);
    expect(a.optimizerState().t).toBe(4);
    expect(a.getWeights()).toEqual(b.getWeights());
    a.dispose();
    b.dispose();
  });
});
