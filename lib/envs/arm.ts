/**
 * Two-link planar arm reaching a target point with joint torques (shoulder and elbow).
 *
 * Manipulator dynamics  M(q) qddot + C(q, qdot) + B qdot + G(q) = tau  with the arm model of
 * Li and Todorov, "Iterative linear quadratic regulator design for nonlinear biological movement
 * systems" (ICINCO 2004), the standard iLQR test arm:
 *   link masses m1 = 1.4, m2 = 1.1 kg; lengths l1 = 0.30, l2 = 0.33 m; joint-to-centre-of-mass
 *   s1 = 0.11, s2 = 0.16 m; inertias (about the joints, as in the paper) I1 = 0.025, I2 = 0.045 kg m^2;
 *   joint friction B = [[0.05, 0.025], [0.025, 0.05]] (set `friction: false` for the energy test).
 *   a1 = I1 + I2 + m2 l1^2, a2 = m2 l1 s2, a3 = I2
 *   M = [[a1 + 2 a2 cos q2, a3 + a2 cos q2], [a3 + a2 cos q2, a3]]
 *   C = a2 sin q2 [-qdot2 (2 qdot1 + qdot2), qdot1^2]
 * Gravity is off by default (the arm moves in a horizontal plane); with `gravity: 9.81` the plane is
 * vertical, y up: G = g [(m1 s1 + m2 l1) cos q1 + m2 s2 cos(q1 + q2), m2 s2 cos(q1 + q2)].
 *
 * State [q1, q2, qdot1, qdot2] (q1 from the x axis, q2 relative to link 1); action [tau1, tau2]
 * in [-5, 5] N m (our choice; the paper drives muscles). dt = 0.02 s (RK4, 4 sub-steps of 5 ms),
 * 100-step episodes (2 s). Start q = [pi/4, pi/2] at rest (plus optional noise).
 * Cost (quadratic in the end-effector error, our weights):
 *   cost(s, u, s2) = |p(s2) - target|^2 + wVel |qdot(s2)|^2 + wCtrl |u|^2, reward = -cost,
 * with p(q) = (l1 cos q1 + l2 cos(q1 + q2), l1 sin q1 + l2 sin(q1 + q2)); default target (0.35, 0.25),
 * wVel = 0.001, wCtrl = 0.0001.
 */
import { tf, ValueError, type Rng } from "../core";
import { box, clipColumnsTf, columnsTf, ContinuousSystem, integrateTf } from "./common";
import { actionBar, circle, f, line, svgFrame, text } from "./svg";
import type { BoxSpace } from "./types";

export interface ArmParams {
  m1: number;
  m2: number;
  l1: number;
  l2: number;
  s1: number;
  s2: number;
  I1: number;
  I2: number;
  /** Joint friction matrix [[b11, b12], [b21, b22]] flattened. */
  B: readonly [number, number, number, number];
  /** Gravity along -y (0: horizontal plane). */
  g: number;
  maxTorque: number;
}

export const ARM_PARAMS: Readonly<ArmParams> = Object.freeze({
  m1: 1.4,
  m2: 1.1,
  l1: 0.3,
  l2: 0.33,
  s1: 0.11,
  s2: 0.16,
  I1: 0.025,
  I2: 0.045,
  B: [0.05, 0.025, 0.025, 0.05] as const,
  g: 0,
  maxTorque: 5,
});

export interface ArmCostWeights {
  /** Weight of the joint-velocity penalty. */
  wVel: number;
  /** Weight of the torque penalty. */
  wCtrl: number;
}

export const ARM_COST: Readonly<ArmCostWeights> = Object.freeze({ wVel: 0.001, wCtrl: 0.0001 });

export interface ArmOptions {
  seed?: number;
  maxSteps?: number;
  /** Target point for the end effector [m]. Default [0.35, 0.25]. */
  target?: readonly [number, number];
  /** Start joint angles. Default [pi/4, pi/2]. */
  startQ?: readonly [number, number];
  /** Std of noise on the start angles. Default 0. */
  startStd?: number;
  /** Joint friction on (default true). */
  friction?: boolean;
  /** Gravity [m/s^2] along -y; default 0. */
  gravity?: number;
  cost?: Partial<ArmCostWeights>;
  params?: Partial<ArmParams>;
}

/** End-effector position p(q) of joint angles (q1, q2). */
export function armEndEffector(q1: number, q2: number, params: Pick<ArmParams, "l1" | "l2"> = ARM_PARAMS): [number, number] {
  return [params.l1 * Math.cos(q1) + params.l2 * Math.cos(q1 + q2), params.l1 * Math.sin(q1) + params.l2 * Math.sin(q1 + q2)];
}

/** The elbow position (end of link 1). */
export function armElbow(q1: number, params: Pick<ArmParams, "l1"> = ARM_PARAMS): [number, number] {
  return [params.l1 * Math.cos(q1), params.l1 * Math.sin(q1)];
}

/** Jacobian dp/dq of the end-effector position (2 x 2). */
export function armEndEffectorJacobian(q1: number, q2: number, params: Pick<ArmParams, "l1" | "l2"> = ARM_PARAMS): number[][] {
  const s1 = Math.sin(q1),
    c1 = Math.cos(q1),
    s12 = Math.sin(q1 + q2),
    c12 = Math.cos(q1 + q2);
  return [
    [-params.l1 * s1 - params.l2 * s12, -params.l2 * s12],
    [params.l1 * c1 + params.l2 * c12, params.l2 * c12],
  ];
}

/** Mass matrix M(q) (depends on q2 only), as [[M11, M12], [M12, M22]]. */
export function armMassMatrix(q2: number, p: ArmParams = ARM_PARAMS): number[][] {
  const a1 = p.I1 + p.I2 + p.m2 * p.l1 * p.l1,
    a2 = p.m2 * p.l1 * p.s2,
    a3 = p.I2;
  const c2 = Math.cos(q2);
  return [
    [a1 + 2 * a2 * c2, a3 + a2 * c2],
    [a3 + a2 * c2, a3],
  ];
}

/**
 * Joint accelerations qddot = M^-1 (tau - C - B qdot - G) of one state; written into out[0..1].
 * Shared by the integrator and exported for inverse/forward-dynamics exercises.
 */
export function armAcceleration(
  q1: number,
  q2: number,
  qd1: number,
  qd2: number,
  tau1: number,
  tau2: number,
  p: ArmParams,
  out: Float64Array | number[],
): void {
  const a1 = p.I1 + p.I2 + p.m2 * p.l1 * p.l1,
    a2 = p.m2 * p.l1 * p.s2,
    a3 = p.I2;
  const c2 = Math.cos(q2),
    s2 = Math.sin(q2);
  const M11 = a1 + 2 * a2 * c2,
    M12 = a3 + a2 * c2,
    M22 = a3;
  const C1 = -a2 * s2 * qd2 * (2 * qd1 + qd2),
    C2 = a2 * s2 * qd1 * qd1;
  let G1 = 0,
    G2 = 0;
  if (p.g !== 0) {
    const c12 = Math.cos(q1 + q2);
    G1 = p.g * ((p.m1 * p.s1 + p.m2 * p.l1) * Math.cos(q1) + p.m2 * p.s2 * c12);
    G2 = p.g * p.m2 * p.s2 * c12;
  }
  const r1 = tau1 - C1 - (p.B[0] * qd1 + p.B[1] * qd2) - G1;
  const r2 = tau2 - C2 - (p.B[2] * qd1 + p.B[3] * qd2) - G2;
  const det = M11 * M22 - M12 * M12;
  out[0] = (M22 * r1 - M12 * r2) / det;
  out[1] = (M11 * r2 - M12 * r1) / det;
}

export class TwoLinkArm extends ContinuousSystem {
  readonly name = "arm";
  readonly version = "1.0.0";
  readonly dt = 0.02;
  readonly substeps = 4;
  readonly maxSteps: number;
  readonly params: Readonly<ArmParams>;
  readonly target: readonly [number, number];
  readonly startQ: readonly [number, number];
  readonly startStd: number;
  readonly costWeights: Readonly<ArmCostWeights>;
  readonly stateSpace: BoxSpace;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  private readonly acc = new Float64Array(2);
  private lastU = [0, 0];

  constructor(options: ArmOptions = {}) {
    super(4, 2, options.seed ?? 0);
    const B = options.friction === false ? ([0, 0, 0, 0] as const) : (options.params?.B ?? ARM_PARAMS.B);
    this.params = Object.freeze({ ...ARM_PARAMS, ...options.params, B, g: options.gravity ?? options.params?.g ?? 0 });
    this.maxSteps = options.maxSteps ?? 100;
    this.target = options.target ?? [0.35, 0.25];
    this.startQ = options.startQ ?? [Math.PI / 4, Math.PI / 2];
    this.startStd = options.startStd ?? 0;
    this.costWeights = Object.freeze({ ...ARM_COST, ...options.cost });
    const reach = this.params.l1 + this.params.l2;
    if (Math.hypot(this.target[0], this.target[1]) > reach) {
      throw new ValueError(`arm: target (${this.target}) is out of reach (${reach} m)`);
    }
    const names = ["q1", "q2", "qdot1", "qdot2"];
    const units = ["rad", "rad", "rad/s", "rad/s"];
    this.stateSpace = box(names, -Infinity, Infinity, units);
    this.observationSpace = box(names, -Infinity, Infinity, units);
    const u = this.params.maxTorque;
    this.actionSpace = box(["tau1", "tau2"], -u, u, ["N m", "N m"]);
  }

  protected deriv(x: Float64Array, u: Float64Array, dx: Float64Array): void {
    armAcceleration(x[0], x[1], x[2], x[3], u[0], u[1], this.params, this.acc);
    dx[0] = x[2];
    dx[1] = x[3];
    dx[2] = this.acc[0];
    dx[3] = this.acc[1];
  }

  /** The cost of one transition (see the file comment); reward = -cost. */
  cost(state: ArrayLike<number>, action: ArrayLike<number>, nextState: ArrayLike<number>): number {
    return this.costAt(action, 0, nextState, 0);
  }

  private costAt(a: ArrayLike<number>, ao: number, s2: ArrayLike<number>, s2o: number): number {
    const { l1, l2 } = this.params;
    const q1 = s2[s2o],
      q2 = s2[s2o + 1];
    const ex = l1 * Math.cos(q1) + l2 * Math.cos(q1 + q2) - this.target[0];
    const ey = l1 * Math.sin(q1) + l2 * Math.sin(q1 + q2) - this.target[1];
    const v1 = s2[s2o + 2],
      v2 = s2[s2o + 3];
    const u1 = a[ao],
      u2 = a[ao + 1];
    return ex * ex + ey * ey + this.costWeights.wVel * (v1 * v1 + v2 * v2) + this.costWeights.wCtrl * (u1 * u1 + u2 * u2);
  }

  protected rewardAt(_s: ArrayLike<number>, _so: number, a: ArrayLike<number>, ao: number, s2: ArrayLike<number>, s2o: number): number {
    return -this.costAt(a, ao, s2, s2o);
  }

  protected sampleInitialState(rng: Rng): number[] {
    const sd = this.startStd;
    return [this.startQ[0] + (sd > 0 ? rng.normal(0, sd) : 0), this.startQ[1] + (sd > 0 ? rng.normal(0, sd) : 0), 0, 0];
  }

  observe(state: readonly number[]): number[] {
    return [...state];
  }

  /** End-effector position of a state. */
  endEffector(state: readonly number[]): [number, number] {
    return armEndEffector(state[0], state[1], this.params);
  }

  /** Kinetic energy (1/2) qdot^T M(q) qdot plus the potential energy when gravity is on. */
  override energy(x: readonly number[]): number {
    const M = armMassMatrix(x[1], this.params);
    const kin = 0.5 * (M[0][0] * x[2] * x[2] + 2 * M[0][1] * x[2] * x[3] + M[1][1] * x[3] * x[3]);
    const p = this.params;
    const pot = p.g * ((p.m1 * p.s1 + p.m2 * p.l1) * Math.sin(x[0]) + p.m2 * p.s2 * Math.sin(x[0] + x[1]));
    return kin + pot;
  }

  override step(action: number[]) {
    const r = super.step(action);
    this.lastU = (r.info.action as number[]).slice();
    r.info.endEffector = this.endEffector(r.info.state as number[]);
    return r;
  }

  override reset(seed?: number): number[] {
    this.lastU = [0, 0];
    return super.reset(seed);
  }

  override dynamicsTf(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const p = this.params;
    return tf.tidy(() => {
      const [u1, u2] = columnsTf(clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high));
      const a1 = p.I1 + p.I2 + p.m2 * p.l1 * p.l1,
        a2 = p.m2 * p.l1 * p.s2,
        a3 = p.I2;
      const deriv = ([q1, q2, qd1, qd2]: tf.Tensor2D[]): tf.Tensor2D[] => {
        const c2 = tf.cos(q2),
          s2 = tf.sin(q2);
        const M11 = tf.add(tf.mul(c2, 2 * a2), a1);
        const M12 = tf.add(tf.mul(c2, a2), a3);
        const C1 = tf.mul(tf.mul(s2, -a2), tf.mul(qd2, tf.add(tf.mul(qd1, 2), qd2)));
        const C2 = tf.mul(tf.mul(s2, a2), tf.square(qd1));
        let r1 = tf.sub(tf.sub(u1, C1), tf.add(tf.mul(qd1, p.B[0]), tf.mul(qd2, p.B[1])));
        let r2 = tf.sub(tf.sub(u2, C2), tf.add(tf.mul(qd1, p.B[2]), tf.mul(qd2, p.B[3])));
        if (p.g !== 0) {
          const c12 = tf.cos(tf.add(q1, q2));
          r1 = tf.sub(r1, tf.add(tf.mul(tf.cos(q1), p.g * (p.m1 * p.s1 + p.m2 * p.l1)), tf.mul(c12, p.g * p.m2 * p.s2)));
          r2 = tf.sub(r2, tf.mul(c12, p.g * p.m2 * p.s2));
        }
        const det = tf.sub(tf.mul(M11, a3), tf.square(M12));
        const qdd1 = tf.div(tf.sub(tf.mul(r1, a3), tf.mul(M12, r2)), det);
        const qdd2 = tf.div(tf.sub(tf.mul(M11, r2), tf.mul(M12, r1)), det);
        return [qd1, qd2, qdd1 as tf.Tensor2D, qdd2 as tf.Tensor2D];
      };
      return integrateTf(deriv, states, this.dt / this.substeps, this.substeps);
    });
  }

  override rewardTf(_states: tf.Tensor2D, actions: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor1D {
    const { l1, l2 } = this.params;
    const { wVel, wCtrl } = this.costWeights;
    return tf.tidy(() => {
      const u = clipColumnsTf(actions, this.actionSpace.low, this.actionSpace.high);
      const [q1, q2, qd1, qd2] = columnsTf(nextStates);
      const q12 = tf.add(q1, q2);
      const ex = tf.sub(tf.add(tf.mul(tf.cos(q1), l1), tf.mul(tf.cos(q12), l2)), this.target[0]);
      const ey = tf.sub(tf.add(tf.mul(tf.sin(q1), l1), tf.mul(tf.sin(q12), l2)), this.target[1]);
      const cost = tf.addN([
        tf.square(ex),
        tf.square(ey),
        tf.mul(tf.add(tf.square(qd1), tf.square(qd2)), wVel),
        tf.mul(tf.sum(tf.square(u), 1, true), wCtrl),
      ]);
      return tf.neg(cost).reshape([-1]) as tf.Tensor1D;
    });
  }

  /** A 240 x 240 frame seen from above: shoulder at the centre, both links, the target as a green ring. */
  render(state?: number[]): string {
    const x = this.stateToRender(state);
    const scale = 150,
      cx = 120,
      cy = 130;
    const [ex, ey] = armElbow(x[0], this.params);
    const [px, py] = armEndEffector(x[0], x[1], this.params);
    const S = (u: number, v: number): [number, number] => [cx + u * scale, cy - v * scale];
    const [sx1, sy1] = S(ex, ey),
      [sx2, sy2] = S(px, py),
      [tx, ty] = S(this.target[0], this.target[1]);
    const u = state ? [0, 0] : this.lastU;
    const reach = (this.params.l1 + this.params.l2) * scale;
    const body =
      circle(cx, cy, reach, "none", ' stroke="#eeeeee" stroke-width="1"') +
      circle(tx, ty, 7, "none", ' stroke="#2ca02c" stroke-width="2"') +
      line(cx, cy, sx1, sy1, "#1f77b4", 7) +
      line(sx1, sy1, sx2, sy2, "#ff7f0e", 6) +
      circle(cx, cy, 5, "#333333") +
      circle(sx1, sy1, 4, "#333333") +
      circle(sx2, sy2, 4, "#d62728") +
      actionBar(60, 228, 50, u[0] / this.params.maxTorque, `tau1 ${f(u[0])}`) +
      actionBar(180, 228, 50, u[1] / this.params.maxTorque, `tau2 ${f(u[1])}`) +
      text(6, 14, `distance to target ${f(Math.hypot(px - this.target[0], py - this.target[1]))} m`, 10, ' fill="#555555"');
    return svgFrame(240, 240, body, "two-link arm");
  }
}
