import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { mat, maxAbsDiff } from "../../lib/linalg";
import {
  BatchDynamics,
  TrajectoryCost,
  ilqr,
  leastSquaresCost,
  linearizeTrajectory,
  lqrBackward,
  lqrRollout,
  rolloutOpenLoop,
  trajectoryCost,
  finiteDifferenceExpansion,
  LqrProblem,
} from "../../lib/control";

const dt = 0.05;
/** A damped pendulum x = [theta, omega], torque u, written for this test. */
const pendulum: BatchDynamics = {
  stateDim: 2,
  actionDim: 1,
  uLow: [-8],
  uHigh: [8],
  dynamics(S, U) {
    const rows = U.length;
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const th = S[2 * r],
        om = S[2 * r + 1];
      const om2 = om + dt * (-10 * Math.sin(th) - 0.1 * om + U[r]);
      out[2 * r] = th + dt * om2;
      out[2 * r + 1] = om2;
    }
    return out;
  },
};

function pendulumJacobians(x: Float64Array, u: Float64Array) {
  void u;
  const dom = [-10 * dt * Math.cos(x[0]), 1 - 0.1 * dt];
  const A = mat(2, 2, [1 + dt * dom[0], dt * dom[1], dom[0], dom[1]]);
  const B = mat(2, 1, [dt * dt, dt]);
  return { A, B };
}

const swingUp: TrajectoryCost = leastSquaresCost(
  (x, u) => Float64Array.of(0.1 * u[0]),
  (x) => Float64Array.of(10 * (x[0] - Math.PI), 3 * x[1]),
);

describe("iLQR", () => {
  it("gets the Jacobians of the dynamics right (finite differences vs analytic)", () => {
    const rng = makeRng(5);
    const xs = Array.from({ length: 4 }, () => rng.normals(2));
    const us = Array.from({ length: 3 }, () => rng.normals(1));
    const { A, B } = linearizeTrajectory(pendulum, xs, us);
    for (let t = 0; t < 3; t++) {
      const J = pendulumJacobians(xs[t], us[t]);
      expect(maxAbsDiff(A[t], J.A)).toBeLessThan(1e-8);
      expect(maxAbsDiff(B[t], J.B)).toBeLessThan(1e-8);
    }
  });

  it("gets the Gauss-Newton and finite-difference cost expansions right on a quadratic", () => {
    const cost = leastSquaresCost(
      (x, u) => Float64Array.of(x[0] + 2 * u[0], x[1] - x[0]),
      (x) => Float64Array.of(x[0]),
    );
    const x = Float64Array.of(0.3, -0.2),
      u = Float64Array.of(0.7);
    const gn = cost.runningExpansion!(x, u, 0);
    const fd = finiteDifferenceExpansion((z) => cost.running(z.subarray(0, 2), z.subarray(2), 0), Float64Array.of(0.3, -0.2, 0.7));
    expect(maxAbsDiff([Array.from(gn.lz)], [Array.from(fd.lz)])).toBeLessThan(1e-6);
    expect(maxAbsDiff(gn.lzz, fd.lzz)).toBeLessThan(1e-4);
    expect(gn.l).toBeCloseTo(cost.running(x, u, 0), 12);
  });

  it("solves a linear-quadratic problem in one step, equal to LQR", () => {
    const A = [1, 0.1, 0, 1],
      B = [0.005, 0.1];
    const lin: BatchDynamics = {
      stateDim: 2,
      actionDim: 1,
      dynamics(S, U) {
        const out = new Float64Array(S.length);
        for (let r = 0; r < U.length; r++) {
          out[2 * r] = A[0] * S[2 * r] + A[1] * S[2 * r + 1] + B[0] * U[r];
          out[2 * r + 1] = A[2] * S[2 * r] + A[3] * S[2 * r + 1] + B[1] * U[r];
        }
        return out;
      },
    };
    const cost = leastSquaresCost(
      (x, u) => Float64Array.of(x[0], 0.5 * x[1], 0.3 * u[0]),
      (x) => Float64Array.of(5 * x[0], 5 * x[1]),
    );
    const T = 20;
    const x0 = [1, -0.5];
    const res = ilqr(
      lin,
      cost,
      x0,
      Array.from({ length: T }, () => [0]),
      { tol: 1e-12 },
    );
    const p: LqrProblem = {
      n: 2,
      m: 1,
      F: Array.from({ length: T }, () => mat(2, 3, [A[0], A[1], B[0], A[2], A[3], B[1]])),
      f: Array.from({ length: T }, () => new Float64Array(2)),
      C: Array.from({ length: T }, () => mat(3, 3, [1, 0, 0, 0, 0.25, 0, 0, 0, 0.09])),
      c: Array.from({ length: T }, () => new Float64Array(3)),
      CT: mat(2, 2, [25, 0, 0, 25]),
    };
    const exact = lqrRollout(p, lqrBackward(p), x0);
    expect(res.costs[1]).toBeCloseTo(exact.cost, 6);
    for (let t = 0; t < T; t++) expect(res.us[t][0]).toBeCloseTo(exact.us[t][0], 5);
  });

  it("swings the pendulum up with a monotonically decreasing cost and a zero gradient at the end", () => {
    const T = 60;
    const res = ilqr(
      pendulum,
      swingUp,
      [0, 0],
      Array.from({ length: T }, () => [0]),
      { maxIter: 200, tol: 1e-9 },
    );
    for (let i = 1; i < res.costs.length; i++) expect(res.costs[i]).toBeLessThanOrEqual(res.costs[i - 1]);
    expect(res.costs[res.costs.length - 1]).toBeLessThan(0.05 * res.costs[0]);
    const xT = res.xs[T];
    expect(Math.abs(xT[0] - Math.PI)).toBeLessThan(0.1);
    // Stationarity: the open-loop gradient of the total cost w.r.t. each unsaturated action is ~0.
    const J = (us: Float64Array[]) => trajectoryCost(swingUp, rolloutOpenLoop(pendulum, [0, 0], us), us);
    const h = 1e-5;
    let maxGrad = 0;
    for (let t = 0; t < T; t++) {
      if (Math.abs(res.us[t][0]) > 7.99) continue;
      const up = res.us.map((u) => u.slice()),
        um = res.us.map((u) => u.slice());
      up[t][0] += h;
      um[t][0] -= h;
      maxGrad = Math.max(maxGrad, Math.abs((J(up) - J(um)) / (2 * h)));
    }
    const us0 = Array.from({ length: T }, () => Float64Array.of(0));
    const g0 = Math.abs(
      (J(us0.map((u, s) => (s === T - 1 ? Float64Array.of(h) : u))) - J(us0.map((u, s) => (s === T - 1 ? Float64Array.of(-h) : u)))) /
        (2 * h),
    );
    expect(maxGrad).toBeLessThan(1e-2 * Math.max(1, g0));
    expect(res.K.length).toBe(T);
    expect(res.Quu[0].rows).toBe(1);
  });

  it("uses analytic Jacobians when the dynamics provide them", () => {
    const T = 40;
    const withJac: BatchDynamics = { ...pendulum, jacobians: pendulumJacobians };
    const a = ilqr(
      withJac,
      swingUp,
      [0, 0],
      Array.from({ length: T }, () => [0]),
      { maxIter: 30 },
    );
    const b = ilqr(
      pendulum,
      swingUp,
      [0, 0],
      Array.from({ length: T }, () => [0]),
      { maxIter: 30 },
    );
    expect(a.costs[a.costs.length - 1]).toBeCloseTo(b.costs[b.costs.length - 1], 3);
  });

  it("rejects bad inputs", () => {
    expect(() => ilqr(pendulum, swingUp, [0], [[0]])).toThrow(/x0/);
    expect(() => ilqr(pendulum, swingUp, [0, 0], [])).toThrow(/empty/);
    expect(() => ilqr(pendulum, swingUp, [0, 0], [[0, 1]])).toThrow(/action 0/);
  });
});

describe("iLQR through a learned model", () => {
  it("plans through any DynamicsModel via dynamicsFromModel (one predictBatch per call)", async () => {
    const { dynamicsFromModel } = await import("../../lib/control");
    const { mat: mk } = await import("../../lib/linalg");
    let calls = 0;
    // A stand-in "learned" model: the pendulum itself behind the DynamicsModel interface.
    const model = {
      name: "stand-in",
      stateDim: 2,
      actionDim: 1,
      fit: async () => ({ trainLoss: [], validLoss: [], epochs: 0, seconds: 0 }),
      predict: (s: ArrayLike<number>, a: ArrayLike<number>) => pendulum.dynamics(Float64Array.from(s), Float64Array.from(a)),
      predictBatch: (S: { rows: number; data: Float64Array }, A: { data: Float64Array }) => {
        calls++;
        return mk(S.rows, 2, pendulum.dynamics(S.data, A.data));
      },
    };
    const dyn = dynamicsFromModel(model, { uLow: [-8], uHigh: [8] });
    const T = 40;
    const viaModel = ilqr(
      dyn,
      swingUp,
      [0, 0],
      Array.from({ length: T }, () => [0.1]),
      { maxIter: 20 },
    );
    const direct = ilqr(
      pendulum,
      swingUp,
      [0, 0],
      Array.from({ length: T }, () => [0.1]),
      { maxIter: 20 },
    );
    expect(viaModel.costs[viaModel.costs.length - 1]).toBeCloseTo(direct.costs[direct.costs.length - 1], 6);
    expect(calls).toBeGreaterThan(0);
  });
});
