import { defineExercise } from "../../../../lib/grader/spec";

/**
 * Hidden test of notebook 05: the optimistic (UCB-style) score over ensemble members,
 * mean_b J_b + beta std_b J_b with J_b the mean return of member b's particles.
 */
const GROUP =
  "return returns.map((row, n) => {\n  const sums = new Map<number, { total: number; count: number }>();\n" +
  "  row.forEach((r, p) => { const e = sums.get(members[n][p]) ?? { total: 0, count: 0 }; e.total += r; e.count += 1; sums.set(members[n][p], e); });\n" +
  "  const J = [...sums.values()].map((e) => e.total / e.count);\n  const mean = J.reduce((a, b) => a + b, 0) / J.length;\n" +
  "  const sd = Math.sqrt(J.reduce((a, b) => a + (b - mean) ** 2, 0) / J.length);\n";

export default defineExercise({
  notebook: "05-pets",
  id: "optimistic-score",
  entry: "optimisticScore",
  cases: (rng) => [
    { args: [[[0, 10, 0, 10]], [[0, 0, 0, 0]], 1], label: "one member whose particles disagree: no bonus for aleatoric spread" },
    { args: [[[1, 1, 1, 5]], [[0, 0, 0, 1]], 1], label: "unequal particle counts: each member counts once" },
    { args: [[[1, 3, 6, 6]], [[0, 0, 1, 1]], 1.5], label: "two members, beta 1.5" },
    { args: [[[1, 3, 6, 6]], [[0, 0, 1, 1]], 0], label: "beta 0: the mean over members" },
    {
      args: [
        [
          [2, 2],
          [0, 4],
        ],
        [
          [0, 1],
          [0, 1],
        ],
        1,
      ],
      label: "two candidates",
    },
    ...Array.from({ length: 6 }, (_, k) => {
      const N = 1 + k,
        P = 5 + 3 * k,
        B = 2 + (k % 4);
      return {
        args: [
          Array.from({ length: N }, () => Array.from({ length: P }, () => Math.round(rng.normal(0, 3) * 100) / 100)),
          Array.from({ length: N }, () => Array.from({ length: P }, () => rng.int(B))),
          [1, 0.5, 2][k % 3],
        ],
        label: `random candidates ${k + 1}`,
      };
    }),
  ],
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "bonus from the spread of all particles (aleatoric noise counted as disagreement)",
      body:
        GROUP +
        "  const pm = row.reduce((a, b) => a + b, 0) / row.length;\n  const psd = Math.sqrt(row.reduce((a, b) => a + (b - pm) ** 2, 0) / row.length);\n  return mean + beta * psd + 0 * sd;\n});",
    },
    {
      name: "weights members by their number of particles (particle mean instead of the mean over members)",
      body: GROUP + "  const pm = row.reduce((a, b) => a + b, 0) / row.length;\n  return pm + beta * sd + 0 * mean;\n});",
    },
    {
      name: "pessimism: subtracts the disagreement instead of adding it",
      body: GROUP + "  return mean - beta * sd;\n});",
    },
  ],
});
