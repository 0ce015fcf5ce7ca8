/**
 * The planners' forward pass on plain arrays: member b's network on its own rows, input normalisation
 * and head included, for the thousands of rows a planner scores per step (PETS particles, CEM
 * candidates). Two engines compute the same network:
 *  - ONNX Runtime (onnx.ts) once `prepareArrayForward(net)` has loaded the current weights, with the
 *    normaliser and the head's bounds inside the graph: several times faster at these batch sizes
 *    (`npm run bench -- kernels` measures both);
 *  - otherwise tfjs: the network's own forwardMembers, exactly the function that was trained.
 * They agree to float32 rounding (about 1e-7), not bit for bit. The normalisation and the head are in
 * the ONNX graph because, done here number by number, they took a sixth of a PETS decision at the
 * papers' scale (two softplus per output, 7,000 rows x 75 calls per decision).
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
  const { mean, std } = net.inputNormalizer();
  const bounds = net.logVarBounds();
  const session = await OnnxEnsemble.create(layers, net.config.activation, undefined, {
    normalise: net.normalizer.active ? { mean, invStd: Float32Array.from(std, (v) => 1 / v) } : undefined,
    gaussian: net.config.head === "gaussian" && bounds ? { minLogVar: bounds.min, maxLogVar: bounds.max } : undefined,
  });
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
  return loaded && loaded.version === net.stateVersion ? onnxForward(loaded.session, xs) : tfjsForward(net, xs);
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

/** Through ONNX Runtime: normalisation, network and head all in the session (prepareArrayForward). */
function onnxForward(session: OnnxEnsemble, xs: readonly Float32Array[]): ArrayMemberOutput[] {
  return session.run(xs).map((o) => ({ mean: o.y, logVar: o.v }));
}
