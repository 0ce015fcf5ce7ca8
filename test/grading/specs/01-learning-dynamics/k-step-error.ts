import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

/** A trajectory of a slightly nonlinear system, and a linear model of it that is a bit off. */
function randomCase(rng: Rng, ds: number, da: number, T: number, k: number) {
  const A = Array.from({ length: ds }, (_, r) => Array.from({ length: ds }, (_, c) => (r === c ? 1 : 0) + rng.normal(0, 0.1)));
  const B = Array.from({ length: ds }, () => Array.from({ length: da }, () => rng.normal(0, 0.5)));
  const states = [Array.from({ length: ds }, () => rng.normal())];
  const actions: number[][] = [];
  for (let t = 0; t < T; t++) {
    const a = Array.from({ length: da }, () => rng.uniform(-1, 1));
    const s = states[t];
    states.push(s.map((v, r) => 0.95 * v + 0.1 * Math.sin(s[(r + 1) % ds]) + 0.3 * a[r % da] + rng.normal(0, 0.01)));
    actions.push(a);
  }
  return [A, B, states, actions, k];
}

/** Hidden test of notebook 01: mean squared k-step open-loop prediction error of a linear model. */
export default defineExercise({
  notebook: "01-learning-dynamics",
  id: "k-step-error",
  entry: "kStepError",
  cases: (rng) => [
    { args: [[[1]], [[1]], [[0], [1], [2], [3]], [[1], [1], [1]], 2], label: "a perfect model has zero error" },
    { args: [[[1]], [[0]], [[0], [1], [2], [3]], [[1], [1], [1]], 1], label: "model ignores the action: one-step error 1" },
    { args: [[[1]], [[0]], [[0], [1], [2], [3]], [[1], [1], [1]], 3], label: "model ignores the action: one window, error 9" },
    { args: [[[1]], [[0]], [[0], [1], [2], [3]], [[1], [1], [1]], 2], label: "model ignores the action: two windows, error 4" },
    ...Array.from({ length: 6 }, (_, i) => ({
      args: randomCase(rng, 1 + (i % 3), 1 + (i % 2), 12 + 3 * i, 1 + i),
      label: `random trajectory, k = ${1 + i}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "re-anchors on the true state every step (one-step error)",
      body:
        "let sum = 0, count = 0;\nfor (let t = 0; t + k <= actions.length; t++) {\n  const s = states[t + k - 1];\n  const a = actions[t + k - 1];\n" +
        "  let e = 0;\n  for (let r = 0; r < s.length; r++) {\n    let v = 0;\n    for (let c = 0; c < s.length; c++) v += A[r][c] * s[c];\n    for (let c = 0; c < a.length; c++) v += B[r][c] * a[c];\n    e += (v - states[t + k][r]) ** 2;\n  }\n  sum += e; count++;\n}\nreturn sum / count;",
    },
    {
      name: "drops the last window",
      body:
        "let sum = 0, count = 0;\nfor (let t = 0; t + k < actions.length; t++) {\n  let s = states[t].slice();\n  for (let j = 0; j < k; j++) {\n    const a = actions[t + j];\n" +
        "    s = s.map((_, r) => s.reduce((acc, v, c) => acc + A[r][c] * v, 0) + a.reduce((acc, v, c) => acc + B[r][c] * v, 0));\n  }\n" +
        "  sum += s.reduce((acc, v, r) => acc + (v - states[t + k][r]) ** 2, 0); count++;\n}\nreturn count ? sum / count : NaN;",
    },
    {
      name: "compares with the state one step too early",
      body:
        "let sum = 0, count = 0;\nfor (let t = 0; t + k <= actions.length; t++) {\n  let s = states[t].slice();\n  for (let j = 0; j < k; j++) {\n    const a = actions[t + j];\n" +
        "    s = s.map((_, r) => s.reduce((acc, v, c) => acc + A[r][c] * v, 0) + a.reduce((acc, v, c) => acc + B[r][c] * v, 0));\n  }\n" +
        "  sum += s.reduce((acc, v, r) => acc + (v - states[t + k - 1][r]) ** 2, 0); count++;\n}\nreturn sum / count;",
    },
  ],
});
