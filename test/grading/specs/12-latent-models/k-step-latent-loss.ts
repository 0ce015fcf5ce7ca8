import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

const matrix = (rng: Rng, n: number, m: number, diag = 0) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? diag : 0) + 0.3 * rng.normal()));

function randomCase(rng: Rng, dz: number, da: number, k: number, rho: number) {
  const z0 = Array.from({ length: dz }, () => rng.normal());
  const actions = Array.from({ length: k }, () => Array.from({ length: da }, () => rng.uniform(-2, 2)));
  const targets = Array.from({ length: k }, () => Array.from({ length: dz }, () => rng.normal()));
  return [z0, actions, targets, matrix(rng, dz, dz, 1), matrix(rng, dz, da), rho];
}

const step =
  "const step = (z, a) => A.map((row, i) => row.reduce((s, v, q) => s + v * z[q], 0) + B[i].reduce((s, v, l) => s + v * a[l], 0));\n";
const se = "const se = (z, t) => z.reduce((s, v, i) => s + (v - t[i]) ** 2, 0);\n";

/** Hidden test of notebook 12: the open-loop k-step latent prediction loss. */
export default defineExercise({
  notebook: "12-latent-models",
  id: "k-step-latent-loss",
  entry: "kStepLatentLoss",
  cases: (rng) => [
    { args: [[1], [[1]], [[2]], [[1]], [[1]], 0.5], label: "one step, z1 = z0 + a hits the target" },
    { args: [[1], [[1], [1]], [[2], [2]], [[1]], [[1]], 1], label: "two steps, rho = 1: the second step overshoots" },
    {
      args: [
        [0, 0],
        [[1], [0], [0]],
        [
          [1, 0],
          [1, 0],
          [0, 0],
        ],
        [
          [1, 0],
          [0, 1],
        ],
        [[1], [0]],
        0.5,
      ],
      label: "open loop: a wrong target does not reset the rollout",
    },
    {
      args: [
        [1, -1],
        [[0.5], [-0.5], [1], [0]],
        [
          [1, -1],
          [1, -1],
          [1, -1],
          [1, -1],
        ],
        [
          [0.9, 0.1],
          [-0.1, 0.9],
        ],
        [[0], [1]],
        0.9,
      ],
      label: "rotation-like A, four steps",
    },
    ...Array.from({ length: 6 }, (_, c) => ({
      args: randomCase(rng, 2 + c, 1 + (c % 2), 1 + c, [1, 0.9, 0.5][c % 3]),
      label: `random ${c + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "teacher forcing (one-step loss): each step starts from the previous target",
      body:
        step +
        se +
        "let loss = 0, norm = 0;\nfor (let j = 1; j <= actions.length; j++) {\n  const prev = j === 1 ? z0 : targets[j - 2];\n" +
        "  const w = rho ** (j - 1);\n  loss += w * se(step(prev, actions[j - 1]), targets[j - 1]);\n  norm += w;\n}\nreturn loss / norm;",
    },
    {
      name: "compares the prediction with the target of the step before",
      body:
        step +
        se +
        "let z = z0.slice(), loss = 0, norm = 0;\nfor (let j = 1; j <= actions.length; j++) {\n  z = step(z, actions[j - 1]);\n" +
        "  const w = rho ** (j - 1);\n  loss += w * se(z, j === 1 ? z0 : targets[j - 2]);\n  norm += w;\n}\nreturn loss / norm;",
    },
    {
      name: "not normalised by the sum of the weights",
      body:
        step +
        se +
        "let z = z0.slice(), loss = 0;\nfor (let j = 1; j <= actions.length; j++) {\n  z = step(z, actions[j - 1]);\n  loss += rho ** (j - 1) * se(z, targets[j - 1]);\n}\nreturn loss;",
    },
  ],
});
