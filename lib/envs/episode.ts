/**
 * Running a policy on a system and recording what happened: the "run pi, collect D = {(s, a, s')}"
 * step every model-based algorithm starts with. Transitions are recorded on the system's RAW state
 * (env.getState()), the state the models and the oracle work on. (`rollout` in rollout.ts is the
 * notebook tour's version on observations, with frames for the animation player.)
 */
import { type Rng, checkInt } from "../core";
import { type Dataset, addTransition, emptyDataset } from "./dataset";
import type { ContinuousEnv } from "./types";

/** A state-feedback policy on raw states: (state, step index) -> action. */
export type StatePolicy = (state: number[], t: number) => number[];

export interface Episode {
  /** Sum of rewards. */
  return: number;
  /** Visited raw states s_0..s_T (T + 1 rows). */
  states: number[][];
  /** Actions actually applied (after clipping), T rows. */
  actions: number[][];
  rewards: number[];
  /** The episode's transitions. */
  data: Dataset;
}

/**
 * Runs one episode of `policy` from `env.reset(seed)` for at most `maxSteps` (default: the env's
 * episode length). Returns the trajectory and its transitions.
 */
export function runEpisode(env: ContinuousEnv, policy: StatePolicy, opts: { seed?: number; maxSteps?: number } = {}): Episode {
  env.reset(opts.seed);
  const T = Math.min(opts.maxSteps ?? env.maxSteps, env.maxSteps);
  checkInt("runEpisode: maxSteps", T);
  const data = emptyDataset();
  const states = [env.getState()];
  const actions: number[][] = [];
  const rewards: number[] = [];
  let ret = 0;
  for (let t = 0; t < T; t++) {
    const s = states[t];
    const res = env.step(policy(s.slice(), t));
    const a = (res.info.action as number[] | undefined) ?? [];
    const s2 = env.getState();
    addTransition(data, s, a, res.reward, s2);
    states.push(s2);
    actions.push(a);
    rewards.push(res.reward);
    ret += res.reward;
    if (res.terminated || res.truncated) break;
  }
  return { return: ret, states, actions, rewards, data };
}

/** The base policy pi_0 of step 1: actions uniform in the action box (drawn from `rng`). */
export function randomStatePolicy(env: ContinuousEnv, rng: Rng): StatePolicy {
  const { low, high } = env.actionSpace;
  return () => low.map((l, k) => rng.uniform(l, high[k]));
}
