import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { squash93, squashSin } from "../../lib/pilco/blocks";
import { mmModelFromGps } from "../../lib/pilco/momentMatch";
import { linearPolicy, rbfPolicy, type Policy } from "../../lib/pilco/policy";
import { propagate, type PilcoCost, type PilcoModel, type PilcoPlant } from "../../lib/pilco/propagate";
import { randomCov, randomGps } from "./helpers";

const pendPlant: PilcoPlant = { stateDim: 2, angi: [0], poli: [1, 2, 3], dyni: [1, 2, 3] };
const pendCost: PilcoCost = { idx: [2, 3], Q: [1, 0, 0, 1], target: [0, 1], width: 0.5 };
const cartPlant: PilcoPlant = { stateDim: 4, angi: [3], poli: [0, 1, 2, 4, 5], dyni: [0, 1, 2, 4, 5] };
const cartCost: PilcoCost = { idx: [0, 4, 5], Q: [1, 0.5, 0, 0.5, 0.25, 0, 0, 0, 0.25], target: [0, 0, -1], width: 0.25 };

function fdCheck(model: PilcoModel, policy: Policy, cost: PilcoCost, m0: number[], S0: Float64Array, H: number, h = 1e-5) {
  const res = propagate(model, policy, cost, m0, S0, H, true);
  const p0 = policy.params.slice();
  let worst = 0;
  let norm = 0;
  for (let k = 0; k < p0.length; k++) {
    policy.params.set(p0);
    policy.params[k] = p0[k] + h;
    const fp = propagate(model, policy, cost, m0, S0, H).total;
    policy.params[k] = p0[k] - h;
    const fm = propagate(model, policy, cost, m0, S0, H).total;
    const fd = (fp - fm) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - res.grad![k]));
    norm = Math.max(norm, Math.abs(fd));
  }
  policy.params.set(p0);
  return { worst, norm, total: res.total };
}

describe("long-term prediction: gradient of the summed expected cost w.r.t. policy parameters", () => {
  it("pendulum-shaped model, RBF policy (H = 10) matches finite differences", () => {
    const rng = makeRng(11);
    const model: PilcoModel = { plant: pendPlant, dyn: mmModelFromGps(randomGps(25, 4, 2, 12)) };
    const policy = rbfPolicy(3, [squash93(2)], {
      nBasis: 6,
      centreMean: [0, 0, -1],
      centreCov: randomCov(3, rng, 0.5),
      targetStd: 0.5,
      rng,
    });
    const { worst, norm, total } = fdCheck(model, policy, pendCost, [Math.PI, 0], randomCov(2, rng, 0.05), 10);
    expect(Number.isFinite(total)).toBe(true);
    expect(norm).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-5 * Math.max(1, norm));
  });

  it("pendulum-shaped model, linear policy (H = 10) matches finite differences", () => {
    const rng = makeRng(13);
    const model: PilcoModel = { plant: pendPlant, dyn: mmModelFromGps(randomGps(20, 4, 2, 14)) };
    const policy = linearPolicy(3, [squashSin(2)], [0.3, -0.5, 0.4, 0.1]);
    const { worst, norm } = fdCheck(model, policy, pendCost, [2.5, 0.3], randomCov(2, rng, 0.05), 10);
    expect(norm).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-5 * Math.max(1, norm));
  });

  it("cart-pole-shaped model (6 GP inputs, 4 outputs), RBF policy (H = 6) matches finite differences", () => {
    const rng = makeRng(15);
    const model: PilcoModel = { plant: cartPlant, dyn: mmModelFromGps(randomGps(20, 6, 4, 16)) };
    const policy = rbfPolicy(5, [squash93(10)], {
      nBasis: 5,
      centreMean: [0, 0, 0, 0, 1],
      centreCov: randomCov(5, rng, 0.3),
      targetStd: 0.3,
      rng,
    });
    const { worst, norm } = fdCheck(model, policy, cartCost, [0, 0, 0, 0], randomCov(4, rng, 0.02), 6);
    expect(norm).toBeGreaterThan(1e-4);
    expect(worst).toBeLessThan(1e-5 * Math.max(1, norm));
  });
});
