/**
 * A linear dynamics model fitted by (ridge) least squares, lecture 004's step 2 in closed form:
 *
 *   s' = s + W^T [s; a; 1]      (delta form, default)     or     s' = W^T [s; a; 1]
 *
 *   W = argmin sum_i ||W^T x_i - y_i||^2 + ridge ||W||^2  =  (X^T X + ridge I)^-1 X^T Y.
 *
 * Cheap, exact to fit, and differentiable (its tensor form is one matMul), which makes it a good
 * baseline and a test model for planners; it cannot represent the pendulum's sin(theta).
 */
import { type Rng, tf, ValueError, checkFinite, checkLength } from "../core";
import { type Mat, type VecLike, addDiag, cholesky, cholSolve, mat, matmulTN } from "../linalg";
import { type Dataset, type DifferentiableModel, type FitReport, checkBatch, datasetSize } from "./types";

export interface LinearModelConfig {
  stateDim: number;
  actionDim: number;
  /** Ridge weight on W (default 1e-6): keeps the normal equations solvable with little data. */
  ridge?: number;
  /** Predict s' - s (default true) rather than s'. */
  delta?: boolean;
}

export class LinearModel implements DifferentiableModel {
  readonly name = "linear";
  readonly stateDim: number;
  readonly actionDim: number;
  readonly ridge: number;
  readonly delta: boolean;
  /** (stateDim + actionDim + 1) x stateDim weights; zero until fitted. */
  W: Mat;

  constructor(cfg: LinearModelConfig) {
    this.stateDim = cfg.stateDim;
    this.actionDim = cfg.actionDim;
    this.ridge = cfg.ridge ?? 1e-6;
    this.delta = cfg.delta ?? true;
    this.W = mat(this.stateDim + this.actionDim + 1, this.stateDim);
  }

  /** Closed-form fit on all of D. The reported loss is the mean squared error per state dimension. */
  async fit(D: Dataset): Promise<FitReport> {
    const t0 = performance.now();
    const n = datasetSize(D);
    if (n === 0) throw new ValueError("LinearModel.fit: the dataset is empty");
    const ds = this.stateDim,
      da = this.actionDim,
      p = ds + da + 1;
    const X = mat(n, p);
    const Y = mat(n, ds);
    for (let i = 0; i < n; i++) {
      const s = D.states[i],
        a = D.actions[i],
        s2 = D.nextStates[i];
      checkLength(`LinearModel.fit: state ${i}`, s, ds);
      checkLength(`LinearModel.fit: action ${i}`, a, da);
      checkLength(`LinearModel.fit: next state ${i}`, s2, ds);
      for (let j = 0; j < ds; j++) X.data[i * p + j] = s[j];
      for (let k = 0; k < da; k++) X.data[i * p + ds + k] = a[k];
      X.data[i * p + ds + da] = 1;
      for (let j = 0; j < ds; j++) Y.data[i * ds + j] = s2[j] - (this.delta ? s[j] : 0);
    }
    checkFinite("LinearModel.fit: inputs", X.data);
    checkFinite("LinearModel.fit: targets", Y.data);
    const L = cholesky(addDiag(matmulTN(X, X), this.ridge), { name: "LinearModel normal equations" });
    this.W = cholSolve(L, matmulTN(X, Y));
    const pred = this.predictBatch(mat(n, ds, Float64Array.from(D.states.flat())), mat(n, da, Float64Array.from(D.actions.flat())));
    let mse = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < ds; j++) mse += (pred.data[i * ds + j] - D.nextStates[i][j]) ** 2;
    mse /= n * ds;
    return { trainLoss: [mse], validLoss: [], epochs: 1, seconds: (performance.now() - t0) / 1000 };
  }

  predict(s: VecLike, a: VecLike): Float64Array {
    checkLength("LinearModel.predict: state", s, this.stateDim);
    checkLength("LinearModel.predict: action", a, this.actionDim);
    return this.predictBatch(mat(1, this.stateDim, Float64Array.from(s)), mat(1, this.actionDim, Float64Array.from(a))).data;
  }

  predictBatch(S: Mat, A: Mat, _rng?: Rng): Mat {
    const n = checkBatch("LinearModel.predictBatch", this, S, A);
    const ds = this.stateDim,
      da = this.actionDim;
    const W = this.W.data;
    const out = mat(n, ds);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < ds; j++) {
        let v = W[(ds + da) * ds + j] + (this.delta ? S.data[i * ds + j] : 0);
        for (let q = 0; q < ds; q++) v += S.data[i * ds + q] * W[q * ds + j];
        for (let k = 0; k < da; k++) v += A.data[i * da + k] * W[(ds + k) * ds + j];
        out.data[i * ds + j] = v;
      }
    }
    return out;
  }

  predictTensor(S: tf.Tensor2D, A: tf.Tensor2D): tf.Tensor2D {
    const ds = this.stateDim,
      da = this.actionDim;
    return tf.tidy(() => {
      const W = tf.tensor2d(Float32Array.from(this.W.data), [ds + da + 1, ds]);
      const Ws = W.slice([0, 0], [ds, ds]);
      const Wa = W.slice([ds, 0], [da, ds]);
      const b = W.slice([ds + da, 0], [1, ds]);
      const out = tf.add(tf.add(tf.matMul(S, Ws), tf.matMul(A, Wa)), b);
      return (this.delta ? tf.add(S, out) : out) as tf.Tensor2D;
    });
  }
}
