import type { Rng } from "../../../../lib/core";
import { defineExercise } from "../../../../lib/grader/spec";

/** A random symmetric positive definite n x n matrix. */
function spd(rng: Rng, n: number): number[][] {
  const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  return A.map((_, i) => A.map((__, j) => A[i].reduce((s, x, k) => s + x * A[j][k], 0) / n + (i === j ? 0.1 : 0)));
}

/** Hidden test of notebook 13: CMA-ES's new mean and rank-mu covariance. */
export default defineExercise({
  notebook: "13-search-and-hybrids",
  id: "cmaes-rank-mu",
  entry: "cmaesRankMu",
  cases: (rng) => {
    const cases = [
      {
        args: [
          [0, 0],
          1,
          [
            [1, 0],
            [0, 1],
          ],
          [
            [1, 2],
            [3, -1],
            [-2, 0],
          ],
          [5, 1, 0],
          1,
          1,
        ],
        label: "one parent, c_mu = 1: the mean moves to the best sample and C to its step's outer product",
      },
      {
        args: [
          [1, 1],
          0.5,
          [
            [1, 0],
            [0, 1],
          ],
          [
            [2, 1],
            [1, 2],
            [0, 1],
            [1, 0],
          ],
          [1, 3, 0, 2],
          2,
          0.5,
        ],
        label: "two parents, steps in units of sigma = 0.5",
      },
      {
        args: [
          [0, 0],
          2,
          [
            [1, 0.5],
            [0.5, 1],
          ],
          [
            [1, 1],
            [2, 2],
            [-1, -1],
            [3, 3],
          ],
          [2, 3, 0, 4],
          2,
          0.3,
        ],
        label: "successful steps all along one direction: C grows along it",
      },
    ];
    for (let k = 0; k < 8; k++) {
      const n = 2 + (k % 4);
      const lambda = 4 + 2 * (k % 4);
      const mean = Array.from({ length: n }, () => rng.normal());
      const sigma = 0.1 + 2 * rng.uniform();
      const samples = Array.from({ length: lambda }, () => mean.map((m) => m + sigma * rng.normal()));
      const returns = Array.from({ length: lambda }, () => rng.normal(0, 10));
      cases.push({
        args: [mean, sigma, spd(rng, n), samples, returns, Math.floor(lambda / 2), 0.05 + 0.5 * rng.uniform()],
        label: `random generation ${k + 1} (n = ${n}, lambda = ${lambda})`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "steps measured from the NEW mean (loses the direction of progress)",
      body:
        "const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));\nconst total = raw.reduce((s, w) => s + w, 0);\n" +
        "const w = raw.map((x) => x / total);\nconst order = returns.map((_, i) => i).sort((a, b) => returns[b] - returns[a]);\n" +
        "const sel = order.slice(0, mu).map((k) => samples[k]);\nconst newMean = mean.map((_, j) => sel.reduce((s, x, i) => s + w[i] * x[j], 0));\n" +
        "const ys = sel.map((x) => x.map((v, j) => (v - newMean[j]) / sigma));\n" +
        "const newC = C.map((row, a) => row.map((cab, b) => (1 - cMu) * cab + cMu * ys.reduce((s, y, i) => s + w[i] * y[a] * y[b], 0)));\nreturn { mean: newMean, C: newC };",
    },
    {
      name: "steps not divided by sigma (C absorbs the step size)",
      body:
        "const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));\nconst total = raw.reduce((s, w) => s + w, 0);\n" +
        "const w = raw.map((x) => x / total);\nconst order = returns.map((_, i) => i).sort((a, b) => returns[b] - returns[a]);\n" +
        "const ys = order.slice(0, mu).map((k) => samples[k].map((x, j) => x - mean[j]));\n" +
        "const newMean = mean.map((m, j) => m + ys.reduce((s, y, i) => s + w[i] * y[j], 0));\n" +
        "const newC = C.map((row, a) => row.map((cab, b) => (1 - cMu) * cab + cMu * ys.reduce((s, y, i) => s + w[i] * y[a] * y[b], 0)));\nreturn { mean: newMean, C: newC };",
    },
    {
      name: "equal weights for the mu best",
      body:
        "const w = Array.from({ length: mu }, () => 1 / mu);\nconst order = returns.map((_, i) => i).sort((a, b) => returns[b] - returns[a]);\n" +
        "const ys = order.slice(0, mu).map((k) => samples[k].map((x, j) => (x - mean[j]) / sigma));\n" +
        "const newMean = mean.map((m, j) => m + sigma * ys.reduce((s, y, i) => s + w[i] * y[j], 0));\n" +
        "const newC = C.map((row, a) => row.map((cab, b) => (1 - cMu) * cab + cMu * ys.reduce((s, y, i) => s + w[i] * y[a] * y[b], 0)));\nreturn { mean: newMean, C: newC };",
    },
  ],
});
