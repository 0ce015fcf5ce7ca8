/** Reference solution of exercise branched-rollouts (notebook 07): short model rollouts with the disagreement penalty. */
import { makeRng } from "../../lib/core";

export interface SimTransition {
  s: number[];
  a: number[];
  r: number;
  s2: number[];
  member: number;
  d: number;
}

export function branchedRolloutsWithPenalty(
  starts: number[][],
  horizon: number,
  K: number[][],
  members: number[][][],
  kappa: number,
  alpha: number,
  seed: number,
): SimTransition[] {
  // BEGIN SOLUTION
  const rng = makeRng(seed);
  const matvec = (M: number[][], x: number[]) => M.map((row) => row.reduce((sum, m, j) => sum + m * x[j], 0));
  const dist = (x: number[], y: number[]) => Math.sqrt(x.reduce((sum, v, j) => sum + (v - y[j]) ** 2, 0));
  const out: SimTransition[] = [];
  let states = starts.map((s) => s.slice());
  for (let t = 0; t < horizon; t++) {
    const nextStates: number[][] = [];
    for (const s of states) {
      const a = matvec(K, s);
      const preds = members.map((M) => matvec(M, [...s, ...a]));
      let d = 0;
      for (let i = 0; i < preds.length; i++) for (let j = i + 1; j < preds.length; j++) d = Math.max(d, dist(preds[i], preds[j]));
      const member = rng.int(members.length);
      const s2 = preds[member];
      const cost = s.reduce((sum, v) => sum + v * v, 0) + 0.1 * a.reduce((sum, v) => sum + v * v, 0);
      out.push({ s, a, r: d > alpha ? -kappa : -cost, s2, member, d });
      nextStates.push(s2);
    }
    states = nextStates;
  }
  return out;
  // END SOLUTION
}
