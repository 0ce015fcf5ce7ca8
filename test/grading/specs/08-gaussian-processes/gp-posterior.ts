import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 08: GP posterior mean and variance with the SE kernel, 1-D inputs. */
export default defineExercise({
  notebook: "08-gaussian-processes",
  id: "gp-posterior",
  entry: "gpPosterior",
  cases: (rng) => [
    { args: [[0], [1], [0, 1, 5], 1, 1, 0.1], label: "one training point" },
    { args: [[-2, -1, 0.5, 2], [0.3, -0.4, 0.8, 0.1], [-1.5, 0, 3], 0.9, 1.2, 0.1], label: "four points" },
    { args: [[-1, 1], [2, 2], [0, 40], 2, 0.5, 0.3], label: "far away falls back to the prior" },
    ...Array.from({ length: 6 }, (_, k) => {
      const n = 3 + 3 * k;
      const X = Array.from({ length: n }, () => rng.uniform(-4, 4));
      return {
        args: [
          X,
          X.map((x) => Math.sin(x) + rng.normal(0, 0.1)),
          Array.from({ length: 5 }, () => rng.uniform(-5, 5)),
          rng.uniform(0.4, 2),
          rng.uniform(0.5, 2),
          rng.uniform(0.05, 0.4),
        ],
        label: `random data set ${k + 1} (${n} points)`,
      };
    }),
  ],
  compare: { rtol: 1e-6, atol: 1e-8 },
  mutants: [
    {
      name: "adds the noise to the predictive variance",
      body: `const n = X.length;
const k = (a: number, b: number) => sf * sf * Math.exp(-0.5 * ((a - b) / ell) ** 2);
const A = X.map((a, i) => X.map((b, j) => k(a, b) + (i === j ? sn * sn : 0)));
const solve = (b: number[]) => { const M = A.map((r, i) => [...r, b[i]]); for (let c = 0; c < n; c++) { for (let r = c + 1; r < n; r++) { const f = M[r][c] / M[c][c]; for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j]; } } const x = new Array(n).fill(0); for (let i = n - 1; i >= 0; i--) { let v = M[i][n]; for (let j = i + 1; j < n; j++) v -= M[i][j] * x[j]; x[i] = v / M[i][i]; } return x; };
const beta = solve(y);
return { mean: Xs.map((s) => X.reduce((a, x, i) => a + k(x, s) * beta[i], 0)), variance: Xs.map((s) => { const ks = X.map((x) => k(x, s)); const v = solve(ks); return sf * sf + sn * sn - ks.reduce((a, q, i) => a + q * v[i], 0); }) };`,
    },
    {
      name: "forgets the noise on the kernel matrix diagonal",
      body: `const n = X.length;
const k = (a: number, b: number) => sf * sf * Math.exp(-0.5 * ((a - b) / ell) ** 2);
const A = X.map((a, i) => X.map((b, j) => k(a, b) + (i === j ? 1e-9 : 0)));
const solve = (b: number[]) => { const M = A.map((r, i) => [...r, b[i]]); for (let c = 0; c < n; c++) { for (let r = c + 1; r < n; r++) { const f = M[r][c] / M[c][c]; for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j]; } } const x = new Array(n).fill(0); for (let i = n - 1; i >= 0; i--) { let v = M[i][n]; for (let j = i + 1; j < n; j++) v -= M[i][j] * x[j]; x[i] = v / M[i][i]; } return x; };
const beta = solve(y);
return { mean: Xs.map((s) => X.reduce((a, x, i) => a + k(x, s) * beta[i], 0)), variance: Xs.map((s) => { const ks = X.map((x) => k(x, s)); const v = solve(ks); return sf * sf - ks.reduce((a, q, i) => a + q * v[i], 0); }) };`,
    },
    {
      name: "uses sf instead of sf^2 as the signal variance",
      body: `const n = X.length;
const k = (a: number, b: number) => sf * Math.exp(-0.5 * ((a - b) / ell) ** 2);
const A = X.map((a, i) => X.map((b, j) => k(a, b) + (i === j ? sn * sn : 0)));
const solve = (b: number[]) => { const M = A.map((r, i) => [...r, b[i]]); for (let c = 0; c < n; c++) { for (let r = c + 1; r < n; r++) { const f = M[r][c] / M[c][c]; for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j]; } } const x = new Array(n).fill(0); for (let i = n - 1; i >= 0; i--) { let v = M[i][n]; for (let j = i + 1; j < n; j++) v -= M[i][j] * x[j]; x[i] = v / M[i][i]; } return x; };
const beta = solve(y);
return { mean: Xs.map((s) => X.reduce((a, x, i) => a + k(x, s) * beta[i], 0)), variance: Xs.map((s) => { const ks = X.map((x) => k(x, s)); const v = solve(ks); return sf - ks.reduce((a, q, i) => a + q * v[i], 0); }) };`,
    },
  ],
});
