/**
 * The one small interface every dynamics model of the course implements: the linear model, the
 * normalised delta MLP, the ensembles of later notebooks, and the true dynamics wrapped as an oracle.
 * Planners (lib/planners) and algorithms (lib/mbrl, PETS, Dyna) take any `DynamicsModel`, so a
 * student can swap a learned model for the truth and see how much of a failure is the model's fault.
 *
 * Conventions
 * - A single state or action is a plain vector (`number[]` or `Float64Array`).
 * - A batch is a `Mat` from lib/linalg: rows are samples, row-major Float64Array. Planners push all
 *   their candidates through ONE `predictBatch` call per time step.
 * - Data is a `Dataset` of transitions (s, a, r, s'), stored as arrays of rows so that algorithms can
 *   append to it as they collect (lecture 004, step "append (s, a, s') to D"); it is defined with the
 *   systems that produce it (lib/envs/dataset.ts) and re-exported here.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs"; // types only: the runtime tf comes from lib/core
import { type Rng, ShapeError, checkLength, checkFinite } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";

// ---------------------------------------------------------------------------------------------
// Data: transitions as the systems produce them (lib/envs/dataset.ts), re-exported here where the
// models use them.
// ---------------------------------------------------------------------------------------------

export {
  type Dataset,
  emptyDataset,
  datasetSize,
  addTransition,
  concatDatasets,
  subsetDataset,
  splitDataset,
  rowsToMat,
} from "../envs/dataset";
import { type Dataset, datasetSize } from "../envs/dataset";

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/** What `fit` reports. Loss curves are per epoch (one entry for closed-form fits). */
export interface FitReport {
  /** Training loss per epoch (the model's own loss, e.g. MSE of normalised deltas). */
  trainLoss: number[];
  /** Held-out loss per epoch (empty when the model uses no held-out split). */
  validLoss: number[];
  /** Epochs run (1 for closed-form fits). */
  epochs: number;
  /** Wall-clock seconds the fit took. */
  seconds: number;
}

/** Options every `fit` accepts; model-specific settings live in the model's constructor config. */
export interface FitOptions {
  /** Called after each epoch (for progress bars and live loss plots). */
  onEpoch?: (epoch: number, trainLoss: number, validLoss: number | undefined) => void;
}

/**
 * A learned (or known) model of s' = f(s, a).
 *
 * Deterministic models ignore `rng`; stochastic ones (ensembles, Gaussian networks) sample with it, so
 * a seeded rng gives reproducible rollouts.
 */
export interface DynamicsModel {
  /** Short name for plots and logs, e.g. "linear", "mlp", "oracle". */
  readonly name: string;
  readonly stateDim: number;
  readonly actionDim: number;
  /** Fits the model to the transitions in D (refits from scratch or continues, as the model's config says). */
  fit(D: Dataset, opts?: FitOptions): Promise<FitReport>;
  /** One step: s' for a single state and action. */
  predict(s: VecLike, a: VecLike, rng?: Rng): Float64Array;
  /** Many steps at once: row i of the result is s' for row i of S and A (N x stateDim, N x actionDim). */
  predictBatch(S: Mat, A: Mat, rng?: Rng): Mat;
}

/**
 * A model whose prediction is a tfjs computation, so gradients flow through it (gradient-based
 * shooting, backpropagation into a policy: lecture 004's version 2.0). `predictTensor` must be
 * built from differentiable tf ops only and must not dispose its inputs.
 */
export interface DifferentiableModel extends DynamicsModel {
  predictTensor(S: Tensor2D, A: Tensor2D): Tensor2D;
}

/** True when the model can be differentiated through. */
export function isDifferentiable(m: DynamicsModel): m is DifferentiableModel {
  return typeof (m as Partial<DifferentiableModel>).predictTensor === "function";
}

/**
 * A reward r(s, a, s'): known (from the environment) or learned (lib/models/reward.ts).
 * `batch` returns one reward per row; `tensor`, when present, is the same function in tf ops.
 */
export interface RewardFunction {
  batch(S: Mat, A: Mat, S2: Mat): Float64Array;
  tensor?(S: Tensor2D, A: Tensor2D, S2: Tensor2D): Tensor1D;
}

/** Checks a state / action batch pair against a model's dimensions; returns the batch size. */
export function checkBatch(what: string, model: { stateDim: number; actionDim: number }, S: Mat, A: Mat): number {
  if (S.cols !== model.stateDim) throw new ShapeError(`${what}: states have ${S.cols} columns, expected ${model.stateDim}`);
  if (A.cols !== model.actionDim) throw new ShapeError(`${what}: actions have ${A.cols} columns, expected ${model.actionDim}`);
  if (S.rows !== A.rows) throw new ShapeError(`${what}: ${S.rows} states but ${A.rows} actions`);
  return S.rows;
}

/** Checks every transition of a data set against a model's dimensions before fitting; returns its size. */
export function checkDataset(what: string, model: { stateDim: number; actionDim: number }, D: Dataset): number {
  const n = datasetSize(D);
  for (let i = 0; i < n; i++) {
    if (D.states[i].length !== model.stateDim || D.nextStates[i].length !== model.stateDim || D.actions[i].length !== model.actionDim) {
      throw new ShapeError(
        `${what}: transition ${i} has state/action/next-state lengths ${D.states[i].length}/${D.actions[i].length}/` +
          `${D.nextStates[i].length}, expected ${model.stateDim}/${model.actionDim}/${model.stateDim}`,
      );
    }
  }
  return n;
}

/** `predict` for models that only implement the batched call: a batch of one. */
export function predictOne(model: DynamicsModel, s: VecLike, a: VecLike, rng?: Rng): Float64Array {
  checkLength(`${model.name}.predict: state`, s, model.stateDim);
  checkLength(`${model.name}.predict: action`, a, model.actionDim);
  checkFinite(`${model.name}.predict: state`, s);
  checkFinite(`${model.name}.predict: action`, a);
  const S = mat(1, model.stateDim, Float64Array.from(s));
  const A = mat(1, model.actionDim, Float64Array.from(a));
  return model.predictBatch(S, A, rng).data.slice();
}

// ---------------------------------------------------------------------------------------------
// Open-loop rollouts
// ---------------------------------------------------------------------------------------------

/**
 * Rolls the model forward open loop from s0 through `actions` (H actions): returns the H + 1 states
 * s0, s1, ..., sH. Errors compound: each prediction is fed the previous prediction, never the truth.
 */
export function rollout(model: DynamicsModel, s0: VecLike, actions: readonly VecLike[], rng?: Rng): number[][] {
  checkLength("rollout: s0", s0, model.stateDim);
  const out: number[][] = [Array.from(s0)];
  let s: VecLike = s0;
  for (const a of actions) {
    const next = model.predict(s, a, rng);
    out.push(Array.from(next));
    s = next;
  }
  return out;
}

/**
 * Batched open-loop rollout: N start states (N x stateDim) and one N x actionDim action Mat per
 * time step. Returns H + 1 Mats of states (the first is S0). One `predictBatch` call per step.
 */
export function rolloutBatch(model: DynamicsModel, S0: Mat, actionsPerStep: readonly Mat[], rng?: Rng): Mat[] {
  const out: Mat[] = [S0];
  let S = S0;
  for (let t = 0; t < actionsPerStep.length; t++) {
    checkBatch(`rolloutBatch step ${t}`, model, S, actionsPerStep[t]);
    S = model.predictBatch(S, actionsPerStep[t], rng);
    out.push(S);
  }
  return out;
}
