/** Reference solution of exercise unrolled-objective (notebook 03): J(theta) of a policy through a model. */

/** The model (the notebook's locked cell): one Euler step of the pendulum, theta = 0 upright, |a| <= 2; damping removes that fraction of the speed each step. */
export function modelStep(s: number[], a: number, damping = 0): number[] {
  const u = Math.max(-2, Math.min(2, a));
  const thdot = Math.max(-8, Math.min(8, (1 - damping) * s[1] + 0.05 * (15 * Math.sin(s[0]) + 3 * u)));
  return [s[0] + 0.05 * thdot, thdot];
}

/** The policy (the notebook's locked cell): a = 2 tanh(theta0 sin(th) + theta1 thdot + theta2). */
export function policyAction(theta: number[], s: number[]): number {
  return 2 * Math.tanh(theta[0] * Math.sin(s[0]) + theta[1] * s[1] + theta[2]);
}

/** The reward (the notebook's locked cell): the Gym pendulum's, at the state where the action is taken. */
export function pendulumReward(s: number[], a: number): number {
  const th = Math.atan2(Math.sin(s[0]), Math.cos(s[0]));
  return -(th * th + 0.1 * s[1] * s[1] + 0.001 * a * a);
}

export function unrolledObjective(theta: number[], starts: number[][], H: number, gamma: number): number {
  // BEGIN SOLUTION
  let total = 0;
  for (const s0 of starts) {
    let s = s0.slice();
    let discount = 1;
    for (let t = 0; t < H; t++) {
      const a = policyAction(theta, s);
      total += discount * pendulumReward(s, a);
      s = modelStep(s, a);
      discount *= gamma;
    }
  }
  return total / starts.length;
  // END SOLUTION
}
