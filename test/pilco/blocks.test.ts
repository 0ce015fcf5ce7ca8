import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { gSin, gSinBackward, gTrig, gTrigBackward, lossSat, squash93, squashSin, squashValue } from "../../lib/pilco/blocks";
import { controlMoments, expectedCost, type PilcoCost, type PilcoPlant } from "../../lib/pilco/propagate";
import { linearPolicy, policyAction, policyMoments, policyRaw, preparePolicy, rbfPolicy } from "../../lib/pilco/policy";
import { fdGrad, maxRelErr, Moments, randomCov, sampler } from "./helpers";

const N_MC = 200_000;
const ell = 0.5;
/** Cart-pole as in the reference: state [x, v, dtheta, theta], theta = pi upright, tip at (x + l sin, -l cos). */
export const cartPlant: PilcoPlant = { stateDim: 4, angi: [3], poli: [0, 1, 2, 4, 5], dyni: [0, 1, 2, 4, 5] };
export const cartCost: PilcoCost = { idx: [0, 4, 5], Q: [1, ell, 0, ell, ell * ell, 0, 0, 0, ell * ell], target: [0, 0, -1], width: 0.25 };

describe("trigonometric and squashing blocks against Monte Carlo", () => {
  it("gTrig: mean, covariance of [sin, cos] and cov(theta, .)", () => {
    const rng = makeRng(3);
    for (const [mu, v] of [
      [0.4, 0.3],
      [2.5, 1.2],
    ]) {
      const r = gTrig(mu, v);
      const mom = new Moments(3);
      for (let k = 0; k < N_MC; k++) {
        const th = mu + Math.sqrt(v) * rng.normal();
        mom.add([th, Math.sin(th), Math.cos(th)]);
      }
      for (let a = 0; a < 2; a++) {
        expect(Math.abs(r.M[a] - mom.mean(1 + a))).toBeLessThan(0.005);
        expect(Math.abs(r.V[a] * v - mom.cov(0, 1 + a))).toBeLessThan(0.01);
        for (let b = 0; b < 2; b++) expect(Math.abs(r.S[a * 2 + b] - mom.cov(1 + a, 1 + b))).toBeLessThan(0.005);
      }
    }
  });

  for (const [name, q] of [
    ["u_max sin x", squashSin(2)],
    ["u_max (9 sin x + sin 3x)/8", squash93(10)],
  ] as const) {
    it(`gSin with ${name}`, () => {
      const rng = makeRng(4);
      const [mu, v] = [0.7, 0.8];
      const r = gSin(q, mu, v);
      const mom = new Moments(2);
      for (let k = 0; k < N_MC; k++) {
        const x = mu + Math.sqrt(v) * rng.normal();
        mom.add([x, squashValue(q, x)]);
      }
      const sd = Math.sqrt(r.S[0]);
      expect(Math.abs(r.M[0] - mom.mean(1))).toBeLessThan((5 * sd) / Math.sqrt(N_MC));
      expect(Math.abs(r.S[0] - mom.cov(1, 1))).toBeLessThan(0.02 * r.S[0]);
      expect(Math.abs(r.V[0] * v - mom.cov(0, 1))).toBeLessThan(0.02 * Math.sqrt(v * r.S[0]));
    });
  }

  it("gTrig and gSin derivatives against finite differences", () => {
    const rng = makeRng(5);
    const adj = Array.from({ length: 8 }, () => rng.normal());
    const fT = (x: Float64Array) => {
      const r = gTrig(x[0], x[1]);
      return (
        adj[0] * r.M[0] +
        adj[1] * r.M[1] +
        adj[2] * r.S[0] +
        adj[3] * r.S[1] +
        adj[4] * r.S[2] +
        adj[5] * r.S[3] +
        adj[6] * r.V[0] +
        adj[7] * r.V[1]
      );
    };
    const gT = gTrigBackward(0.9, 0.4, adj.slice(0, 2), adj.slice(2, 6), adj.slice(6, 8));
    expect(maxRelErr(gT, fdGrad(fT, [0.9, 0.4]), 1e-4)).toBeLessThan(1e-6);
    const q = squash93(10);
    const fS = (x: Float64Array) => {
      const r = gSin(q, x[0], x[1]);
      return adj[0] * r.M[0] + adj[1] * r.S[0] + adj[2] * r.V[0];
    };
    const gS = gSinBackward(q, -0.3, 0.6, adj[0], adj[1], adj[2]);
    expect(maxRelErr(gS, fdGrad(fS, [-0.3, 0.6]), 1e-4)).toBeLessThan(1e-6);
  });
});

describe("expected saturating cost", () => {
  it("lossSat in closed form against Monte Carlo and finite differences", () => {
    const rng = makeRng(6);
    const d = 3;
    const m = [0.2, -0.1, 0.3];
    const S = randomCov(d, rng, 0.2);
    const W = [2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 3];
    const z = [0.1, 0, -0.2];
    const r = lossSat(m, S, W, z);
    const draw = sampler(m, S, rng);
    let acc = 0;
    for (let k = 0; k < N_MC; k++) {
      const x = draw();
      let q = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += (x[i] - z[i]) * W[i * d + j] * (x[j] - z[j]);
      acc += 1 - Math.exp(-0.5 * q);
    }
    expect(Math.abs(r.L - acc / N_MC)).toBeLessThan(0.003);
    expect(
      maxRelErr(
        r.dm,
        fdGrad((x) => lossSat(x, S, W, z).L, m),
        1e-4,
      ),
    ).toBeLessThan(1e-6);
    const fs = fdGrad((s) => lossSat(m, s, W, z).L, S); // unsymmetric perturbations: compare symmetric parts
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        expect(Math.abs(r.dS[i * d + j] + r.dS[j * d + i] - fs[i * d + j] - fs[j * d + i])).toBeLessThan(1e-6);
      }
  });

  it("cart-pole tip cost (trig moment matching + lossSat) against Monte Carlo, with derivatives", () => {
    const rng = makeRng(7);
    for (const m of [
      [0.1, 0, 0, Math.PI - 0.2],
      [0.3, 0.5, -1, 1.0],
    ]) {
      const S = randomCov(4, rng, 0.15);
      const r = expectedCost(cartPlant, cartCost, m, S);
      const draw = sampler(m, S, rng);
      let acc = 0;
      for (let k = 0; k < N_MC; k++) {
        const x = draw();
        const dx = x[0] + ell * Math.sin(x[3]),
          dy = ell * Math.cos(x[3]) + ell;
        acc += 1 - Math.exp(-(dx * dx + dy * dy) / (2 * 0.25 * 0.25));
      }
      expect(Math.abs(r.L - acc / N_MC)).toBeLessThan(0.003);
      expect(
        maxRelErr(
          r.dm,
          fdGrad((x) => expectedCost(cartPlant, cartCost, x, S).L, m),
          1e-4,
        ),
      ).toBeLessThan(1e-5);
      for (let i = 0; i < 4; i++)
        for (let j = 0; j <= i; j++) {
          const h = 1e-6;
          const sp = Float64Array.from(S),
            sm = Float64Array.from(S);
          sp[i * 4 + j] += h;
          sm[i * 4 + j] -= h;
          if (i !== j) {
            sp[j * 4 + i] += h;
            sm[j * 4 + i] -= h;
          }
          const fd = (expectedCost(cartPlant, cartCost, m, sp).L - expectedCost(cartPlant, cartCost, m, sm).L) / (2 * h);
          const an = i === j ? r.dS[i * 4 + i] : r.dS[i * 4 + j] + r.dS[j * 4 + i];
          expect(Math.abs(an - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
        }
    }
  });
});

describe("policies (moment matched) against Monte Carlo", () => {
  // Gaussian policy inputs (no angles), where moment matching of the policy is exact. The squashing
  // of a Gaussian is exact too (tested above); for the linear policy u~ is Gaussian, so the squashed
  // composite is exact and is checked end to end; for the RBF policy u~ is not Gaussian, so the
  // composite is itself an approximation (as in the reference) and u~ is checked instead.
  const rng = makeRng(8);
  const plant: PilcoPlant = { stateDim: 5, angi: [], poli: [0, 1, 2, 3, 4], dyni: [] };
  const m = [0.1, -0.2, 0.3, 0.2, 0.8];
  const S = randomCov(5, rng, 0.3);
  const policies = [
    ["linear (squashed with u_max sin)", linearPolicy(5, [squashSin(3)], [0.4, -0.8, 0.3, 1.1, -0.5, 0.2])],
    [
      "RBF network, 20 basis functions",
      rbfPolicy(5, [squash93(10)], {
        nBasis: 20,
        centreMean: [0, 0, 0, 0, 1],
        centreCov: randomCov(5, rng, 1),
        targetStd: 1,
        rng,
        lengthscales: [1, 1, 1, 0.7, 0.7],
      }),
    ],
  ] as const;
  for (const [name, policy] of policies) {
    it(`${name}: mean, variance, cov(x, u)`, () => {
      const ctx = preparePolicy(policy);
      const linear = policy.kind === "linear";
      let M: number, Su: number;
      const C = new Float64Array(5);
      if (linear) {
        const r = controlMoments(plant, policy, m, S);
        M = r.M[0];
        Su = r.S[0];
        C.set(r.C);
      } else {
        const { out } = policyMoments(ctx, m, S);
        M = out.M[0];
        Su = out.S[0];
        for (let i = 0; i < 5; i++) for (let k = 0; k < 5; k++) C[i] += S[i * 5 + k] * out.V[k];
      }
      const draw = sampler(m, S, rng);
      const mom = new Moments(6);
      const v = new Float64Array(6);
      for (let k = 0; k < N_MC; k++) {
        const x = draw();
        v.set(x, 0);
        v[5] = linear ? policyAction(ctx, x)[0] : policyRaw(ctx, x)[0];
        mom.add(v);
      }
      const sd = Math.sqrt(Su);
      expect(Su).toBeGreaterThan(0.01);
      expect(Math.abs(M - mom.mean(5))).toBeLessThan((5 * sd) / Math.sqrt(N_MC) + 1e-4);
      expect(Math.abs(Su - mom.cov(5, 5))).toBeLessThan(0.02 * Su + 1e-5);
      for (let i = 0; i < 5; i++) {
        expect(Math.abs(C[i] - mom.cov(i, 5))).toBeLessThan(0.02 * Math.sqrt(S[i * 5 + i] * Su) + 1e-5);
      }
    });
  }
});
