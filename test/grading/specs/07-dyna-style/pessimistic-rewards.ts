import * as fs from "fs";
import * as path from "path";
import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

/** Hidden test of notebook 07's pessimistic rewards: MOPO's soft r - lambda d, MOReL's hard -kappa with a halt. */
const reference = (() => {
  const src = fs.readFileSync(path.join(__dirname, "../../../../solutions/07-dyna-style/pessimistic-rewards.ts"), "utf8");
  return src.slice(src.indexOf("// BEGIN SOLUTION") + "// BEGIN SOLUTION".length, src.indexOf("// END SOLUTION"));
})();
function mutate(...pairs: [string, string][]): string {
  let body = reference;
  for (const [from, to] of pairs) {
    if (!body.includes(from)) throw new Error(`pessimistic-rewards spec: mutant anchor not found: ${from}`);
    body = body.replace(from, to);
  }
  return body;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
/** E members' predictions for B branches in D dimensions: a shared centre plus member noise of growing size. */
function predictions(rng: Rng, E: number, B: number, D: number) {
  const centre = Array.from({ length: B }, () => Array.from({ length: D }, () => rng.normal(0, 1)));
  const spread = Array.from({ length: B }, () => Math.exp(rng.normal(-2, 1)));
  return Array.from({ length: E }, () => centre.map((c, b) => c.map((v) => r3(v + spread[b] * rng.normal()))));
}

export default defineExercise({
  notebook: "07-dyna-style",
  id: "pessimistic-rewards",
  entry: "pessimisticRewards",
  cases: (rng) => {
    // Three members on two branches; on branch 1 members 0 and 2 are the farthest pair (distance 5).
    const three = [
      [
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0.1],
        [3, 0],
      ],
      [
        [0.1, 0],
        [0, 4],
      ],
    ];
    const cases: { args: unknown[]; label: string }[] = [
      {
        args: [three, [-1, -2], { kind: "morel", kappa: 50, alpha: 1 }],
        label: "MOReL: beyond alpha the reward becomes -kappa and the rollout halts",
      },
      { args: [three, [-1, -2], { kind: "mopo", lambda: 2 }], label: "MOPO: a soft penalty r - lambda d, no halt" },
      { args: [[[[1, 2]]], [3], { kind: "mopo", lambda: 10 }], label: "one member: no disagreement, no penalty" },
    ];
    for (let k = 0; k < 8; k++) {
      const E = 3 + (k % 4),
        B = 4 + k,
        D = 1 + (k % 3);
      const preds = predictions(rng, E, B, D);
      const rewards = Array.from({ length: B }, () => r3(rng.normal(-1, 1)));
      const rule =
        k % 2 === 0
          ? { kind: "mopo", lambda: r3(rng.uniform(0.5, 5)) }
          : { kind: "morel", kappa: 20 + k, alpha: r3(Math.exp(rng.normal(-1.5, 0.7))) };
      cases.push({ args: [preds, rewards, rule], label: `random ${E}-member ensemble, ${B} branches, ${rule.kind}` });
    }
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "MOReL without the halt: the rollout goes on from an unknown state",
      body: mutate([
        "return { d, r: rewards.map((r, b) => (halt[b] ? -rule.kappa : r)), halt };",
        "return { d, r: rewards.map((r, b) => (halt[b] ? -rule.kappa : r)), halt: halt.map(() => false) };",
      ]),
    },
    {
      name: "MOPO with the sign flipped: rewards uncertainty (optimism) instead of penalising it",
      body: mutate(["r - rule.lambda * d[b]", "r + rule.lambda * d[b]"]),
    },
    {
      name: "disagreement of the first two members only, not the widest pair",
      body: mutate([
        "for (let i = 0; i < E; i++) {\n      for (let j = i + 1; j < E; j++) {",
        "for (let i = 0; i < Math.min(E, 1); i++) {\n      for (let j = i + 1; j < Math.min(E, 2); j++) {",
      ]),
    },
    {
      name: "MOReL subtracts kappa from the reward instead of replacing it (the halt state is worth -kappa, whatever r was)",
      body: mutate(["(halt[b] ? -rule.kappa : r)", "(halt[b] ? r - rule.kappa : r)"]),
    },
  ],
});
