import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 02: the MPC loop with the notebook's toyStep and toyPlan, replanning every N steps. */
export default defineExercise({
  notebook: "02-planning",
  id: "mpc-loop",
  entry: "mpcLoop",
  cases: (rng) => [
    { args: [0, 1, 1, 5], label: "one step" },
    { args: [0, 10, 1, 5], label: "replan every step" },
    { args: [0, 10, 3, 5], label: "replan every 3 steps" },
    { args: [0, 12, 20, 4], label: "N longer than the plan: replan when the plan runs out" },
    { args: [5, 8, 2, 3], label: "start above the goal" },
    ...Array.from({ length: 5 }, (_, k) => ({
      args: [Math.round(rng.normal(0, 3) * 100) / 100, 5 + rng.int(20), 1 + rng.int(6), 1 + rng.int(8)],
      label: `random run ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-12, atol: 1e-12 },
  mutants: [
    {
      name: "replans every step whatever N is",
      body: "const xs = [x0]; const actions: number[] = []; let x = x0;\nfor (let t = 0; t < T; t++) { const a = toyPlan(x, H)[0]; x = toyStep(x, a); actions.push(a); xs.push(x); }\nreturn { xs, actions, plans: T };",
    },
    {
      name: "plans once and runs the plan open loop",
      body:
        "const xs = [x0]; const actions: number[] = []; let x = x0; const plan = toyPlan(x0, Math.max(H, T));\n" +
        "for (let t = 0; t < T; t++) { const a = plan[t]; x = toyStep(x, a); actions.push(a); xs.push(x); }\nreturn { xs, actions, plans: 1 };",
    },
    {
      name: "replans from the model's prediction, not the observed state",
      body:
        "const xs = [x0]; const actions: number[] = []; let x = x0; let xm = x0; let plan: number[] = []; let used = 0; let plans = 0;\n" +
        "for (let t = 0; t < T; t++) {\n  if (plans === 0 || used >= replanEvery || used >= plan.length) { plan = toyPlan(xm, H); plans++; used = 0; }\n" +
        "  const a = plan[used++]; x = toyStep(x, a); xm = xm + 0.8 * Math.max(-1, Math.min(1, a)); actions.push(a); xs.push(x);\n}\nreturn { xs, actions, plans };",
    },
  ],
});
