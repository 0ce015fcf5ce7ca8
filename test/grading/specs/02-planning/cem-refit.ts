import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

function randomCase(rng: Rng, K: number, d: number, alpha: number, minStd: number) {
  const elites = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.normal(0.5, 1)));
  const mean = Array.from({ length: d }, () => rng.normal());
  const std = Array.from({ length: d }, () => rng.uniform(0.05, 1.5));
  return [elites, mean, std, alpha, minStd];
}

/** Hidden test of notebook 02: the CEM refit (smoothed mean and variance, floored std). */
export default defineExercise({
  notebook: "02-planning",
  id: "cem-refit",
  entry: "cemRefit",
  cases: (rng) => [
    {
      args: [
        [
          [1, 2],
          [3, 2],
        ],
        [0, 0],
        [1, 1],
        0,
        0,
      ],
      label: "alpha = 0: the elites' mean and (population) std",
    },
    {
      args: [
        [
          [1, 2],
          [3, 2],
        ],
        [0, 0],
        [1, 1],
        0.25,
        0,
      ],
      label: "alpha = 0.25 smooths mean and variance",
    },
    {
      args: [
        [
          [1, 2],
          [3, 2],
        ],
        [5, 5],
        [2, 2],
        1,
        0,
      ],
      label: "alpha = 1 keeps the old distribution",
    },
    {
      args: [
        [
          [1, 1],
          [1, 1],
        ],
        [0, 0],
        [0, 0],
        0,
        0.3,
      ],
      label: "identical elites: the std floor applies",
    },
    { args: [[[0.7, -0.2, 1]], [0, 0, 0], [1, 1, 1], 0.1, 0.05], label: "one elite" },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: randomCase(rng, 2 + 3 * k, 1 + 4 * k, [0, 0.1, 0.5][k % 3], [0, 0.05, 0.3][k % 3]),
      label: `random elites ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "smooths the std instead of the variance",
      body:
        "const K = elites.length;\nconst m = mean.map((_, j) => elites.reduce((a, e) => a + e[j], 0) / K);\n" +
        "const v = mean.map((_, j) => elites.reduce((a, e) => a + (e[j] - m[j]) ** 2, 0) / K);\n" +
        "return { mean: mean.map((mj, j) => alpha * mj + (1 - alpha) * m[j]), std: std.map((sj, j) => Math.max(alpha * sj + (1 - alpha) * Math.sqrt(v[j]), minStd)) };",
    },
    {
      name: "sample variance (divides by K - 1)",
      body:
        "const K = elites.length;\nconst m = mean.map((_, j) => elites.reduce((a, e) => a + e[j], 0) / K);\n" +
        "const v = mean.map((_, j) => (K > 1 ? elites.reduce((a, e) => a + (e[j] - m[j]) ** 2, 0) / (K - 1) : 0));\n" +
        "return { mean: mean.map((mj, j) => alpha * mj + (1 - alpha) * m[j]), std: std.map((sj, j) => Math.max(Math.sqrt(alpha * sj ** 2 + (1 - alpha) * v[j]), minStd)) };",
    },
    {
      name: "alpha weights the elites instead of the old values",
      body:
        "const K = elites.length;\nconst m = mean.map((_, j) => elites.reduce((a, e) => a + e[j], 0) / K);\n" +
        "const v = mean.map((_, j) => elites.reduce((a, e) => a + (e[j] - m[j]) ** 2, 0) / K);\n" +
        "return { mean: mean.map((mj, j) => (1 - alpha) * mj + alpha * m[j]), std: std.map((sj, j) => Math.max(Math.sqrt((1 - alpha) * sj ** 2 + alpha * v[j]), minStd)) };",
    },
    {
      name: "no floor on the std",
      body:
        "const K = elites.length;\nconst m = mean.map((_, j) => elites.reduce((a, e) => a + e[j], 0) / K);\n" +
        "const v = mean.map((_, j) => elites.reduce((a, e) => a + (e[j] - m[j]) ** 2, 0) / K);\n" +
        "return { mean: mean.map((mj, j) => alpha * mj + (1 - alpha) * m[j]), std: std.map((sj, j) => Math.sqrt(alpha * sj ** 2 + (1 - alpha) * v[j])) };",
    },
  ],
});
