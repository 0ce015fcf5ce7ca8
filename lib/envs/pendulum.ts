/**
 * Pendulum swing-up: a uniform rod on a frictionless pivot, driven by a bounded torque.
 *
 * Constants and reward are those of the common Pendulum benchmark (OpenAI Gym / Gymnasium
 * `Pendulum-v1`, classic_control/pendulum.py): g = 10, m = 1, l = 1, dt = 0.05, |u| <= 2,
 * |thetadot| <= 8, reward -(wrap(theta)^2 + 0.1 thetadot^2 + 0.001 u^2) evaluated at the state
 * where the action is taken, 200-step episodes, start uniform in theta in [-pi, pi), thetadot in [-1, 1].
 *
 * State [theta, thetadot]: theta = 0 is UPRIGHT, positive counter-clockwise; theta is not wrapped in
 * the state (the reward wraps it). Observation [cos theta, sin theta, thetadot], as in Gym, so a
 * learned model never sees the jump at +-pi; planners use the raw state through `dynamics`.
 *
 * Equation of motion (rod, inertia m l^2 / 3 about the pivot, as Gym):
 *   thetaddot = 3 g / (2 l) sin(theta) + 3 / (m l^2) u.
 * Difference from Gym: Gym takes one semi-implicit Euler step per dt; here RK4 with 5 sub-steps of
 * 0.01 s integrates the same ODE accurately (energy is conserved, see the tests). The speed limit
 * clips thetadot to [-8, 8] after each control period, as Gym does (a free swing from upright
 * reaches 7.75 rad/s, so it never triggers without torque).
 */
import { tf, type Rng } from "../core";
import { box, clipColumnsTf, columnsTf, ContinuousSystem, integrateTf, wrapAngle } from "./common";
import { actionBar, circle, f, line, svgFrame, text } from "./svg";
import type { BoxSpace } from "./types";

export interface PendulumParams {
  g: number;
  m: number;
  l: number;
  maxTorque: number;
  maxSpeed: number;
}

/** Gym Pendulum-v1 constants. */
export const PENDULUM_PARAMS: Readonly<PendulumParams> = Object.freeze({ g: 10, m: 1, l: 1, maxTorque: 2, maxSpeed: 8 });

export interface PendulumOptions {
  /** Seed of the system's own stream (start states). Default 0. */
  seed?: number;
  /** "random" (Gym: theta ~ U[-pi, pi), thetadot ~ U[-1, 1]) or "down" (hanging at rest, theta = pi). */
  start?: "random" | "down";
  /** Episode length in steps. Default 200. */
  maxSteps?: number;
  /** Override physical constants (for system-identification exercises). */
  params?: Partial<PendulumParams>;
}

/** The pendulum's reward for one (state, action): the Gym formula, theta wrapped to [-pi, pi). */
export function pendulumReward(theta: number, thetadot: number, u: number): number {
  const th = wrapAngle(theta);
  return -(th * th + 0.1 * thetadot * thetadot + 0.001 * u * u);
}

/**
 * The pendulum's reward on observations [cos, sin, thetadot] for n rows (flat, row-major), as model
 * rollouts need it (the models predict observations, not the raw angle): theta = atan2(sin, cos),
 * the reward of the state where the action is taken (as the real system), u clipped to the torque
 * limit. A batched reward r(S, A, S2, n) of lib/dyna's rollouts.
 */
export function pendulumObservationReward(S: Float64Array, A: Float64Array, _S2: Float64Array, n: number): Float64Array {
  const r = new Float64Array(n);
  const uMax = PENDULUM_PARAMS.maxTorque;
  for (let i = 0; i < n; i++) {
    const u = Math.min(uMax, Math.max(-uMax, A[i]));
    r[i] = pendulumReward(Math.atan2(S[i * 3 + 1], S[i * 3]), S[i * 3 + 2], u);
  }
  return r;
}

export class Pendulum extends ContinuousSystem {
  readonly name = "pendulum";
  readonly version = "1.0.0";
  readonly dt = 0.05;
  readonly substeps = 5;
  readonly maxSteps: number;
  readonly params: Readonly<PendulumParams>;
  readonly stateSpace: BoxSpace;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly start: "random" | "down";
  private lastU = 0;

  constructor(options: PendulumOptions = {}) {
    super(2, 1, options.seed ?? 0);
    this.params = Object.freeze({ ...PENDULUM_PARAMS, ...options.params });
    this.maxSteps = options.maxSteps ?? 200;
    this.start = options.start ?? "random";
    const { maxSpeed: v, maxTorque: u } = this.params;
    this.stateSpace = box(["theta", "thetadot"], [-Infinity, -v], [Infinity, v], ["rad", "rad/s"]);
    this.observationSpace = box(["cos_theta", "sin_theta", "thetadot"], [-1, -1, -v], [1, 1, v], ["1", "1", "rad/s"]);
    this.actionSpace = box(["torque"], -u, u, ["N m"]);
  }

  protected deriv(x: Float64Array, u: Float64Array, dx: Float64Array): void {
    const { g, m, l } = this.params;
    dx[0] = x[1];
    dx[1] = ((3 * g) / (2 * l)) * Math.sin(x[0]) + (3 / (m * l * l)) * u[0];
  }

  protected override afterStep(x: Float64Array): void {
    const v = this.params.maxSpeed;
    x[1] = x[1] < -v ? -v : x[1] > v ? v : x[1];
  }

  protected rewardAt(s: ArrayLike<number>, so: number, a: ArrayLike<number>, ao: number): number {
    return pendulumReward(s[so], s[so + 1], a[ao]);
  }

  protected sampleInitialState(rng: Rng): number[] {
    if (this.start === "down") return [Math.PI, 0];
    return [rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)];
  }

  observe(state: readonly number[]): number[] {
    return [Math.cos(state[0]), Math.sin(state[0]), state[1]];
  }

  /** Total mechanical energy: (1/2)(m l^2 / 3) thetadot^2 + m g (l/2) cos(theta) (zero at the pivot height). */
  override energy(state: readonly number[]): number {
    const { g, m, l } = this.params;
    return 0.5 * ((m * l * l) / 3) * state[1] * state[1] + m * g * (l / 2) * Math.cos(state[0]);
  }

  override step(action: number[]) {
    const r = super.step(action);
    this.lastU = (r.info.action as number[])[0];
    return r;
  }

  override reset(seed?: number): number[] {
    this.lastU = 0;
    return super.reset(seed);
  }

  /** Differentiable dynamics: [n, 2] states, [n, 1] torques -> [n, 2]; same RK4, clipping and speed limit. */
  override dynamicsTf(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const { g, m, l, maxSpeed } = this.params;
    return tf.tidy(() => {
      const u = clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high);
      const gain = (3 * g) / (2 * l);
      const b = 3 / (m * l * l);
      const bu = tf.mul(u, b);
      const deriv = ([th, thd]: tf.Tensor2D[]): tf.Tensor2D[] => [thd, tf.add(tf.mul(tf.sin(th), gain), bu) as tf.Tensor2D];
      const x = integrateTf(deriv, states, this.dt / this.substeps, this.substeps);
      return clipColumnsTf(x, [-Infinity, -maxSpeed], [Infinity, maxSpeed]);
    });
  }

  /** Differentiable reward: [n] (theta wrapped with floor, whose gradient is zero, so d/dtheta is 2 wrap(theta)). */
  override rewardTf(states: tf.Tensor2D, actions: tf.Tensor2D, _nextStates?: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const u = clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high);
      const [th, thd] = columnsTf(states);
      const wrapped = tf.sub(th, tf.mul(tf.floor(tf.div(tf.add(th, Math.PI), 2 * Math.PI)), 2 * Math.PI));
      const cost = tf.addN([tf.square(wrapped), tf.mul(tf.square(thd), 0.1), tf.mul(tf.square(u), 0.001)]);
      return tf.neg(cost).reshape([-1]) as tf.Tensor1D;
    });
  }

  /** A 200 x 200 frame: the rod from the pivot (up is theta = 0), the torque as a bar below. */
  render(state?: number[]): string {
    const s = this.stateToRender(state);
    const cx = 100,
      cy = 95,
      len = 70;
    const tipX = cx - len * Math.sin(s[0]); // positive theta turns counter-clockwise
    const tipY = cy - len * Math.cos(s[0]);
    const u = state ? 0 : this.lastU;
    const body =
      circle(cx, cy, len, "none", ' stroke="#eeeeee" stroke-width="1"') +
      line(cx, cy, tipX, tipY, "#1f77b4", 8) +
      circle(tipX, tipY, 7, "#1f77b4") +
      circle(cx, cy, 4, "#333333") +
      actionBar(100, 186, 60, u / this.params.maxTorque, `torque ${f(u)}`) +
      text(6, 14, `theta ${f(wrapAngle(s[0]))}  thetadot ${f(s[1])}`, 10, ' fill="#555555"');
    return svgFrame(200, 200, body, "pendulum");
  }
}
