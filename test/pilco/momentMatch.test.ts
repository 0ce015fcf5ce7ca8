import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { gpPredict } from "../../lib/models/gp";
import { mmModelFromGps, momentMatch, momentMatchBackward, type MmModel } from "../../lib/pilco/momentMatch";
import { fdGrad, maxRelErr, Moments, randomCov, randomGps, sampler } from "./helpers";

const N_MC = 100_000;

describe("moment matching through GPs (gp0) against Monte Carlo", () => {
  for (const seed of [1, 2]) {
    it(`mean, full covariance and input-output covariance (seed ${seed})`, () => {
      const D = 3,
        E = 3,
        n = 25;
      const gps = randomGps(n, D, E, seed);
      const model = mmModelFromGps(gps);
      const rng = makeRng(100 + seed);
      const m = Float64Array.from({ length: D }, () => 0.5 * rng.normal());
      const s = randomCov(D, rng, 0.4);
      const { out } = momentMatch(model, m, s);

      // f(x) ~ GP posterior at x ~ N(m, s): E[f] = E[mu(x)], Cov(f_a, f_b) = Cov(mu_a, mu_b) + delta_ab E[var_a(x)].
      const draw = sampler(m, s, rng);
      const xs: Float64Array[] = [];
      for (let k = 0; k < N_MC; k++) xs.push(draw());
      const X = { rows: N_MC, cols: D, data: new Float64Array(N_MC * D) };
      xs.forEach((x, k) => X.data.set(x, k * D));
      const preds = gps.map((g) => gpPredict(g, X));
      const mom = new Moments(D + E);
      const meanVar = new Float64Array(E);
      const v = new Float64Array(D + E);
      for (let k = 0; k < N_MC; k++) {
        v.set(xs[k], 0);
        for (let e = 0; e < E; e++) {
          v[D + e] = preds[e].mean[k];
          meanVar[e] += preds[e].variance[k] / N_MC;
        }
        mom.add(v);
      }
      for (let a = 0; a < E; a++) {
        const sd = Math.sqrt(out.S[a * E + a]);
        expect(Math.abs(out.M[a] - mom.mean(D + a))).toBeLessThan((5 * sd) / Math.sqrt(N_MC) + 1e-4);
        for (let b = 0; b < E; b++) {
          const mc = mom.cov(D + a, D + b) + (a === b ? meanVar[a] : 0);
          const scale = Math.sqrt(out.S[a * E + a] * out.S[b * E + b]);
          expect(Math.abs(out.S[a * E + b] - mc)).toBeLessThan(0.03 * scale + 1e-4);
        }
        // cov(x, f_a) = s V[:, a]
        for (let d = 0; d < D; d++) {
          let c = 0;
          for (let k = 0; k < D; k++) c += s[d * D + k] * out.V[k * E + a];
          const scale = Math.sqrt(s[d * D + d] * out.S[a * E + a]);
          expect(Math.abs(c - mom.cov(d, D + a))).toBeLessThan(0.03 * scale + 1e-4);
        }
      }
    });
  }
});

function randomAdjoints(D: number, E: number, seed: number) {
  const rng = makeRng(seed);
  return {
    Mb: Float64Array.from({ length: E }, () => rng.normal()),
    Sb: Float64Array.from({ length: E * E }, () => rng.normal()),
    Vb: Float64Array.from({ length: D * E }, () => rng.normal()),
  };
}

function scalarLoss(model: MmModel, m: ArrayLike<number>, s: ArrayLike<number>, adj: ReturnType<typeof randomAdjoints>): number {
  const { out } = momentMatch(model, m, s);
  let L = 0;
  out.M.forEach((v, i) => (L += v * adj.Mb[i]));
  out.S.forEach((v, i) => (L += v * adj.Sb[i]));
  out.V.forEach((v, i) => (L += v * adj.Vb[i]));
  return L;
}

describe("moment matching derivatives against finite differences", () => {
  for (const deterministic of [false, true]) {
    it(`d/dm, d/ds${deterministic ? ", d/dX, d/dbeta (deterministic GP)" : " (gp0)"}`, () => {
      const D = 3,
        E = 2,
        n = 12;
      const model = mmModelFromGps(randomGps(n, D, E, 7));
      if (deterministic) model.iK = model.iK.map(() => null);
      const rng = makeRng(8);
      const m = Float64Array.from({ length: D }, () => 0.5 * rng.normal());
      const s = randomCov(D, rng, 0.5);
      const adj = randomAdjoints(D, E, 9);
      const { cache } = momentMatch(model, m, s, deterministic);
      const g = momentMatchBackward(cache, adj.Mb, adj.Sb, adj.Vb);
      const fm = fdGrad((x) => scalarLoss(model, x, s, adj), m);
      expect(maxRelErr(g.m, fm, 1e-3)).toBeLessThan(1e-5);
      // Symmetric perturbations of s: the derivative along E_ij + E_ji is g_ij + g_ji.
      for (let i = 0; i < D; i++)
        for (let j = 0; j <= i; j++) {
          const h = 1e-5;
          const sp = Float64Array.from(s),
            sm = Float64Array.from(s);
          sp[i * D + j] += h;
          sm[i * D + j] -= h;
          if (i !== j) {
            sp[j * D + i] += h;
            sm[j * D + i] -= h;
          }
          const fd = (scalarLoss(model, m, sp, adj) - scalarLoss(model, m, sm, adj)) / (2 * h);
          const an = i === j ? g.s[i * D + i] : g.s[i * D + j] + g.s[j * D + i];
          expect(Math.abs(an - fd)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
        }
      if (deterministic) {
        const fX = fdGrad((x) => scalarLoss({ ...model, X: x }, m, s, adj), model.X);
        expect(maxRelErr(g.X!, fX, 1e-3)).toBeLessThan(1e-5);
        const fb = fdGrad((b) => scalarLoss({ ...model, beta: b }, m, s, adj), model.beta);
        expect(maxRelErr(g.beta!, fb, 1e-3)).toBeLessThan(1e-5);
      }
    });
  }
});
