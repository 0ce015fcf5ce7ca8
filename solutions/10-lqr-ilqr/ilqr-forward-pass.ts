/** Reference solution of exercise ilqr-forward-pass (notebook 10): the closed-loop forward pass with a backtracking line search. */

/** The notebook's locked cell: a damped pendulum (theta = 0 hanging down), one 0.05 s Euler step. */
export function pendulumStep(x: number[], u: number[]): number[] {
  const w = x[1] + 0.05 * (-9.81 * Math.sin(x[0]) - 0.1 * x[1] + u[0]);
  return [x[0] + 0.05 * w, w];
}
export function pendulumRunningCost(x: number[], u: number[]): number {
  return 0.1 * (x[0] - Math.PI) ** 2 + 0.01 * x[1] ** 2 + 0.01 * u[0] ** 2;
}
export function pendulumTerminalCost(x: number[]): number {
  return 10 * (x[0] - Math.PI) ** 2 + x[1] ** 2;
}
export function pendulumCost(xs: number[][], us: number[][]): number {
  let J = pendulumTerminalCost(xs[us.length]);
  for (let t = 0; t < us.length; t++) J += pendulumRunningCost(xs[t], us[t]);
  return J;
}

export function ilqrForwardPass(
  xs: number[][],
  us: number[][],
  K: number[][][],
  k: number[][],
  alphas: number[],
): { xs: number[][]; us: number[][]; cost: number; alpha: number } {
  // BEGIN SOLUTION
  const J = pendulumCost(xs, us);
  for (const alpha of alphas) {
    const nxs = [xs[0].slice()];
    const nus: number[][] = [];
    for (let t = 0; t < us.length; t++) {
      // Closed loop: the feedback corrects the deviation from the OLD trajectory at this step.
      const dx = nxs[t].map((v, i) => v - xs[t][i]);
      const u = us[t].map((v, i) => v + alpha * k[t][i] + K[t][i].reduce((s, g, j) => s + g * dx[j], 0));
      nus.push(u);
      nxs.push(pendulumStep(nxs[t], u));
    }
    const cost = pendulumCost(nxs, nus);
    // Accept the largest step that really lowers the cost.
    if (cost < J) return { xs: nxs, us: nus, cost, alpha };
  }
  // No step helps: keep the old trajectory (the caller then regularises and retries).
  return { xs: xs.map((x) => x.slice()), us: us.map((u) => u.slice()), cost: J, alpha: 0 };
  // END SOLUTION
}
