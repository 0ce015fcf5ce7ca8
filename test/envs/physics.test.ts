import { describe, expect, it } from "vitest";
import {
  armAcceleration,
  armEndEffector,
  armEndEffectorJacobian,
  armMassMatrix,
  ARM_PARAMS,
  CartPole,
  cartpoleSaturatingCost,
  cartpoleTip,
  cartpoleTipMatrix,
  Pendulum,
  pendulumReward,
  TwoLinkArm,
  type ContinuousSystem,
} from "../../lib/envs";

/** Largest relative energy change over a torque-free rollout of n control periods. */
function energyDrift(env: ContinuousSystem, s0: number[], n: number): number {
  const zero = env.actionSpace.low.map(() => 0);
  const e0 = env.energy!(s0);
  let s = s0,
    worst = 0;
  for (let i = 0; i < n; i++) {
    s = env.nextState(s, zero);
    worst = Math.max(worst, Math.abs(env.energy!(s) - e0));
  }
  return worst / Math.abs(e0);
}

describe("energy conservation without friction or torque", () => {
  it("pendulum: 2000 steps (100 s) of swinging", () => {
    expect(energyDrift(new Pendulum(), [0.3, 0], 2000)).toBeLessThan(1e-5);
    // Energy is not conserved by a wrong equation: a doubled gravity term would show it.
    const wrong = new Pendulum({ params: { g: 20 } });
    const e = new Pendulum();
    const s1 = wrong.nextState([1, 0], [0]);
    expect(Math.abs(e.energy(s1) - e.energy([1, 0]))).toBeGreaterThan(1e-2);
  });
  it("cart-pole (b = 0): 1000 steps (100 s)", () => {
    expect(energyDrift(new CartPole({ params: { b: 0 } }), [0, 0.5, 2.5, 0], 1000)).toBeLessThan(1e-3);
  });
  it("cart-pole with friction loses energy", () => {
    const env = new CartPole();
    const s0 = [0, 1, 1, 0];
    let s = s0;
    for (let i = 0; i < 50; i++) s = env.nextState(s, [0]);
    expect(env.energy(s)).toBeLessThan(env.energy(s0));
  });
  it("two-link arm (no friction): 5000 steps (100 s), with and without gravity", () => {
    expect(energyDrift(new TwoLinkArm({ friction: false }), [0.3, 1, 2, -3], 5000)).toBeLessThan(1e-6);
    expect(energyDrift(new TwoLinkArm({ friction: false, gravity: 9.81 }), [0.3, 1, 0.5, -0.5], 500)).toBeLessThan(1e-3); // free fall reaches 40 rad/s here
  });
});

describe("pendulum matches the Gym benchmark", () => {
  it("has the Pendulum-v1 constants and spaces", () => {
    const env = new Pendulum();
    expect(env.params).toMatchObject({ g: 10, m: 1, l: 1, maxTorque: 2, maxSpeed: 8 });
    expect(env.dt).toBe(0.05);
    expect(env.maxSteps).toBe(200);
    expect(env.actionSpace.low).toEqual([-2]);
    expect(env.observationSpace.names).toEqual(["cos_theta", "sin_theta", "thetadot"]);
  });
  it("reward wraps theta and uses the pre-step state", () => {
    expect(pendulumReward(2 * Math.PI + 0.5, 1, 2)).toBeCloseTo(-(0.25 + 0.1 + 0.004), 12);
    const env = new Pendulum();
    env.reset(0);
    env.setState([Math.PI, 0]);
    expect(env.step([1]).reward).toBeCloseTo(-(Math.PI * Math.PI + 0.001), 10);
  });
  it("integrates Gym's ODE: Gym's own update with 1000 tiny steps lands on our RK4 step", () => {
    const env = new Pendulum();
    const [th0, thd0, u] = [0.7, -1.2, 1.5];
    let th = th0,
      thd = thd0;
    const h = 0.05 / 1000;
    for (let k = 0; k < 1000; k++) {
      thd = thd + (1.5 * 10 * Math.sin(th) + 3 * u) * h; // Gym: 3g/(2l) sin(th) + 3/(m l^2) u
      th = th + thd * h;
    }
    const [a, b] = env.nextState([th0, thd0], [u]);
    expect(Math.abs(a - th)).toBeLessThan(1e-4);
    expect(Math.abs(b - thd)).toBeLessThan(1e-3);
  });
  it("clips the speed to 8", () => {
    const env = new Pendulum();
    expect(env.nextState([0, 7.99], [2])[1]).toBe(8);
  });
  it("'down' start hangs at rest", () => {
    const env = new Pendulum({ start: "down" });
    expect(env.reset(3)).toEqual([-1, Math.sin(Math.PI), 0]);
  });
});

describe("cart-pole geometry and cost", () => {
  it("tip, upright cost, and the tip matrix agree", () => {
    const l = 0.5;
    expect(cartpoleSaturatingCost([0, 0, Math.PI, 0])).toBeCloseTo(0, 12);
    expect(cartpoleSaturatingCost([0, 0, 0, 0])).toBeCloseTo(1 - Math.exp(-1 / (2 * 0.0625)), 12);
    const s = [0.3, 0, 1.1, 0];
    const [tx, ty] = cartpoleTip(s);
    const C = cartpoleTipMatrix(l);
    const z = [s[0], Math.sin(s[2]), Math.cos(s[2])];
    expect(C[0][0] * z[0] + C[0][1] * z[1] + C[0][2] * z[2]).toBeCloseTo(tx, 12);
    expect(C[1][0] * z[0] + C[1][1] * z[1] + C[1][2] * z[2]).toBeCloseTo(ty, 12);
  });
  it("hanging still is an equilibrium and upright is unstable", () => {
    const env = new CartPole();
    expect(env.nextState([0, 0, 0, 0], [0])).toEqual([0, 0, 0, 0]);
    const s = env.nextState([0, 0, Math.PI - 0.01, 0], [0]);
    expect(s[2]).toBeLessThan(Math.PI - 0.01);
    // Pushing the cart right swings a hanging pole's tip left (theta decreases).
    expect(env.nextState([0, 0, 0, 0], [10])[2]).toBeLessThan(0);
  });
  it("start state noise has the PILCO std 0.1 and measurement noise is optional", () => {
    const env = new CartPole({ seed: 4 });
    const xs: number[] = [];
    for (let i = 0; i < 2000; i++) xs.push(...env.reset());
    const sd = Math.sqrt(xs.reduce((a, v) => a + v * v, 0) / xs.length);
    expect(sd).toBeGreaterThan(0.095);
    expect(sd).toBeLessThan(0.105);
    const noisy = new CartPole({ obsNoiseStd: 0.01 });
    const obs = noisy.reset(1);
    expect(obs).not.toEqual(noisy.getState());
  });
});

describe("two-link arm", () => {
  it("mass matrix is symmetric positive definite and the acceleration solves M qdd = tau - C - B qd", () => {
    const p = { ...ARM_PARAMS, g: 0 };
    const [q1, q2, qd1, qd2, t1, t2] = [0.4, 1.3, 0.7, -0.2, 1.5, -0.8];
    const M = armMassMatrix(q2, p);
    expect(M[0][0] * M[1][1] - M[0][1] * M[1][0]).toBeGreaterThan(0);
    const acc = [0, 0];
    armAcceleration(q1, q2, qd1, qd2, t1, t2, p, acc);
    const a2 = p.m2 * p.l1 * p.s2;
    const C = [-a2 * Math.sin(q2) * qd2 * (2 * qd1 + qd2), a2 * Math.sin(q2) * qd1 * qd1];
    const Bq = [p.B[0] * qd1 + p.B[1] * qd2, p.B[2] * qd1 + p.B[3] * qd2];
    expect(M[0][0] * acc[0] + M[0][1] * acc[1]).toBeCloseTo(t1 - C[0] - Bq[0], 10);
    expect(M[1][0] * acc[0] + M[1][1] * acc[1]).toBeCloseTo(t2 - C[1] - Bq[1], 10);
  });
  it("end-effector Jacobian matches finite differences", () => {
    const [q1, q2] = [0.3, 1.1];
    const J = armEndEffectorJacobian(q1, q2);
    const h = 1e-6;
    for (let k = 0; k < 2; k++) {
      const plus = armEndEffector(q1 + (k === 0 ? h : 0), q2 + (k === 1 ? h : 0));
      const minus = armEndEffector(q1 - (k === 0 ? h : 0), q2 - (k === 1 ? h : 0));
      for (let i = 0; i < 2; i++) expect(J[i][k]).toBeCloseTo((plus[i] - minus[i]) / (2 * h), 7);
    }
  });
  it("rejects an unreachable target", () => {
    expect(() => new TwoLinkArm({ target: [1, 1] })).toThrow(/out of reach/);
  });
});
