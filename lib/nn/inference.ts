/**
 * The planners' forward pass on plain arrays: member b's network on its own rows, with the input
 * normalisation and the head done in JavaScript, for the thousands of rows a planner scores per step
 * (PETS particles, CEM candidates). Two engines compute the same network:
 *  - ONNX Runtime (onnx.ts) once `prepareArrayForward(net)` has loaded the current weights: several
 *    times faster at these batch sizes (`npm run bench -- kernels` measures both);
 *  - otherwise tfjs: the network's own forwardMembers, exactly the function that was trained.
 * They agree to float32 rounding (about 1e-7), not bit for bit.
 */
import { tf } from "../core/backend";
import { ShapeError } from "../core/checks";
import type { EnsembleMLP } from "./ensemble";
import { OnnxEnsemble, onnxRuntime } from "./onnx";

/** Member outputs on arrays: mean (rows x out) and, for a Gaussian head, the soft-bounded log-variance. */
export interface ArrayMemberOutput {
  mean: Float32Array;
  logVar: Float32Array | null;
}

interface Loaded {
  version: number;
  session: OnnxEnsemble;
}
const sessions = new WeakMap<EnsembleMLP, Loaded>();

/**
 * Loads the network's current weights into ONNX Runtime (if it is available) for forwardArrays.
 * Call after training; a later change of the weights makes forwardArrays fall back to tfjs until the
 * next call. Returns the engine forwardArrays now uses.
 */
export async function prepareArrayForward(net: EnsembleMLP): Promise<"onnx" | "tfjs"> {
  const version = net.stateVersion;
  const have = sessions.get(net);
  if (have && have.version === version) return "onnx";
  if (!onnxRuntime()) return "tfjs";
  const w = net.getWeights();
  const layers = w.layers.map((ls) => ls.map((l, i) => ({ w: l.w, b: l.b, inSize: net.sizes[i], outSize: net.sizes[i + 1] })));
  const session = await OnnxEnsemble.create(layers, net.config.activation);
  if (!session) return "tfjs";
  have?.session.dispose();
  sessions.set(net, { version, session });
  return "onnx";
}

/** The engine forwardArrays would use now. */
export function arrayForwardEngine(net: EnsembleMLP): "onnx" | "tfjs" {
  return sessions.get(net)?.version === net.stateVersion ? "onnx" : "tfjs";
}

/** Frees the ONNX session of a network (disposing the network does not reach it). */
export function releaseArrayForward(net: EnsembleMLP): void {
  sessions.get(net)?.session.dispose();
  sessions.delete(net);
}

/** Member b's outputs on its rows xs[b] (rows x inputSize, flat, raw inputs; zero rows allowed). */
export function forwardArrays(net: EnsembleMLP, xs: readonly Float32Array[]): ArrayMemberOutput[] {
  const B = net.members,
    din = net.config.inputSize;
  if (xs.length !== B) throw new ShapeError(`forwardArrays: expected inputs for ${B} members, got ${xs.length}`);
  for (const x of xs) {
    if (x.length % din !== 0) throw new ShapeError(`forwardArrays: ${x.length} numbers do not make rows of ${din}`);
  }
  const loaded = sessions.get(net);
  return loaded && loaded.version === net.stateVersion ? onnxForward(net, loaded.session, xs) : tfjsForward(net, xs);
}

/** Through tfjs: the network's own forwardMembers (normalisation and head included), one call. */
function tfjsForward(net: EnsembleMLP, xs: readonly Float32Array[]): ArrayMemberOutput[] {
  const din = net.config.inputSize;
  const rows = xs.map((x) => x.length / din);
  // A member without rows runs on one dummy row (its output is dropped): every member gets an input.
  const inputs = xs.map((x, b) => (rows[b] > 0 ? tf.tensor2d(x, [rows[b], din]) : tf.zeros<tf.Rank.R2>([1, din])));
  let out: { mean: tf.Tensor2D[]; logVar: tf.Tensor2D[] | null };
  try {
    out = net.forwardMembers(inputs);
  } finally {
    tf.dispose(inputs);
  }
  try {
    return out.mean.map((mean, b) => {
      if (rows[b] === 0) return { mean: new Float32Array(0), logVar: out.logVar ? new Float32Array(0) : null };
      const m = (mean.dataSync() as Float32Array).slice();
      const v = out.logVar ? (out.logVar[b].dataSync() as Float32Array).slice() : null;
      return { mean: m, logVar: v };
    });
  } finally {
    tf.dispose([...out.mean, ...(out.logVar ?? [])]);
  }
}

/**
 * Through ONNX Runtime: the input normalisation and the head in JavaScript around the session's
 * plain MLP (the same formulas as the network's, in float64 before rounding to float32).
 */
function onnxForward(net: EnsembleMLP, session: OnnxEnsemble, xs: readonly Float32Array[]): ArrayMemberOutput[] {
  const din = net.config.inputSize,
    d = net.config.outputSize;
  const { mean: inMean, std } = net.inputNormalizer();
  const invStd = Float32Array.from(std, (v) => 1 / v);
  const active = net.normalizer.active;
  const normalised = xs.map((x) => {
    if (!active) return x;
    const xn = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xn[i] = (x[i] - inMean[i % din]) * invStd[i % din];
    return xn;
  });
  const raws = session.run(normalised);
  if (net.config.head !== "gaussian") return raws.map((m) => ({ mean: m, logVar: null }));
  const minLV = net.minLogVar!.dataSync() as Float32Array,
    maxLV = net.maxLogVar!.dataSync() as Float32Array;
  return raws.map((raw) => {
    const rows = raw.length / (2 * d);
    const mean = new Float32Array(rows * d),
      logVar = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        mean[r * d + j] = raw[r * 2 * d + j];
        // logVar = max - softplus(max - v); logVar = min + softplus(logVar - min)   (lecture 003)
        const upper = maxLV[j] - softplus(maxLV[j] - raw[r * 2 * d + d + j]);
        logVar[r * d + j] = minLV[j] + softplus(upper - minLV[j]);
      }
    }
    return { mean, logVar };
  });
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 20 ? x : x < -20 ? Math.exp(x) : Math.log(1 + Math.exp(x));
}
