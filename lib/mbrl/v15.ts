/**
 * Model-based RL version 1.5 (lecture 004; Nagabandi et al. in lecture 003): replan at every step.
 *
 *   1. run base policy pi_0(a|s) (e.g. random) to collect D = {(s, a, s')_i}
 *   2. learn a dynamics model f(s, a) minimising sum_i ||f(s_i, a_i) - s'_i||^2
 *   3. plan through f(s, a) to choose actions
 *   4. execute the first planned action, observe the resulting state s' (MPC)
 *   5. append (s, a, s') to D
 *   repeat 3-5 every step; every N steps go back to 2 (refit on the grown D)
 *
 * Replanning closes the loop: a model error that pushes the system off the plan is seen at the next
 * step and corrected, so each plan can be imperfect and short.
 */
import { type Rng, makeRng, freshSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type Dataset, type DynamicsModel, type RewardFunction, addTransition, concatDatasets, datasetSize } from "../models/types";
import { type CemConfig, cemPlanner } from "../planners/cem";
import { MpcController } from "../planners/mpc";
import type { PlanProblem, Planner } from "../planners/problem";
import { type StatePolicy, randomPolicy, runEpisode } from "./collect";

export interface V15Config {
  env: ContinuousEnv;
  model: DynamicsModel;
  reward: RewardFunction;
  /** Episodes of the base policy (step 1). */
  baseEpisodes: number;
  basePolicy?: StatePolicy;
  /** MPC episodes collected after step 1 (real episodes in all: baseEpisodes + mpcEpisodes). */
  mpcEpisodes: number;
  /** Planning horizon H. */
  horizon: number;
  /** CEM settings (used unless `makePlanner` is given). */
  cem: CemConfig;
  /** Any other planner for the MPC (random shooting, gradient shooting...). */
  makePlanner?: (problem: PlanProblem) => Planner;
  /** Refit the model every N real steps (default: at the end of each episode, N = env.maxSteps). */
  refitEvery?: number;
  /** Replan every this many steps (default 1). */
  replanEvery?: number;
  /** Discount inside the planner (default 1). */
  gamma?: number;
  seed: number;
  /** Called after each MPC episode. */
  onEpisode?: (e: { episode: number; return: number; transitions: number }) => void;
}

export interface V15Result {
  /** Return of each MPC episode while learning, with the transitions in D after it. */
  curve: { episode: number; return: number; transitions: number }[];
  data: Dataset;
  /** The MPC controller with the final model (use it to evaluate). */
  controller: MpcController;
  /** Real episodes used: base + MPC. */
  realEpisodes: number;
  /** Transitions of the base policy's episodes: data's first baseTransitions rows; the MPC's follow. */
  baseTransitions: number;
}

/** An MPC controller over `model` with the given planner settings. */
export function makeMpc(
  env: ContinuousEnv,
  model: DynamicsModel,
  reward: RewardFunction,
  horizon: number,
  cem: CemConfig,
  opts: { makePlanner?: (p: PlanProblem) => Planner; replanEvery?: number; gamma?: number } = {},
): MpcController {
  const problem: PlanProblem = {
    model,
    reward,
    horizon,
    actionLow: env.actionSpace.low,
    actionHigh: env.actionSpace.high,
    gamma: opts.gamma,
  };
  const planner = opts.makePlanner ? opts.makePlanner(problem) : cemPlanner(problem, cem);
  return new MpcController(planner, { replanEvery: opts.replanEvery ?? 1 });
}

/** The controller as a policy for `runEpisode` (it keeps its own plan between calls). */
export function mpcPolicy(controller: MpcController, rng: Rng): StatePolicy {
  return (s, t) => {
    if (t === 0) controller.reset();
    return controller.act(s, rng);
  };
}

export async function mbrlV15(cfg: V15Config): Promise<V15Result> {
  const { env } = cfg;
  const rng = makeRng(cfg.seed);
  const refitEvery = cfg.refitEvery ?? env.maxSteps;
  // 1. run the base policy to collect D
  const pi0 = cfg.basePolicy ?? randomPolicy(env, rng);
  const data = concatDatasets(...Array.from({ length: cfg.baseEpisodes }, () => runEpisode(env, pi0, { seed: freshSeed(rng) }).data));
  // 2. learn the dynamics model
  const baseTransitions = datasetSize(data);
  await cfg.model.fit(data);
  const controller = makeMpc(env, cfg.model, cfg.reward, cfg.horizon, cfg.cem, cfg);
  const curve: V15Result["curve"] = [];
  let sinceRefit = 0;
  for (let ep = 0; ep < cfg.mpcEpisodes; ep++) {
    env.reset(freshSeed(rng));
    controller.reset();
    let s = env.getState();
    let ret = 0;
    for (let t = 0; t < env.maxSteps; t++) {
      // 3. plan through f and 4. execute the first planned action (MPC)
      const res = env.step(controller.act(s, rng));
      const s2 = env.getState();
      // 5. append (s, a, s') to D
      addTransition(data, s, res.info.action as number[], res.reward, s2);
      ret += res.reward;
      s = s2;
      // every N steps: back to 2, refit on the grown dataset
      if (++sinceRefit >= refitEvery) {
        await cfg.model.fit(data);
        sinceRefit = 0;
      }
      if (res.terminated || res.truncated) break;
    }
    const point = { episode: cfg.baseEpisodes + ep + 1, return: ret, transitions: datasetSize(data) };
    curve.push(point);
    cfg.onEpisode?.(point);
  }
  return { curve, data, controller, realEpisodes: cfg.baseEpisodes + cfg.mpcEpisodes, baseTransitions };
}
