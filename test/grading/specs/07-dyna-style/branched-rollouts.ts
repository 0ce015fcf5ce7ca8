import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A random linear ensemble: members share a base map plus member-specific perturbations. */
function randomCase(rng: Rng, ds: number, da: number, E: number, nStarts: number, horizon: number) {
  const base = Array.from({ length: ds }, (_, i) => Array.from({ length: ds + da }, (_, j) => (i === j ? 0.9 : round(rng.normal(0, 0.2)))));
  const spread = rng.uniform(0.01, 0.3);
  const members = Array.from({ length: E }, () => base.map((row) => row.map((v) => round(v + rng.normal(0, spread)))));
  const K = Array.from({ length: da }, () => Array.from({ length: ds }, () => round(rng.normal(0, 0.5))));
  const starts = Array.from({ length: nStarts }, () => Array.from({ length: ds }, () => round(rng.normal(0, 1))));
  return { starts, horizon, K, members };
}

/** Hidden test of notebook 07: k-step rollouts from real states, random member per transition, penalty -kappa where d > alpha. */
export default defineExercise({
  notebook: "07-dyna-style",
  id: "branched-rollouts",
  entry: "branchedRolloutsWithPenalty",
  cases: (rng) => {
    const twoMembers = [
      [
        [1, 0, 0.1],
        [0, 1, 0.1],
      ],
      [
        [1, 0, 0.1],
        [0, 1.2, 0.1],
      ],
    ];
    const cases = [
      { args: [[[1, 0]], 1, [[0, 0]], twoMembers, 5, 10, 0], label: "one step, no penalty" },
      {
        args: [
          [
            [1, 2],
            [0, -1],
          ],
          3,
          [[-0.5, 0]],
          twoMembers,
          5,
          0.3,
          1,
        ],
        label: "three steps, some transitions penalised",
      },
      { args: [[[1, 2]], 4, [[0.1, 0.2]], twoMembers, 5, 0, 2], label: "alpha 0: every disagreeing step is penalised" },
      { args: [[[0.5, 0.5]], 3, [[0, 0]], [twoMembers[0]], 5, 0.01, 3], label: "a single member never disagrees" },
    ];
    for (let k = 0; k < 6; k++) {
      const c = randomCase(rng, 2 + (k % 3), 1 + (k % 2), 2 + (k % 4), 1 + k, 2 + k);
      const alpha = round(rng.uniform(0.05, 0.6));
      cases.push({
        args: [c.starts, c.horizon, c.K, c.members, round(rng.uniform(1, 20)), alpha, rng.int(1000)],
        label: `random linear ensemble ${k + 1}`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "penalises where the members agree (flipped test)",
      body:
        "const rng = makeRng(seed);\nconst matvec = (M: number[][], x: number[]) => M.map((row) => row.reduce((sum, m, j) => sum + m * x[j], 0));\n" +
        "const dist = (x: number[], y: number[]) => Math.sqrt(x.reduce((sum, v, j) => sum + (v - y[j]) ** 2, 0));\nconst out: SimTransition[] = [];\n" +
        "let states = starts.map((s) => s.slice());\nfor (let t = 0; t < horizon; t++) {\n  const nextStates: number[][] = [];\n  for (const s of states) {\n" +
        "    const a = matvec(K, s);\n    const preds = members.map((M) => matvec(M, [...s, ...a]));\n    let d = 0;\n" +
        "    for (let i = 0; i < preds.length; i++) for (let j = i + 1; j < preds.length; j++) d = Math.max(d, dist(preds[i], preds[j]));\n" +
        "    const member = rng.int(members.length);\n    const s2 = preds[member];\n" +
        "    const cost = s.reduce((sum, v) => sum + v * v, 0) + 0.1 * a.reduce((sum, v) => sum + v * v, 0);\n" +
        "    out.push({ s, a, r: d <= alpha ? -kappa : -cost, s2, member, d });\n    nextStates.push(s2);\n  }\n  states = nextStates;\n}\nreturn out;",
    },
    {
      name: "restarts every step from the real start states (not branched rollouts)",
      body:
        "const rng = makeRng(seed);\nconst matvec = (M: number[][], x: number[]) => M.map((row) => row.reduce((sum, m, j) => sum + m * x[j], 0));\n" +
        "const dist = (x: number[], y: number[]) => Math.sqrt(x.reduce((sum, v, j) => sum + (v - y[j]) ** 2, 0));\nconst out: SimTransition[] = [];\n" +
        "for (let t = 0; t < horizon; t++) {\n  for (const s0 of starts) {\n    const s = s0.slice();\n" +
        "    const a = matvec(K, s);\n    const preds = members.map((M) => matvec(M, [...s, ...a]));\n    let d = 0;\n" +
        "    for (let i = 0; i < preds.length; i++) for (let j = i + 1; j < preds.length; j++) d = Math.max(d, dist(preds[i], preds[j]));\n" +
        "    const member = rng.int(members.length);\n    const s2 = preds[member];\n" +
        "    const cost = s.reduce((sum, v) => sum + v * v, 0) + 0.1 * a.reduce((sum, v) => sum + v * v, 0);\n" +
        "    out.push({ s, a, r: d > alpha ? -kappa : -cost, s2, member, d });\n  }\n}\nreturn out;",
    },
    {
      name: "one member per branch instead of per transition",
      body:
        "const rng = makeRng(seed);\nconst matvec = (M: number[][], x: number[]) => M.map((row) => row.reduce((sum, m, j) => sum + m * x[j], 0));\n" +
        "const dist = (x: number[], y: number[]) => Math.sqrt(x.reduce((sum, v, j) => sum + (v - y[j]) ** 2, 0));\nconst out: SimTransition[] = [];\n" +
        "const chosen = starts.map(() => rng.int(members.length));\n" +
        "let states = starts.map((s) => s.slice());\nfor (let t = 0; t < horizon; t++) {\n  const nextStates: number[][] = [];\n  states.forEach((s, i0) => {\n" +
        "    const a = matvec(K, s);\n    const preds = members.map((M) => matvec(M, [...s, ...a]));\n    let d = 0;\n" +
        "    for (let i = 0; i < preds.length; i++) for (let j = i + 1; j < preds.length; j++) d = Math.max(d, dist(preds[i], preds[j]));\n" +
        "    const member = chosen[i0];\n    const s2 = preds[member];\n" +
        "    const cost = s.reduce((sum, v) => sum + v * v, 0) + 0.1 * a.reduce((sum, v) => sum + v * v, 0);\n" +
        "    out.push({ s, a, r: d > alpha ? -kappa : -cost, s2, member, d });\n    nextStates.push(s2);\n  });\n  states = nextStates;\n}\nreturn out;",
    },
    {
      name: "disagreement from the first member only (max distance to member 0)",
      body:
        "const rng = makeRng(seed);\nconst matvec = (M: number[][], x: number[]) => M.map((row) => row.reduce((sum, m, j) => sum + m * x[j], 0));\n" +
        "const dist = (x: number[], y: number[]) => Math.sqrt(x.reduce((sum, v, j) => sum + (v - y[j]) ** 2, 0));\nconst out: SimTransition[] = [];\n" +
        "let states = starts.map((s) => s.slice());\nfor (let t = 0; t < horizon; t++) {\n  const nextStates: number[][] = [];\n  for (const s of states) {\n" +
        "    const a = matvec(K, s);\n    const preds = members.map((M) => matvec(M, [...s, ...a]));\n    let d = 0;\n" +
        "    for (let j = 1; j < preds.length; j++) d = Math.max(d, dist(preds[0], preds[j]));\n" +
        "    const member = rng.int(members.length);\n    const s2 = preds[member];\n" +
        "    const cost = s.reduce((sum, v) => sum + v * v, 0) + 0.1 * a.reduce((sum, v) => sum + v * v, 0);\n" +
        "    out.push({ s, a, r: d > alpha ? -kappa : -cost, s2, member, d });\n    nextStates.push(s2);\n  }\n  states = nextStates;\n}\nreturn out;",
    },
  ],
});
