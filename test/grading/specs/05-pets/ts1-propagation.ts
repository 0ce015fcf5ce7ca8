import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A random linear-Gaussian ensemble: a shared stable map plus member-specific perturbations. */
function randomCase(rng: Rng, ds: number, da: number, B: number, H: number, P: number) {
  const base = Array.from({ length: ds }, (_, i) =>
    Array.from({ length: ds + da }, (_, j) => (i === j ? 0.95 : round(rng.normal(0, 0.2)))),
  );
  const spread = rng.uniform(0.02, 0.3);
  const members = Array.from({ length: B }, () => ({
    A: base.map((row) => row.map((v) => round(v + rng.normal(0, spread)))),
    c: Array.from({ length: ds }, () => round(rng.normal(0, 0.1))),
    std: Array.from({ length: ds }, () => round(rng.uniform(0, 0.2))),
  }));
  const s0 = Array.from({ length: ds }, () => round(rng.normal()));
  const actions = Array.from({ length: H }, () => Array.from({ length: da }, () => round(rng.uniform(-1, 1))));
  return [s0, actions, members, P, rng.int(10000)];
}

// The reference body with one statement swapped, for the mutants.
const ref = (opts: { member?: string; noise?: string; before?: string }) =>
  "const rng = makeRng(seed);\n" +
  "const states: number[][][] = Array.from({ length: particles }, () => [s0.slice()]);\n" +
  "const used: number[][] = [];\n" +
  (opts.before ?? "") +
  "for (const a of actions) {\n  const row: number[] = [];\n" +
  "  for (let p = 0; p < particles; p++) {\n" +
  `    const b = ${opts.member ?? "rng.int(members.length)"};\n` +
  "    const m = members[b];\n    const s = states[p][states[p].length - 1];\n    const x = [...s, ...a];\n" +
  `    const next = m.A.map((Ai, j) => Ai.reduce((sum, v, k) => sum + v * x[k], 0) + m.c[j] + ${opts.noise ?? "m.std[j] * rng.normal()"});\n` +
  "    states[p].push(next);\n    row.push(b);\n  }\n  used.push(row);\n}\nreturn { states, members: used };";

/** Hidden test of notebook 05: TS1 propagation (a fresh random member per particle per step, then its Gaussian). */
export default defineExercise({
  notebook: "05-pets",
  id: "ts1-propagation",
  entry: "ts1Propagate",
  cases: (rng) => {
    const two = [
      { A: [[1, 0.5]], c: [0], std: [0] },
      { A: [[1, 0.5]], c: [1], std: [0] },
    ];
    const cases = [
      { args: [[0], [[1]], two, 1, 0], label: "one particle, one step, noiseless members" },
      {
        args: [[0], [[1], [0], [-1]], two, 4, 1],
        label:
          "noiseless members over 3 steps: a fresh member for every particle at every step (TS1; keeping one member per particle for the whole path is TSinf)",
      },
      { args: [[0.5], [[0.2], [0.2]], [{ A: [[0.9, 1]], c: [0], std: [0.5] }], 3, 2], label: "one noisy member: aleatoric spread only" },
    ];
    for (let k = 0; k < 6; k++)
      cases.push({ args: randomCase(rng, 1 + (k % 3), 1 + (k % 2), 2 + (k % 4), 2 + k, 2 + 2 * k), label: `random ensemble ${k + 1}` });
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "TSinf: one member per particle for the whole trajectory",
      body: ref({ before: "const fixed = Array.from({ length: particles }, () => rng.int(members.length));\n", member: "fixed[p]" }),
    },
    { name: "no aleatoric noise (the member's mean only)", body: ref({ noise: "0" }) },
    { name: "one member per step shared by all particles", body: ref({ member: "p === 0 ? rng.int(members.length) : row[0]" }) },
    { name: "variance used as the standard deviation", body: ref({ noise: "m.std[j] ** 2 * rng.normal()" }) },
    { name: "always member 0", body: ref({ member: "(rng.int(members.length), 0)" }) },
  ],
});
