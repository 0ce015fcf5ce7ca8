/**
 * Random shooting (lectures 000, 004): sample N action sequences uniformly in the action box,
 * predict the return of each through the model, keep the best. Crude, but with MPC replanning every
 * step "even random sampling can often work well" (lecture 004).
 */
import { type Rng, checkInt } from "../core";
import type { VecLike } from "../linalg/mat";
import { type Plan, type PlanProblem, type Planner, checkProblem, evaluateSequences, makeSequences, sequenceRows } from "./problem";

export interface RandomShootingConfig {
  /** Number of candidate sequences N. */
  numCandidates: number;
}

/** The best of `numCandidates` uniformly random action sequences. */
export function randomShooting(p: PlanProblem, s0: VecLike, cfg: RandomShootingConfig, rng: Rng): Plan {
  const { H, da } = checkProblem(p);
  const n = checkInt("randomShooting: numCandidates", cfg.numCandidates);
  const seqs = makeSequences(n, H, da);
  for (let i = 0; i < seqs.data.length; i++) {
    const k = i % da;
    seqs.data[i] = rng.uniform(p.actionLow[k], p.actionHigh[k]);
  }
  const { returns } = evaluateSequences(p, s0, seqs, rng);
  let best = 0;
  for (let i = 1; i < n; i++) if (returns[i] > returns[best]) best = i;
  return { actions: sequenceRows(seqs, best), predictedReturn: returns[best] };
}

/** Random shooting as a `Planner` for MPC. */
export function randomShootingPlanner(p: PlanProblem, cfg: RandomShootingConfig): Planner {
  return (s0, rng) => randomShooting(p, s0, cfg, rng);
}
