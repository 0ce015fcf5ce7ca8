/**
 * Cart-pole swing-up with a continuous force on the cart.
 *
 * Constants from the PILCO reference code (Deisenroth and Rasmussen, PILCO, ICML 2011; the
 * `scenarios/cartPole` files of the PILCO MATLAB package, dynamics in dynamics_cp.m): cart mass
 * M = 0.5 kg, pole mass m = 0.5 kg, pole length l = 0.5 m (a uniform rod, pivot at one end),
 * cart friction b = 0.1 N s/m, g = 9.82 m/s^2, control period dt = 0.1 s (zero-order hold),
 * |u| <= 10 N, 4 s episodes (40 steps), start hanging down with state noise N(0, 0.1^2 I), optional
 * measurement noise (PILCO uses std 0.01).
 *
 * State order here: [x, xdot, theta, thetadot] (PILCO orders it [x, dx, dtheta, theta]).
 * theta = 0 hangs DOWN, theta = pi is upright; the pole tip is at (x + l sin theta, -l cos theta).
 * Equations of motion (Lagrangian of cart + uniform rod, the same as dynamics_cp.m):
 *   D      = 4 (M + m) - 3 m cos^2 theta
 *   xddot  = (2 m l thetadot^2 sin theta + 3 m g sin theta cos theta + 4 u - 4 b xdot) / D
 *   thddot = (-3 m l thetadot^2 sin theta cos theta - 6 (M + m) g sin theta - 6 (u - b xdot) cos theta) / (l D)
 * integrated with RK4 at 10 sub-steps of 0.01 s.
 *
 * Rewards (both evaluated at the next state, as PILCO sums the cost of the states it reaches):
 *  - "pilco" (default): -(1 - exp(-d^2 / (2 * 0.25^2))), the saturating cost of width 0.25 (loss_cp.m),
 *    d = distance from the pole tip to the upright tip position (0, l);
 *  - "pets": exp(-d^2 / l^2) - 0.01 u^2 (Chua et al., PETS, NeurIPS 2018, cart-pole reward).
 */
import { tf, type Rng } from "../core";
import { box, clipColumnsTf, columnsTf, ContinuousSystem, integrateTf } from "./common";
import { actionBar, circle, edgeSafeLabel, f, line, rect, svgFrame, text } from "./svg";
import type { BoxSpace } from "./types";

export interface CartPoleParams {
  /** Cart mass [kg]. */
  M: number;
  /** Pole mass [kg]. */
  m: number;
  /** Pole length [m]. */
  l: number;
  /** Cart friction coefficient [N s/m]. */
  b: number;
  g: number;
  maxForce: number;
}

export const CARTPOLE_PARAMS: Readonly<CartPoleParams> = Object.freeze({ M: 0.5, m: 0.5, l: 0.5, b: 0.1, g: 9.82, maxForce: 10 });

/** Width of PILCO's saturating cost around the upright tip. */
export const CARTPOLE_COST_WIDTH = 0.25;

export type CartPoleReward = "pilco" | "pets";

export interface CartPoleOptions {
  seed?: number;
  /** Episode length in steps. Default 40 (4 s). */
  maxSteps?: number;
  /** Std of the start-state noise around [0, 0, 0, 0] (hanging down, at rest). Default 0.1. */
  startStd?: number;
  /** Std of Gaussian measurement noise added to observations (not to the state). Default 0 (PILCO: 0.01). */
  obsNoiseStd?: number;
  /** Which per-step reward `step` and `reward` give. Default "pilco". */
  reward?: CartPoleReward;
  params?: Partial<CartPoleParams>;
}

/** Pole-tip position (x + l sin theta, -l cos theta) of a state [x, xdot, theta, thetadot]. */
export function cartpoleTip(state: ArrayLike<number>, l = CARTPOLE_PARAMS.l, offset = 0): [number, number] {
  return [state[offset] + l * Math.sin(state[offset + 2]), -l * Math.cos(state[offset + 2])];
}

/**
 * The matrix C with tip - target = C [x, sin theta, cos theta]^T - [0, l]^T, i.e.
 * C = [[1, l, 0], [0, 0, -l]]: what PILCO's expected saturating cost needs (after moment matching
 * the state into [x, sin theta, cos theta]).
 */
export function cartpoleTipMatrix(l = CARTPOLE_PARAMS.l): number[][] {
  return [
    [1, l, 0],
    [0, 0, -l],
  ];
}

/** Squared distance from the tip to the upright tip (0, l). */
export function cartpoleTipDistance2(state: ArrayLike<number>, l = CARTPOLE_PARAMS.l, offset = 0): number {
  const dx = state[offset] + l * Math.sin(state[offset + 2]);
  const dy = -l * Math.cos(state[offset + 2]) - l;
  return dx * dx + dy * dy;
}

/** PILCO's saturating cost 1 - exp(-d^2 / (2 width^2)) in [0, 1). */
export function cartpoleSaturatingCost(state: ArrayLike<number>, l = CARTPOLE_PARAMS.l, width = CARTPOLE_COST_WIDTH, offset = 0): number {
  return 1 - Math.exp(-cartpoleTipDistance2(state, l, offset) / (2 * width * width));
}

/** The PETS cart-pole reward exp(-d^2 / l^2) - 0.01 u^2. */
export function cartpolePetsReward(nextState: ArrayLike<number>, u: number, l = CARTPOLE_PARAMS.l, offset = 0): number {
  return Math.exp(-cartpoleTipDistance2(nextState, l, offset) / (l * l)) - 0.01 * u * u;
}

export class CartPole extends ContinuousSystem {
  readonly name = "cartpole";
  readonly version = "1.0.0";
  readonly dt = 0.1;
  readonly substeps = 10;
  readonly maxSteps: number;
  readonly params: Readonly<CartPoleParams>;
  readonly stateSpace: BoxSpace;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly rewardKind: CartPoleReward;
  readonly startStd: number;
  readonly obsNoiseStd: number;
  private lastU = 0;

  constructor(options: CartPoleOptions = {}) {
    super(4, 1, options.seed ?? 0);
    this.params = Object.freeze({ ...CARTPOLE_PARAMS, ...options.params });
    this.maxSteps = options.maxSteps ?? 40;
    this.startStd = options.startStd ?? 0.1;
    this.obsNoiseStd = options.obsNoiseStd ?? 0;
    this.rewardKind = options.reward ?? "pilco";
    const names = ["x", "xdot", "theta", "thetadot"];
    const units = ["m", "m/s", "rad", "rad/s"];
    this.stateSpace = box(names, -Infinity, Infinity, units);
    this.observationSpace = box(names, -Infinity, Infinity, units);
    this.actionSpace = box(["force"], -this.params.maxForce, this.params.maxForce, ["N"]);
  }

  protected deriv(z: Float64Array, u: Float64Array, dz: Float64Array): void {
    const { M, m, l, b, g } = this.params;
    const xd = z[1],
      th = z[2],
      thd = z[3];
    const s = Math.sin(th),
      c = Math.cos(th);
    const D = 4 * (M + m) - 3 * m * c * c;
    const force = u[0] - b * xd;
    dz[0] = xd;
    dz[1] = (2 * m * l * thd * thd * s + 3 * m * g * s * c + 4 * force) / D;
    dz[2] = thd;
    dz[3] = (-3 * m * l * thd * thd * s * c - 6 * (M + m) * g * s - 6 * force * c) / (l * D);
  }

  protected rewardAt(_s: ArrayLike<number>, _so: number, a: ArrayLike<number>, ao: number, s2: ArrayLike<number>, s2o: number): number {
    const l = this.params.l;
    if (this.rewardKind === "pets") return cartpolePetsReward(s2, a[ao], l, s2o);
    return -cartpoleSaturatingCost(s2, l, CARTPOLE_COST_WIDTH, s2o);
  }

  protected sampleInitialState(rng: Rng): number[] {
    const sd = this.startStd;
    return [rng.normal(0, sd), rng.normal(0, sd), rng.normal(0, sd), rng.normal(0, sd)];
  }

  observe(state: readonly number[]): number[] {
    return [...state];
  }

  protected override noisyObservation(state: readonly number[]): number[] {
    const o = this.observe(state);
    if (this.obsNoiseStd > 0) for (let j = 0; j < o.length; j++) o[j] += this.rng.normal(0, this.obsNoiseStd);
    return o;
  }

  /** Total mechanical energy with b = 0: cart and rod kinetic energy plus the rod's potential energy. */
  override energy(z: readonly number[]): number {
    const { M, m, l, g } = this.params;
    const c = Math.cos(z[2]);
    return 0.5 * (M + m) * z[1] * z[1] + 0.5 * m * l * c * z[1] * z[3] + (m * l * l * z[3] * z[3]) / 6 - 0.5 * m * g * l * c;
  }

  override step(action: number[]) {
    const r = super.step(action);
    this.lastU = (r.info.action as number[])[0];
    r.info.cost = cartpoleSaturatingCost(r.info.state as number[], this.params.l);
    return r;
  }

  override reset(seed?: number): number[] {
    this.lastU = 0;
    return super.reset(seed);
  }

  override dynamicsTf(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const { M, m, l, b, g } = this.params;
    return tf.tidy(() => {
      const u = clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high);
      const deriv = ([, xd, th, thd]: tf.Tensor2D[]): tf.Tensor2D[] => {
        const s = tf.sin(th),
          c = tf.cos(th);
        const D = tf.sub(4 * (M + m), tf.mul(tf.square(c), 3 * m));
        const force = tf.sub(u, tf.mul(xd, b));
        const thd2s = tf.mul(tf.square(thd), s);
        const xdd = tf.div(tf.addN([tf.mul(thd2s, 2 * m * l), tf.mul(tf.mul(s, c), 3 * m * g), tf.mul(force, 4)]), D);
        const thdd = tf.div(
          tf.addN([tf.mul(tf.mul(thd2s, c), -3 * m * l), tf.mul(s, -6 * (M + m) * g), tf.mul(tf.mul(force, c), -6)]),
          tf.mul(D, l),
        );
        return [xd, xdd as tf.Tensor2D, thd, thdd as tf.Tensor2D];
      };
      return integrateTf(deriv, states, this.dt / this.substeps, this.substeps);
    });
  }

  override rewardTf(_states: tf.Tensor2D, actions: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor1D {
    const l = this.params.l;
    return tf.tidy(() => {
      const [x, , th] = columnsTf(nextStates);
      const dx = tf.add(x, tf.mul(tf.sin(th), l));
      const dy = tf.sub(tf.mul(tf.cos(th), -l), l);
      const d2 = tf.add(tf.square(dx), tf.square(dy));
      if (this.rewardKind === "pets") {
        const u = clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high);
        return tf.sub(tf.exp(tf.div(d2, -l * l)), tf.mul(tf.square(u), 0.01)).reshape([-1]) as tf.Tensor1D;
      }
      const w = CARTPOLE_COST_WIDTH;
      return tf.sub(tf.exp(tf.div(d2, -2 * w * w)), 1).reshape([-1]) as tf.Tensor1D;
    });
  }

  /** A 320 x 200 frame: track, cart, pole, the upright target tip, the force as a bar. */
  render(state?: number[]): string {
    const z = this.stateToRender(state);
    const scale = 80; // px per metre
    const W = 320,
      cx = W / 2,
      ground = 130;
    // The view is centred on x = 0 and follows the cart only when it nears an edge, so the cart never
    // jumps across the screen; ticks every metre (labelled) show where on the track it is.
    const span = W / scale;
    const free = span / 2 - 0.6;
    const shift = Math.abs(z[0]) > free ? z[0] - Math.sign(z[0]) * free : 0;
    const px = cx + (z[0] - shift) * scale;
    const l = this.params.l;
    const tipX = px + l * Math.sin(z[2]) * scale;
    const tipY = ground + l * Math.cos(z[2]) * scale;
    let ticks = "";
    for (let m = Math.ceil(shift - span / 2); m <= Math.floor(shift + span / 2); m++) {
      const tx = cx + (m - shift) * scale;
      ticks += line(tx, ground + 10, tx, ground + 18, "#888888", 1) + edgeSafeLabel(tx, ground + 30, String(m), W, 9, ' fill="#888888"');
    }
    const u = state ? 0 : this.lastU;
    const body =
      line(0, ground + 14, W, ground + 14, "#888888", 2) +
      ticks +
      circle(cx - shift * scale, ground - l * scale, 5, "none", ' stroke="#2ca02c" stroke-width="2"') +
      rect(px - 22, ground - 10, 44, 20, "#555555", ' rx="3"') +
      line(px, ground, tipX, tipY, "#1f77b4", 6) +
      circle(tipX, tipY, 5, "#1f77b4") +
      circle(px, ground, 3, "#ffffff") +
      actionBar(cx, 186, 80, u / this.params.maxForce, `force ${f(u)} N`) +
      text(6, 14, `x ${f(z[0])} m  theta ${f(z[2])} rad`, 10, ' fill="#555555"');
    return svgFrame(W, 200, body, "cart-pole");
  }
}
