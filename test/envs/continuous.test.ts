import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng, tf } from "../../lib/core";
import { CartPole, Hill, Pendulum, TwoLinkArm, toFlat, toRows, type ContinuousSystem } from "../../lib/envs";

const systems: [string, () => ContinuousSystem][] = [
  ["pendulum", () => new Pendulum()],
  ["cartpole", () => new CartPole()],
  ["cartpole-pets", () => new CartPole({ reward: "pets" })],
  ["arm", () => new TwoLinkArm()],
  ["arm-gravity", () => new TwoLinkArm({ gravity: 9.81, startStd: 0.05 })],
  ["hill", () => new Hill()],
];

/** Random in-bounds-ish states and actions (actions up to 1.5x the bound, to exercise clipping). */
function samples(env: ContinuousSystem, n: number, seed: number) {
  const rng = makeRng(seed);
  const states: number[][] = [];
  const actions: number[][] = [];
  for (let i = 0; i < n; i++) {
    env.reset(seed + i);
    const s = env.getState();
    states.push(s.map((v, j) => (j === 0 && env.name === "hill" ? rng.uniform(-2, 7) : v + rng.normal(0, 0.5))));
    actions.push(env.actionSpace.low.map((lo, j) => 1.5 * rng.uniform(lo, env.actionSpace.high[j])));
  }
  return { states, actions };
}

describe.each(systems)("%s", (_label, make) => {
  it("batched dynamics and reward equal step() row by row", () => {
    const env = make();
    const { states, actions } = samples(env, 25, 3);
    const next = env.dynamics(toFlat(states), toFlat(actions));
    const rew = env.reward(toFlat(states), toFlat(actions), next);
    const rows = toRows(next, env.stateSpace.dim);
    for (let i = 0; i < states.length; i++) {
      env.reset(0);
      env.setState(states[i]);
      const r = env.step(actions[i]);
      expect(env.getState()).toEqual(rows[i]);
      expect(r.reward).toBe(rew[i]);
      expect(env.nextState(states[i], actions[i])).toEqual(rows[i]);
    }
    // `out` is reused without allocation and gives the same numbers.
    const out = new Float64Array(next.length);
    expect(env.dynamics(toFlat(states), toFlat(actions), out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(next));
  });

  it("same seed, same trajectory; different seed, different start", () => {
    const run = (seed: number) => {
      const env = make();
      const rng = makeRng(99);
      const obs = [env.reset(seed)];
      for (let t = 0; t < Math.min(env.maxSteps, 30); t++) {
        obs.push(env.step(env.actionSpace.low.map((lo, j) => rng.uniform(lo, env.actionSpace.high[j]))).observation);
      }
      return obs;
    };
    expect(run(7)).toEqual(run(7));
    // The arm starts from a fixed posture unless startStd > 0.
    if (_label !== "arm") expect(run(7)[0]).not.toEqual(run(8)[0]);
  });

  it("clips out-of-bound actions and says so; rejects NaN and wrong lengths naming the system", () => {
    const env = make();
    env.reset(1);
    const s = env.getState();
    const big = env.actionSpace.high.map((h) => h * 3);
    const r = env.step(big);
    expect(r.info.clipped).toBe(true);
    expect(r.info.action).toEqual([...env.actionSpace.high]);
    expect(env.nextState(s, big)).toEqual(env.nextState(s, [...env.actionSpace.high]));
    const bad = env.actionSpace.low.map(() => 0);
    bad[0] = NaN;
    expect(() => env.step(bad)).toThrow(new RegExp(`${env.name}.*NaN`));
    expect(() => env.step([...bad, 0, 0].slice(0, env.actionSpace.dim + 1).map(() => 0))).toThrow(
      new RegExp(`${env.name}.*must have ${env.actionSpace.dim}`),
    );
    expect(() => env.dynamics(new Float64Array(env.stateSpace.dim * 2), new Float64Array(env.actionSpace.dim))).toThrow(
      /2 state rows but 1 action rows/,
    );
    const nanActions = new Float64Array(env.actionSpace.dim * 2);
    nanActions[env.actionSpace.dim] = NaN;
    expect(() => env.dynamics(new Float64Array(env.stateSpace.dim * 2), nanActions)).toThrow(new RegExp(`${env.name}.*row 1.*NaN`));
  });

  it("truncates at maxSteps and refuses to step past it", () => {
    const env = make();
    env.reset(0);
    const zero = env.actionSpace.low.map(() => 0);
    let last: ReturnType<typeof env.step> | undefined;
    for (let t = 0; t < env.maxSteps; t++) last = env.step(zero);
    expect(last!.truncated).toBe(true);
    expect(last!.terminated).toBe(false);
    expect(() => env.step(zero)).toThrow(/episode is over/);
  });

  it("renders a complete SVG frame", () => {
    const env = make();
    env.reset(0);
    env.step(env.actionSpace.high.map((h) => h / 2));
    const svg = env.render();
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(env.render(env.getState())).toMatch(/^<svg/);
  });
});

describe.each(systems)("%s differentiable version", (_label, make) => {
  beforeAll(async () => {
    await initBackend();
  });

  it("dynamicsTf and rewardTf agree with the float64 model", () => {
    const env = make();
    const { states, actions } = samples(env, 12, 5);
    const next = env.dynamics(toFlat(states), toFlat(actions));
    const rew = env.reward(toFlat(states), toFlat(actions), next);
    const [nt, rt] = tf.tidy(() => {
      const s = tf.tensor2d(states),
        a = tf.tensor2d(actions);
      const n = env.dynamicsTf!(s, a);
      return [n.arraySync(), env.rewardTf!(s, a, tf.tensor2d(toRows(next, env.stateSpace.dim))).arraySync()];
    });
    const rows = toRows(next, env.stateSpace.dim);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows[i].length; j++) expect(Math.abs(nt[i][j] - rows[i][j])).toBeLessThan(2e-4 * (1 + Math.abs(rows[i][j])));
      expect(Math.abs(rt[i] - rew[i])).toBeLessThan(2e-4 * (1 + Math.abs(rew[i])));
    }
  });

  it("gradients of a scalar of (next state, reward) match central finite differences", () => {
    const env = make();
    const nx = env.stateSpace.dim,
      nu = env.actionSpace.dim;
    const { states, actions } = samples(env, 4, 11);
    // Keep actions strictly inside the bounds (clipping has a kink at the bound).
    for (const a of actions)
      for (let j = 0; j < nu; j++) a[j] = 0.6 * Math.max(env.actionSpace.low[j], Math.min(env.actionSpace.high[j], a[j]));
    const w = makeRng(2).normals(nx);
    // Scalar objective J = sum_i (w . f(s_i, a_i) + r(s_i, a_i, f(s_i, a_i))).
    const J = (S: number[][], A: number[][]) => {
      const n = env.dynamics(toFlat(S), toFlat(A));
      const r = env.reward(toFlat(S), toFlat(A), n);
      let total = 0;
      for (let i = 0; i < S.length; i++) {
        for (let j = 0; j < nx; j++) total += w[j] * n[i * nx + j];
        total += r[i];
      }
      return total;
    };
    const grads = tf.tidy(() => {
      const g = tf.grads((s: tf.Tensor, a: tf.Tensor) => {
        const n = env.dynamicsTf!(s as tf.Tensor2D, a as tf.Tensor2D);
        return tf.add(tf.sum(tf.mul(n, tf.tensor1d(Array.from(w)))), tf.sum(env.rewardTf!(s as tf.Tensor2D, a as tf.Tensor2D, n)));
      });
      return g([tf.tensor2d(states), tf.tensor2d(actions)]).map((t) => t.arraySync() as number[][]);
    });
    const h = 1e-6;
    for (const [which, X, G] of [
      ["state", states, grads[0]],
      ["action", actions, grads[1]],
    ] as const) {
      for (let i = 0; i < X.length; i++) {
        for (let j = 0; j < X[i].length; j++) {
          const plus = X.map((r) => r.slice()),
            minus = X.map((r) => r.slice());
          plus[i][j] += h;
          minus[i][j] -= h;
          const fd = which === "state" ? (J(plus, actions) - J(minus, actions)) / (2 * h) : (J(states, plus) - J(states, minus)) / (2 * h);
          expect(Math.abs(G[i][j] - fd), `${which} ${i},${j}: tf ${G[i][j]} fd ${fd}`).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
        }
      }
    }
  });
});
