import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

function randomMeans(rng: Rng, B: number, n: number, D: number): number[][][] {
  return Array.from({ length: B }, () => Array.from({ length: n }, () => Array.from({ length: D }, () => rng.normal(0, 1.5))));
}

/** The loop over pairs of members shared by two mutants; `step` folds each pair's distance v into acc. */
const overPairs = (step: string, finish: string) => `return means[0].map((_, i) => {
  let acc = 0;
  let pairs = 0;
  for (let a = 0; a < means.length; a++) for (let b = a + 1; b < means.length; b++) {
    let s = 0;
    for (let k = 0; k < means[a][i].length; k++) s += (means[a][i][k] - means[b][i][k]) ** 2;
    pairs++;
    ${step}
  }
  return ${finish};
});`;

/** Hidden test of notebook 04: d(x) = max_{i,j} |mu_i(x) - mu_j(x)| over the members of an ensemble. */
export default defineExercise({
  notebook: "04-uncertainty",
  id: "ensemble-disagreement",
  entry: "ensembleDisagreement",
  cases: (rng) => [
    { args: [[[[0, 0]], [[3, 4]]]], label: "two members 3-4-5 apart" },
    { args: [[[[0]], [[1]], [[-2]]]], label: "three members on a line: the farthest pair" },
    {
      args: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      label: "a single member",
    },
    { args: [[[[2, 2, 2]], [[2, 2, 2]]]], label: "identical members" },
    {
      args: [
        [
          [[0], [5]],
          [[1], [5]],
          [[0.5], [-5]],
        ],
      ],
      label: "two inputs, different spreads",
    },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: [randomMeans(rng, 2 + (k % 4), 3 + k, 1 + (k % 3))],
      label: `random ensemble ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    { name: "squared distance (no square root)", body: overPairs("acc = Math.max(acc, s);", "acc") },
    { name: "mean over pairs instead of the largest", body: overPairs("acc += Math.sqrt(s);", "pairs > 0 ? acc / pairs : 0") },
    {
      name: "only the first output dimension",
      body: `return means[0].map((_, i) => {\n  let best = 0;\n  for (const a of means) for (const b of means) best = Math.max(best, Math.abs(a[i][0] - b[i][0]));\n  return best;\n});`,
    },
    {
      name: "distance to member 0 only",
      body: `return means[0].map((m0, i) => {\n  let best = 0;\n  for (const a of means) best = Math.max(best, Math.sqrt(a[i].reduce((s, v, k) => s + (v - m0[k]) ** 2, 0)));\n  return best;\n});`,
    },
    {
      name: "standard deviation of the means",
      body: `return means[0].map((_, i) => {\n  const B = means.length;\n  let s = 0;\n  for (let k = 0; k < means[0][i].length; k++) {\n    const mu = means.reduce((a, m) => a + m[i][k], 0) / B;\n    s += means.reduce((a, m) => a + (m[i][k] - mu) ** 2, 0) / B;\n  }\n  return Math.sqrt(s);\n});`,
    },
    {
      name: "L1 distance",
      body: `return means[0].map((_, i) => {\n  let best = 0;\n  for (const a of means) for (const b of means) best = Math.max(best, a[i].reduce((s, v, k) => s + Math.abs(v - b[i][k]), 0));\n  return best;\n});`,
    },
  ],
});
