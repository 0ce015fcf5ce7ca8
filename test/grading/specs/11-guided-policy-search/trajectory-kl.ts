import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

/** Hidden test of notebook 11's closed-form KL between two linear-Gaussian trajectory distributions. */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/11-guided-policy-search/trajectory-kl.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(...pairs: [string, string][]): string {
  let body = reference;
  for (const [from, to] of pairs) {
    if (!body.includes(from)) throw new Error(`trajectory-kl spec: mutant anchor not found: ${from}`);
    body = body.replace(from, to);
  }
  return body;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
function randMat(rng: Rng, r: number, c: number, s: number): number[][] {
  return Array.from({ length: r }, () => Array.from({ length: c }, () => r3(rng.normal(0, s))));
}
function spd(rng: Rng, d: number, ridge: number, s = 1): number[][] {
  const M = randMat(rng, d, d, s);
  return M.map((ri, i) => M.map((rj, j) => r3(ri.reduce((a, v, q) => a + v * rj[q], 0) + (i === j ? ridge : 0))));
}
function randomController(rng: Rng, T: number, n: number, m: number) {
  return {
    K: Array.from({ length: T }, () => randMat(rng, m, n, 0.7)),
    k: Array.from({ length: T }, () => randMat(rng, 1, m, 1)[0]),
    Sigma: Array.from({ length: T }, () => spd(rng, m, 0.2, 0.6)),
  };
}

export default defineExercise({
  notebook: "11-guided-policy-search",
  id: "trajectory-kl",
  entry: "trajectoryKlLG",
  cases: (rng) => {
    const one = (K: number, k: number, S: number) => ({ K: [[[K]]], k: [[k]], Sigma: [[[S]]] });
    const cases: { args: unknown[]; label: string }[] = [
      { args: [one(1, 0, 1), one(0, 0, 1), [[0]], [[[4]]]], label: "gains differ, state spread 4 (mean state 0)" },
      { args: [one(0, 0, 1), one(0, 0, 4), [[0]], [[[1]]]], label: "only the noise differs: KL(p || p-bar), not the reverse" },
      { args: [one(0, 1, 1), one(0, 0, 1), [[3]], [[[1]]]], label: "only the offsets differ" },
    ];
    for (let c = 0; c < 6; c++) {
      const T = 2 + c,
        n = 1 + (c % 4),
        m = 1 + (c % 2);
      const p = randomController(rng, T, n, m);
      // Half of the random pairs are close (an old controller and a small step from it).
      const pBar =
        c % 2 === 0
          ? randomController(rng, T, n, m)
          : {
              K: p.K.map((K) => K.map((row) => row.map((v) => r3(v + rng.normal(0, 0.1))))),
              k: p.k.map((k) => k.map((v) => r3(v + rng.normal(0, 0.1)))),
              Sigma: p.Sigma.map((S) => S.map((row, i) => row.map((v, j) => (i === j ? r3(v * 1.3) : v)))),
            };
      cases.push({
        args: [p, pBar, Array.from({ length: T }, () => randMat(rng, 1, n, 1)[0]), Array.from({ length: T }, () => spd(rng, n, 0.1, 0.8))],
        label: `random ${T}-step controllers, ${n}-D state, ${m}-D action`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-7, atol: 1e-10 },
  mutants: [
    {
      name: "evaluates the gain difference at the mean state only (forgets that x_t is uncertain)",
      body: mutate([
        "perStep.push(0.5 * (trSigma - m + logDet(pBar.Sigma[t]) - logDet(p.Sigma[t]) + quad + trState));",
        "perStep.push(0.5 * (trSigma - m + logDet(pBar.Sigma[t]) - logDet(p.Sigma[t]) + quad));",
      ]),
    },
    {
      name: "reversed direction: KL(p-bar || p) instead of KL(p || p-bar)",
      body: mutate(
        ["const P = inverse(pBar.Sigma[t]);", "const P = inverse(p.Sigma[t]);"],
        ["trSigma += P[i][j] * p.Sigma[t][j][i];", "trSigma += P[i][j] * pBar.Sigma[t][j][i];"],
        ["logDet(pBar.Sigma[t]) - logDet(p.Sigma[t])", "logDet(p.Sigma[t]) - logDet(pBar.Sigma[t])"],
      ),
    },
    {
      name: "compares only the means (a change of the action noise costs nothing)",
      body: mutate([
        "perStep.push(0.5 * (trSigma - m + logDet(pBar.Sigma[t]) - logDet(p.Sigma[t]) + quad + trState));",
        "perStep.push(0.5 * (quad + trState));",
      ]),
    },
  ],
});
