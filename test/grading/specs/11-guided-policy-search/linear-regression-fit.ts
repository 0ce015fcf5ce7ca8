import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

/** Hidden test of notebook 11's per-step dynamics fit: ridge least squares of x' on [x; u; 1]. */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/11-guided-policy-search/linear-regression-fit.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(from: string, to: string): string {
  if (!reference.includes(from)) throw new Error(`linear-regression-fit spec: mutant anchor not found: ${from}`);
  return reference.replace(from, to);
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
/** N transitions of a random linear system with noise. */
function data(rng: Rng, N: number, n: number, m: number, noise: number): [number[][], number[][], number[][]] {
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) + rng.normal(0, 0.2)));
  const B = Array.from({ length: n }, () => Array.from({ length: m }, () => rng.normal(0, 0.5)));
  const c = Array.from({ length: n }, () => rng.normal(0, 0.3));
  const X: number[][] = [],
    U: number[][] = [],
    Y: number[][] = [];
  for (let s = 0; s < N; s++) {
    const x = Array.from({ length: n }, () => r3(rng.normal(0, 1)));
    const u = Array.from({ length: m }, () => r3(rng.normal(0, 1)));
    X.push(x);
    U.push(u);
    Y.push(
      A.map((row, i) =>
        r3(row.reduce((a, v, j) => a + v * x[j], 0) + B[i].reduce((a, v, j) => a + v * u[j], 0) + c[i] + rng.normal(0, noise)),
      ),
    );
  }
  return [X, U, Y];
}

export default defineExercise({
  notebook: "11-guided-policy-search",
  id: "linear-regression-fit",
  entry: "fitLinearDynamics",
  cases: (rng) => [
    { args: [[[0], [1], [2]], [[0], [0], [1]], [[1], [3], [6]], 0], label: "1-D exact fit x' = 2x + u + 1" },
    { args: [...data(rng, 40, 2, 1, 0), 0], label: "noise-free 2-state system, no ridge" },
    { args: [...data(rng, 30, 3, 2, 0.05), 1e-3], label: "noisy 3-state system" },
    { args: [...data(rng, 5, 4, 2, 0.01), 1e-2], label: "5 samples, 6 inputs: the ridge decides" },
    { args: [...data(rng, 20, 2, 2, 0.1), 5], label: "strong ridge (not on the constant)" },
    ...Array.from({ length: 3 }, (_, k) => ({
      args: [...data(rng, 15 + 10 * k, 2 + k, 1 + (k % 2), 0.05), 1e-4],
      label: `random system ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-6, atol: 1e-8 },
  mutants: [
    { name: "ridge on the constant too", body: mutate("(a === b && a < p - 1 ? ridge : 0)", "(a === b ? ridge : 0)") },
    {
      name: "forgets the constant column",
      body: mutate("const Z = X.map((x, i) => [...x, ...U[i], 1]);", "const Z = X.map((x, i) => [...x, ...U[i], 0]);"),
    },
    {
      name: "A transposed",
      body: mutate("Array.from({ length: n }, (_, j) => W[j][i]));", "Array.from({ length: n }, (_, j) => W[i][j]));"),
    },
    { name: "ridge ignored", body: mutate("(a === b && a < p - 1 ? ridge : 0)", "(a === b && a < p - 1 ? 1e-12 : 0)") },
  ],
});
