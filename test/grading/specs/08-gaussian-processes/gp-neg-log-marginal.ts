import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 08's negative log marginal likelihood and its gradient in log hyper-parameters. */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/08-gaussian-processes/gp-neg-log-marginal.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(...pairs: [string, string][]): string {
  let body = reference;
  for (const [from, to] of pairs) {
    if (!body.includes(from)) throw new Error(`gp-neg-log-marginal spec: mutant anchor not found: ${from}`);
    body = body.replace(from, to);
  }
  return body;
}

export default defineExercise({
  notebook: "08-gaussian-processes",
  id: "gp-neg-log-marginal",
  entry: "gpNegLogLik",
  cases: (rng) => {
    const cases = [
      {
        args: [[-2, -1, 0.5, 2], [0.3, -0.4, 0.8, 0.1], Math.log(0.9), Math.log(1.2), Math.log(0.1)],
        label: "four points, ell 0.9, sf 1.2, sn 0.1",
      },
      { args: [[0], [1.5], 0, Math.log(2), Math.log(0.5)], label: "one point: a 1-D Gaussian" },
      { args: [[-1, 1], [0.5, 0.5], Math.log(3), 0, Math.log(0.3)], label: "two points, long length-scale" },
    ];
    for (let k = 0; k < 6; k++) {
      const n = 3 + 3 * k;
      const X = Array.from({ length: n }, () => Math.round(rng.uniform(-4, 4) * 100) / 100);
      const y = X.map((x) => Math.round((Math.sin(x) + rng.normal(0, 0.2)) * 100) / 100);
      cases.push({
        args: [X, y, rng.uniform(-1, 1), rng.uniform(-0.5, 0.5), rng.uniform(-3, -0.5)],
        label: `random data set of ${n} points`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-6, atol: 1e-9 },
  mutants: [
    {
      name: "gradient of +log p (ascends the likelihood's negative: every sign flipped)",
      body: mutate(["0.5 * (inv[i][j] - beta[i] * beta[j])", "0.5 * (beta[i] * beta[j] - inv[i][j])"]),
    },
    {
      name: "derivatives in theta, not in log theta (dK/d ell instead of dK/d log ell)",
      body: mutate(
        ["((X[i] - X[j]) ** 2 / ell2)", "((X[i] - X[j]) ** 2 / (ell2 * Math.sqrt(ell2)))"],
        ["W * 2 * k;", "W * 2 * k / Math.sqrt(sf2);"],
        ["W * 2 * sn2;", "W * 2 * Math.sqrt(sn2);"],
      ),
    },
    {
      name: "drops the complexity term 1/2 log|K + sn^2 I| (fit only)",
      body: mutate(
        ["0.5 * y[i] * beta[i] + Math.log(L[i][i])", "0.5 * y[i] * beta[i]"],
        ["0.5 * (inv[i][j] - beta[i] * beta[j])", "0.5 * (-beta[i] * beta[j])"],
      ),
    },
  ],
});
