/**
 * The two systems PILCO runs on in this course, with the reference code's settings:
 *  - cart-pole swing-up (scenarios/cartPole/settings_cp.m): dt = 0.1, H = 40 (4 s), mu0 = 0,
 *    S0 = 0.1^2 I, u_max = 10 with the (9 sin x + sin 3x)/8 squashing, cost width 0.25 on the
 *    pole-tip distance (pendulum length 0.5), measurement noise 0.01;
 *  - pendulum swing-up (the course's Gym pendulum, torque limit 2): control period 0.1 s (two
 *    simulator steps per action), H = 60 (6 s: the Gym pendulum's torque limit needs a few
 *    swings to get up), start hanging down, cost width 0.5 on the tip distance.
 */
import { CARTPOLE_COST_WIDTH, CARTPOLE_PARAMS, cartpoleTipDistance2 } from "../envs/cartpole";
import { PENDULUM_PARAMS } from "../envs/pendulum";
import { squash93 } from "./blocks";
import type { PilcoScenario } from "./pilco";

/** Cart-pole: env state [x, xdot, theta, thetadot] (theta = pi upright); augmented with [sin theta, cos theta]. */
export function cartpoleScenario(): PilcoScenario {
  const l = CARTPOLE_PARAMS.l;
  return {
    // Augmented state: [x, xdot, theta, thetadot, sin theta, cos theta].
    plant: { stateDim: 4, angi: [2], poli: [0, 1, 3, 4, 5], dyni: [0, 1, 3, 4, 5] },
    // (x + l sin)^2 + l^2 (cos + 1)^2 = |tip - (0, l)|^2 with tip = (x + l sin theta, -l cos theta).
    cost: { idx: [0, 4, 5], Q: [1, l, 0, l, l * l, 0, 0, 0, l * l], target: [0, 0, -1], width: CARTPOLE_COST_WIDTH },
    mu0: [0, 0, 0, 0],
    S0: [0.01, 0, 0, 0, 0, 0.01, 0, 0, 0, 0, 0.01, 0, 0, 0, 0, 0.01],
    H: 40,
    squash: [squash93(CARTPOLE_PARAMS.maxForce)],
    obsNoiseStd: 0.01,
  };
}

/** Success on the cart-pole: the tip within the cost width for the last `seconds` (default 1 s = 10 steps). */
export function cartpoleSuccess(states: number[][], steps = 10): boolean {
  const w2 = CARTPOLE_COST_WIDTH * CARTPOLE_COST_WIDTH;
  return states.slice(-steps).every((s) => cartpoleTipDistance2(s) < w2);
}

/**
 * Pendulum: env state [theta, thetadot] (theta = 0 upright); augmented with [sin theta, cos theta].
 * `maxTorque` must match the environment's torque limit (a stronger motor swings up in fewer swings:
 * notebook 09 uses one to stay within its time budget); `H` is the horizon in 0.1 s steps; `width`
 * the cost width (a wider cost gives a gradient from further away).
 */
export function pendulumScenario({ maxTorque = PENDULUM_PARAMS.maxTorque, H = 60, width = 0.5 } = {}): PilcoScenario {
  const l = PENDULUM_PARAMS.l;
  return {
    plant: { stateDim: 2, angi: [0], poli: [1, 2, 3], dyni: [1, 2, 3] },
    // |tip - top|^2 = l^2 sin^2 + l^2 (cos - 1)^2.
    cost: { idx: [2, 3], Q: [l * l, 0, 0, l * l], target: [0, 1], width },
    mu0: [Math.PI, 0],
    S0: [0.01, 0, 0, 0.01],
    H,
    actionRepeat: 2,
    squash: [squash93(maxTorque)],
    obsNoiseStd: 0.01,
  };
}

/** Success on the pendulum: the tip within 0.5 of the top for the last `steps` control steps. */
export function pendulumSuccess(states: number[][], steps = 10): boolean {
  const l = PENDULUM_PARAMS.l;
  return states.slice(-steps).every((s) => 2 * l * l * (1 - Math.cos(s[0])) < 0.25);
}
