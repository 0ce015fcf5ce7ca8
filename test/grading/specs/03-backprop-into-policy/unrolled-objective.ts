import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 03: the unrolled objective J(theta) through the notebook's model and policy. */
export default defineExercise({
  notebook: "03-backprop-into-policy",
  id: "unrolled-objective",
  entry: "unrolledObjective",
  cases: (rng) => [
    { args: [[0, 0, 0], [[0, 0]], 5, 1], label: "upright at rest with zero action: J = 0" },
    { args: [[0, 0, 0], [[Math.PI, 0]], 1, 0.9], label: "H = 1: just the first reward" },
    {
      args: [
        [0, 0, 0],
        [
          [Math.PI, 0],
          [0.5, 1],
        ],
        3,
        0.9,
      ],
      label: "two starts: the mean",
    },
    { args: [[-2, -0.5, 0], [[0.3, -0.2]], 20, 0.99], label: "a stabilising policy near upright" },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: [
        [rng.normal(0, 2), rng.normal(0, 1), rng.normal(0, 0.5)],
        Array.from({ length: 1 + k }, () => [rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)]),
        1 + 7 * k,
        [1, 0.95, 0.9][k % 3],
      ],
      label: `random policy and starts ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "no discount",
      body: "let total = 0;\nfor (const s0 of starts) { let s = s0.slice();\n  for (let t = 0; t < H; t++) { const a = policyAction(theta, s); total += pendulumReward(s, a); s = modelStep(s, a); } }\nreturn total / starts.length;",
    },
    {
      name: "reward at the next state",
      body: "let total = 0;\nfor (const s0 of starts) { let s = s0.slice(); let d = 1;\n  for (let t = 0; t < H; t++) { const a = policyAction(theta, s); s = modelStep(s, a); total += d * pendulumReward(s, a); d *= gamma; } }\nreturn total / starts.length;",
    },
    {
      name: "sums over starts instead of averaging",
      body: "let total = 0;\nfor (const s0 of starts) { let s = s0.slice(); let d = 1;\n  for (let t = 0; t < H; t++) { const a = policyAction(theta, s); total += d * pendulumReward(s, a); s = modelStep(s, a); d *= gamma; } }\nreturn total;",
    },
    {
      name: "discount starts at gamma",
      body: "let total = 0;\nfor (const s0 of starts) { let s = s0.slice(); let d = gamma;\n  for (let t = 0; t < H; t++) { const a = policyAction(theta, s); total += d * pendulumReward(s, a); s = modelStep(s, a); d *= gamma; } }\nreturn total / starts.length;",
    },
  ],
});
