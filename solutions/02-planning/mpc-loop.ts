/** Reference solution of exercise mpc-loop (notebook 02): the MPC loop, replanning every N steps. */

/** The real system (the notebook's locked cell): the walker moves by a - 0.1 per step, |a| <= 1. */
export function toyStep(x: number, a: number): number {
  const u = Math.max(-1, Math.min(1, a));
  return x + u - 0.1;
}

/** The planner (the notebook's locked cell): H actions that head for x = 3 under the model x' = x + 0.8 a. */
export function toyPlan(x: number, H: number): number[] {
  const plan: number[] = [];
  let xm = x;
  for (let t = 0; t < H; t++) {
    const a = Math.max(-1, Math.min(1, (3 - xm) / 0.8));
    plan.push(a);
    xm = xm + 0.8 * a;
  }
  return plan;
}

export function mpcLoop(x0: number, T: number, replanEvery: number, H: number): { xs: number[]; actions: number[]; plans: number } {
  // BEGIN SOLUTION
  const xs = [x0];
  const actions: number[] = [];
  let plans = 0;
  let plan: number[] = [];
  let used = 0;
  let x = x0;
  for (let t = 0; t < T; t++) {
    if (plans === 0 || used >= replanEvery || used >= plan.length) {
      plan = toyPlan(x, H);
      plans++;
      used = 0;
    }
    const a = plan[used++];
    x = toyStep(x, a);
    actions.push(a);
    xs.push(x);
  }
  return { xs, actions, plans };
  // END SOLUTION
}
