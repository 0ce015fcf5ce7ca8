/**
 * Short model rollouts branched from real states (lecture 000, "Model-Based Rollout"; Janner et al.
 * 2019, MBPO), with the two ensemble safeguards of the lecture:
 *  - a random ensemble member for every simulated transition, so no single member's error is followed
 *    for a whole rollout;
 *  - the disagreement d(s, a) = max_{i,j} || mu_i(s, a) - mu_j(s, a) || between the members' predicted
 *    means; when d > alpha the reward becomes -kappa (penalty), and/or the branch stops (termination).
 * With termination and the penalty together, the uncertain transition is stored as terminal with
 * reward -kappa (an absorbing "halt", as in MOReL); with termination alone it is dropped.
 *
 * Batches are flat row-major Float64Arrays (n rows).
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import { disagreement } from "../models/uncertainty";
import type { TransitionBatch } from "./buffer";

// The disagreement measure lives with the other uncertainty measures in lib/models; re-exported for old imports.
export { disagreement };

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

export interface RolloutOptions {
  /** Rollout length k (model steps per branch). */
  horizon: number;
  /** Replace the reward by -kappa where d(s, a) > alpha. */
  penalty?: { kappa: number; alpha: number } | null;
  /** Stop a branch where d(s, a) > alpha. */
  terminateAbove?: number | null;
}

export interface RolloutStats {
  /** Simulated transitions produced. */
  transitions: number;
  /** Mean disagreement over all simulated steps taken. */
  meanDisagreement: number;
  /** Transitions whose reward was replaced by -kappa. */
  penalised: number;
  /** Branches stopped by the disagreement threshold. */
  terminated: number;
}

/**
 * k-step rollouts of `policy` in the model, one branch per row of `starts` (real states). Every step
 * of every branch picks its own random member: rng.int(members), drawn row by row.
 */
export function branchedRollouts(
  starts: Float64Array,
  nStarts: number,
  policy: BatchPolicy,
  model: MemberEnsemble,
  reward: BatchReward,
  opts: RolloutOptions,
  rng: Rng,
): { batch: TransitionBatch; stats: RolloutStats } {
  const horizon = checkInt("branchedRollouts: horizon", opts.horizon);
  const ds = model.stateDim;
  const da = model.actionDim;
  if (starts.length !== nStarts * ds) {
    throw new ShapeError(`branchedRollouts: starts has ${starts.length} numbers, expected ${nStarts} x ${ds}`);
  }
  const penalty = opts.penalty ?? null;
  if (penalty) {
    checkNumber("branchedRollouts: penalty.kappa", penalty.kappa, 0);
    checkNumber("branchedRollouts: penalty.alpha", penalty.alpha, 0);
  }
  const stopAbove = opts.terminateAbove ?? null;
  if (stopAbove !== null) checkNumber("branchedRollouts: terminateAbove", stopAbove, 0);
  if (model.members < 1) throw new ValueError("branchedRollouts: the ensemble has no members");

  const out = { S: [] as number[], A: [] as number[], R: [] as number[], S2: [] as number[], D: [] as number[] };
  const stats: RolloutStats = { transitions: 0, meanDisagreement: 0, penalised: 0, terminated: 0 };
  let dSum = 0;
  let dCount = 0;
  let S = starts.slice();
  let n = nStarts;
  for (let t = 0; t < horizon && n > 0; t++) {
    const A = policy(S, n);
    if (A.length !== n * da) throw new ShapeError(`branchedRollouts: policy gave ${A.length} numbers, expected ${n} x ${da}`);
    const { samples, means } = model.sampleMembers(S, A, n, rng);
    const d = disagreement(means, n, ds);
    // A random member per transition.
    const S2 = new Float64Array(n * ds);
    for (let r = 0; r < n; r++) {
      const m = rng.int(model.members);
      S2.set(samples[m].subarray(r * ds, (r + 1) * ds), r * ds);
    }
    const R = reward(S, A, S2, n);
    const keep: number[] = [];
    for (let r = 0; r < n; r++) {
      dSum += d[r];
      dCount++;
      const uncertain = d[r] > (penalty ? penalty.alpha : Infinity);
      const stop = stopAbove !== null && d[r] > stopAbove;
      let rew = R[r];
      if (uncertain) {
        rew = -penalty!.kappa;
        stats.penalised++;
      }
      if (stop) stats.terminated++;
      if (stop && !uncertain) continue; // dropped: the model is not trusted here
      for (let c = 0; c < ds; c++) out.S.push(S[r * ds + c]);
      for (let c = 0; c < da; c++) out.A.push(A[r * da + c]);
      for (let c = 0; c < ds; c++) out.S2.push(S2[r * ds + c]);
      out.R.push(rew);
      out.D.push(stop ? 1 : 0);
      if (!stop) keep.push(r);
    }
    const next = new Float64Array(keep.length * ds);
    keep.forEach((r, k) => next.set(S2.subarray(r * ds, (r + 1) * ds), k * ds));
    S = next;
    n = keep.length;
  }
  stats.transitions = out.R.length;
  stats.meanDisagreement = dCount > 0 ? dSum / dCount : 0;
  return {
    batch: {
      n: out.R.length,
      states: Float64Array.from(out.S),
      actions: Float64Array.from(out.A),
      rewards: Float64Array.from(out.R),
      nextStates: Float64Array.from(out.S2),
      dones: Float64Array.from(out.D),
    },
    stats,
  };
}
