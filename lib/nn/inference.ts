/**
 * The planners' forward pass on plain arrays: member b's network on its own rows, with the input
 * normalisation and the head done in JavaScript, for the thousands of rows a planner scores per step
 * (PETS particles, CEM candidates). Two engines compute the same network:
 *  - ONNX Runtime (onnx.ts) once `prepareArrayForward(net)` has loaded the current weights: several
 *    times faster at these batch sizes (`npm run bench -- kernels` measures both);
 *  - otherwise tfjs, one fused product per layer (`mlp` of ops.ts, the training forward pass).
 * They agree to float32 rounding (about 1e-7), not bit for bit.
 */
import { tf } from "../core/backend";
import { ShapeError } from "../core/checks";
import type { EnsembleMLP } from "./ensemble";
import { OnnxEnsemble, onnxRuntime } from "./onnx";
import { mlp } from "./ops";

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
  const B = net.members, din = net.config.inputSize, d = net.config.outputSize;
  if (xs.length !== B) throw new ShapeError(`forwardArrays: expected inputs for ${B} members, got ${xs.length}`);
  for (const x of xs) {
    if (x.length % din !== 0) throw new ShapeError(`forwardArrays: ${x.length} numbers do not make rows of ${din}`);
  }
  const { mean: inMean, std } = net.inputNormalizer();
  const invStd = Float32Array.from(std, (v) => 1 / v);
  const active = net.normalizer.active;
  const normalised = xs.map((x) => {
    if (!active) return x;
    const xn = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xn[i] = (x[i] - inMean[i % din]) * invStd[i % din];
    return xn;
  });
  const loaded = sessions.get(net);
  const raws = loaded && loaded.version === net.stateVersion ? loaded.session.run(normalised) : tfjsRaw(net, normalised);
  if (net.config.head !== "gaussian") return raws.map((m) => ({ mean: m, logVar: null }));
  const minLV = net.minLogVar!.dataSync() as Float32Array, maxLV = net.maxLogVar!.dataSync() as Float32Array;
  return raws.map((raw) => {
    const rows = raw.length / (2 * d);
    const mean = new Float32Array(rows * d), logVar = new Float32Array(rows * d);
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

/** The raw network outputs through tfjs (the training forward pass, ops.ts's mlp). */
function tfjsRaw(net: EnsembleMLP, xs: readonly Float32Array[]): Float32Array[] {
  const din = net.config.inputSize, out = net.sizes[net.sizes.length - 1];
  return xs.map((x, b) => {
    const rows = x.length / din;
    if (rows === 0) return new Float32Array(0);
    let raw: Float32Array = new Float32Array(rows * out);
    // (Nothing but tensors may be returned from tf.tidy: it would walk a typed array element by element.)
    tf.tidy(() => {
      raw = mlp(tf.tensor2d(x, [rows, din]), net.weights[b], net.biases[b], net.config.activation).dataSync() as Float32Array;
    });
    return raw;
  });
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 20 ? x : x < -20 ? Math.exp(x) : Math.log(1 + Math.exp(x));
}
