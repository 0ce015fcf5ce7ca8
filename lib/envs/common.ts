/**
 * Shared machinery of the continuous systems: spaces, action checks and clipping, the flat batch
 * layout, and a fixed-step RK4 integrator that works on preallocated scratch buffers (no allocation
 * per row, because planners push thousands of rows through `dynamics` per call).
 */
import { makeRng, ShapeError, ValueError, type Rng, tf } from "../core";
import type { BoxSpace, ContinuousEnv, DiscreteSpace, StepResult } from "./types";

/** Builds a box space; `low`/`high` may be numbers (same for all dims) or arrays. */
export function box(
  names: readonly string[],
  low: number | readonly number[],
  high: number | readonly number[],
  units: readonly string[],
): BoxSpace {
  const dim = names.length;
  const lo = typeof low === "number" ? new Array<number>(dim).fill(low) : [...low];
  const hi = typeof high === "number" ? new Array<number>(dim).fill(high) : [...high];
  if (lo.length !== dim || hi.length !== dim || units.length !== dim) {
    throw new ShapeError(`box: names, low, high and units must all have ${dim} entries`);
  }
  return Object.freeze({
    kind: "box",
    dim,
    low: Object.freeze(lo),
    high: Object.freeze(hi),
    names: Object.freeze([...names]),
    units: Object.freeze([...units]),
  });
}

export function discrete(names: readonly string[]): DiscreteSpace {
  return Object.freeze({ kind: "discrete", n: names.length, names: Object.freeze([...names]) });
}

/** Wraps an angle to [-pi, pi). */
export function wrapAngle(theta: number): number {
  const twoPi = 2 * Math.PI;
  return theta - twoPi * Math.floor((theta + Math.PI) / twoPi);
}

/** Flattens rows (number[][]) into the row-major Float64Array batch layout. */
export function toFlat(rows: readonly (readonly number[])[], cols?: number): Float64Array {
  const m = cols ?? (rows.length > 0 ? rows[0].length : 0);
  const out = new Float64Array(rows.length * m);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== m) throw new ShapeError(`toFlat: row ${i} has length ${r.length}, expected ${m}`);
    for (let j = 0; j < m; j++) out[i * m + j] = r[j];
  }
  return out;
}

/** Splits a row-major flat batch into rows of `cols` numbers. */
export function toRows(flat: ArrayLike<number>, cols: number): number[][] {
  if (cols <= 0 || flat.length % cols !== 0) {
    throw new ShapeError(`toRows: ${flat.length} numbers do not make rows of ${cols}`);
  }
  const n = flat.length / cols;
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Array<number>(cols);
    for (let j = 0; j < cols; j++) r[j] = flat[i * cols + j];
    rows[i] = r;
  }
  return rows;
}

/** Number of rows of a flat batch, checking the length divides evenly. */
export function batchRows(system: string, what: string, flat: ArrayLike<number>, cols: number): number {
  if (!(flat instanceof Float64Array) && !Array.isArray(flat)) {
    throw new ShapeError(`${system}: ${what} must be a flat row-major Float64Array (use toFlat(rows))`);
  }
  if (flat.length % cols !== 0) {
    throw new ShapeError(`${system}: ${what} has ${flat.length} numbers, not a whole number of rows of ${cols}`);
  }
  return flat.length / cols;
}

/** Throws unless every entry is finite, naming the system, the row and the column. */
export function checkFiniteBatch(system: string, what: string, flat: ArrayLike<number>, cols: number): void {
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / cols);
      throw new ValueError(`${system}: ${what} row ${row}, entry ${i - row * cols} is ${String(v)}; expected a finite number`);
    }
  }
}

/** Checks one action vector (length, finiteness) and returns a clipped copy and whether it clipped. */
export function checkAction(system: string, action: readonly number[], space: BoxSpace): { action: number[]; clipped: boolean } {
  if (!Array.isArray(action) && !(action instanceof Float64Array)) {
    throw new ShapeError(`${system}: the action must be an array of ${space.dim} number(s), got ${typeof action}`);
  }
  if (action.length !== space.dim) {
    throw new ShapeError(
      `${system}: the action must have ${space.dim} entr${space.dim === 1 ? "y" : "ies"} (${space.names.join(", ")}), got ${action.length}`,
    );
  }
  const out = new Array<number>(space.dim);
  let clipped = false;
  for (let j = 0; j < space.dim; j++) {
    const v = action[j];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ValueError(`${system}: action entry ${j} (${space.names[j]}) is ${String(v)}; expected a finite number`);
    }
    const c = Math.min(space.high[j], Math.max(space.low[j], v));
    if (c !== v) clipped = true;
    out[j] = c;
  }
  return { action: out, clipped };
}

/** Checks one state vector (length, finiteness). */
export function checkState(system: string, state: readonly number[], space: BoxSpace): void {
  if (state == null || state.length !== space.dim) {
    throw new ShapeError(`${system}: a state has ${space.dim} entries (${space.names.join(", ")}), got ${state?.length}`);
  }
  for (let j = 0; j < space.dim; j++) {
    if (typeof state[j] !== "number" || !Number.isFinite(state[j])) {
      throw new ValueError(`${system}: state entry ${j} (${space.names[j]}) is ${String(state[j])}; expected a finite number`);
    }
  }
}

/** Elementwise clip of a [n, d] tensor to per-column bounds (gradient zero outside the bounds). */
export function clipColumnsTf(x: tf.Tensor2D, low: readonly number[], high: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => {
    // One scalar clip when the bounds are the same for every column (all action spaces here).
    if (low.every((v) => v === low[0]) && high.every((v) => v === high[0])) {
      return tf.clipByValue(x, Number.isFinite(low[0]) ? low[0] : -3.4e38, Number.isFinite(high[0]) ? high[0] : 3.4e38);
    }
    const lo = tf.tensor1d(low.map((v) => (Number.isFinite(v) ? v : -3.4e38)));
    const hi = tf.tensor1d(high.map((v) => (Number.isFinite(v) ? v : 3.4e38)));
    return tf.minimum(tf.maximum(x, lo), hi) as tf.Tensor2D;
  });
}

/** The columns of a [n, d] tensor as [n, 1] tensors. */
export function columnsTf(x: tf.Tensor2D): tf.Tensor2D[] {
  if (x.shape[1] === 1) return [x]; // (the gradient of a one-way split fails in tfjs)
  return tf.split(x, x.shape[1], 1) as tf.Tensor2D[];
}

/**
 * Integrates dx/dt = f(x) over `substeps` RK4 steps of size h in tfjs ops, on the state held as a
 * list of [n, 1] column tensors: splitting and concatenating along axis 1 is slow on the wasm
 * backend, so the state is split once on entry and joined once on exit.
 */
export function integrateTf(f: (x: tf.Tensor2D[]) => tf.Tensor2D[], x0: tf.Tensor2D, h: number, substeps: number): tf.Tensor2D {
  return tf.tidy(() => {
    let x = columnsTf(x0);
    const axpy = (a: tf.Tensor2D[], k: tf.Tensor2D[], c: number) => a.map((v, j) => tf.add(v, tf.mul(k[j], c)) as tf.Tensor2D);
    for (let s = 0; s < substeps; s++) {
      const k1 = f(x);
      const k2 = f(axpy(x, k1, h / 2));
      const k3 = f(axpy(x, k2, h / 2));
      const k4 = f(axpy(x, k3, h));
      x = x.map((v, j) => tf.add(v, tf.mul(tf.addN([k1[j], tf.mul(k2[j], 2), tf.mul(k3[j], 2), k4[j]]), h / 6)) as tf.Tensor2D);
    }
    return tf.concat(x, 1) as tf.Tensor2D;
  });
}

/**
 * Base class of the continuous systems. A subclass gives the continuous-time derivative, the number
 * of RK4 sub-steps per control period, the reward of one transition, the start-state distribution
 * and a renderer; this class does the episode bookkeeping, the checks, clipping and batching.
 */
export abstract class ContinuousSystem implements ContinuousEnv {
  abstract readonly name: string;
  abstract readonly version: string;
  abstract readonly stateSpace: BoxSpace;
  abstract readonly observationSpace: BoxSpace;
  abstract readonly actionSpace: BoxSpace;
  abstract readonly dt: number;
  abstract readonly maxSteps: number;
  /** RK4 sub-steps per control period (the internal step is dt / substeps). */
  abstract readonly substeps: number;

  protected rng: Rng;
  protected state: number[] | null = null;
  protected steps = 0;
  // Scratch buffers for the integrator (allocated once per instance).
  private readonly xs: Float64Array;
  private readonly us: Float64Array;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  private readonly k4: Float64Array;
  private readonly tmp: Float64Array;

  constructor(
    protected readonly stateDim: number,
    protected readonly actionDim: number,
    seed: number,
  ) {
    this.rng = makeRng(seed);
    this.xs = new Float64Array(stateDim);
    this.us = new Float64Array(actionDim);
    this.k1 = new Float64Array(stateDim);
    this.k2 = new Float64Array(stateDim);
    this.k3 = new Float64Array(stateDim);
    this.k4 = new Float64Array(stateDim);
    this.tmp = new Float64Array(stateDim);
  }

  /** Continuous-time derivative dx/dt = f(x, u), written into dx. `u` is already clipped. */
  protected abstract deriv(x: Float64Array, u: Float64Array, dx: Float64Array): void;
  /** Reward of the transition (s, a, s2), rows read from flat arrays at the given offsets; `a` is clipped. */
  protected abstract rewardAt(
    s: ArrayLike<number>,
    so: number,
    a: ArrayLike<number>,
    ao: number,
    s2: ArrayLike<number>,
    s2o: number,
  ): number;
  /** A start state drawn from the system's start distribution. */
  protected abstract sampleInitialState(rng: Rng): number[];
  abstract observe(state: readonly number[]): number[];
  dynamicsTf?(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D;
  rewardTf?(states: tf.Tensor2D, actions: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor1D;
  energy?(state: readonly number[]): number;
  abstract render(state?: number[]): string;
  /** Hook applied after integrating one control period (e.g. the pendulum's speed limit). */
  protected afterStep(_x: Float64Array): void {}
  /** Observation noise hook (the cart-pole's optional measurement noise). */
  protected noisyObservation(state: readonly number[]): number[] {
    return this.observe(state);
  }

  get t(): number {
    return this.steps;
  }

  /** Integrates one control period from row `so` of `states` with action row `ao`, into `out` at `oo`. */
  private integrate(states: ArrayLike<number>, so: number, actions: ArrayLike<number>, ao: number, out: Float64Array, oo: number): void {
    const { stateDim, actionDim, xs, us, k1, k2, k3, k4, tmp } = this;
    const low = this.actionSpace.low;
    const high = this.actionSpace.high;
    for (let j = 0; j < actionDim; j++) {
      const v = actions[ao + j];
      us[j] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
    }
    for (let j = 0; j < stateDim; j++) xs[j] = states[so + j];
    const h = this.dt / this.substeps;
    for (let k = 0; k < this.substeps; k++) {
      this.deriv(xs, us, k1);
      for (let j = 0; j < stateDim; j++) tmp[j] = xs[j] + 0.5 * h * k1[j];
      this.deriv(tmp, us, k2);
      for (let j = 0; j < stateDim; j++) tmp[j] = xs[j] + 0.5 * h * k2[j];
      this.deriv(tmp, us, k3);
      for (let j = 0; j < stateDim; j++) tmp[j] = xs[j] + h * k3[j];
      this.deriv(tmp, us, k4);
      for (let j = 0; j < stateDim; j++) xs[j] += (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    this.afterStep(xs);
    for (let j = 0; j < stateDim; j++) out[oo + j] = xs[j];
  }

  nextState(state: readonly number[], action: readonly number[]): number[] {
    checkState(this.name, state, this.stateSpace);
    const { action: a } = checkAction(this.name, action, this.actionSpace);
    const out = new Float64Array(this.stateDim);
    this.integrate(state, 0, a, 0, out, 0);
    return Array.from(out);
  }

  dynamics(states: Float64Array, actions: Float64Array, out?: Float64Array): Float64Array {
    const n = batchRows(this.name, "dynamics: states", states, this.stateDim);
    const m = batchRows(this.name, "dynamics: actions", actions, this.actionDim);
    if (n !== m) throw new ShapeError(`${this.name}: dynamics got ${n} state rows but ${m} action rows`);
    checkFiniteBatch(this.name, "dynamics: actions", actions, this.actionDim);
    const result = out ?? new Float64Array(n * this.stateDim);
    if (result.length !== n * this.stateDim)
      throw new ShapeError(`${this.name}: dynamics: out has length ${result.length}, expected ${n * this.stateDim}`);
    if (result === states) throw new ValueError(`${this.name}: dynamics: out must not be the states array`);
    for (let i = 0; i < n; i++) this.integrate(states, i * this.stateDim, actions, i * this.actionDim, result, i * this.stateDim);
    return result;
  }

  reward(states: Float64Array, actions: Float64Array, nextStates: Float64Array, out?: Float64Array): Float64Array {
    const n = batchRows(this.name, "reward: states", states, this.stateDim);
    const m = batchRows(this.name, "reward: actions", actions, this.actionDim);
    const k = batchRows(this.name, "reward: nextStates", nextStates, this.stateDim);
    if (n !== m || n !== k) throw new ShapeError(`${this.name}: reward got ${n} state, ${m} action and ${k} next-state rows`);
    checkFiniteBatch(this.name, "reward: actions", actions, this.actionDim);
    const result = out ?? new Float64Array(n);
    if (result.length !== n) throw new ShapeError(`${this.name}: reward: out has length ${result.length}, expected ${n}`);
    const a = this.us;
    const { low, high } = this.actionSpace;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < this.actionDim; j++) {
        const v = actions[i * this.actionDim + j];
        a[j] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
      }
      result[i] = this.rewardAt(states, i * this.stateDim, a, 0, nextStates, i * this.stateDim);
    }
    return result;
  }

  reset(seed?: number): number[] {
    if (seed !== undefined) this.rng = makeRng(seed);
    this.state = this.sampleInitialState(this.rng);
    this.steps = 0;
    return this.noisyObservation(this.state);
  }

  step(action: number[]): StepResult<number[]> {
    if (this.state === null) throw new ValueError(`${this.name}: call reset() before step()`);
    if (this.steps >= this.maxSteps) throw new ValueError(`${this.name}: the episode is over (${this.maxSteps} steps); call reset()`);
    const { action: a, clipped } = checkAction(this.name, action, this.actionSpace);
    const s = this.state;
    const out = new Float64Array(this.stateDim);
    this.integrate(s, 0, a, 0, out, 0);
    const next = Array.from(out);
    const reward = this.rewardAt(s, 0, a, 0, next, 0);
    this.state = next;
    this.steps++;
    return {
      observation: this.noisyObservation(next),
      reward,
      terminated: false,
      truncated: this.steps >= this.maxSteps,
      info: { t: this.steps, action: a, clipped, state: next.slice() },
    };
  }

  getState(): number[] {
    if (this.state === null) throw new ValueError(`${this.name}: call reset() first`);
    return this.state.slice();
  }

  setState(state: readonly number[]): number[] {
    checkState(this.name, state, this.stateSpace);
    this.state = [...state];
    return this.observe(this.state);
  }

  /** The state to draw: the given one, else the current one, else the mean start state. */
  protected stateToRender(state?: readonly number[]): number[] {
    if (state) {
      checkState(this.name, state, this.stateSpace);
      return [...state];
    }
    if (this.state) return this.state;
    return this.sampleInitialState(makeRng(0));
  }
}
