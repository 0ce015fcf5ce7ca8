/**
 * A replay buffer of transitions (s, a, r, s', done) in flat Float64Arrays, used twice by the Dyna
 * loop: once for real experience, once (smaller, first in first out) for simulated model rollouts.
 * When full, the oldest transitions are overwritten.
 */
import { type Rng, ShapeError, checkInt } from "../core";

export interface ReplayBuffer {
  readonly capacity: number;
  readonly stateDim: number;
  readonly actionDim: number;
  states: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  nextStates: Float64Array;
  /** 1 where the transition ended the episode inside the task (no bootstrapping from s'). */
  dones: Float64Array;
  /** Number of transitions stored (at most capacity). */
  size: number;
  /** Where the next transition goes. */
  head: number;
}

/** A batch drawn from a buffer: row-major flat arrays of `n` rows. */
export interface TransitionBatch {
  n: number;
  states: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  nextStates: Float64Array;
  dones: Float64Array;
}

export function makeReplayBuffer(capacity: number, stateDim: number, actionDim: number): ReplayBuffer {
  checkInt("makeReplayBuffer: capacity", capacity);
  checkInt("makeReplayBuffer: stateDim", stateDim);
  checkInt("makeReplayBuffer: actionDim", actionDim);
  return {
    capacity,
    stateDim,
    actionDim,
    states: new Float64Array(capacity * stateDim),
    actions: new Float64Array(capacity * actionDim),
    rewards: new Float64Array(capacity),
    nextStates: new Float64Array(capacity * stateDim),
    dones: new Float64Array(capacity),
    size: 0,
    head: 0,
  };
}

/** Stores one transition. */
export function pushTransition(
  buf: ReplayBuffer,
  s: ArrayLike<number>,
  a: ArrayLike<number>,
  r: number,
  s2: ArrayLike<number>,
  done: boolean,
): void {
  const { stateDim: ds, actionDim: da } = buf;
  if (s.length !== ds || s2.length !== ds || a.length !== da) {
    throw new ShapeError(
      `replay buffer: expected states of length ${ds} and actions of length ${da}, ` + `got ${s.length}, ${s2.length} and ${a.length}`,
    );
  }
  const i = buf.head;
  for (let j = 0; j < ds; j++) {
    buf.states[i * ds + j] = s[j];
    buf.nextStates[i * ds + j] = s2[j];
  }
  for (let j = 0; j < da; j++) buf.actions[i * da + j] = a[j];
  buf.rewards[i] = r;
  buf.dones[i] = done ? 1 : 0;
  buf.head = (i + 1) % buf.capacity;
  buf.size = Math.min(buf.size + 1, buf.capacity);
}

/** Stores every row of a batch. */
export function pushBatch(buf: ReplayBuffer, b: TransitionBatch): void {
  const { stateDim: ds, actionDim: da } = buf;
  for (let k = 0; k < b.n; k++) {
    pushTransition(
      buf,
      b.states.subarray(k * ds, (k + 1) * ds),
      b.actions.subarray(k * da, (k + 1) * da),
      b.rewards[k],
      b.nextStates.subarray(k * ds, (k + 1) * ds),
      b.dones[k] === 1,
    );
  }
}

/** The transitions at the given indices (copied). */
export function gatherBatch(buf: ReplayBuffer, idx: ArrayLike<number>): TransitionBatch {
  const { stateDim: ds, actionDim: da } = buf;
  const n = idx.length;
  const out: TransitionBatch = {
    n,
    states: new Float64Array(n * ds),
    actions: new Float64Array(n * da),
    rewards: new Float64Array(n),
    nextStates: new Float64Array(n * ds),
    dones: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    if (!(i >= 0 && i < buf.size)) throw new ShapeError(`replay buffer: index ${i} outside [0, ${buf.size})`);
    out.states.set(buf.states.subarray(i * ds, (i + 1) * ds), k * ds);
    out.nextStates.set(buf.nextStates.subarray(i * ds, (i + 1) * ds), k * ds);
    out.actions.set(buf.actions.subarray(i * da, (i + 1) * da), k * da);
    out.rewards[k] = buf.rewards[i];
    out.dones[k] = buf.dones[i];
  }
  return out;
}

/** n transitions drawn uniformly with replacement. */
export function sampleBatch(buf: ReplayBuffer, n: number, rng: Rng): TransitionBatch {
  if (buf.size === 0) throw new ShapeError("replay buffer: cannot sample from an empty buffer");
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) idx[k] = rng.int(buf.size);
  return gatherBatch(buf, idx);
}

/** Row-wise concatenation of two batches (real and simulated data in one policy-update batch). */
export function concatBatches(a: TransitionBatch, b: TransitionBatch): TransitionBatch {
  const cat = (x: Float64Array, y: Float64Array) => {
    const o = new Float64Array(x.length + y.length);
    o.set(x);
    o.set(y, x.length);
    return o;
  };
  return {
    n: a.n + b.n,
    states: cat(a.states, b.states),
    actions: cat(a.actions, b.actions),
    rewards: cat(a.rewards, b.rewards),
    nextStates: cat(a.nextStates, b.nextStates),
    dones: cat(a.dones, b.dones),
  };
}
