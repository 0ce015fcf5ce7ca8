/**
 * Pixel observations (lecture 001 and 003, latent world models: "the state is not given but seen").
 *
 * A small rasteriser draws the pendulum or the cart-pole into grayscale images (values in [0, 1],
 * row-major, row 0 at the top), and `PixelEnv` wraps any continuous system so that its observation
 * is the last `frames` images stacked (newest first): one image shows where the rod is, two show
 * where it is going, so the velocity is observable. The wrapper keeps the `ContinuousEnv` contract
 * (state, true dynamics and reward are the inner system's), so every existing loop runs on pixels.
 *
 * Drawing is anti-aliased by coverage: a pixel's value is clamp(radius + 1/2 - d, 0, 1), where d is
 * the distance from the pixel centre to the drawn segment, so the image moves smoothly with the
 * angle (a learned encoder sees sub-pixel motion). Only the segment's bounding box is visited: a
 * 32 x 32 pendulum frame takes about a microsecond, far below the cost of any network.
 *
 * Frame history: `step` stacks the images of the states really visited. Before the first step
 * (`reset`) and in `observe(state)`, which maps a state alone, the earlier frames are drawn at the
 * state extrapolated back in time (`previous`: angle - dt * angular velocity), so they carry the same
 * velocity information as the real history up to O(dt^2).
 */
import { ShapeError, checkInt } from "../core";
import { box } from "./common";
import type { BoxSpace, ContinuousEnv, StepResult } from "./types";
import type { tf } from "../core";

/** Draws one state into `out[offset .. offset + size * size)` (already cleared to 0). */
export type Rasterizer = (state: readonly number[], size: number, out: Float32Array, offset: number) => void;

/** How to draw a system: its rasteriser and the state extrapolated one control period back. */
export interface PixelSystem {
  rasterize: Rasterizer;
  previous: (state: readonly number[], dt: number) => number[];
}

/**
 * Draws a thick anti-aliased segment (x0, y0) - (x1, y1) (pixel units, x right, y down) of the given
 * radius, keeping the brighter of the old and new value per pixel.
 */
export function drawSegment(
  out: Float32Array,
  offset: number,
  size: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  value = 1,
): void {
  const dx = x1 - x0,
    dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const pad = radius + 1;
  const c0 = Math.max(0, Math.floor(Math.min(x0, x1) - pad)),
    c1 = Math.min(size - 1, Math.ceil(Math.max(x0, x1) + pad));
  const r0 = Math.max(0, Math.floor(Math.min(y0, y1) - pad)),
    r1 = Math.min(size - 1, Math.ceil(Math.max(y0, y1) + pad));
  for (let r = r0; r <= r1; r++) {
    const py = r + 0.5 - y0;
    const row = offset + r * size;
    for (let c = c0; c <= c1; c++) {
      const px = c + 0.5 - x0;
      // distance from the pixel centre to the segment: project onto it, clamp to the ends
      let t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx,
        ey = py - t * dy;
      const cover = radius + 0.5 - Math.sqrt(ex * ex + ey * ey);
      if (cover <= 0) continue;
      const v = (cover >= 1 ? 1 : cover) * value;
      if (v > out[row + c]) out[row + c] = v;
    }
  }
}

/** Fills the axis-aligned box centred at (cx, cy) with half sizes (hw, hh), anti-aliased at its edges. */
export function drawBox(out: Float32Array, offset: number, size: number, cx: number, cy: number, hw: number, hh: number, value = 1): void {
  const c0 = Math.max(0, Math.floor(cx - hw)),
    c1 = Math.min(size - 1, Math.ceil(cx + hw));
  const r0 = Math.max(0, Math.floor(cy - hh)),
    r1 = Math.min(size - 1, Math.ceil(cy + hh));
  for (let r = r0; r <= r1; r++) {
    // coverage of the pixel [r, r+1) x [c, c+1) by the box, per axis
    const cy1 = Math.min(r + 1, cy + hh) - Math.max(r, cy - hh);
    if (cy1 <= 0) continue;
    for (let c = c0; c <= c1; c++) {
      const cx1 = Math.min(c + 1, cx + hw) - Math.max(c, cx - hw);
      if (cx1 <= 0) continue;
      const v = Math.min(1, cx1) * Math.min(1, cy1) * value;
      const i = offset + r * size + c;
      if (v > out[i]) out[i] = v;
    }
  }
}

/**
 * The pendulum (state [theta, thetadot], theta = 0 upright, counter-clockwise positive, as
 * lib/envs/pendulum.ts): a rod of 0.4 * size pixels from the image centre, and a dim pivot.
 */
export const PENDULUM_PIXELS: PixelSystem = {
  rasterize(state, size, out, offset) {
    const c = size / 2,
      L = 0.4 * size;
    const th = state[0];
    drawSegment(out, offset, size, c, c, c - L * Math.sin(th), c - L * Math.cos(th), size / 20);
    drawBox(out, offset, size, c, c, size / 32, size / 32, 0.5);
  },
  previous: (s, dt) => [s[0] - dt * s[1], s[1]],
};

/**
 * The cart-pole (state [x, xdot, theta, thetadot], theta = 0 hanging down, as lib/envs/cartpole.ts,
 * pole length 0.5 m): the view spans 4 m of track centred at x = 0 (a cart beyond +-2 m leaves the
 * picture, as a camera would lose it); the cart is a box, the pole a rod from its centre, the track
 * a dim line.
 */
export const CARTPOLE_PIXELS: PixelSystem = {
  rasterize(state, size, out, offset) {
    const scale = size / 4; // pixels per metre
    const ground = 0.5 * size;
    const px = size / 2 + state[0] * scale;
    const l = 0.5;
    for (let c = 0; c < size; c++) out[offset + Math.floor(ground + 0.08 * scale * 2) * size + c] = 0.25;
    drawBox(out, offset, size, px, ground, 0.2 * scale, 0.1 * scale, 0.7);
    drawSegment(
      out,
      offset,
      size,
      px,
      ground,
      px + l * Math.sin(state[2]) * scale,
      ground + l * Math.cos(state[2]) * scale,
      Math.max(0.6, size / 40),
    );
  },
  previous: (s, dt) => [s[0] - dt * s[1], s[1], s[2] - dt * s[3], s[3]],
};

/** The drawing of a system by its name ("pendulum", "cartpole"). */
export function pixelSystemFor(name: string): PixelSystem {
  if (name === "pendulum") return PENDULUM_PIXELS;
  if (name === "cartpole") return CARTPOLE_PIXELS;
  throw new ShapeError(`pixels: no rasteriser for the system "${name}" (pendulum and cartpole have one; pass options.system)`);
}

export interface PixelOptions {
  /** Image side in pixels (square images). Default 32. */
  size?: number;
  /** Images stacked per observation, newest first. Default 2 (so velocity is observable). */
  frames?: number;
  /** How to draw the inner system (default: by its name). */
  system?: PixelSystem;
}

/**
 * Renders many states at once, each as `frames` stacked images drawn at the state and at the state
 * extrapolated back (what `observe` gives): states is flat row-major (n x stateDim); the result is
 * n x (frames * size * size) float32 values in [0, 1].
 */
export function renderStates(
  system: PixelSystem,
  states: ArrayLike<number>,
  stateDim: number,
  dt: number,
  size: number,
  frames: number,
): Float32Array {
  if (states.length % stateDim !== 0) throw new ShapeError(`renderStates: ${states.length} numbers are not rows of ${stateDim}`);
  const n = states.length / stateDim;
  const img = size * size;
  const out = new Float32Array(n * frames * img);
  for (let i = 0; i < n; i++) {
    let s: number[] = Array.from({ length: stateDim }, (_, j) => states[i * stateDim + j]);
    for (let k = 0; k < frames; k++) {
      system.rasterize(s, size, out, (i * frames + k) * img);
      s = system.previous(s, dt);
    }
  }
  return out;
}

/**
 * A continuous system seen through a camera: `reset` and `step` return the last `frames` images
 * (flat, frames * size * size values in [0, 1], newest image first); the state, the true dynamics and
 * the reward are the inner system's, so planners with the true model and the learners on pixels see
 * the same task. `pixels()` gives the current observation as a Float32Array without copying to number[].
 */
export class PixelEnv implements ContinuousEnv {
  readonly name: string;
  readonly version: string;
  readonly size: number;
  readonly frames: number;
  readonly system: PixelSystem;
  readonly observationSpace: BoxSpace;
  private readonly stack: Float32Array;

  constructor(
    readonly inner: ContinuousEnv,
    options: PixelOptions = {},
  ) {
    this.size = checkInt("PixelEnv: size", options.size ?? 32);
    this.frames = checkInt("PixelEnv: frames", options.frames ?? 2);
    if (this.size < 8) throw new ShapeError(`PixelEnv: size must be at least 8 pixels, got ${this.size}`);
    this.system = options.system ?? pixelSystemFor(inner.name);
    this.name = `${inner.name}-pixels`;
    this.version = `${inner.version}+px1`;
    const names: string[] = [];
    for (let k = 0; k < this.frames; k++)
      for (let r = 0; r < this.size; r++) for (let c = 0; c < this.size; c++) names.push(`f${k}_${r}_${c}`);
    this.observationSpace = box(
      names,
      0,
      1,
      names.map(() => "1"),
    );
    this.stack = new Float32Array(this.frames * this.size * this.size);
  }

  get stateSpace(): BoxSpace {
    return this.inner.stateSpace;
  }
  get actionSpace(): BoxSpace {
    return this.inner.actionSpace;
  }
  get dt(): number {
    return this.inner.dt;
  }
  get maxSteps(): number {
    return this.inner.maxSteps;
  }
  get t(): number {
    return this.inner.t;
  }

  /** Values per observation: frames * size * size. */
  get obsDim(): number {
    return this.stack.length;
  }

  /** The current observation (the live buffer: copy it to keep it). */
  pixels(): Float32Array {
    return this.stack;
  }

  /** The frames of one state alone (earlier frames extrapolated back), as a Float32Array. */
  observePixels(state: readonly number[]): Float32Array {
    return renderStates(this.system, state, this.inner.stateSpace.dim, this.dt, this.size, this.frames);
  }

  observe(state: readonly number[]): number[] {
    return Array.from(this.observePixels(state));
  }

  reset(seed?: number): number[] {
    this.inner.reset(seed);
    this.stack.set(this.observePixels(this.inner.getState()));
    return Array.from(this.stack);
  }

  step(action: number[]): StepResult<number[]> {
    const r = this.inner.step(action);
    const img = this.size * this.size;
    // shift the history one image back, then draw the new state in front
    this.stack.copyWithin(img, 0, (this.frames - 1) * img);
    this.stack.fill(0, 0, img);
    const s = this.inner.getState();
    this.system.rasterize(s, this.size, this.stack, 0);
    return { ...r, observation: Array.from(this.stack), info: { ...r.info, state: s } };
  }

  render(state?: number[]): string {
    return this.inner.render(state);
  }
  getState(): number[] {
    return this.inner.getState();
  }
  setState(state: readonly number[]): number[] {
    this.inner.setState(state);
    this.stack.set(this.observePixels(this.inner.getState()));
    return Array.from(this.stack);
  }
  nextState(state: readonly number[], action: readonly number[]): number[] {
    return this.inner.nextState(state, action);
  }
  dynamics(states: Float64Array, actions: Float64Array, out?: Float64Array): Float64Array {
    return this.inner.dynamics(states, actions, out);
  }
  reward(states: Float64Array, actions: Float64Array, nextStates: Float64Array, out?: Float64Array): Float64Array {
    return this.inner.reward(states, actions, nextStates, out);
  }
  dynamicsTf(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    if (!this.inner.dynamicsTf) throw new ShapeError(`${this.name}: the inner system has no dynamicsTf`);
    return this.inner.dynamicsTf(states, actions);
  }
}
