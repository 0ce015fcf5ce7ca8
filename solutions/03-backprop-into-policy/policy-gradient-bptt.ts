/** Reference solution of exercise policy-gradient-bptt (notebook 03): dJ/dtheta by backpropagation through time. */
import { modelStep, policyAction } from "./unrolled-objective";

/** The notebook's locked cell: Jacobians of one model step (zero where a clip is active). */
export function modelJacobian(s: number[], a: number, damping = 0): { fs: number[][]; fa: number[] } {
  const inU = Math.abs(a) < 2 ? 1 : 0;
  const raw = (1 - damping) * s[1] + 0.05 * (15 * Math.sin(s[0]) + 3 * Math.max(-2, Math.min(2, a)));
  const inV = Math.abs(raw) < 8 ? 1 : 0;
  const dv = [inV * 0.05 * 15 * Math.cos(s[0]), inV * (1 - damping)]; // d thdot' / d(th, thdot)
  const dva = inV * inU * 0.05 * 3; // d thdot' / da
  return {
    fs: [
      [1 + 0.05 * dv[0], 0.05 * dv[1]],
      [dv[0], dv[1]],
    ],
    fa: [0.05 * dva, dva],
  };
}

/** The notebook's locked cell: gradients of a = pi_theta(s) with respect to s and theta. */
export function policyJacobian(theta: number[], s: number[]): { ds: number[]; dtheta: number[] } {
  const z = theta[0] * Math.sin(s[0]) + theta[1] * s[1] + theta[2];
  const dz = 2 * (1 - Math.tanh(z) ** 2);
  return { ds: [dz * theta[0] * Math.cos(s[0]), dz * theta[1]], dtheta: [dz * Math.sin(s[0]), dz * s[1], dz] };
}

/** The notebook's locked cell: gradients of r(s, a) with respect to s and a. */
export function rewardGradient(s: number[], a: number): { ds: number[]; da: number } {
  const th = Math.atan2(Math.sin(s[0]), Math.cos(s[0]));
  return { ds: [-2 * th, -0.2 * s[1]], da: -0.002 * a };
}

export function bpttGradient(theta: number[], starts: number[][], H: number, gamma: number, damping = 0): number[] {
  // BEGIN SOLUTION
  const grad = [0, 0, 0];
  for (const s0 of starts) {
    // Forward: the rollout through the model under the policy.
    const states: number[][] = [s0.slice()];
    const actions: number[] = [];
    for (let t = 0; t < H; t++) {
      actions.push(policyAction(theta, states[t]));
      states.push(modelStep(states[t], actions[t], damping));
    }
    // Backward: lambda = dJ/ds_{t+1}, zero after the last step (no reward is taken at s_H).
    let lambda = [0, 0];
    for (let t = H - 1; t >= 0; t--) {
      const disc = Math.pow(gamma, t);
      const { fs, fa } = modelJacobian(states[t], actions[t], damping);
      const pj = policyJacobian(theta, states[t]);
      const rg = rewardGradient(states[t], actions[t]);
      // dJ/da_t: the reward now plus everything after, through the model.
      const gA = disc * rg.da + lambda[0] * fa[0] + lambda[1] * fa[1];
      for (let k = 0; k < 3; k++) grad[k] += gA * pj.dtheta[k];
      // dJ/ds_t through the reward, the open-loop Jacobian df/ds and the action's reaction dpi/ds.
      lambda = [0, 1].map((j) => disc * rg.ds[j] + lambda[0] * fs[0][j] + lambda[1] * fs[1][j] + gA * pj.ds[j]);
    }
  }
  return grad.map((g) => g / starts.length);
  // END SOLUTION
}
