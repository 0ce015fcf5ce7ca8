/**
 * The reaching cost of the two-link arm (lib/envs/arm.ts) as a least-squares trajectory cost, so
 * iLQR and guided policy search get a Gauss-Newton expansion:
 *   running  wPos |p(q) - target|^2 + wVel |qdot|^2 + wCtrl |u|^2
 *   terminal wPosFinal |p(q_T) - target|^2 + wVelFinal |qdot_T|^2
 * with p(q) the end-effector position. The running weights default to the arm's own reward weights.
 */
import type { Rng } from "../core/random";
import { ARM_COST, ARM_PARAMS, armEndEffector } from "../envs/arm";
import { TrajectoryCost, leastSquaresCost } from "./ilqr";

export interface ArmReachCostOptions {
  target: readonly [number, number];
  wPos?: number;
  wVel?: number;
  wCtrl?: number;
  wPosFinal?: number;
  wVelFinal?: number;
  /** Link lengths (default the arm's). */
  l1?: number;
  l2?: number;
}

export function armReachCost(opts: ArmReachCostOptions): TrajectoryCost {
  const { target } = opts;
  const wPos = opts.wPos ?? 1,
    wVel = opts.wVel ?? ARM_COST.wVel,
    wCtrl = opts.wCtrl ?? ARM_COST.wCtrl;
  const wPosF = opts.wPosFinal ?? 10,
    wVelF = opts.wVelFinal ?? 0.1;
  const links = { l1: opts.l1 ?? ARM_PARAMS.l1, l2: opts.l2 ?? ARM_PARAMS.l2 };
  // leastSquaresCost halves the squared residual, hence the sqrt(2 w).
  const s = (w: number) => Math.sqrt(2 * w);
  const sp = s(wPos),
    sv = s(wVel),
    su = s(wCtrl),
    spf = s(wPosF),
    svf = s(wVelF);
  return leastSquaresCost(
    (x, u) => {
      const p = armEndEffector(x[0], x[1], links);
      return Float64Array.of(sp * (p[0] - target[0]), sp * (p[1] - target[1]), sv * x[2], sv * x[3], su * u[0], su * u[1]);
    },
    (x) => {
      const p = armEndEffector(x[0], x[1], links);
      return Float64Array.of(spf * (p[0] - target[0]), spf * (p[1] - target[1]), svf * x[2], svf * x[3]);
    },
  );
}

/** Distance of the end effector of state x from the target. */
export function armDistance(x: ArrayLike<number>, target: readonly [number, number], links = ARM_PARAMS): number {
  const p = armEndEffector(x[0], x[1], links);
  return Math.hypot(p[0] - target[0], p[1] - target[1]);
}

/** The four corners of a square of half-width `spread` (rad) around the joint angles q0, at rest: the training starts of guided policy search. */
export function armStartCorners(q0: ArrayLike<number>, spread: number): number[][] {
  return [
    [q0[0] - spread, q0[1] - spread, 0, 0],
    [q0[0] - spread, q0[1] + spread, 0, 0],
    [q0[0] + spread, q0[1] - spread, 0, 0],
    [q0[0] + spread, q0[1] + spread, 0, 0],
  ];
}

/** `n` start states drawn uniformly inside that square, at rest: held-out starts for the global policy. */
export function armStartsInSquare(q0: ArrayLike<number>, spread: number, n: number, rng: Rng): number[][] {
  return Array.from({ length: n }, () => [q0[0] + rng.uniform(-spread, spread), q0[1] + rng.uniform(-spread, spread), 0, 0]);
}
