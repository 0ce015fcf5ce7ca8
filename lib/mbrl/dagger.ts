/**
 * Distilling an MPC controller into a policy with DAgger (lecture 003, e.g. Nagabandi et al.'s
 * model-based initialisation; Ross et al. 2011). MPC is good but expensive at run time; a network
 * policy is cheap. Cloning MPC's own trajectories alone fails under distribution shift (the policy's
 * small mistakes take it to states MPC never visited), so DAgger labels the states the POLICY visits:
 *
 *   1. run the expert (MPC) to collect states, and label them with its actions
 *   2. train pi_theta(s) on all labelled pairs (supervised regression)
 *   3. run pi_theta, and label every state it visits with the expert's action a* = MPC(s)
 *   4. aggregate the new pairs with the old; go to 2
 */
import { type Rng, ShapeError, makeRng, freshSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type StatePolicy, runEpisode } from "./collect";
import type { VecLike } from "../linalg/mat";

/**
 * What DAgger trains: anything that regresses onto labelled actions and then acts (a NeuralPolicy, or
 * the actor of a model-free learner that will be fine-tuned afterwards, as in MBMF).
 */
export interface Imitator {
  /** Supervised epochs on (state, target action) pairs; returns the loss of each epoch. */
  fitActions(states: readonly VecLike[], targets: readonly VecLike[], epochs: number, batchSize: number, rng: Rng): number[];
  /** The imitator as a policy on raw states (deterministic). */
  asStatePolicy(): StatePolicy;
}
import { checkInterrupt } from "../core/interrupt";

/** An expert that labels any state with an action; a planner is one (`plannerExpert` in this file). */
export type Expert = (state: number[], rng: Rng) => number[];

export interface DaggerConfig {
  env: ContinuousEnv;
  expert: Expert;
  policy: Imitator;
  /**
   * Expert-labelled states that exist already (for example the MPC episodes of a model-based phase):
   * step 1 then uses them instead of running the expert, so it costs no real steps.
   */
  demonstrations?: { states: readonly number[][]; actions: readonly number[][] };
  /** Rounds of steps 2-4. */
  iterations: number;
  /** Episodes per round (default 1). */
  episodesPerIteration?: number;
  /** Episode length cap (default the env's). */
  maxSteps?: number;
  /** Supervised epochs per round (default 50). */
  epochs?: number;
  batchSize?: number;
  seed: number;
  onIteration?: (r: DaggerRound) => void;
}

export interface DaggerRound {
  iteration: number;
  /** Return of the policy's own episodes in this round (before retraining). */
  policyReturn: number;
  /** Labelled pairs so far. */
  labels: number;
  /** Final regression loss of the round. */
  loss: number;
}

export async function dagger(cfg: DaggerConfig): Promise<{ rounds: DaggerRound[]; states: number[][]; actions: number[][] }> {
  const { env, expert, policy } = cfg;
  const rng = makeRng(cfg.seed);
  const perIter = cfg.episodesPerIteration ?? 1;
  const epochs = cfg.epochs ?? 50;
  const bs = cfg.batchSize ?? 64;
  const states: number[][] = [];
  const actions: number[][] = [];
  // 1. run the expert and label its own states (or take its demonstrations as they are)
  const demos = cfg.demonstrations;
  if (demos) {
    if (demos.states.length !== demos.actions.length || demos.states.length === 0)
      throw new ShapeError(
        `dagger: demonstrations need as many actions as states, at least one (got ${demos.states.length} states, ${demos.actions.length} actions)`,
      );
    demos.states.forEach((s, i) => {
      states.push(s.slice());
      actions.push(demos.actions[i].slice());
    });
  }
  for (let e = 0; e < (demos ? 0 : perIter); e++) {
    const expertPolicy: StatePolicy = (s) => {
      const a = expert(s, rng);
      states.push(s.slice());
      actions.push(a.slice());
      return a;
    };
    runEpisode(env, expertPolicy, { seed: freshSeed(rng), maxSteps: cfg.maxSteps });
  }
  const rounds: DaggerRound[] = [];
  for (let it = 0; it < cfg.iterations; it++) {
    checkInterrupt();
    // 2. train the policy on all labelled pairs
    const losses = policy.fitActions(states, actions, epochs, bs, rng);
    // 3. run the policy; label each state it visits with the expert's action
    let ret = 0;
    for (let e = 0; e < perIter; e++) {
      const ep = runEpisode(env, policy.asStatePolicy(), { seed: freshSeed(rng), maxSteps: cfg.maxSteps });
      ret += ep.return / perIter;
      // 4. aggregate
      for (const s of ep.states.slice(0, -1)) {
        states.push(s);
        actions.push(expert(s, rng));
      }
    }
    const round = { iteration: it, policyReturn: ret, labels: states.length, loss: losses[losses.length - 1] };
    rounds.push(round);
    cfg.onIteration?.(round);
    await new Promise((r) => setImmediate(r));
  }
  // A last fit on everything gathered.
  policy.fitActions(states, actions, epochs, bs, rng);
  return { rounds, states, actions };
}

/** An MPC-style expert for DAgger: plans from scratch at each queried state (no warm start across unrelated states). */
export function plannerExpert(plan: (s: number[], rng: Rng) => { actions: number[][] }): Expert {
  return (s, rng) => plan(s, rng).actions[0].slice();
}
