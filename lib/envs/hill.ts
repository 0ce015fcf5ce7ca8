/**
 * Hill: "climb as high as possible" (lecture 000, distribution shift), designed for this course.
 *
 * A point at position x on a 1-D landscape of height
 *   h(x) = H exp(-((x - xPeak) / wLeft)^2)   for x <= xPeak   (a long, gentle climb)
 *   h(x) = H exp(-((x - xPeak) / wRight)^2)  for x >  xPeak   (a cliff on the far side)
 * with H = 3, xPeak = 4, wLeft = 2.5, wRight = 0.7 (h is smooth up to its first derivative).
 * The action u in [-1, 1] is a walking speed [m/s]; the slope makes the point slide downhill:
 *   xdot = u - kSlide h'(x),  kSlide = 0.5,
 * integrated with RK4 (4 sub-steps per dt = 0.1 s); x stays in [-5, 10] (walls). Reward = h(x_next).
 * State = observation = [x]; start x0 ~ N(0, 0.1^2); 100-step episodes.
 *
 * Why it shows distribution shift: near the start (x in about [-1.5, 1.5], where a base policy of
 * random steps keeps the data) h is small, increasing and CONVEX, and the slide is a small, nearly
 * constant drift. A model fitted there (linear or a smooth network, for the height and for the
 * motion) extrapolates that going right keeps climbing ever faster with a constant, gentle slide.
 * The truth beyond the data: the climb flattens at the summit x = 4 (h = 3), then the cliff drops
 * (h'(x) is about -3.7 at its steepest), where the slide (up to about 1.8 m/s) overpowers any
 * walking speed and carries the point down to the valley floor (h near 0). A planner trusting the
 * model walks right forever and falls off; one that re-fits on its own data learns to stop at the top.
 */
import { tf, type Rng } from "../core";
import { box, ContinuousSystem, integrateTf } from "./common";
import { actionBar, circle, f, line, svgFrame, text } from "./svg";
import type { BoxSpace } from "./types";

export interface HillParams {
  height: number;
  xPeak: number;
  wLeft: number;
  wRight: number;
  kSlide: number;
  xMin: number;
  xMax: number;
}

export const HILL_PARAMS: Readonly<HillParams> = Object.freeze({
  height: 3,
  xPeak: 4,
  wLeft: 2.5,
  wRight: 0.7,
  kSlide: 0.5,
  xMin: -5,
  xMax: 10,
});

/** Height of the landscape at x. */
export function hillHeight(x: number, p: HillParams = HILL_PARAMS): number {
  const w = x <= p.xPeak ? p.wLeft : p.wRight;
  const z = (x - p.xPeak) / w;
  return p.height * Math.exp(-z * z);
}

/** Slope h'(x). */
export function hillSlope(x: number, p: HillParams = HILL_PARAMS): number {
  const w = x <= p.xPeak ? p.wLeft : p.wRight;
  const z = (x - p.xPeak) / w;
  return ((-2 * z) / w) * p.height * Math.exp(-z * z);
}

/** The Gaussian width on each side of the summit, as a tensor (tf.step has a zero gradient, like the kink). */
function widthTf(x: tf.Tensor, p: HillParams): tf.Tensor {
  return tf.add(tf.mul(tf.step(tf.sub(x, p.xPeak)), p.wRight - p.wLeft), p.wLeft);
}

export interface HillOptions {
  seed?: number;
  maxSteps?: number;
  /** Std of the start position around 0. Default 0.1. */
  startStd?: number;
  params?: Partial<HillParams>;
}

export class Hill extends ContinuousSystem {
  readonly name = "hill";
  readonly version = "1.0.0";
  readonly dt = 0.1;
  readonly substeps = 4;
  readonly maxSteps: number;
  readonly params: Readonly<HillParams>;
  readonly startStd: number;
  readonly stateSpace: BoxSpace;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  private lastU = 0;

  constructor(options: HillOptions = {}) {
    super(1, 1, options.seed ?? 0);
    this.params = Object.freeze({ ...HILL_PARAMS, ...options.params });
    this.maxSteps = options.maxSteps ?? 100;
    this.startStd = options.startStd ?? 0.1;
    this.stateSpace = box(["x"], this.params.xMin, this.params.xMax, ["m"]);
    this.observationSpace = this.stateSpace;
    this.actionSpace = box(["speed"], -1, 1, ["m/s"]);
  }

  /** Height of the landscape at x (this system's parameters). */
  height(x: number): number {
    return hillHeight(x, this.params);
  }

  protected deriv(x: Float64Array, u: Float64Array, dx: Float64Array): void {
    dx[0] = u[0] - this.params.kSlide * hillSlope(x[0], this.params);
  }

  protected override afterStep(x: Float64Array): void {
    const { xMin, xMax } = this.params;
    x[0] = x[0] < xMin ? xMin : x[0] > xMax ? xMax : x[0];
  }

  protected rewardAt(_s: ArrayLike<number>, _so: number, _a: ArrayLike<number>, _ao: number, s2: ArrayLike<number>, s2o: number): number {
    return hillHeight(s2[s2o], this.params);
  }

  protected sampleInitialState(rng: Rng): number[] {
    return [this.startStd > 0 ? rng.normal(0, this.startStd) : 0];
  }

  observe(state: readonly number[]): number[] {
    return [state[0]];
  }

  override step(action: number[]) {
    const r = super.step(action);
    this.lastU = (r.info.action as number[])[0];
    r.info.height = r.reward;
    return r;
  }

  override reset(seed?: number): number[] {
    this.lastU = 0;
    return super.reset(seed);
  }

  /** Height of the landscape in tfjs ops (for a differentiable reward). */
  heightTf(x: tf.Tensor): tf.Tensor {
    const p = this.params;
    return tf.tidy(() => {
      const w = widthTf(x, p);
      const z = tf.div(tf.sub(x, p.xPeak), w);
      return tf.mul(tf.exp(tf.neg(tf.square(z))), p.height);
    });
  }

  /** Differentiable dynamics: [n, 1] positions, [n, 1] speeds -> [n, 1]; same RK4 and walls. */
  override dynamicsTf(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    const p = this.params;
    return tf.tidy(() => {
      const u = tf.clipByValue(actions, -1, 1);
      const deriv = ([x]: tf.Tensor2D[]): tf.Tensor2D[] => {
        const w = widthTf(x, p);
        const z = tf.div(tf.sub(x, p.xPeak), w);
        // slope h'(x) = -2 z / w * H exp(-z^2)
        const slope = tf.mul(tf.div(tf.mul(z, -2 * p.height), w), tf.exp(tf.neg(tf.square(z))));
        return [tf.sub(u, tf.mul(slope, p.kSlide)) as tf.Tensor2D];
      };
      return tf.clipByValue(integrateTf(deriv, states, this.dt / this.substeps, this.substeps), p.xMin, p.xMax) as tf.Tensor2D;
    });
  }

  /** Differentiable reward h(x_next): -> [n]. */
  override rewardTf(_states: tf.Tensor2D, _actions: tf.Tensor2D, nextStates: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => this.heightTf(nextStates).reshape([-1]) as tf.Tensor1D);
  }

  /** A 320 x 200 frame: the landscape from x = -3 to 8, the point, the summit flag. */
  render(state?: number[]): string {
    const s = this.stateToRender(state);
    const x0 = -3,
      x1 = 8,
      W = 320,
      base = 165,
      sx = W / (x1 - x0),
      sy = 40;
    const X = (x: number) => (x - x0) * sx;
    const Y = (h: number) => base - h * sy;
    let pts = "";
    for (let i = 0; i <= 110; i++) {
      const x = x0 + ((x1 - x0) * i) / 110;
      pts += `${f(X(x))},${f(Y(hillHeight(x, this.params)))} `;
    }
    const peak = this.params.xPeak;
    const xs = Math.min(x1, Math.max(x0, s[0]));
    const u = state ? 0 : this.lastU;
    const body =
      `<polygon points="${f(X(x0))},${f(base)} ${pts}${f(X(x1))},${f(base)}" fill="#e8f0e0" stroke="#5a8f3a" stroke-width="2"/>` +
      line(X(peak), Y(this.params.height), X(peak), Y(this.params.height) - 22, "#555555", 1.5) +
      `<polygon points="${f(X(peak))},${f(Y(this.params.height) - 22)} ${f(X(peak) + 14)},${f(Y(this.params.height) - 17)} ${f(X(peak))},${f(Y(this.params.height) - 12)}" fill="#d62728"/>` +
      line(X(0), base, X(0), base + 5, "#555555", 1) +
      circle(X(xs), Y(hillHeight(xs, this.params)) - 6, 6, "#1f77b4") +
      actionBar(W / 2, 188, 70, u, `speed ${f(u)}`) +
      text(6, 14, `x ${f(s[0])}  height ${f(hillHeight(s[0], this.params))}`, 10, ' fill="#555555"');
    return svgFrame(W, 200, body, "hill");
  }
}
