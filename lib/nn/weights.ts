/**
 * An ensemble network's weights as plain arrays (to save, copy or send to a worker) and Polyak
 * averaging of one network towards another (SAC's target networks).
 */
import { tf } from "../core/backend";
import { ShapeError } from "../core/checks";
import type { InputNormalizer } from "./normalizer";

/** Plain-array weights: for each member, for each layer, W (in x out, row-major) and b. */
export interface EnsembleWeights {
  layers: { w: Float32Array; b: Float32Array }[][];
  minLogVar: Float32Array | null;
  maxLogVar: Float32Array | null;
  inputMean: Float32Array;
  inputStd: Float32Array;
}

/** The parts of a network that hold its weights (EnsembleMLP). */
export interface WeightHolder {
  readonly members: number;
  readonly weights: readonly tf.Variable<tf.Rank.R2>[][];
  readonly biases: readonly tf.Variable<tf.Rank.R1>[][];
  readonly minLogVar: tf.Variable<tf.Rank.R1> | null;
  readonly maxLogVar: tf.Variable<tf.Rank.R1> | null;
  readonly normalizer: InputNormalizer;
  variables(): tf.Variable[];
}

/** A copy of all weights (and the normaliser) as plain arrays. */
export function readWeights(net: WeightHolder): EnsembleWeights {
  const norm = net.normalizer.arrays();
  return {
    layers: net.weights.map((ws, b) =>
      ws.map((w, l) => ({ w: w.dataSync().slice() as Float32Array, b: net.biases[b][l].dataSync().slice() as Float32Array })),
    ),
    minLogVar: net.minLogVar ? (net.minLogVar.dataSync().slice() as Float32Array) : null,
    maxLogVar: net.maxLogVar ? (net.maxLogVar.dataSync().slice() as Float32Array) : null,
    inputMean: norm.mean,
    inputStd: norm.std,
  };
}

/** Loads weights from readWeights of a network of the same architecture. */
export function writeWeights(net: WeightHolder, w: EnsembleWeights): void {
  if (w.layers.length !== net.members) throw new ShapeError(`setWeights: ${w.layers.length} members given, ${net.members} expected`);
  w.layers.forEach((ls, b) => {
    if (ls.length !== net.weights[b].length)
      throw new ShapeError(`setWeights: member ${b} has ${ls.length} layers, expected ${net.weights[b].length}`);
    ls.forEach((p, l) => {
      const W = net.weights[b][l],
        Bv = net.biases[b][l];
      if (p.w.length !== W.size || p.b.length !== Bv.size) {
        throw new ShapeError(`setWeights: member ${b} layer ${l} expects ${W.size} weights and ${Bv.size} biases`);
      }
      tf.tidy(() => {
        W.assign(tf.tensor2d(p.w, W.shape));
        Bv.assign(tf.tensor1d(p.b));
      });
    });
  });
  if (net.minLogVar && w.minLogVar) tf.tidy(() => net.minLogVar!.assign(tf.tensor1d(w.minLogVar!)));
  if (net.maxLogVar && w.maxLogVar) tf.tidy(() => net.maxLogVar!.assign(tf.tensor1d(w.maxLogVar!)));
  net.normalizer.set(w.inputMean, w.inputStd);
  // An identity normaliser stays switched off (the forward pass skips it).
  net.normalizer.active = w.inputMean.some((m) => m !== 0) || w.inputStd.some((s) => s !== 1);
}

/**
 * Polyak averaging: target <- tau * source + (1 - tau) * target for all trainable variables (tau = 1
 * copies), and the source's normaliser copied when it has one.
 */
export function polyakAverage(target: WeightHolder, source: WeightHolder, tau: number): void {
  const a = target.variables(),
    s = source.variables();
  if (a.length !== s.length || a.some((v, i) => v.size !== s[i].size)) {
    throw new ShapeError("polyakUpdate: the source network has a different architecture");
  }
  tf.tidy(() => {
    a.forEach((v, i) => v.assign(tau === 1 ? s[i] : tf.add(tf.mul(tau, s[i]), tf.mul(1 - tau, v))));
  });
  if (source.normalizer.active) {
    const norm = source.normalizer.arrays();
    target.normalizer.set(norm.mean, norm.std);
  }
}
