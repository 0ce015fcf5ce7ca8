import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";
import { localLqrProblem, lqrBackward } from "../../../../lib/control";
import { pendulumRunningCost, pendulumStep, pendulumTerminalCost } from "../../../../solutions/10-lqr-ilqr/ilqr-forward-pass";

/** Hidden test of notebook 10's iLQR forward pass: u = u_hat + alpha k + K (x - x_hat), first alpha that lowers the cost. */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/10-lqr-ilqr/ilqr-forward-pass.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(...pairs: [string, string][]): string {
  let body = reference;
  for (const [from, to] of pairs) {
    if (!body.includes(from)) throw new Error(`ilqr-forward-pass spec: mutant anchor not found: ${from}`);
    body = body.replace(from, to);
  }
  return body;
}

function rollout(x0: number[], us: number[][]): number[][] {
  const xs = [x0];
  for (let t = 0; t < us.length; t++) xs.push(pendulumStep(xs[t], us[t]));
  return xs;
}

/** The gains of one iLQR iteration (the library's backward pass) around the rollout of `us` from x0. */
function ilqrGains(x0: number[], us: number[][]): { xs: number[][]; K: number[][][]; k: number[][] } {
  const xs = rollout(x0, us);
  const dyn = {
    stateDim: 2,
    actionDim: 1,
    dynamics(S: Float64Array, A: Float64Array) {
      const out = new Float64Array(S.length);
      for (let i = 0; i < A.length; i++) out.set(pendulumStep([S[2 * i], S[2 * i + 1]], [A[i]]), 2 * i);
      return out;
    },
  };
  const cost = {
    running: (x: Float64Array, u: Float64Array) => pendulumRunningCost(Array.from(x), Array.from(u)),
    terminal: (x: Float64Array) => pendulumTerminalCost(Array.from(x)),
  };
  const sol = lqrBackward(
    localLqrProblem(
      dyn,
      cost,
      xs.map((x) => Float64Array.from(x)),
      us.map((u) => Float64Array.from(u)),
      1e-5,
    ),
    { mu: 1e-6 },
  );
  return { xs, K: sol.K.map((K) => [Array.from(K.data)]), k: sol.k.map((k) => Array.from(k)) };
}

const HALVING = [1, 0.5, 0.25, 0.125, 0.0625];

export default defineExercise({
  notebook: "10-lqr-ilqr",
  id: "ilqr-forward-pass",
  entry: "ilqrForwardPass",
  cases: (rng: Rng) => {
    const T = 60;
    const push = Array.from({ length: T }, (_, t) => [t < 10 ? 2 : 0]);
    const g = ilqrGains([0, 0], push);
    const cases: { args: unknown[]; label: string }[] = [
      { args: [g.xs, push, g.K, g.k, HALVING], label: "iLQR gains: the full closed-loop step is accepted" },
      { args: [g.xs, push, g.K, g.k.map((k) => k.map((v) => 2 * v)), HALVING], label: "a step twice too long: the line search halves it" },
      {
        args: [g.xs, push, g.K, g.k.map((k) => k.map((v) => -v)), HALVING],
        label: "an ascent direction: no step helps, the old trajectory is kept",
      },
      { args: [g.xs, push, g.K, g.k, [0.5, 0.25]], label: "the step sizes are tried in the given order" },
    ];
    for (let c = 0; c < 6; c++) {
      const Tc = 20 + 10 * c;
      const us = Array.from({ length: Tc }, () => [Math.round(rng.normal(0, 1.5) * 100) / 100]);
      const x0 = [Math.round(rng.uniform(-0.5, 0.5) * 100) / 100, 0];
      const gc = ilqrGains(x0, us);
      const scale = [1, 3, -1, 1.5, 6, 0.7][c];
      cases.push({
        args: [gc.xs, us, gc.K, gc.k.map((k) => k.map((v) => scale * v)), HALVING],
        label: `random start, ${Tc} steps, feed-forward scaled by ${scale}`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-8, atol: 1e-10 },
  mutants: [
    {
      name: "open loop: ignores the feedback K (x - x_hat), so the new actions do not react to the new states",
      body: mutate(["v + alpha * k[t][i] + K[t][i].reduce((s, g, j) => s + g * dx[j], 0)", "v + alpha * k[t][i]"]),
    },
    {
      name: "no line search: takes the first step size whatever the cost",
      body: mutate(["if (cost < J) return", "return"]),
    },
    {
      name: "when no step helps, returns the smallest step tried instead of the old trajectory (the cost can go up)",
      body: mutate(
        ["  const J = pendulumCost(xs, us);\n", "  const J = pendulumCost(xs, us);\n  let last = { xs, us, cost: J, alpha: 0 };\n"],
        [
          "    if (cost < J) return { xs: nxs, us: nus, cost, alpha };",
          "    if (cost < J) return { xs: nxs, us: nus, cost, alpha };\n    last = { xs: nxs, us: nus, cost, alpha };",
        ],
        ["return { xs: xs.map((x) => x.slice()), us: us.map((u) => u.slice()), cost: J, alpha: 0 };", "return last;"],
      ),
    },
  ],
});
