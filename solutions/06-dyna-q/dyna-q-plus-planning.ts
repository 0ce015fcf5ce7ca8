/** Reference solution of exercise dyna-q-plus-planning (notebook 06): Dyna-Q+ planning with the exploration bonus. */
import { makeRng } from "../../lib/core";

export interface DynaPlusTable {
  observedStates: number[];
  actionsTaken: number[][];
  reward: number[][];
  next: number[][];
  done: boolean[][];
  lastTried: number[][];
}

export function dynaQPlusPlanning(
  Q: number[][],
  model: DynaPlusTable,
  now: number,
  n: number,
  alpha: number,
  gamma: number,
  kappa: number,
  seed: number,
): number[][] {
  // BEGIN SOLUTION
  const q = Q.map((row) => row.slice());
  const rng = makeRng(seed);
  const states = model.observedStates;
  for (let k = 0; k < n && states.length > 0; k++) {
    const s = states[rng.int(states.length)];
    // Dyna-Q+ plans with every action of a visited state, tried or not.
    const a = rng.int(q[s].length);
    const tried = model.actionsTaken[s].includes(a);
    // An untried action is modelled as "stay in s with reward 0".
    const next = tried ? model.next[s][a] : s;
    const done = tried ? model.done[s][a] : false;
    // The bonus grows with the real steps since (s, a) was last tried (never tried: since step 0).
    const reward = (tried ? model.reward[s][a] : 0) + kappa * Math.sqrt(now - model.lastTried[s][a]);
    const target = reward + (done ? 0 : gamma * Math.max(...q[next]));
    q[s][a] += alpha * (target - q[s][a]);
  }
  return q;
  // END SOLUTION
}
