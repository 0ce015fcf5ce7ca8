/**
 * What the neural dynamics models (the delta MLP of notebook 01, the ensembles of notebooks 04-05)
 * feed their networks and train them on:
 * - inputs (features(s), a): angle dimensions as (cos, sin), so the network never sees an angle grow
 *   without bound or jump at +-pi, then the other state entries, then the action;
 * - targets: the normalised state change (s' - s - mu_delta) / sigma_delta, so every state dimension
 *   weighs the same in the loss whatever its units.
 */
import { ShapeError, ValueError } from "../core/checks";
import type { VecLike } from "../linalg/mat";
import { type Dataset, datasetSize } from "./types";

/** The input layout of a model: which state dimensions are angles, and the network's input width. */
export interface InputLayout {
  stateDim: number;
  actionDim: number;
  angleDims: readonly number[];
  isAngle: readonly boolean[];
  /** stateDim + (one more per angle) + actionDim. */
  inputSize: number;
}

/** Checks angleDims against stateDim (errors name `what`) and builds the layout. */
export function inputLayout(what: string, stateDim: number, actionDim: number, angleDims: readonly number[] = []): InputLayout {
  for (const j of angleDims) {
    if (!Number.isInteger(j) || j < 0 || j >= stateDim) throw new ValueError(`${what}: angle dimension ${j} is not a state dimension`);
  }
  const isAngle = Array.from({ length: stateDim }, (_, j) => angleDims.includes(j));
  return { stateDim, actionDim, angleDims: angleDims.slice(), isAngle, inputSize: stateDim + angleDims.length + actionDim };
}

/** Writes the network input of (s, a) into out at offset oo (s read from S at so, a from A at ao). */
export function writeInput(
  f: InputLayout,
  S: ArrayLike<number>,
  so: number,
  A: ArrayLike<number>,
  ao: number,
  out: Float32Array | Float64Array,
  oo: number,
): void {
  let k = oo;
  for (let j = 0; j < f.stateDim; j++) {
    const v = S[so + j];
    if (f.isAngle[j]) {
      out[k++] = Math.cos(v);
      out[k++] = Math.sin(v);
    } else out[k++] = v;
  }
  for (let j = 0; j < f.actionDim; j++) out[k++] = A[ao + j];
}

/** Per-dimension mean and std of the state deltas s' - s (std floored at 1e-6). */
export function deltaStats(states: readonly VecLike[], nextStates: readonly VecLike[]): { mean: Float64Array; std: Float64Array } {
  const n = states.length;
  if (n === 0) throw new ValueError("deltaStats: no transitions");
  if (nextStates.length !== n) throw new ShapeError(`deltaStats: ${n} states but ${nextStates.length} next states`);
  const d = states[0].length;
  const mean = new Float64Array(d),
    std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += (nextStates[i][j] - states[i][j]) / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (nextStates[i][j] - states[i][j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.max(Math.sqrt(std[j]), 1e-6);
  return { mean, std };
}

/** The normalised delta target of dimension j: (s'_j - s_j - mu_j) / sigma_j. */
export function normalizedDelta(s: VecLike, s2: VecLike, mu: VecLike, sigma: VecLike, j: number): number {
  return (s2[j] - s[j] - mu[j]) / sigma[j];
}

/**
 * Network inputs (n x inputSize) and normalised delta targets (n x stateDim) of a dataset, row-major,
 * in arrays made by `make` (Float32Array for tensors, Float64Array for Mats).
 */
export function deltaArrays<T extends Float32Array | Float64Array>(
  f: InputLayout,
  D: Dataset,
  mu: VecLike,
  sigma: VecLike,
  make: (length: number) => T,
): { x: T; y: T; n: number } {
  const n = datasetSize(D),
    ds = f.stateDim,
    din = f.inputSize;
  const x = make(n * din),
    y = make(n * ds);
  for (let i = 0; i < n; i++) {
    const s = D.states[i],
      s2 = D.nextStates[i];
    writeInput(f, s, 0, D.actions[i], 0, x, i * din);
    for (let j = 0; j < ds; j++) y[i * ds + j] = normalizedDelta(s, s2, mu, sigma, j);
  }
  return { x, y, n };
}
