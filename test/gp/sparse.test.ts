import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { mat } from "../../lib/linalg";
import { gpPredict, makeHyp, fitGp, selectInducing, sparseGpView, sparsePredict, type MultiGp } from "../../lib/models/gp";
import { mmModelFromGps, mmModelFromSparse, momentMatch } from "../../lib/pilco/momentMatch";

function data(n: number, seed: number) {
  const rng = makeRng(seed);
  const X = mat(n, 2);
  for (let i = 0; i < n * 2; i++) X.data[i] = rng.uniform(-3, 3);
  const y1 = new Float64Array(n),
    y2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y1[i] = Math.sin(X.data[2 * i]) + 0.05 * rng.normal();
    y2[i] = 0.3 * X.data[2 * i + 1] * Math.cos(X.data[2 * i]) + 0.05 * rng.normal();
  }
  const model: MultiGp = {
    gps: [fitGp(X, y1, makeHyp([1.2, 2], 1, 0.05)), fitGp(X, y2, makeHyp([1.5, 1.1], 0.8, 0.05))],
    X,
    E: 2,
    D: 2,
  };
  return { X, model, rng };
}

describe("sparse (FITC) GP view", () => {
  it("with every training input as inducing input it reproduces the full GP", () => {
    const { model } = data(25, 1);
    const view = sparseGpView(
      model,
      Array.from({ length: 25 }, (_, i) => i),
    );
    const Xs = mat(5, 2, Float64Array.from([0.1, 0.2, -1, 2, 2.5, -2.5, 0, 0, -3, 1]));
    for (let e = 0; e < 2; e++) {
      const full = gpPredict(model.gps[e], Xs);
      const sp = sparsePredict(view, e, Xs);
      for (let s = 0; s < 5; s++) {
        expect(sp.mean[s]).toBeCloseTo(full.mean[s], 5);
        expect(sp.variance[s]).toBeCloseTo(full.variance[s], 5);
      }
    }
    // Moment matching on the sparse view equals moment matching on the full GPs.
    const m = [0.3, -0.5],
      s = [0.2, 0.05, 0.05, 0.3];
    const a = momentMatch(mmModelFromGps(model), m, s).out;
    const b = momentMatch(mmModelFromSparse(view), m, s).out;
    for (let k = 0; k < 2; k++) expect(b.M[k]).toBeCloseTo(a.M[k], 5);
    for (let k = 0; k < 4; k++) expect(b.S[k]).toBeCloseTo(a.S[k], 5);
    for (let k = 0; k < 4; k++) expect(b.V[k]).toBeCloseTo(a.V[k], 5);
  });

  it("with fewer inducing inputs (farthest-point choice) it stays close to the full GP", () => {
    const { X, model } = data(200, 2);
    const idx = selectInducing(X, 60, [1.2, 1.1], 10);
    expect(new Set(idx).size).toBe(60);
    for (let r = 190; r < 200; r++) expect(idx).toContain(r);
    const view = sparseGpView(model, idx);
    const Xs = mat(50, 2);
    const rng = makeRng(5);
    for (let i = 0; i < 100; i++) Xs.data[i] = rng.uniform(-2.5, 2.5);
    for (let e = 0; e < 2; e++) {
      const full = gpPredict(model.gps[e], Xs);
      const sp = sparsePredict(view, e, Xs);
      for (let s = 0; s < 50; s++) {
        expect(Math.abs(sp.mean[s] - full.mean[s])).toBeLessThan(0.05);
        expect(Math.abs(sp.variance[s] - full.variance[s])).toBeLessThan(0.01);
      }
    }
  });
});
