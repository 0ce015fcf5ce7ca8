/**
 * Running a policy on a real (simulated) system and recording what happened: the "run pi, collect
 * D = {(s, a, s')}" step every model-based algorithm starts with. Transitions are recorded on the
 * system's RAW state (env.getState()), the state the models and the oracle work on.
 */
import { checkInt } from "../core";
import { type StatePolicy, runEpisode } from "../envs/episode";
import type { ContinuousEnv } from "../envs/types";

// Running an episode is the systems' job (lib/envs/episode.ts); re-exported under the names the
// MBRL versions and notebooks use.
export { type Episode, type StatePolicy, runEpisode, randomStatePolicy as randomPolicy } from "../envs/episode";

/** Mean of a list of numbers. */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Returns of `episodes` evaluation episodes of `policy`, from start states seeded seedBase, seedBase + 1, ...
 * (no data is kept: evaluation does not feed the learner).
 */
export function evaluatePolicy(env: ContinuousEnv, policy: StatePolicy, episodes: number, seedBase: number): number[] {
  checkInt("evaluatePolicy: episodes", episodes);
  return Array.from({ length: episodes }, (_, i) => runEpisode(env, policy, { seed: seedBase + i }).return);
}
