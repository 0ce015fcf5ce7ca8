import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

function randomCase(rng: Rng, dz: number, da: number, n: number, H: number, gamma: number) {
  const A = Array.from({ length: dz }, (_, i) => Array.from({ length: dz }, (_, j) => (i === j ? 1 : 0) + 0.2 * rng.normal()));
  const B = Array.from({ length: dz }, () => Array.from({ length: da }, () => 0.5 * rng.normal()));
  const seqs = Array.from({ length: n }, () => Array.from({ length: H }, () => Array.from({ length: da }, () => rng.uniform(-2, 2))));
  const z0 = Array.from({ length: dz }, () => rng.normal());
  const goal = Array.from({ length: dz }, () => rng.normal());
  return [z0, seqs, A, B, goal, rng.uniform(0, 0.1), gamma];
}

const fns =
  "const step = (z, a) => A.map((row, i) => row.reduce((s, v, q) => s + v * z[q], 0) + B[i].reduce((s, v, l) => s + v * a[l], 0));\n" +
  "const r = (z, a) => -z.reduce((s, v, i) => s + (v - zGoal[i]) ** 2, 0) - actionCost * a.reduce((s, v) => s + v * v, 0);\n";

/** Hidden test of notebook 12: scoring CEM's candidates through the latent model. */
export default defineExercise({
  notebook: "12-latent-models",
  id: "latent-returns",
  entry: "latentReturns",
  cases: (rng) => [
    { args: [[0], [[[1]], [[-1]]], [[1]], [[1]], [0], 0, 1], label: "one step: the reward is of z0, where the action is taken" },
    {
      args: [
        [0],
        [
          [[1], [1]],
          [[0], [0]],
        ],
        [[1]],
        [[1]],
        [1],
        0,
        1,
      ],
      label: "two steps, no discount",
    },
    { args: [[0], [[[1], [1], [1]]], [[1]], [[1]], [3], 0.1, 0.5], label: "discounted, with an action cost" },
    {
      args: [
        [1, 0],
        [
          [[0.5], [0.5]],
          [[-0.5], [0.5]],
          [[0], [0]],
        ],
        [
          [0, -1],
          [1, 0],
        ],
        [[0], [1]],
        [0, 1],
        0.01,
        0.9,
      ],
      label: "a rotation, three candidates",
    },
    ...Array.from({ length: 6 }, (_, c) => ({
      args: randomCase(rng, 2 + (c % 3), 1 + (c % 2), 3 + c, 2 + c, [1, 0.95, 0.8][c % 3]),
      label: `random ${c + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "scores the latent after the action (z_{t+1}) instead of where it is taken",
      body:
        fns +
        "return sequences.map((seq) => {\n  let z = z0.slice(), ret = 0, d = 1;\n  for (const a of seq) { z = step(z, a); ret += d * r(z, a); d *= gamma; }\n  return ret;\n});",
    },
    {
      name: "discounts the first reward too (gamma^(t+1))",
      body:
        fns +
        "return sequences.map((seq) => {\n  let z = z0.slice(), ret = 0, d = gamma;\n  for (const a of seq) { ret += d * r(z, a); d *= gamma; z = step(z, a); }\n  return ret;\n});",
    },
    {
      name: "the rollout is not restarted from z0 for each candidate",
      body:
        fns +
        "let z = z0.slice();\nreturn sequences.map((seq) => {\n  let ret = 0, d = 1;\n  for (const a of seq) { ret += d * r(z, a); d *= gamma; z = step(z, a); }\n  return ret;\n});",
    },
  ],
});
