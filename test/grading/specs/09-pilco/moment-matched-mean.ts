import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 09: the moment-matched mean of a 1-D GP at a Gaussian input. */
export default defineExercise({
  notebook: "09-pilco",
  id: "moment-matched-mean",
  entry: "momentMatchedMean",
  cases: (rng) => [
    { args: [[0], [1], 1, 1, 0, 0], label: "no input uncertainty (v = 0): the GP mean" },
    { args: [[0.5], [1], 1, 2, 0, 0], label: "v = 0 with sf = 2: the mean scales with sf^2, not sf" },
    { args: [[0], [1], 1, 1, 0, 3], label: "input variance shrinks and widens the kernel" },
    { args: [[-1, 0.5, 2], [0.4, -1.2, 0.7], 0.8, 1.3, 0.2, 0.5], label: "three points" },
    ...Array.from({ length: 6 }, (_, k) => {
      const n = 2 + 4 * k;
      return {
        args: [
          Array.from({ length: n }, () => rng.uniform(-3, 3)),
          Array.from({ length: n }, () => rng.normal(0, 2)),
          rng.uniform(0.3, 2),
          rng.uniform(0.5, 2),
          rng.uniform(-2, 2),
          rng.uniform(0, 2),
        ],
        label: `random GP ${k + 1}`,
      };
    }),
  ],
  compare: { rtol: 1e-7, atol: 1e-10 },
  mutants: [
    {
      name: "sf where sf^2 belongs",
      body: "const c = sf / Math.sqrt(1 + v / (ell * ell));\nlet s = 0;\nfor (let i = 0; i < X.length; i++) s += beta[i] * Math.exp(-0.5 * (X[i] - m) ** 2 / (ell * ell + v));\nreturn c * s;",
    },
    {
      name: "ignores the input variance (GP mean at m)",
      body: "let s = 0;\nfor (let i = 0; i < X.length; i++) s += beta[i] * Math.exp(-0.5 * (X[i] - m) ** 2 / (ell * ell));\nreturn sf * sf * s;",
    },
    {
      name: "widens the kernel but forgets the normalising factor",
      body: "let s = 0;\nfor (let i = 0; i < X.length; i++) s += beta[i] * Math.exp(-0.5 * (X[i] - m) ** 2 / (ell * ell + v));\nreturn sf * sf * s;",
    },
    {
      name: "uses the standard deviation where the variance belongs",
      body: "const c = sf * sf / Math.sqrt(1 + Math.sqrt(v) / (ell * ell));\nlet s = 0;\nfor (let i = 0; i < X.length; i++) s += beta[i] * Math.exp(-0.5 * (X[i] - m) ** 2 / (ell * ell + Math.sqrt(v)));\nreturn c * s;",
    },
  ],
});
