/**
 * The messages between the main thread and the workers of threads/ (both sides import these types,
 * so a change to one side that the other does not follow is a type error), and the one piece of
 * arithmetic both sides share.
 */
import type { BackendName } from "../../core/backend";
import type { EnsembleConfig, LossKind } from "../config";
import type { EnsembleWeights } from "../weights";

/** Sent to every worker at start: which tfjs backend to load. */
export interface WorkerInit {
  backend: BackendName;
}

/** Adam's state as EnsembleMLP.optimizerState() gives it. */
export interface OptimizerState {
  m: Float32Array[];
  v: Float32Array[];
  t: number;
}

// --- the forward worker (ParallelEnsemble) ---------------------------------------------------

export type ForwardRequest =
  | { id: number; type: "weights"; config: EnsembleConfig; weights: EnsembleWeights }
  | { id: number; type: "forward"; x: Float32Array; rows: number; shared: boolean };

// --- the trainer worker (ParallelTrainer) ----------------------------------------------------

/** The worker's part of a step: members [lo, hi) whole, and the last sharedRows rows of member `shared`. */
export interface StepRequest {
  id: number;
  type: "step";
  x: Float32Array;
  y: Float32Array;
  xs: Float32Array;
  ys: Float32Array;
  rows: number;
  sharedRows: number;
  shared: number | null;
  lo: number;
  hi: number;
  /** Members in the ensemble, and variables per member (2 per layer). */
  B: number;
  per: number;
  kind: LossKind;
  /** The log-variance bounds' current values (the main thread steps them), or null. */
  bounds: [Float32Array, Float32Array] | null;
}

export type TrainerRequest =
  | { id: number; type: "init"; config: EnsembleConfig; weights: EnsembleWeights; opt: OptimizerState }
  | StepRequest
  /** The shared member's summed gradient, applied by the same Adam step as on the main thread (no reply). */
  | { id: number; type: "apply"; grads: (Float32Array | null)[]; tick: boolean }
  /** The values and Adam moments of variables [first, last). */
  | { id: number; type: "pull"; first: number; last: number };

// --- replies ---------------------------------------------------------------------------------

/** Every reply carries the request's id (0: the worker's start-up report) and, on failure, an error. */
export interface WorkerReply {
  id: number;
  error?: string;
  ready?: boolean;
  /** forward: per-member outputs stacked, [B, rows, out]. */
  mean?: Float32Array;
  logVar?: Float32Array | null;
  /** step: this part's loss, the bounds' and the shared member's gradients, the worker's time. */
  loss?: number;
  boundGrads?: (Float32Array | null)[];
  sharedGrads?: (Float32Array | null)[] | null;
  ms?: number;
  /** pull */
  values?: Float32Array[];
  moments?: { m: Float32Array; v: Float32Array }[];
}

/**
 * Adds gradient arrays into running sums, entry by entry: sum[j] += part[j], where a null sum[j]
 * takes part[j] itself (no copy) and a null part[j] adds nothing. For adding up the parts of a step
 * split across threads (ParallelTrainer, on both sides).
 */
export function addGradients(sum: (Float32Array | null)[], part: readonly (Float32Array | null)[]): void {
  part.forEach((g, j) => {
    const acc = sum[j];
    if (!g) return;
    if (!acc) sum[j] = g;
    else for (let i = 0; i < g.length; i++) acc[i] += g[i];
  });
}

/** The buffers of the non-null arrays, to transfer instead of copy. */
export function buffersOf(arrays: readonly (Float32Array | null | undefined)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of arrays) if (a) out.push(a.buffer as ArrayBuffer);
  return out;
}
