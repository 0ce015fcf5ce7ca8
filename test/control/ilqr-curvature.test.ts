/**
 * Issue 21, item 2: iLQR with the exact (finite-difference) Hessian of a non-convex cost stalls; with
 * the default PSD curvature it reaches the other local solvers' level. The problem: the cart-pole
 * swing-up from the hanging state with PILCO's saturating cost (the cost of notebooks 05 and 09),
 * H = 40 steps of 0.1 s, from a seeded random initial action sequence; the references are L-BFGS on
 * the same shooting problem (the actions as variables, central-difference gradients) and iLQR with
 * the Gauss-Newton curvature of the cost written as a residual (`leastSquaresCost`).
 */
import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { CartPole, cartpoleSaturatingCost } from "../../lib/envs";
import { type TrajectoryCost, dynamicsFromEnv, ilqr, leastSquaresCost, rolloutOpenLoop, trajectoryCost } from "../../lib/control";
import { lbfgs } from "../../lib/optim";
import { mat, projectPsd, eigSym } from "../../lib/linalg";

const H = 40;
const INIT_SEED = 1;
const MAX_ITER = 300;

describe("iLQR cost curvature on the cart-pole swing-up", () => {
  const dyn = dynamicsFromEnv(new CartPole());
  const cost: TrajectoryCost = { running: (x) => cartpoleSaturatingCost(x), terminal: (x) => cartpoleSaturatingCost(x) };
  const x0 = [0, 0, 0, 0];
  const rng = makeRng(INIT_SEED);
  const uInit = Array.from({ length: H }, () => [rng.normal()]);
  const final = (costs: number[]) => costs[costs.length - 1];

  it("projectPsd clips negative eigenvalues and keeps a PSD matrix", () => {
    const A = mat(2, 2, Float64Array.of(1, 2, 2, 1)); // eigenvalues 3 and -1
    const P = projectPsd(A);
    expect(Array.from(P.data)).toEqual([1.5, 1.5, 1.5, 1.5].map((v) => expect.closeTo(v, 12)));
    expect(eigSym(P).values[0]).toBeGreaterThan(-1e-12);
    const B = mat(2, 2, Float64Array.of(2, 0.5, 0.5, 1));
    expect(Array.from(projectPsd(B).data).map((v, i) => v - B.data[i])).toEqual([0, 0, 0, 0].map(() => expect.closeTo(0, 12)));
  });

  it("reaches within 2 % of the best of L-BFGS and Gauss-Newton iLQR, where the exact Hessian stalls", () => {
    const psd = final(ilqr(dyn, cost, x0, uInit, { maxIter: MAX_ITER }).costs);
    const exact = final(ilqr(dyn, cost, x0, uInit, { maxIter: MAX_ITER, curvature: "exact" }).costs);
    const residual = (x: Float64Array) => Float64Array.of(Math.sqrt(2 * cartpoleSaturatingCost(x)));
    const gaussNewton = final(ilqr(dyn, leastSquaresCost(residual, residual), x0, uInit, { maxIter: MAX_ITER }).costs);
    const J = (u: Float64Array) => {
      const us = Array.from(u, (v) => Float64Array.of(v));
      return trajectoryCost(cost, rolloutOpenLoop(dyn, x0, us), us);
    };
    const shooting = lbfgs(
      (u, g) => {
        const uu = Float64Array.from(u);
        for (let i = 0; i < H; i++) {
          const h = 1e-6;
          uu[i] = u[i] + h;
          const fp = J(uu);
          uu[i] = u[i] - h;
          const fm = J(uu);
          uu[i] = u[i];
          g[i] = (fp - fm) / (2 * h);
        }
        return J(u);
      },
      uInit.map((u) => u[0]),
      { maxIter: 100 },
    ).f;
    const best = Math.min(shooting, gaussNewton);
    expect(psd).toBeLessThanOrEqual(1.02 * best);
    // The stall this guards against: the indefinite Hessian ends well above the others.
    expect(exact).toBeGreaterThan(1.02 * best);
  }, 120_000);
});
