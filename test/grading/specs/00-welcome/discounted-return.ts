import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 00's warm-up: G = sum_k gamma^k r_k. */
export default defineExercise({
  notebook: "00-welcome",
  id: "discounted-return",
  entry: "discountedReturn",
  cases: (rng) => [
    { args: [[], 0.9], label: "empty list" },
    { args: [[5], 0.5], label: "one reward" },
    { args: [[1, 1, 1], 0.5], label: "three ones, gamma 0.5" },
    { args: [[0, 0, 10], 0.9], label: "reward only at the end" },
    { args: [[3, -1, 2], 1], label: "gamma 1 is the plain sum" },
    { args: [[2, 7, -4], 0], label: "gamma 0 keeps the first reward" },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: [Array.from({ length: 5 + 7 * k }, () => Math.round(rng.normal(0, 2) * 100) / 100), 0.8 + 0.03 * k],
      label: `random episode ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "discount starts at gamma instead of 1 (off by one)",
      body: "let g = 0;\nfor (let k = 0; k < rewards.length; k++) g += Math.pow(gamma, k + 1) * rewards[k];\nreturn g;",
    },
    {
      name: "discounts from the wrong end",
      body: "let g = 0;\nfor (let k = 0; k < rewards.length; k++) g = rewards[k] + gamma * g;\nreturn g;",
    },
    {
      name: "forgets the discount",
      body: "return rewards.reduce((a, b) => a + b, 0);",
    },
    {
      name: "drops the last reward",
      body: "let g = 0;\nfor (let k = rewards.length - 2; k >= 0; k--) g = rewards[k] + gamma * g;\nreturn g;",
    },
  ],
});
