/** Reference solution of exercise ts1-propagation (notebook 05): TS1 trajectory sampling through a linear-Gaussian ensemble. */
import { makeRng } from "../../lib/core";

/** One ensemble member: s' = A [s; a] + c + std * xi, xi ~ N(0, I) (std per state dimension). */
export interface GaussianMember {
  A: number[][];
  c: number[];
  std: number[];
}

export function ts1Propagate(
  s0: number[],
  actions: number[][],
  members: GaussianMember[],
  particles: number,
  seed: number,
): { states: number[][][]; members: number[][] } {
  // BEGIN SOLUTION
  const rng = makeRng(seed);
  const states: number[][][] = Array.from({ length: particles }, () => [s0.slice()]);
  const used: number[][] = [];
  for (const a of actions) {
    const row: number[] = [];
    for (let p = 0; p < particles; p++) {
      const b = rng.int(members.length);
      const m = members[b];
      const s = states[p][states[p].length - 1];
      const x = [...s, ...a];
      const next = m.A.map((Ai, j) => Ai.reduce((sum, v, k) => sum + v * x[k], 0) + m.c[j] + m.std[j] * rng.normal());
      states[p].push(next);
      row.push(b);
    }
    used.push(row);
  }
  return { states, members: used };
  // END SOLUTION
}
