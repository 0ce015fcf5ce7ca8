/**
 * Adam (Kingma and Ba 2015) with PyTorch's defaults and update, run as one JavaScript loop per
 * variable on the CPU side. Why not tf.train.adam: on the wasm backend every elementwise op costs a
 * kernel launch and a pass over memory, and Adam needs about ten of them per variable; an ensemble of
 * 5 x 4 layers makes that hundreds of ops per step. Reading the gradient, updating in one fused loop
 * and writing the variable back is several times faster.
 */
import { heapTensor, heapView, tf } from "../core/backend";
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

  /**
   * One update from gradients in the order of `vars`: tensors or plain arrays of the variables'
   * sizes (null skips a variable).
   */
  step(grads: readonly (tf.Tensor | Float32Array | null | undefined)[]): void {
    if (grads.length !== this.vars.length) {
      throw new ShapeError(`Adam.step: expected ${this.vars.length} gradients, got ${grads.length}`);
    }
    const { lr, sc2 } = this.nextStep();
    for (let i = 0; i < this.vars.length; i++) {
      const g = grads[i];
      if (!g) continue;
      const variable = this.vars[i];
      const size = g instanceof Float32Array ? g.length : g.size;
      if (size !== variable.size) throw new ShapeError(`Adam.step: gradient ${i} has ${size} entries, the variable ${variable.size}`);
      // On wasm the new values are written straight into a fresh heap tensor, reading the old values
      // and the gradient in place: no JavaScript copies, so no garbage for the collector. (A fresh
      // tensor rather than the variable's own storage: XNNPACK caches packed weights by tensor id.)
      const next = heapTensor(variable.shape);
      if (next) {
        // Views taken after the allocation above, which may have grown the heap.
        const gv = g instanceof Float32Array ? g : (heapView(g) ?? (g.dataSync() as Float32Array));
        this.update(i, heapView(variable) ?? (variable.dataSync() as Float32Array), gv, next.view, lr, sc2);
        variable.assign(next.tensor);
        next.tensor.dispose();
      } else {
        const gv = g instanceof Float32Array ? g : (g.dataSync() as Float32Array);
        const p = new Float32Array(variable.size);
        this.update(i, variable.dataSync() as Float32Array, gv, p, lr, sc2);
        const t = tf.tensor(p, variable.shape, "float32");
        variable.assign(t);
        t.dispose();
      }
    }
  }

  /**
   * One update of plain copies of the variables, in place: params[i] holds variable i's values and
   * grads[i] its gradient (null skips it). The variables themselves are not touched; the ONNX
   * training path (training.ts's onnxTrainer) keeps the weights in arrays between steps and writes
   * them back when asked. Same moments, step count and arithmetic as step().
   */
  stepArrays(params: readonly Float32Array[], grads: readonly (Float32Array | null)[]): void {
    if (params.length !== this.vars.length || grads.length !== this.vars.length) {
      throw new ShapeError(
        `Adam.stepArrays: expected ${this.vars.length} parameters and gradients, got ${params.length} and ${grads.length}`,
      );
    }
    const { lr, sc2 } = this.nextStep();
    for (let i = 0; i < this.vars.length; i++) {
      const g = grads[i];
      if (!g) continue;
      if (g.length !== this.vars[i].size || params[i].length !== g.length) {
        throw new ShapeError(
          `Adam.stepArrays: variable ${i} has ${this.vars[i].size} entries, got ${params[i].length} and a gradient of ${g.length}`,
        );
      }
      this.update(i, params[i], g, params[i], lr, sc2);
    }
  }

  /** Counts a step; its bias-corrected learning rate and second-moment scale. */
  private nextStep(): { lr: number; sc2: number } {
    this.t++;
    return { lr: this.learningRate / (1 - Math.pow(this.beta1, this.t)), sc2: 1 / Math.sqrt(1 - Math.pow(this.beta2, this.t)) };
  }

  /** The fused Adam loop for variable i (out may be p itself): out = p - lr m_hat / (sqrt(v_hat) + eps). */
  private update(i: number, p: Float32Array, g: Float32Array, out: Float32Array, lr: number, sc2: number): void {
    const b1 = this.beta1,
      b2 = this.beta2,
      c1 = 1 - b1,
      c2 = 1 - b2,
      eps = this.eps;
    const m = this.m[i],
      v = this.v[i],
      n = p.length;
    const wd = this.decay[i] ? this.wd : 0;
    // Two copies of the loop so the common one (no weight decay) has no branch inside.
    if (wd === 0) {
      for (let k = 0; k < n; k++) {
        const gk = g[k];
        const mk = b1 * m[k] + c1 * gk;
        const vk = b2 * v[k] + c2 * gk * gk;
        m[k] = mk;
        v[k] = vk;
        out[k] = p[k] - (lr * mk) / (Math.sqrt(vk) * sc2 + eps);
      }
    } else {
      for (let k = 0; k < n; k++) {
        const gk = g[k] + wd * p[k];
        const mk = b1 * m[k] + c1 * gk;
        const vk = b2 * v[k] + c2 * gk * gk;
        m[k] = mk;
        v[k] = vk;
        out[k] = p[k] - (lr * mk) / (Math.sqrt(vk) * sc2 + eps);
      }
    }
  }

  /** A copy of the moments and step count (to save and resume training). */
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
