import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 09: E[1 - exp(-|x - z|^2 / (2 w^2))] for x ~ N(m, diag(v)). */
export default defineExercise({
  notebook: "09-pilco",
  id: "expected-saturating-cost",
  entry: "expectedSaturatingCost",
  cases: (rng) => [
    { args: [[0], [0], [0], 1], label: "certain and at the target: 0" },
    { args: [[3], [0], [0], 0.5], label: "certain and far away: nearly 1" },
    { args: [[0, 0], [0.5, 0.5], [0, 0], 0.25], label: "uncertain at the target" },
    { args: [[1, -1], [0.1, 2], [0.5, 0], 1], label: "two dimensions" },
    ...Array.from({ length: 6 }, (_, k) => {
      const d = 1 + (k % 4);
      return {
        args: [
          Array.from({ length: d }, () => rng.normal()),
          Array.from({ length: d }, () => rng.uniform(0, 1.5)),
          Array.from({ length: d }, () => rng.normal(0, 0.5)),
          rng.uniform(0.2, 1.5),
        ],
        label: `random state distribution ${k + 1} (${d} dimensions)`,
      };
    }),
  ],
  compare: { rtol: 1e-7, atol: 1e-10 },
  mutants: [
    {
      name: "cost of the mean (ignores the variance)",
      body: "let q = 0;\nfor (let d = 0; d < m.length; d++) q += (m[d] - target[d]) ** 2;\nreturn 1 - Math.exp(-q / (2 * width * width));",
    },
    {
      name: "widens the exponent but forgets the determinant factor",
      body: "let q = 0;\nfor (let d = 0; d < m.length; d++) q += (m[d] - target[d]) ** 2 / (width * width + v[d]);\nreturn 1 - Math.exp(-0.5 * q);",
    },
    {
      name: "returns the expected reward exp(...) instead of the cost",
      body: "const w2 = width * width;\nlet e = 1;\nfor (let d = 0; d < m.length; d++) { const s = w2 + v[d]; e *= Math.sqrt(w2 / s) * Math.exp(-0.5 * (m[d] - target[d]) ** 2 / s); }\nreturn e;",
    },
  ],
});
