import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { Adam } from "../../lib/nn";

beforeAll(async () => {
  await initBackend();
});

/** Adam written out plainly (Kingma and Ba, Algorithm 1, with PyTorch's epsilon placement and L2). */
function referenceAdam(p: number[], grads: (p: number[]) => number[], steps: number, lr: number, wd = 0): number[] {
  const m = p.map(() => 0),
    v = p.map(() => 0);
  const q = p.slice();
  for (let t = 1; t <= steps; t++) {
    const g = grads(q).map((gi, i) => gi + wd * q[i]);
    for (let i = 0; i < q.length; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const mh = m[i] / (1 - 0.9 ** t),
        vh = v[i] / (1 - 0.999 ** t);
      q[i] -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return q;
}

describe("Adam", () => {
  it("matches a plain implementation on a quadratic, with and without weight decay", () => {
    for (const wd of [0, 0.1]) {
      const p0 = [1, -2, 0.5];
      const v = tf.variable(tf.tensor1d(p0));
      const opt = new Adam([v], { learningRate: 0.05, weightDecay: wd });
      // loss = sum (p - c)^2 * w: gradient 2 w (p - c).
      const c = [0.3, 0.1, -1],
        w = [1, 3, 0.5];
      for (let t = 0; t < 25; t++) {
        opt.minimize(() => tf.sum(tf.mul(tf.square(tf.sub(v, tf.tensor1d(c))), tf.tensor1d(w))));
      }
      const ref = referenceAdam(p0, (p) => p.map((pi, i) => 2 * w[i] * (pi - c[i])), 25, 0.05, wd);
      const got = v.dataSync();
      ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
      expect(opt.steps).toBe(25);
      v.dispose();
    }
  });
});

describe("Adam on the backend's memory", () => {
  it("takes the same step from tensors and from arrays", () => {
    const p0 = Float32Array.from(makeRng(1).normals(300)),
      g = Float32Array.from(makeRng(2).normals(300));
    const a = tf.variable(tf.tensor2d(p0, [20, 15])),
      b = tf.variable(tf.tensor2d(p0, [20, 15]));
    const oa = new Adam([a], { learningRate: 0.01, weightDecay: 0.1 }),
      ob = new Adam([b], { learningRate: 0.01, weightDecay: 0.1 });
    const gt = tf.tensor2d(g, [20, 15]);
    for (let t = 0; t < 3; t++) {
      oa.step([gt]);
      ob.step([g]);
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(a.dataSync()[0]).not.toBe(p0[0]);
    tf.dispose([a, b, gt]);
  });

  it("a matMul sees the weights of the latest step (the backend caches packed weights by tensor)", () => {
    // XNNPACK packs a matMul's right-hand side once per tensor; an update written into the old
    // tensor's memory would leave the product using the old weights.
    const w = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
    const x = tf.tensor2d([1, 1], [1, 2]);
    const before = tf.fused.matMul({ a: x, b: w }).dataSync();
    expect(Array.from(before)).toEqual([4, 6]);
    const opt = new Adam([w], { learningRate: 0.5 });
    opt.step([new Float32Array([1, 1, 1, 1])]); // Adam's first step moves every weight by -lr
    expect(Array.from(tf.fused.matMul({ a: x, b: w }).dataSync())).toEqual([3, 5]);
    tf.dispose([w, x]);
  });
});
