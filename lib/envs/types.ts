/**
 * The one interface every simulated system of the course implements.
 *
 * An episode: `reset(seed?)` gives the first observation; `step(action)` gives the next observation,
 * the reward, whether the episode ended inside the task (`terminated`, e.g. the maze goal) or was
 * cut by the time limit (`truncated`), and an info record. `render(state?)` draws one SVG frame.
 *
 * Continuous systems also expose their true model as pure functions, so planners can use it as an
 * oracle and notebooks can compare a learned model with the truth:
 *  - batched `dynamics(states, actions, out?)` and `reward(states, actions, nextStates, out?)` over
 *    many rows at once. BATCH LAYOUT: a batch is ONE flat Float64Array, row-major, n rows of
 *    `stateDim` (or `actionDim`) numbers; row i of states is states[i*stateDim .. (i+1)*stateDim).
 *    Nothing is allocated per row; pass `out` to reuse a buffer across calls. `toFlat(rows)` and
 *    `toRows(flat, cols)` (lib/envs/batch.ts) convert from and to number[][].
 *  - `nextState(state, action)` for one row (plain arrays), the same numbers as `step`.
 *  - `dynamicsTf` / `rewardTf`: the same model in tfjs ops (differentiable), where the course
 *    backpropagates through the true dynamics (all four continuous systems have it).
 * States are the raw physical state (`stateSpace`); observations may differ (the pendulum observes
 * [cos theta, sin theta, thetadot]; the cart-pole may add measurement noise). `observe(state)` maps one
 * to the other without noise.
 *
 * Actions: out-of-bound actions are CLIPPED to the action space in `step`, `nextState`, `dynamics` and
 * `dynamicsTf` alike (in tfjs the gradient is zero beyond the bound); `info.clipped` says when `step`
 * clipped. NaN, infinite or wrong-length actions throw a ShapeError/ValueError naming the system.
 */
import type { tf } from "../core";

/** A box of real vectors: per-dimension bounds (may be +-Infinity), names and units. */
export interface BoxSpace {
  readonly kind: "box";
  readonly dim: number;
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly names: readonly string[];
  readonly units: readonly string[];
}

/** A finite set {0, ..., n-1} with a name for each element. */
export interface DiscreteSpace {
  readonly kind: "discrete";
  readonly n: number;
  readonly names: readonly string[];
}

export type Space = BoxSpace | DiscreteSpace;

/** What `step` returns. */
export interface StepResult<Obs> {
  observation: Obs;
  reward: number;
  /** The episode ended inside the task (maze goal reached). Never true for the continuous systems. */
  terminated: boolean;
  /** The episode hit its time limit (`maxSteps`). */
  truncated: boolean;
  info: StepInfo;
}

export interface StepInfo {
  /** Steps taken in this episode so far (1 after the first step). */
  t: number;
  /** The action actually applied (after clipping); a copy. */
  action?: number[];
  /** Whether the action given was outside the bounds and got clipped. */
  clipped?: boolean;
  /** The raw state after the step (a copy), when it differs from the observation. */
  state?: number[];
  /** Anything else a system wants to report (cost, height, the maze's switch). */
  [key: string]: unknown;
}

/** Common to every system. `Obs` and `Act` are number[] for continuous systems, number for the maze. */
export interface Env<Obs, Act, State> {
  /** A short identifier: "pendulum", "cartpole", "arm", "hill", "dynamaze", "blockingmaze", "shortcutmaze". */
  readonly name: string;
  /** Bumped whenever the system's numbers change (datasets record it). */
  readonly version: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Control period in seconds (1 for the maze). */
  readonly dt: number;
  /** Episode length: `truncated` becomes true at this many steps (Infinity: never). */
  readonly maxSteps: number;
  /**
   * Starts an episode and returns its first observation. With a seed, the generator is re-seeded
   * (same seed, same episode); without, the system's own seeded stream continues.
   */
  reset(seed?: number): Obs;
  step(action: Act): StepResult<Obs>;
  /** One SVG frame (a complete <svg> string) of `state`, or of the current state when omitted. */
  render(state?: State): string;
  /** A copy of the current raw state. */
  getState(): State;
  /** Steps taken in the current episode. */
  readonly t: number;
}

/** A continuous-state, continuous-action system with a known model. */
export interface ContinuousEnv extends Env<number[], number[], number[]> {
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  /** The raw physical state (what `dynamics` maps). */
  readonly stateSpace: BoxSpace;
  /** Sets the raw state (a copy is kept) without resetting the episode clock; returns its observation. */
  setState(state: readonly number[]): number[];
  /** The noise-free observation of a raw state. */
  observe(state: readonly number[]): number[];
  /** One transition of the true model, plain arrays; equals what `step` does. */
  nextState(state: readonly number[], action: readonly number[]): number[];
  /**
   * Batched true dynamics: flat row-major states (n x stateDim) and actions (n x actionDim) to next
   * states (n x stateDim), written into `out` when given (it may not alias `states`).
   */
  dynamics(states: Float64Array, actions: Float64Array, out?: Float64Array): Float64Array;
  /** Batched reward of each transition (n entries); `-cost` for the systems defined by a cost. */
  reward(states: Float64Array, actions: Float64Array, nextStates: Float64Array, out?: Float64Array): Float64Array;
  /** Differentiable dynamics in tfjs ops: [n, stateDim], [n, actionDim] -> [n, stateDim]. */
  dynamicsTf?(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D;
  /** Differentiable reward: -> [n]. */
  rewardTf?(states: tf.Tensor2D, actions: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor1D;
  /** Total mechanical energy of a state (for the conservation tests), where it is defined. */
  energy?(state: readonly number[]): number;
}

/** What a tabular transition gives (the maze is deterministic). */
export interface TabularTransition {
  next: number;
  reward: number;
  terminated: boolean;
}

/** A finite MDP with integer states and actions (the mazes). */
export interface TabularEnv extends Env<number, number, number> {
  readonly observationSpace: DiscreteSpace;
  readonly actionSpace: DiscreteSpace;
  readonly nStates: number;
  readonly nActions: number;
  /** The true one-step model from state s under action a (the maze's current layout). */
  transition(s: number, a: number): TabularTransition;
}

/** A policy for rollouts: observation (and step index) to action. */
export type Policy<Obs, Act> = (observation: Obs, t: number) => Act;
