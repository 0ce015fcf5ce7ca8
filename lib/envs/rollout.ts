/**
 * Helpers around the systems: rollouts (with SVG frames for the animation player), simple policies
 * and a registry by name. (Finite-difference Jacobians of the dynamics: `linearizeTrajectory` in
 * lib/control/ilqr.ts, on any system through `dynamicsFromEnv`.)
 */
import { makeRng, ValueError } from "../core";
import { TwoLinkArm, type ArmOptions } from "./arm";
import { CartPole, type CartPoleOptions } from "./cartpole";
import { ContinuousSystem } from "./common";
import { Hill, type HillOptions } from "./hill";
import { makeBlockingMaze, makeDynaMaze, makeShortcutMaze, Maze } from "./maze";
import { Pendulum, type PendulumOptions } from "./pendulum";
import type { BoxSpace, Env, Policy } from "./types";

export interface Rollout<Obs, Act> {
  /** observations[0] is the reset observation; one more than actions. */
  observations: Obs[];
  actions: Act[];
  rewards: number[];
  /** Raw states (continuous systems; for the maze the state index), one more than actions. */
  states: unknown[];
  /** SVG frames (when asked for), one per state. */
  frames: string[];
  /** Sum of rewards. */
  return: number;
  terminated: boolean;
  truncated: boolean;
}

export interface RolloutOptions {
  /** Maximum number of steps (default: the system's maxSteps, or 1000 when that is infinite). */
  steps?: number;
  /** Seed for reset (default: continue the system's own stream). */
  seed?: number;
  /** Render a frame after reset and after every step. Default false. */
  frames?: boolean;
}

/**
 * Runs one episode of `policy` on `env` and records it. For notebook 00's tour:
 *   const { frames } = rollout(new Pendulum({ start: "down" }), randomPolicy(pendulum.actionSpace, 0), { frames: true });
 * then hand `frames` to the animation player of lib/viz.
 */
export function rollout<Obs, Act, State>(
  env: Env<Obs, Act, State>,
  policy: Policy<Obs, Act>,
  options: RolloutOptions = {},
): Rollout<Obs, Act> {
  const steps = options.steps ?? (Number.isFinite(env.maxSteps) ? env.maxSteps : 1000);
  let obs = env.reset(options.seed);
  const out: Rollout<Obs, Act> = {
    observations: [obs],
    actions: [],
    rewards: [],
    states: [env.getState()],
    frames: options.frames ? [env.render()] : [],
    return: 0,
    terminated: false,
    truncated: false,
  };
  for (let t = 0; t < steps; t++) {
    const a = policy(obs, t);
    const r = env.step(a);
    obs = r.observation;
    out.actions.push(a);
    out.rewards.push(r.reward);
    out.observations.push(obs);
    out.states.push(env.getState());
    if (options.frames) out.frames.push(env.render());
    out.return += r.reward;
    if (r.terminated || r.truncated) {
      out.terminated = r.terminated;
      out.truncated = r.truncated;
      break;
    }
  }
  return out;
}

/** A seeded policy drawing each action uniformly from a box action space. */
export function randomPolicy(space: BoxSpace, seed: number): Policy<unknown, number[]> {
  const rng = makeRng(seed);
  return () => space.low.map((lo, j) => rng.uniform(lo, space.high[j]));
}

/** A seeded uniformly random policy over a discrete action space of n actions. */
export function randomDiscretePolicy(n: number, seed: number): Policy<unknown, number> {
  const rng = makeRng(seed);
  return () => rng.int(n);
}

/** The names `makeEnv` knows. */
export const ENV_NAMES = ["pendulum", "cartpole", "arm", "hill", "dynamaze", "blockingmaze", "shortcutmaze"] as const;
export type EnvName = (typeof ENV_NAMES)[number];

/** Creates a system by name (options are passed to its constructor). */
export function makeEnv(name: "pendulum", options?: PendulumOptions): Pendulum;
export function makeEnv(name: "cartpole", options?: CartPoleOptions): CartPole;
export function makeEnv(name: "arm", options?: ArmOptions): TwoLinkArm;
export function makeEnv(name: "hill", options?: HillOptions): Hill;
export function makeEnv(name: "dynamaze" | "blockingmaze" | "shortcutmaze"): Maze;
export function makeEnv(name: EnvName, options?: object): ContinuousSystem | Maze;
export function makeEnv(name: EnvName, options: object = {}): ContinuousSystem | Maze {
  switch (name) {
    case "pendulum":
      return new Pendulum(options);
    case "cartpole":
      return new CartPole(options);
    case "arm":
      return new TwoLinkArm(options);
    case "hill":
      return new Hill(options);
    case "dynamaze":
      return makeDynaMaze();
    case "blockingmaze":
      return makeBlockingMaze();
    case "shortcutmaze":
      return makeShortcutMaze();
    default:
      throw new ValueError(`makeEnv: unknown system "${String(name)}"; known: ${ENV_NAMES.join(", ")}`);
  }
}
