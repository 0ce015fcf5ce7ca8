/** Reference solution of exercise dyna-q-planning (notebook 06): n Dyna-Q planning updates on a tabular model. */
import { makeRng } from "../../lib/core";

export interface DynaModelTable {
  observedStates: number[];
  actionsTaken: number[][];
  reward: number[][];
  next: number[][];
  done: boolean[][];
}

export function dynaQPlanning(Q: number[][], model: DynaModelTable, n: number, alpha: number, gamma: number, seed: number): number[][] {
  // BEGIN SOLUTION
  const q = Q.map((row) => row.slice());
  const rng = makeRng(seed);
  const states = model.observedStates;
  for (let k = 0; k < n && states.length > 0; k++) {
    const s = states[rng.int(states.length)];
    const tried = model.actionsTaken[s];
    const a = tried[rng.int(tried.length)];
    const next = model.next[s][a];
    const target = model.reward[s][a] + (model.done[s][a] ? 0 : gamma * Math.max(...q[next]));
    q[s][a] += alpha * (target - q[s][a]);
  }
  return q;
  // END SOLUTION
}
