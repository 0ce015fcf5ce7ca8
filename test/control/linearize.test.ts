import { describe, expect, it } from "vitest";
import { dynamicsFromEnv, linearizeTrajectory } from "../../lib/control";
import { Pendulum, TwoLinkArm } from "../../lib/envs";

describe("linearizeTrajectory on the true systems (dynamicsFromEnv)", () => {
  it("A and B predict small perturbations of the true arm dynamics", () => {
    const env = new TwoLinkArm();
    const xs = [Float64Array.of(0.8, 1.4, 0.3, -0.5), Float64Array.of(0.1, 0.7, -1, 2)];
    const us = [Float64Array.of(1, -0.5), Float64Array.of(-2, 0.3)];
    const { A, B } = linearizeTrajectory(dynamicsFromEnv(env), xs, us);
    for (let t = 0; t < xs.length; t++) {
      const dx = [1e-4, -2e-4, 3e-4, 1e-4], du = [2e-4, -1e-4];
      const f = env.nextState(Array.from(xs[t]), Array.from(us[t]));
      const truth = env.nextState(Array.from(xs[t], (v, i) => v + dx[i]), Array.from(us[t], (v, i) => v + du[i]));
      for (let i = 0; i < 4; i++) {
        let pred = f[i];
        for (let j = 0; j < 4; j++) pred += A[t].data[i * 4 + j] * dx[j];
        for (let j = 0; j < 2; j++) pred += B[t].data[i * 2 + j] * du[j];
        expect(Math.abs(pred - truth[i])).toBeLessThan(1e-7);
      }
    }
  });
  it("on the pendulum, A at the upright equilibrium is the exact discretisation to first order", () => {
    const { A, B } = linearizeTrajectory(dynamicsFromEnv(new Pendulum()), [Float64Array.of(0, 0)], [Float64Array.of(0)]);
    // Continuous-time: xdot = [[0,1],[15,0]] x + [0,3] u; discrete A ~ I + dt Ac + dt^2 Ac^2 / 2.
    expect(A[0].data[0]).toBeCloseTo(1 + (0.05 * 0.05 * 15) / 2, 3);
    expect(A[0].data[2]).toBeCloseTo(0.05 * 15, 2);
    expect(B[0].data[1]).toBeCloseTo(0.05 * 3, 2);
  });
});
