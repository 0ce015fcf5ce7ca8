/**
 * One forward pass (issue 17): the planners' member-by-member path (rawMemberOutputs, memberOutputs)
 * computes exactly what the trained network computes (EnsembleMLP.forwardMembers), for every
 * activation, so no copy of the MLP can drift from it. After a fit the planners' path runs the same
 * network in ONNX Runtime where it loads (lib/nn/inference.ts, issue 21), which agrees to float32
 * rounding; released, the path is forwardMembers itself and must agree bit for bit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble";
import { arrayForwardEngine, releaseArrayForward } from "../../lib/nn";
import { addTransition, emptyDataset } from "../../lib/models/types";

const DATA_SEED = 4;

function data(n: number) {
  const rng = makeRng(DATA_SEED);
  const D = emptyDataset();
  for (let i = 0; i < n; i++) {
    const s = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const a = [rng.uniform(-1, 1)];
    addTransition(D, s, a, 0, [s[0] + 0.1 * s[1], s[1] + 0.1 * a[0] - 0.05 * Math.sin(s[0])]);
  }
  return D;
}

describe("EnsembleDynamicsModel: one forward pass", () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const activation of ["tanh", "silu", "relu"] as const) {
    for (const probabilistic of [true, false]) {
      it(`rawMemberOutputs equals the network's forwardMembers (${activation}, ${probabilistic ? "P" : "D"})`, async () => {
        const model = new EnsembleDynamicsModel({
          stateDim: 2,
          actionDim: 1,
          hiddenSizes: [8, 8],
          members: 3,
          epochs: 2,
          activation,
          probabilistic,
          seed: 5,
        });
        await model.fit(data(64));
        const rng = makeRng(6);
        const rows = [3, 0, 5]; // member 1 gets no rows
        const xs = rows.map((r) => Float32Array.from({ length: r * model.inputSize }, () => rng.uniform(-2, 2)));
        for (const engine of [arrayForwardEngine(model.net), "tfjs"]) {
          if (engine === "tfjs") releaseArrayForward(model.net);
          expect(arrayForwardEngine(model.net)).toBe(engine);
          const got = model.rawMemberOutputs(xs);
          const same = (g: Float32Array, w: Float32Array) => {
            if (engine === "tfjs") expect(Array.from(g)).toEqual(Array.from(w));
            else g.forEach((v, i) => expect(Math.abs(v - w[i])).toBeLessThan(1e-5));
          };
          for (let b = 0; b < 3; b++) {
            if (rows[b] === 0) {
              expect(got[b].m.length).toBe(0);
              continue;
            }
            const x = tf.tensor2d(xs[b], [rows[b], model.inputSize]);
            const o = model.net.forwardMembers(x);
            const want = { m: o.mean[b].dataSync().slice(), v: o.logVar ? o.logVar[b].dataSync().slice() : null };
            tf.dispose([x, ...o.mean, ...(o.logVar ?? [])]);
            same(got[b].m, want.m as Float32Array);
            if (probabilistic) same(got[b].v!, want.v! as Float32Array);
            else expect(got[b].v).toBeNull();
          }
        }
        model.dispose();
      });
    }
  }
});
