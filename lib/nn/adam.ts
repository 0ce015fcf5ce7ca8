/**
 * Adam (Kingma and Ba 2015) with PyTorch's defaults and update, run as one JavaScript loop per
 * variable on the CPU side. Why not tf.train.adam: on the wasm backend every elementwise op costs a
 * kernel launch and a pass over memory, and Adam needs about ten of them per variable; an ensemble of
 * 5 x 4 layers makes that hundreds of ops per step. Reading the gradient, updating in one fused loop
 * and writing the variable back is several times faster.
 */
import { tf } from "../core/backend";
import { ShapeError } from "../core/checks";

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 (PyTorch). */
  epsilon?: number;
  /** PyTorch-style L2: weightDecay * p is added to the gradient (of the variables where decay[i] is true). */
  weightDecay?: number;
  decay?: readonly boolean[];
}

export class Adam {
  readonly vars: readonly tf.Variable[];
  learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly decay: readonly boolean[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(vars: readonly tf.Variable[], opts: AdamOptions) {
    this.vars = vars;
    this.learningRate = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    this.decay = opts.decay ?? vars.map(() => true);
    this.m = vars.map((v) => new Float32Array(v.size));
    this.v = vars.map((v) => new Float32Array(v.size));
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** One update from gradients in the order of `vars` (null: no gradient, the variable is skipped). */
  step(grads: readonly (tf.Tensor | null | undefined)[]): void {
    if (grads.length !== this.vars.length) {
      throw new ShapeError(`Adam.step: expected ${this.vars.length} gradients, got ${grads.length}`);
    }
    this.stepArrays(grads.map((g) => (g ? (g.dataSync() as Float32Array) : null)));
  }

  /**
   * One update from gradients given as plain arrays (same order and sizes as `vars`; null skips a
   * variable). tick = false updates with the current step count instead of starting a new step (to
   * finish a step whose other variables were updated by an earlier call). collect = true returns the
   * new values of the updated variables (fresh arrays; null for skipped ones).
   */
  stepArrays(
    grads: readonly (Float32Array | null | undefined)[],
    { tick = true, collect = false }: { tick?: boolean; collect?: boolean } = {},
  ): (Float32Array | null)[] {
    if (grads.length !== this.vars.length) {
      throw new ShapeError(`Adam.stepArrays: expected ${this.vars.length} gradients, got ${grads.length}`);
    }
    if (tick || this.t === 0) this.t++;
    const out: (Float32Array | null)[] = collect ? grads.map(() => null) : [];
    const b1 = this.beta1, b2 = this.beta2, eps = this.eps;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    const lr = this.learningRate / c1, sc2 = 1 / Math.sqrt(c2);
    for (let i = 0; i < this.vars.length; i++) {
      const g = grads[i];
      if (!g) continue;
      const variable = this.vars[i];
      if (g.length !== variable.size) throw new ShapeError(`Adam.step: gradient ${i} has ${g.length} entries, the variable ${variable.size}`);
      const p = (variable.dataSync() as Float32Array).slice(); // a copy on every backend
      const m = this.m[i], v = this.v[i];
      const wd = this.decay[i] ? this.wd : 0;
      for (let k = 0; k < p.length; k++) {
        const gk = wd === 0 ? g[k] : g[k] + wd * p[k];
        const mk = (m[k] = b1 * m[k] + (1 - b1) * gk);
        const vk = (v[k] = b2 * v[k] + (1 - b2) * gk * gk);
        p[k] -= (lr * mk) / (Math.sqrt(vk) * sc2 + eps);
      }
      const next = tf.tensor(p, variable.shape, "float32");
      variable.assign(next);
      next.dispose();
      if (collect) out[i] = p.slice(); // a copy: some backends keep p as the tensor's storage
    }
    return out;
  }

  /** Copies of the moments of variable i. */
  moments(i: number): { m: Float32Array; v: Float32Array } {
    return { m: this.m[i].slice(), v: this.v[i].slice() };
  }

  /** Sets the moments of variable i (after it was stepped elsewhere with the same step count). */
  setMoments(i: number, m: Float32Array, v: Float32Array): void {
    if (m.length !== this.m[i].length || v.length !== this.v[i].length) throw new ShapeError(`Adam.setMoments: wrong size for variable ${i}`);
    this.m[i].set(m);
    this.v[i].set(v);
  }

  /** A copy of the moments and step count (to continue training elsewhere, e.g. in a worker). */
  getState(): { m: Float32Array[]; v: Float32Array[]; t: number } {
    return { m: this.m.map((a) => a.slice()), v: this.v.map((a) => a.slice()), t: this.t };
  }

  setState(s: { m: readonly Float32Array[]; v: readonly Float32Array[]; t: number }): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new ShapeError("Adam.setState: wrong number of variables");
    s.m.forEach((a, i) => this.m[i].set(a));
    s.v.forEach((a, i) => this.v[i].set(a));
    this.t = s.t;
  }

  /** Computes the gradients of lossFn w.r.t. `vars`, takes one step, returns the loss (NaN if !readLoss). */
  minimize(lossFn: () => tf.Scalar, readLoss = true): number {
    const { value, grads } = tf.variableGrads(lossFn, this.vars as tf.Variable[]);
    try {
      this.step(this.vars.map((v) => grads[v.name] ?? null));
      return readLoss ? value.dataSync()[0] : NaN;
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  }
}
