import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import {
  EnsembleMLP,
  arrayForwardEngine,
  ensembleOnnxModel,
  forwardArrays,
  loadSession,
  onnxRuntime,
  prepareArrayForward,
  releaseArrayForward,
} from "../../lib/nn";

beforeAll(async () => {
  await initBackend();
});

const cfg = { inputSize: 5, outputSize: 3, hiddenSizes: [16, 16], members: 3, head: "gaussian" as const, seed: 7 };

/** Inputs for each member (a different number of rows each, one member with none). */
function inputs(rows: number[], seed: number): Float32Array[] {
  const r = makeRng(seed);
  return rows.map((n) => Float32Array.from(r.normals(n * cfg.inputSize)));
}

/** The reference: forwardMembers (the training forward pass) on each member's rows. */
function reference(net: EnsembleMLP, xs: Float32Array[]): { mean: Float32Array; logVar: Float32Array }[] {
  return xs.map((x, b) => {
    const rows = x.length / cfg.inputSize;
    if (rows === 0) return { mean: new Float32Array(0), logVar: new Float32Array(0) };
    return tf.tidy(() => {
      const o = net.forwardMembers(tf.tensor2d(x, [rows, cfg.inputSize]));
      return { mean: o.mean[b].dataSync().slice() as Float32Array, logVar: o.logVar![b].dataSync().slice() as Float32Array };
    });
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe("forwardArrays (the planners' forward pass)", () => {
  it("through tfjs gives forwardMembers' means and nearly its log-variances, member by member", () => {
    const net = new EnsembleMLP(cfg);
    const r = makeRng(3);
    net.setInputNormalizer([0.5, -1, 0, 2, 1], [1, 2, 0.5, 1, 3]);
    net.fit(
      Array.from({ length: 64 }, () => r.normals(5)),
      Array.from({ length: 64 }, () => r.normals(3)),
      { epochs: 2, normalizeInputs: false },
    );
    const xs = inputs([7, 0, 12], 1);
    expect(arrayForwardEngine(net)).toBe("tfjs");
    const got = forwardArrays(net, xs),
      ref = reference(net, xs);
    got.forEach((g, b) => {
      // The means are the same products (normalisation in float32 either way); the head runs in
      // float64 JavaScript here, in float32 kernels there.
      expect(maxDiff(g.mean, ref[b].mean)).toBeLessThan(1e-6);
      expect(maxDiff(g.logVar!, ref[b].logVar)).toBeLessThan(1e-5);
    });
    expect(got[1].mean.length).toBe(0);
    net.dispose();
  });

  it("through ONNX Runtime agrees with tfjs, and falls back to tfjs once the weights change", async () => {
    if (!onnxRuntime()) {
      console.warn("onnxruntime-node did not load: the ONNX path is not tested here");
      return;
    }
    const net = new EnsembleMLP(cfg);
    const xs = inputs([9, 4, 0], 2);
    const viaTfjs = forwardArrays(net, xs);
    expect(await prepareArrayForward(net)).toBe("onnx");
    expect(arrayForwardEngine(net)).toBe("onnx");
    const viaOnnx = forwardArrays(net, xs);
    viaOnnx.forEach((o, b) => {
      expect(maxDiff(o.mean, viaTfjs[b].mean)).toBeLessThan(1e-5);
      expect(maxDiff(o.logVar!, viaTfjs[b].logVar!)).toBeLessThan(1e-5);
    });
    // A training step moves the weights: the loaded session is stale and must not be used.
    const r = makeRng(4);
    net.fit(
      Array.from({ length: 32 }, () => r.normals(5)),
      Array.from({ length: 32 }, () => r.normals(3)),
      { epochs: 1 },
    );
    expect(arrayForwardEngine(net)).toBe("tfjs");
    const after = forwardArrays(net, xs);
    expect(maxDiff(after[0].mean, viaOnnx[0].mean)).toBeGreaterThan(1e-4);
    await prepareArrayForward(net);
    const afterOnnx = forwardArrays(net, xs);
    // Now with the fitted input normaliser and bounds, both inside the ONNX graph.
    expect(net.normalizer.active).toBe(true);
    after.forEach((o, b) => {
      expect(maxDiff(o.mean, afterOnnx[b].mean)).toBeLessThan(1e-5);
      expect(maxDiff(o.logVar!, afterOnnx[b].logVar!)).toBeLessThan(1e-5);
    });
    releaseArrayForward(net);
    expect(arrayForwardEngine(net)).toBe("tfjs");
    net.dispose();
  });

  it("covers every activation through ONNX (SiLU, ReLU, tanh, linear)", async () => {
    if (!onnxRuntime()) return;
    for (const activation of ["silu", "relu", "tanh", "linear"] as const) {
      const net = new EnsembleMLP({ ...cfg, head: "deterministic", members: 2, activation });
      const xs = inputs([6, 3], 5);
      const a = forwardArrays(net, xs);
      await prepareArrayForward(net);
      const b = forwardArrays(net, xs);
      a.forEach((o, k) => expect(maxDiff(o.mean, b[k].mean)).toBeLessThan(1e-5));
      releaseArrayForward(net);
      net.dispose();
    }
  });

  it("rejects inputs that do not make whole rows, or the wrong number of members", () => {
    const net = new EnsembleMLP(cfg);
    expect(() => forwardArrays(net, [new Float32Array(5), new Float32Array(5)])).toThrow(/3 members/);
    expect(() => forwardArrays(net, [new Float32Array(4), new Float32Array(5), new Float32Array(0)])).toThrow(/rows of 5/);
    net.dispose();
  });

  it("writes a well-formed ONNX model (magic of a protobuf ModelProto: ir_version field first)", () => {
    const bytes = ensembleOnnxModel([[{ w: new Float32Array(6), b: new Float32Array(3), inSize: 2, outSize: 3 }]], "silu");
    expect(bytes[0]).toBe(0x08); // field 1, varint: ir_version
    expect(bytes[1]).toBe(8);
  });

  it("a model ONNX Runtime rejects gives no session (so callers fall back to tfjs), a good one loads", () => {
    if (!onnxRuntime()) return;
    const good = ensembleOnnxModel([[{ w: new Float32Array(6), b: new Float32Array(3), inSize: 2, outSize: 3 }]], "silu");
    const session = loadSession(good, 1);
    expect(session).not.toBeNull();
    session!.dispose();
    expect(loadSession(good.slice(0, 20), 1)).toBeNull(); // truncated protobuf
    expect(loadSession(Uint8Array.of(8, 1, 2, 3), 1)).toBeNull();
  });
});
