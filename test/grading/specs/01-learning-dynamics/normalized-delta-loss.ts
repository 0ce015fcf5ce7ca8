import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

function randomCase(rng: Rng, n: number, d: number) {
  const row = () => Array.from({ length: d }, () => rng.normal(0, 2));
  const states = Array.from({ length: n }, row);
  const nextStates = states.map((s) => s.map((v) => v + rng.normal(0.3, 0.5)));
  const out = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
  const mu = Array.from({ length: d }, () => rng.normal(0, 0.5));
  const sigma = Array.from({ length: d }, () => 0.1 + rng.uniform(0, 2));
  return [out, states, nextStates, mu, sigma];
}

/** Hidden test of notebook 01: the mean squared error of normalised deltas. */
export default defineExercise({
  notebook: "01-learning-dynamics",
  id: "normalized-delta-loss",
  entry: "normalizedDeltaLoss",
  cases: (rng) => [
    { args: [[[0]], [[1]], [[3]], [1], [2]], label: "one row: target (3 - 1 - 1) / 2 = 0.5" },
    { args: [[[0.5, -1]], [[0, 0]], [[1, 1]], [0, 2], [2, 1]], label: "a perfect prediction has zero loss" },
    {
      args: [
        [
          [1, 1],
          [2, 2],
        ],
        [
          [0, 5],
          [1, 1],
        ],
        [
          [0, 5],
          [1, 1],
        ],
        [0, 0],
        [1, 1],
      ],
      label: "no change: loss is the mean of out^2",
    },
    ...Array.from({ length: 6 }, (_, k) => ({ args: randomCase(rng, 3 + 5 * k, 1 + (k % 3)), label: `random batch ${k + 1}` })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "targets are next states, not deltas",
      body: "let sum = 0;\nfor (let i = 0; i < out.length; i++) for (let j = 0; j < mu.length; j++) sum += (out[i][j] - (nextStates[i][j] - mu[j]) / sigma[j]) ** 2;\nreturn sum / (out.length * mu.length);",
    },
    {
      name: "multiplies by sigma instead of dividing",
      body: "let sum = 0;\nfor (let i = 0; i < out.length; i++) for (let j = 0; j < mu.length; j++) sum += (out[i][j] - (nextStates[i][j] - states[i][j] - mu[j]) * sigma[j]) ** 2;\nreturn sum / (out.length * mu.length);",
    },
    {
      name: "forgets the mean",
      body: "let sum = 0;\nfor (let i = 0; i < out.length; i++) for (let j = 0; j < mu.length; j++) sum += (out[i][j] - (nextStates[i][j] - states[i][j]) / sigma[j]) ** 2;\nreturn sum / (out.length * mu.length);",
    },
    {
      name: "averages over rows only",
      body: "let sum = 0;\nfor (let i = 0; i < out.length; i++) for (let j = 0; j < mu.length; j++) sum += (out[i][j] - (nextStates[i][j] - states[i][j] - mu[j]) / sigma[j]) ** 2;\nreturn sum / out.length;",
    },
  ],
});
