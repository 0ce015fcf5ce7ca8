/**
 * One forward pass (issue 17): the planners' member-by-member path (rawMemberOutputs, memberOutputs)
 * computes exactly what the trained network computes (EnsembleMLP.forwardMembers), for every
 * activation, so no copy of the MLP can drift from it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { EnsembleDynamicsModel } from "../../lib/models/ensemble";
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
        const model = new EnsembleDynamicsModel({ stateDim: 2, actionDim: 1, hiddenSizes: [8, 8], members: 3, epochs: 2, activation, probabilistic, seed: 5 });
        await model.fit(data(64));
        const rng = makeRng(6);
        const rows = [3, 0, 5]; // member 1 gets no rows
        const xs = rows.map((r) => Float32Array.from({ length: r * model.inputSize }, () => rng.uniform(-2, 2)));
        const got = model.rawMemberOutputs(xs);
        for (let b = 0; b < 3; b++) {
          if (rows[b] === 0) {
            expect(got[b].m.length).toBe(0);
            continue;
          }
          const x = tf.tensor2d(xs[b], [rows[b], model.inputSize]);
          const o = model.net.forwardMembers(x);
          const want = { m: o.mean[b].dataSync().slice(), v: o.logVar ? o.logVar[b].dataSync().slice() : null };
          tf.dispose([x, ...o.mean, ...(o.logVar ?? [])]);
          expect(Array.from(got[b].m)).toEqual(Array.from(want.m));
          if (probabilistic) expect(Array.from(got[b].v!)).toEqual(Array.from(want.v!));
          else expect(got[b].v).toBeNull();
        }
        model.dispose();
      });
    }
  }
});
