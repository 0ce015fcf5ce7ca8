import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

/** Hidden test of notebook 10's LQR backward recursion (time-invariant A, B, Q, R, terminal Qf). */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/10-lqr-ilqr/lqr-backward.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(from: string, to: string): string {
  if (!reference.includes(from)) throw new Error(`lqr-backward spec: mutant anchor not found: ${from}`);
  return reference.replace(from, to);
}

const round = (v: number) => Math.round(v * 1000) / 1000;
function randMat(rng: Rng, r: number, c: number, s: number): number[][] {
  return Array.from({ length: r }, () => Array.from({ length: c }, () => round(rng.normal(0, s))));
}
function spd(rng: Rng, d: number, ridge: number): number[][] {
  const M = randMat(rng, d, d, 1);
  return M.map((ri, i) => M.map((rj, j) => ri.reduce((s, v, k) => s + v * rj[k], 0) + (i === j ? ridge : 0)));
}

export default defineExercise({
  notebook: "10-lqr-ilqr",
  id: "lqr-backward",
  entry: "riccatiGains",
  cases: (rng) => [
    { args: [[[1]], [[1]], [[1]], [[1]], [[1]], 1], label: "scalar, one step" },
    { args: [[[1.1]], [[0.5]], [[2]], [[0.3]], [[5]], 6], label: "scalar, six steps" },
    {
      args: [
        [
          [1, 0.1],
          [0, 1],
        ],
        [[0.005], [0.1]],
        [
          [1, 0],
          [0, 0.1],
        ],
        [[0.01]],
        [
          [10, 0],
          [0, 1],
        ],
        20,
      ],
      label: "double integrator",
    },
    ...Array.from({ length: 5 }, (_, k) => {
      const n = 2 + (k % 3),
        m = 1 + (k % 2);
      return {
        args: [randMat(rng, n, n, 0.5), randMat(rng, n, m, 0.5), spd(rng, n, 0.5), spd(rng, m, 0.5), spd(rng, n, 1), 3 + 2 * k],
        label: `random ${n}-state ${m}-action system, ${3 + 2 * k} steps`,
      };
    }),
  ],
  compare: { rtol: 1e-6, atol: 1e-8 },
  mutants: [
    {
      name: "positive feedback (sign of K)",
      body: mutate("const Kt = solveSq(Quu, Qux).map((r) => r.map((v) => -v));", "const Kt = solveSq(Quu, Qux);"),
    },
    {
      name: "forgets R in Q_uu",
      body: mutate("const Quu = plus(R, mul(BtP, B));", "const Quu = plus(R.map((r) => r.map((v) => 1e-9 * v)), mul(BtP, B));"),
    },
    {
      name: "value update without the control term",
      body: mutate("P = plus(plus(Q, mul(mul(tr(A), P), A)), mul(tr(Qux), Kt));", "P = plus(Q, mul(mul(tr(A), P), A));"),
    },
    {
      name: "starts from Q instead of the terminal cost",
      body: mutate("let P = Qf.map((r) => r.slice());", "let P = Q.map((r) => r.slice());"),
    },
  ],
});
