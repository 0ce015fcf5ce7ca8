/**
 * The dynamics-model contract and its adapters, in one place.
 *
 * The contract is `DynamicsModel` (types.ts): `stateDim`, `actionDim`, `predict` for one state and
 * `predictBatch` for a Mat of rows; every model of the course implements it. The algorithms look at a
 * model through one of the small views below, each built from a DynamicsModel (or a system of
 * lib/envs) by one function here, and all naming the dimensions `stateDim` / `actionDim`:
 *
 *  - `BatchDynamics`   flat row-major batches, optional Jacobians and action bounds: iLQR and GPS
 *                      (`dynamicsFromModel`, `dynamicsFromEnv`);
 *  - `ParticleDynamics` member by member, for particles: PETS's trajectory sampling (`particleDynamics`);
 *  - `MemberEnsemble`  every member's sample and mean for a flat batch: Dyna's branched rollouts
 *                      (EnsembleDynamicsModel is one);
 *  - `BatchReward`     a reward on flat arrays (`flatReward` from a Mat-based RewardFunction).
 */
import type { Rng } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type Mat, mat } from "../linalg/mat";
import { EnsembleDynamicsModel } from "./ensemble";
import type { DynamicsModel, RewardFunction } from "./types";

// -------------------------------------------------------------------------------------------------
// Batches: iLQR and GPS
// -------------------------------------------------------------------------------------------------

/** Batched dynamics on flat row-major arrays (the layout of lib/envs). */
export interface BatchDynamics {
  readonly stateDim: number;
  readonly actionDim: number;
  /** rows x stateDim states and rows x actionDim actions (flat, row-major) to rows x stateDim next states. */
  dynamics(states: Float64Array, actions: Float64Array): Float64Array;
  /** Optional analytic Jacobians A = df/dx (stateDim x stateDim), B = df/du (stateDim x actionDim). */
  jacobians?(x: Float64Array, u: Float64Array): { A: Mat; B: Mat };
  /** Optional action bounds; rollouts clip actions to them. */
  readonly uLow?: readonly number[];
  readonly uHigh?: readonly number[];
}

/**
 * Wraps a learned DynamicsModel (lib/models) as BatchDynamics, so iLQR can plan through it exactly
 * as through the true system. Each batched call is one `predictBatch`.
 */
export function dynamicsFromModel(
  model: DynamicsModel,
  bounds: { uLow?: readonly number[]; uHigh?: readonly number[] } = {},
): BatchDynamics {
  const n = model.stateDim,
    m = model.actionDim;
  return {
    stateDim: n,
    actionDim: m,
    uLow: bounds.uLow,
    uHigh: bounds.uHigh,
    dynamics(states, actions) {
      const rows = states.length / n;
      const out = model.predictBatch(mat(rows, n, states), mat(rows, m, actions));
      return out.data;
    },
  };
}

/** The true model of a continuous system of lib/envs as BatchDynamics (its batched `dynamics`). */
export function dynamicsFromEnv(env: ContinuousEnv): BatchDynamics {
  return {
    stateDim: env.stateSpace.dim,
    actionDim: env.actionSpace.dim,
    uLow: env.actionSpace.low,
    uHigh: env.actionSpace.high,
    dynamics: (states, actions) => env.dynamics(states, actions),
  };
}

// -------------------------------------------------------------------------------------------------
// Particles: PETS
// -------------------------------------------------------------------------------------------------

/** A dynamics model seen member by member, on flat batches. */
export interface ParticleDynamics {
  readonly stateDim: number;
  readonly actionDim: number;
  /** Members particles may be assigned to (an ensemble's elites; [0] for a single model). */
  readonly memberIds: readonly number[];
  /** Whether members are stochastic (a sample differs from the mean). */
  readonly stochastic: boolean;
  /** Row i through member member[i]: a sample when rng is given (stochastic members), else the mean. */
  step(S: Float64Array, A: Float64Array, member: Int32Array, rng: Rng | null): Float64Array;
  /** The mean over members of their means, row by row. */
  expected(S: Float64Array, A: Float64Array): Float64Array;
}

/**
 * Wraps a model for particle propagation. An EnsembleDynamicsModel exposes its elites; any other
 * DynamicsModel (the oracle, a single MLP) counts as one deterministic member.
 */
export function particleDynamics(model: DynamicsModel): ParticleDynamics {
  const ds = model.stateDim,
    da = model.actionDim;
  if (model instanceof EnsembleDynamicsModel) {
    return {
      stateDim: ds,
      actionDim: da,
      get memberIds() {
        return model.elites;
      },
      stochastic: model.probabilistic,
      step: (S, A, member, rng) => model.stepMembers(S, A, member, rng),
      expected: (S, A) => model.expectedNext(S, A),
    };
  }
  const single = (S: Float64Array, A: Float64Array) => {
    const n = S.length / ds;
    return model.predictBatch(mat(n, ds, S), mat(n, da, A)).data;
  };
  return { stateDim: ds, actionDim: da, memberIds: [0], stochastic: false, step: (S, A) => single(S, A), expected: single };
}

// -------------------------------------------------------------------------------------------------
// Members and flat-array rewards: Dyna
// -------------------------------------------------------------------------------------------------

/**
 * An ensemble seen from the rollouts: every member's prediction for a batch of flat arrays.
 * EnsembleDynamicsModel (lib/models/ensemble.ts) is one.
 */
export interface MemberEnsemble {
  readonly members: number;
  readonly stateDim: number;
  readonly actionDim: number;
  /**
   * For n rows of states S and actions A: per member, a next-state sample (the member's mean for a
   * deterministic member) and the member's mean, each n x stateDim.
   */
  sampleMembers(S: Float64Array, A: Float64Array, n: number, rng: Rng): { samples: Float64Array[]; means: Float64Array[] };
}

/** Batched reward r(s, a, s') of n rows. */
export type BatchReward = (S: Float64Array, A: Float64Array, S2: Float64Array, n: number) => Float64Array;
/** Batched (stochastic) policy: n rows of states to n rows of actions. */
export type BatchPolicy = (S: Float64Array, n: number) => Float64Array;

/** A Mat-based reward (a learned RewardModel, an environment's reward) as a BatchReward on flat arrays. */
export function flatReward(reward: RewardFunction, stateDim: number, actionDim: number): BatchReward {
  return (S, A, S2, n) => reward.batch(mat(n, stateDim, S), mat(n, actionDim, A), mat(n, stateDim, S2));
}
