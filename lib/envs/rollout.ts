/**
 * Helpers around the systems: rollouts (with SVG frames for the animation player), simple policies,
 * a registry by name, and finite-difference linearisation of the true dynamics (for iLQR and GPS).
 */
import { makeRng, ShapeError, ValueError } from "../core";
import { TwoLinkArm, type ArmOptions } from "./arm";
import { CartPole, type CartPoleOptions } from "./cartpole";
import { ContinuousSystem } from "./common";
import { Hill, type HillOptions } from "./hill";
import { makeBlockingMaze, makeDynaMaze, makeShortcutMaze, Maze } from "./maze";
import { Pendulum, type PendulumOptions } from "./pendulum";
import type { BoxSpace, ContinuousEnv, Env, Policy } from "./types";

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
export function rollout<Obs, Act, State>(env: Env<Obs, Act, State>, policy: Policy<Obs, Act>, options: RolloutOptions = {}): Rollout<Obs, Act> {
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

/** Linearisation x' ~ f(x0, u0) + A (x - x0) + B (u - u0) of the discrete-time dynamics at one point. */
export interface Linearization {
  /** f(x0, u0). */
  f: number[];
  /** df/dx, stateDim x stateDim. */
  A: number[][];
  /** df/du, stateDim x actionDim. */
  B: number[][];
}

/**
 * Jacobians of the true discrete-time dynamics (one control period) by central differences, for
 * every (state, action) pair of a trajectory at once: one batched `dynamics` call of
 * T * 2 (nx + nu) rows. Step eps (default 1e-5) is relative to max(1, |value|).
 * Note: near an action bound the clipping makes B one-sided; keep u0 strictly inside the bounds.
 */
export function linearize(env: ContinuousEnv, states: readonly (readonly number[])[], actions: readonly (readonly number[])[], eps = 1e-5): Linearization[] {
  const nx = env.stateSpace.dim, nu = env.actionSpace.dim;
  if (states.length !== actions.length) throw new ShapeError(`linearize: ${states.length} states but ${actions.length} actions`);
  const T = states.length;
  const per = 2 * (nx + nu) + 1;
  const S = new Float64Array(T * per * nx);
  const U = new Float64Array(T * per * nu);
  const steps: number[] = [];
  for (let t = 0; t < T; t++) {
    const x = states[t], u = actions[t];
    if (x.length !== nx) throw new ShapeError(`linearize: state ${t} has length ${x.length}, expected ${nx}`);
    if (u.length !== nu) throw new ShapeError(`linearize: action ${t} has length ${u.length}, expected ${nu}`);
    for (let r = 0; r < per; r++) {
      const row = t * per + r;
      for (let j = 0; j < nx; j++) S[row * nx + j] = x[j];
      for (let j = 0; j < nu; j++) U[row * nu + j] = u[j];
    }
    // Rows: 0 nominal; then (+, -) pairs for each state dim, then each action dim.
    for (let k = 0; k < nx + nu; k++) {
      const v = k < nx ? x[k] : u[k - nx];
      const h = eps * Math.max(1, Math.abs(v));
      steps.push(h);
      const plus = t * per + 1 + 2 * k, minus = plus + 1;
      if (k < nx) {
        S[plus * nx + k] += h;
        S[minus * nx + k] -= h;
      } else {
        U[plus * nu + k - nx] += h;
        U[minus * nu + k - nx] -= h;
      }
    }
  }
  const Y = env.dynamics(S, U);
  const out: Linearization[] = [];
  for (let t = 0; t < T; t++) {
    const base = t * per;
    const fx = Array.from(Y.subarray(base * nx, base * nx + nx));
    const A = Array.from({ length: nx }, () => new Array<number>(nx).fill(0));
    const B = Array.from({ length: nx }, () => new Array<number>(nu).fill(0));
    for (let k = 0; k < nx + nu; k++) {
      const h = steps[t * (nx + nu) + k];
      const plus = base + 1 + 2 * k, minus = plus + 1;
      for (let i = 0; i < nx; i++) {
        const d = (Y[plus * nx + i] - Y[minus * nx + i]) / (2 * h);
        if (k < nx) A[i][k] = d;
        else B[i][k - nx] = d;
      }
    }
    out.push({ f: fx, A, B });
  }
  return out;
}
