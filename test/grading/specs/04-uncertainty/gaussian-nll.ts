import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

function randomCase(rng: Rng, n: number) {
  const mean = Array.from({ length: n }, () => rng.normal(0, 2));
  const y = mean.map((m) => m + rng.normal(0, rng.uniform(0.05, 1.5)));
  // Raw log-variances from well below the lower bound to well above the upper one.
  const minLogVar = rng.uniform(-12, -4);
  const maxLogVar = rng.uniform(-1, 2);
  const raw = Array.from({ length: n }, () => rng.uniform(minLogVar - 6, maxLogVar + 6));
  return [mean, raw, y, minLogVar, maxLogVar];
}

/** The soft bounds written out, for the mutants (each mutant replaces the whole solution region). */
const SP = "const sp = (z: number) => Math.log1p(Math.exp(z));";
const LOSS = "let s = 0;\nfor (let i = 0; i < mean.length; i++) s += (y[i] - mean[i]) ** 2 * Math.exp(-logVar[i]) + logVar[i];";

/** Hidden test of notebook 04: Gaussian NLL (PETS form) with the soft log-variance bounds of lecture 003. */
export default defineExercise({
  notebook: "04-uncertainty",
  id: "gaussian-nll",
  entry: "gaussianNll",
  cases: (rng) => [
    { args: [[0], [-3], [0.1], -10, 0.5], label: "one point well inside the bounds" },
    { args: [[0, 0], [50, -50], [1, 1], -10, 0.5], label: "raw values far beyond both bounds" },
    { args: [[1, -1, 0.5], [0.5, -10, 0.5], [1.2, -0.4, 0.5], -10, 0.5], label: "raw values exactly at the bounds" },
    { args: [[0.3, 0.1], [-1, -2], [0.3, 0.1], -4, 1], label: "a perfect mean: the loss is the mean log-variance" },
    ...Array.from({ length: 6 }, (_, k) => ({ args: randomCase(rng, 2 + 3 * k), label: `random batch ${k + 1}` })),
  ],
  compare: { rtol: 1e-8, atol: 1e-10 },
  mutants: [
    {
      name: "no bounds at all",
      body: `const logVar = rawLogVar.slice();\n${LOSS}\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "hard clipping instead of the soft bounds",
      body: `const logVar = rawLogVar.map((r) => Math.min(maxLogVar, Math.max(minLogVar, r)));\n${LOSS}\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "only the upper bound",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => maxLogVar - sp(maxLogVar - r));\n${LOSS}\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "lower bound applied to the raw value, upper bound ignored",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => minLogVar + sp(r - minLogVar));\n${LOSS}\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "forgets the log-variance term",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => minLogVar + sp(maxLogVar - sp(maxLogVar - r) - minLogVar));\nlet s = 0;\nfor (let i = 0; i < mean.length; i++) s += (y[i] - mean[i]) ** 2 * Math.exp(-logVar[i]);\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "multiplies the squared error by the variance",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => minLogVar + sp(maxLogVar - sp(maxLogVar - r) - minLogVar));\nlet s = 0;\nfor (let i = 0; i < mean.length; i++) s += (y[i] - mean[i]) ** 2 * Math.exp(logVar[i]) + logVar[i];\nreturn { logVar, loss: s / mean.length };`,
    },
    {
      name: "sums instead of averaging",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => minLogVar + sp(maxLogVar - sp(maxLogVar - r) - minLogVar));\n${LOSS}\nreturn { logVar, loss: s };`,
    },
    {
      name: "the textbook NLL with 1/2 and log(2 pi) (not the form asked for)",
      body: `${SP}\nconst logVar = rawLogVar.map((r) => minLogVar + sp(maxLogVar - sp(maxLogVar - r) - minLogVar));\n${LOSS}\nreturn { logVar, loss: 0.5 * s / mean.length + 0.5 * Math.log(2 * Math.PI) };`,
    },
  ],
});
