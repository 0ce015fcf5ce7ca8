import { describe, expect, it } from "vitest";
import { CartPole, Pendulum } from "../../lib/envs";
import { CARTPOLE_PIXELS, PENDULUM_PIXELS, PixelEnv, drawSegment, renderStates } from "../../lib/envs/pixels";

/** Brightness-weighted centroid of one image (row, col). */
function centroid(img: Float32Array, size: number, above = 0): [number, number] {
  let m = 0,
    r = 0,
    c = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const v = img[i * size + j] > above ? img[i * size + j] : 0;
      m += v;
      r += v * (i + 0.5);
      c += v * (j + 0.5);
    }
  return [r / m, c / m];
}

describe("rasteriser", () => {
  it("draws a segment where it is: its pixels lie within radius + 1 of the line, its length is covered", () => {
    const size = 32;
    const img = new Float32Array(size * size);
    drawSegment(img, 0, size, 4, 16, 28, 16, 1.5);
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const v = img[r * size + c];
        if (Math.abs(r + 0.5 - 16) > 2.5) expect(v).toBe(0);
        if (Math.abs(r + 0.5 - 16) < 1 && c >= 4 && c < 28) expect(v).toBe(1);
      }
    // area ~ length x width (2 r): 24 x 3 plus the round caps
    const area = img.reduce((a, b) => a + b, 0);
    expect(area).toBeGreaterThan(24 * 3);
    expect(area).toBeLessThan(24 * 3 + Math.PI * 1.5 * 1.5 + 4);
  });

  it("draws the pendulum upright above the pivot, hanging below it, and turning counter-clockwise for theta > 0", () => {
    const size = 32;
    const frame = (th: number) => renderStates(PENDULUM_PIXELS, [th, 0], 2, 0.05, size, 1);
    const [rUp, cUp] = centroid(frame(0), size);
    const [rDown] = centroid(frame(Math.PI), size);
    const [, cLeft] = centroid(frame(Math.PI / 2), size);
    expect(rUp).toBeLessThan(size / 2 - 3);
    expect(Math.abs(cUp - size / 2)).toBeLessThan(0.5);
    expect(rDown).toBeGreaterThan(size / 2 + 3);
    expect(cLeft).toBeLessThan(size / 2 - 3); // counter-clockwise from upright: to the left
  });

  it("moves the image smoothly with the angle (anti-aliasing: a small turn changes few values a little)", () => {
    const a = renderStates(PENDULUM_PIXELS, [0.3, 0], 2, 0.05, 32, 1);
    const b = renderStates(PENDULUM_PIXELS, [0.31, 0], 2, 0.05, 32, 1);
    let d = 0;
    for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(3);
  });

  it("draws the cart where x says and the pole down at theta = 0, up at theta = pi", () => {
    const size = 48;
    const cart = (x: number, th: number) => renderStates(CARTPOLE_PIXELS, [x, 0, th, 0], 4, 0.1, size, 1);
    // (above 0.3: leave out the dim track)
    const [, c0] = centroid(cart(0, 0), size, 0.3);
    const [, c1] = centroid(cart(1, 0), size, 0.3);
    expect(c1 - c0).toBeGreaterThan((size / 4) * 0.8); // about one metre = size / 4 pixels
    const [rDown] = centroid(cart(0, 0), size);
    const [rUp] = centroid(cart(0, Math.PI), size);
    expect(rUp).toBeLessThan(rDown - 2);
  });
});

describe("PixelEnv", () => {
  it("keeps the ContinuousEnv contract: image observations in [0, 1], the inner state, dynamics and reward", () => {
    const env = new PixelEnv(new Pendulum({ seed: 3 }));
    const plain = new Pendulum({ seed: 3 });
    expect(env.name).toBe("pendulum-pixels");
    expect(env.observationSpace.dim).toBe(2 * 32 * 32);
    const o = env.reset(7);
    plain.reset(7);
    expect(o.length).toBe(2048);
    expect(o.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (let t = 0; t < 20; t++) {
      const a = [Math.sin(t)];
      const r = env.step(a);
      const p = plain.step(a);
      expect(r.reward).toBe(p.reward);
      expect(env.getState()).toEqual(plain.getState());
      expect(r.observation.length).toBe(2048);
    }
    expect(env.t).toBe(20);
    expect(env.actionSpace).toEqual(plain.actionSpace);
  });

  it("stacks real history: after a step, the second image is the previous first image", () => {
    const env = new PixelEnv(new Pendulum({ seed: 1 }));
    const o0 = env.reset(2);
    const o1 = env.step([1]).observation;
    expect(o1.slice(1024)).toEqual(o0.slice(0, 1024));
    expect(o1.slice(0, 1024)).not.toEqual(o0.slice(0, 1024));
  });

  it("shows velocity: two states with the same angle and different speeds give different observations", () => {
    const env = new PixelEnv(new Pendulum());
    const slow = env.observe([0.5, 0]);
    const fast = env.observe([0.5, 4]);
    expect(slow.slice(0, 1024)).toEqual(fast.slice(0, 1024));
    expect(slow.slice(1024)).not.toEqual(fast.slice(1024));
  });

  it("is reproducible with a seed", () => {
    const run = () => {
      const env = new PixelEnv(new Pendulum({ seed: 5 }));
      const out = [env.reset(11)];
      for (let t = 0; t < 5; t++) out.push(env.step([0.5]).observation);
      return out;
    };
    expect(run()).toEqual(run());
  });

  it("wraps the cart-pole too, and names a system it cannot draw", () => {
    const env = new PixelEnv(new CartPole({ seed: 0 }), { size: 40, frames: 3 });
    expect(env.reset(0).length).toBe(3 * 40 * 40);
    expect(env.step([5]).observation.length).toBe(4800);
    const fake = { ...new Pendulum(), name: "robot" } as unknown as Pendulum;
    expect(() => new PixelEnv(fake)).toThrow(/no rasteriser for the system "robot"/);
    expect(() => new PixelEnv(new Pendulum(), { size: 4 })).toThrow(/at least 8/);
  });
});
