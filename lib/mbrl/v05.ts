/**
 * Model-based RL version 0.5 (lecture 004):
 *
 *   1. run base policy pi_0(a|s) (e.g. random) to collect D = {(s, a, s')_i}
 *   2. learn a dynamics model f(s, a) minimising sum_i ||f(s_i, a_i) - s'_i||^2
 *   3. plan through f(s, a) to choose actions
 *
 * Here step 3 plans the WHOLE episode open loop from the start state and then executes that plan on
 * the real system. It works when the model is right where the plan goes; when the plan leaves the
 * region the base policy explored (p_pi_f(s) != p_pi_0(s): distribution shift), the model may be
 * confidently wrong there, and the plan scores far worse in reality than the model predicted.
 */
import { makeRng, freshSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type Dataset, type DynamicsModel, type RewardFunction, concatDatasets, rollout } from "../models/types";
import { type CemConfig, cemPlan } from "../planners/cem";
import { type PlanProblem, expandPlan, withActionRepeat } from "../planners/problem";
import { type StatePolicy, randomPolicy, runEpisode } from "./collect";

export interface V05Config {
  env: ContinuousEnv;
  model: DynamicsModel;
  /** The reward the planner maximises (the env's own, or a learned reward model). */
  reward: RewardFunction;
  /** Episodes of the base policy in step 1. */
  baseEpisodes: number;
  /** The base policy pi_0 (default: uniform random actions). */
  basePolicy?: StatePolicy;
  /** The planner's settings (its horizon is the episode length). */
  cem: CemConfig;
  /** Hold each planned action for this many steps (fewer dimensions for CEM; default 1). */
  actionRepeat?: number;
  /** Seed of the start state the plan is made and executed from. */
  evalSeed: number;
  seed: number;
}

/** What one open-loop plan predicted and what it really did. */
export interface OpenLoopOutcome {
  /** Return of the plan according to the model. */
  predicted: number;
  /** Return of the same actions executed on the real system. */
  real: number;
  actions: number[][];
  /** The model's state sequence for the plan, and the real one. */
  predictedStates: number[][];
  realStates: number[][];
  /** The executed transitions (what version 1.0 appends to D). */
  executed: Dataset;
}

/** Plans a whole episode open loop through `model` from the env's start state for `seed`, then executes it. */
export function planAndExecuteOpenLoop(
  env: ContinuousEnv,
  model: DynamicsModel,
  reward: RewardFunction,
  cem: CemConfig,
  seed: number,
  rngSeed: number,
  actionRepeat = 1,
): OpenLoopOutcome {
  env.reset(seed);
  const s0 = env.getState();
  const problem: PlanProblem = {
    model,
    reward,
    horizon: env.maxSteps,
    actionLow: env.actionSpace.low,
    actionHigh: env.actionSpace.high,
  };
  const macro = cemPlan(withActionRepeat(problem, actionRepeat), s0, cem, makeRng(rngSeed));
  const actions = expandPlan(macro.actions, actionRepeat);
  const predictedStates = rollout(model, s0, actions);
  const real = runEpisode(env, (_s, t) => actions[t], { seed });
  return {
    predicted: macro.predictedReturn,
    real: real.return,
    actions,
    predictedStates,
    realStates: real.states,
    executed: real.data,
  };
}

export interface V05Result extends OpenLoopOutcome {
  data: Dataset;
}

export async function mbrlV05(cfg: V05Config): Promise<V05Result> {
  const rng = makeRng(cfg.seed);
  // 1. run the base policy to collect D
  const pi0 = cfg.basePolicy ?? randomPolicy(cfg.env, rng);
  const episodes = Array.from({ length: cfg.baseEpisodes }, () => runEpisode(cfg.env, pi0, { seed: freshSeed(rng) }));
  const data = concatDatasets(...episodes.map((e) => e.data));
  // 2. learn the dynamics model on D
  await cfg.model.fit(data);
  // 3. plan through the model, then (to see how it went) execute the plan open loop
  const outcome = planAndExecuteOpenLoop(cfg.env, cfg.model, cfg.reward, cfg.cem, cfg.evalSeed, freshSeed(rng), cfg.actionRepeat);
  return { ...outcome, data };
}
