/**
 * Model-based RL version 1.0 (lecture 004): fix version 0.5's distribution shift by collecting data
 * where the plans actually go.
 *
 *   1. run base policy pi_0(a|s) (e.g. random) to collect D = {(s, a, s')_i}
 *   2. learn a dynamics model f(s, a) minimising sum_i ||f(s_i, a_i) - s'_i||^2
 *   3. plan through f(s, a) to choose actions
 *   4. execute those actions and add the resulting data {(s, a, s')_j} to D; go to 2
 *
 * Each round the model is corrected exactly where the last plan was wrong, so the predicted and the
 * real return of the plan come together. The plan itself stays open loop (no replanning inside an
 * episode): that is version 1.5's improvement.
 */
import { makeRng, freshSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type Dataset, type DynamicsModel, type RewardFunction, concatDatasets, datasetSize } from "../models/types";
import type { CemConfig } from "../planners/cem";
import { type StatePolicy, randomPolicy, runEpisode } from "./collect";
import { type OpenLoopOutcome, planAndExecuteOpenLoop } from "./v05";

export interface V10Config {
  env: ContinuousEnv;
  model: DynamicsModel;
  reward: RewardFunction;
  baseEpisodes: number;
  basePolicy?: StatePolicy;
  /** Rounds of steps 2-4. */
  iterations: number;
  cem: CemConfig;
  /** Hold each planned action for this many steps (default 1). */
  actionRepeat?: number;
  /** Seed of the start state every round plans from (the same task each round). */
  evalSeed: number;
  seed: number;
  /** Called after each round (progress bars, live plots). */
  onIteration?: (round: V10Round) => void;
}

export interface V10Round extends OpenLoopOutcome {
  iteration: number;
  /** Transitions in D when the model of this round was fitted. */
  transitions: number;
}

export async function mbrlV10(cfg: V10Config): Promise<{ rounds: V10Round[]; data: Dataset }> {
  const rng = makeRng(cfg.seed);
  // 1. run the base policy to collect D
  const pi0 = cfg.basePolicy ?? randomPolicy(cfg.env, rng);
  let data = concatDatasets(...Array.from({ length: cfg.baseEpisodes }, () => runEpisode(cfg.env, pi0, { seed: freshSeed(rng) }).data));
  const rounds: V10Round[] = [];
  for (let it = 0; it < cfg.iterations; it++) {
    // 2. learn the dynamics model on all data so far
    await cfg.model.fit(data);
    // 3. plan through the model (open loop, whole episode) and 4. execute it ...
    const outcome = planAndExecuteOpenLoop(cfg.env, cfg.model, cfg.reward, cfg.cem, cfg.evalSeed, freshSeed(rng), cfg.actionRepeat);
    const round: V10Round = { ...outcome, iteration: it, transitions: datasetSize(data) };
    rounds.push(round);
    cfg.onIteration?.(round);
    // ... and 4. append the executed transitions to D
    data = concatDatasets(data, outcome.executed);
  }
  return { rounds, data };
}
