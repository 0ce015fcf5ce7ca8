import { describe, expect, it } from "vitest";
import { Hill, hillHeight, hillSlope, randomPolicy, rollout } from "../../lib/envs";

/** Least-squares polynomial fit of degree d (normal equations; tiny problems only). */
function polyfit(xs: number[], ys: number[], d: number): (x: number) => number {
  const n = d + 1;
  const A = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let k = 0; k < xs.length; k++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) A[i][j] += xs[k] ** (i + j);
      A[i][n] += ys[k] * xs[k] ** i;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let r = i + 1; r < n; r++) {
      const f = A[r][i] / A[i][i];
      for (let c = i; c <= n; c++) A[r][c] -= f * A[i][c];
    }
  }
  const w = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = A[i][n];
    for (let j = i + 1; j < n; j++) s -= A[i][j] * w[j];
    w[i] = s / A[i][i];
  }
  return (x) => w.reduce((acc, c, i) => acc + c * x ** i, 0);
}

describe("hill", () => {
  it("slope is the derivative of the height and the summit is at x = 4", () => {
    for (const x of [-2, 0, 1.5, 3.9, 4.2, 5, 7]) {
      expect(hillSlope(x)).toBeCloseTo((hillHeight(x + 1e-6) - hillHeight(x - 1e-6)) / 2e-6, 6);
    }
    expect(hillHeight(4)).toBe(3);
    expect(hillSlope(4)).toBeCloseTo(0, 12);
  });

  it("walking right climbs to the summit, then the cliff carries the point away", () => {
    const r = rollout(new Hill(), () => [1], { seed: 0 });
    const xs = r.states.map((s) => (s as number[])[0]);
    const best = Math.max(...r.rewards);
    expect(best).toBeGreaterThan(2.9);
    expect(xs[xs.length - 1]).toBeGreaterThan(6);
    expect(r.rewards[r.rewards.length - 1]).toBeLessThan(0.1);
  });

  it("a model fitted on base-policy data near the start is confidently wrong beyond the summit", () => {
    const env = new Hill();
    const xs: number[] = [],
      hs: number[] = [],
      dx: number[] = [],
      us: number[] = [];
    for (let ep = 0; ep < 20; ep++) {
      const r = rollout(env, randomPolicy(env.actionSpace, ep), { seed: ep, steps: 30 });
      for (let t = 0; t < r.actions.length; t++) {
        const x0 = (r.states[t] as number[])[0],
          x1 = (r.states[t + 1] as number[])[0];
        xs.push(x1);
        hs.push(r.rewards[t]);
        dx.push(x1 - x0 - env.dt * r.actions[t][0]);
        us.push(r.actions[t][0]);
      }
    }
    // The data stays near the start.
    expect(Math.max(...xs)).toBeLessThan(2);
    expect(Math.min(...xs)).toBeGreaterThan(-2);
    // A quadratic fits the height well there ...
    const h = polyfit(xs, hs, 2);
    for (const x of [-0.5, 0, 0.5]) expect(Math.abs(h(x) - hillHeight(x))).toBeLessThan(0.05);
    // ... and keeps climbing where the truth has a cliff.
    expect(h(6)).toBeGreaterThan(hillHeight(4));
    expect(hillHeight(6)).toBeLessThan(0.01);
    // The slide (motion beyond the commanded speed) is a small drift to the left in the data, but
    // past the summit the truth slides right, faster than any commanded speed.
    const slide = polyfit(xs, dx, 1);
    expect(slide(5) / env.dt).toBeLessThan(0);
    expect(-env.params.kSlide * hillSlope(4.7)).toBeGreaterThan(1);
  });
});
