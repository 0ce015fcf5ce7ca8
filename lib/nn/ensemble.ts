/**
 * EnsembleMLP: B independent multilayer perceptrons trained side by side. Every neural model of the
 * course is one: a deterministic dynamics model (B = 1), a Gaussian-NLL model with soft-bounded
 * log-variance (lecture 003), a PETS probabilistic ensemble (B = 5), SAC's twin critics (B = 2) and
 * actor, the global policy of guided policy search.
 *
 * This file holds the network and its loss. Its other jobs live beside it: the config and defaults
 * (config.ts), the input normaliser (normalizer.ts), the training loop (training.ts), weights as
 * arrays and Polyak averaging (weights.ts), and the planners' forward pass on arrays (inference.ts,
 * onnx.ts).
 *
 * Speed (tfjs wasm backend): each member runs as its own plain 2-D fused matMul with the bias fused,
 * which XNNPACK executes; a batched 3-D matMul would fall to a scalar loop and be ~10x slower. The
 * whole member network is one op (`mlp` in ops.ts) whose hand-written backward pass is made of plain
 * 2-D products and explicit transposes too; Adam runs as one fused JavaScript loop (adam.ts).
 *
 * Tensors in, tensors out: call `forward` inside `tf.tidy` (or dispose the result). Array-in,
 * array-out helpers (`predict`, `fit`) manage tensors themselves.
 */
import { tf } from "../core/backend";
import { ShapeError, ValueError } from "../core/checks";
import { type Rng, makeRng } from "../core/random";
import { type MatLike, asMat } from "../linalg/mat";
import { Adam } from "./adam";
import { type EnsembleConfig, type LossKind, resolveConfig } from "./config";
import { InputNormalizer } from "./normalizer";
import { gaussianNll, mlp, softBoundLogVar } from "./ops";
import { type FitOptions, type TrainEngine, fitEnsemble } from "./training";
import { type EnsembleWeights, polyakAverage, readWeights, writeWeights } from "./weights";

// The names this module exported before the split (callers import them from here).
export type { EnsembleConfig, Head, LossKind } from "./config";
export type { FitOptions } from "./training";
export type { EnsembleWeights } from "./weights";

/** Rows per forward chunk for large batches (see memberRaw). */
const ROW_CHUNK = Number(process.env.MBRL_ROW_CHUNK ?? 512);

/** Network outputs: [B, rows, outputSize] each; logVar (soft-bounded) only for a Gaussian head. */
export interface EnsembleOutput {
  mean: tf.Tensor3D;
  logVar: tf.Tensor3D | null;
}

/** Per-member outputs, [rows, outputSize] each. */
export interface MemberOutputs {
  mean: tf.Tensor2D[];
  logVar: tf.Tensor2D[] | null;
}

/** Options of a loss over some members: a factor, the bound penalty on or off, members [lo, hi). */
export interface LossOptions {
  scale?: number;
  penalty?: boolean;
  members?: readonly [number, number];
}

export class EnsembleMLP {
  readonly config: Readonly<Required<EnsembleConfig>>;
  readonly members: number;
  /** Layer sizes including input and head output (2 * outputSize for a Gaussian head). */
  readonly sizes: readonly number[];
  /** weights[b][l] is [sizes[l], sizes[l+1]]; biases[b][l] is [sizes[l+1]]. */
  readonly weights: tf.Variable<tf.Rank.R2>[][];
  readonly biases: tf.Variable<tf.Rank.R1>[][];
  readonly minLogVar: tf.Variable<tf.Rank.R1> | null;
  readonly maxLogVar: tf.Variable<tf.Rank.R1> | null;
  /** x -> (x - mean) / std, applied inside every forward pass. */
  readonly normalizer: InputNormalizer;
  private readonly optimizer: Adam;
  private disposed = false;
  private version = 0;

  constructor(cfg: EnsembleConfig) {
    this.config = resolveConfig(cfg);
    const { members, head, inputSize, outputSize } = this.config;
    this.members = members;
    const outWidth = head === "gaussian" ? 2 * outputSize : outputSize;
    this.sizes = [inputSize, ...this.config.hiddenSizes, outWidth];
    const rng = makeRng(cfg.seed);
    this.weights = [];
    this.biases = [];
    for (let b = 0; b < members; b++) {
      const ws: tf.Variable<tf.Rank.R2>[] = [];
      const bs: tf.Variable<tf.Rank.R1>[] = [];
      for (let l = 0; l + 1 < this.sizes.length; l++) {
        const fanIn = this.sizes[l],
          fanOut = this.sizes[l + 1];
        // PyTorch's nn.Linear default: W, b ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
        const bound = 1 / Math.sqrt(fanIn);
        ws.push(tf.variable(tf.tensor2d(uniforms(rng, fanIn * fanOut, bound), [fanIn, fanOut])));
        bs.push(tf.variable(tf.tensor1d(uniforms(rng, fanOut, bound))));
      }
      this.weights.push(ws);
      this.biases.push(bs);
    }
    if (head === "gaussian") {
      const trainable = this.config.learnLogVarBounds;
      this.minLogVar = tf.variable(tf.fill([outputSize], this.config.minLogVar) as tf.Tensor1D, trainable);
      this.maxLogVar = tf.variable(tf.fill([outputSize], this.config.maxLogVar) as tf.Tensor1D, trainable);
    } else {
      this.minLogVar = null;
      this.maxLogVar = null;
    }
    this.normalizer = new InputNormalizer(inputSize);
    const vars = this.variables();
    const decay = vars.map((v) => v.rank === 2); // weights only, not biases or log-variance bounds
    this.optimizer = new Adam(vars, { learningRate: this.config.learningRate, weightDecay: this.config.weightDecay, decay });
  }

  /** The trainable variables (weights, biases, and the log-variance bounds when learned). */
  variables(): tf.Variable[] {
    const vs: tf.Variable[] = [];
    for (let b = 0; b < this.members; b++) {
      for (let l = 0; l < this.weights[b].length; l++) vs.push(this.weights[b][l], this.biases[b][l]);
    }
    if (this.minLogVar && this.maxLogVar && this.config.learnLogVarBounds) vs.push(this.minLogVar, this.maxLogVar);
    return vs;
  }

  // ---------------------------------------------------------------------------------------------
  // Input normalisation (normalizer.ts).

  /** Sets the input normaliser; std entries below 1e-6 count as 1e-6 so constant inputs stay finite. */
  setInputNormalizer(mean: ArrayLike<number>, std: ArrayLike<number>): void {
    this.version++;
    this.normalizer.set(mean, std);
  }

  /** Sets the normaliser to the per-column mean and standard deviation of x (rows x inputSize). */
  fitInputNormalizer(x: MatLike): void {
    const X = asMat(x);
    this.checkCols("fitInputNormalizer x", X.cols, this.config.inputSize);
    const { mean, std } = InputNormalizer.statistics(X);
    this.setInputNormalizer(mean, std);
  }

  /** The current normaliser (copies). */
  inputNormalizer(): { mean: Float32Array; std: Float32Array } {
    return this.normalizer.arrays();
  }

  // ---------------------------------------------------------------------------------------------
  // Forward passes. Differentiable w.r.t. the inputs and the variables (use tf.grad / tf.variableGrads).

  /**
   * Runs every member. x is [rows, in] (the same rows for all members) or [B, rows, in] (member b
   * gets x[b]). Returns [B, rows, out] tensors (the caller disposes them, or uses tf.tidy).
   */
  forward(x: tf.Tensor2D | tf.Tensor3D): EnsembleOutput {
    this.assertUsable();
    return tidy(() => {
      // Members' raw outputs stacked by rows: the head runs once, and a reshape gives [B, rows, out].
      const B = this.members;
      const raws = this.rawOutputs(this.splitInputs(x), 0, B, true);
      const rows = raws[0].shape[0];
      const out = this.head(B === 1 ? raws[0] : tf.concat(raws, 0));
      const d = this.config.outputSize;
      return {
        mean: tf.reshape(out.mean, [B, rows, d]) as tf.Tensor3D,
        logVar: out.logVar ? (tf.reshape(out.logVar, [B, rows, d]) as tf.Tensor3D) : null,
      };
    });
  }

  /** Like forward, but returns one [rows, out] tensor per member (no stacking: the fastest path). */
  forwardMembers(x: tf.Tensor2D | tf.Tensor3D | tf.Tensor2D[]): MemberOutputs {
    this.assertUsable();
    return tidy(() => {
      const raws = this.rawOutputs(this.splitInputs(x), 0, this.members, true);
      const means: tf.Tensor2D[] = [];
      const logVars: tf.Tensor2D[] = [];
      for (const raw of raws) {
        const o = this.head(raw);
        means.push(o.mean);
        if (o.logVar) logVars.push(o.logVar);
      }
      return { mean: means, logVar: this.config.head === "gaussian" ? logVars : null };
    });
  }

  /** Forward on plain arrays: x is rows x inputSize; returns [member][row][output] arrays. */
  predict(x: MatLike): { mean: number[][][]; logVar: number[][][] | null } {
    const X = asMat(x);
    this.checkCols("predict x", X.cols, this.config.inputSize);
    return tidy(() => {
      const o = this.forward(tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]));
      return { mean: o.mean.arraySync(), logVar: o.logVar ? o.logVar.arraySync() : null };
    });
  }

  /**
   * Raw outputs (before the head) of members [lo, lo + B) on their inputs: one input shared by all
   * (normalised once) or one per member.
   */
  private rawOutputs(inputs: tf.Tensor2D[], lo: number, B: number, inputGrad: boolean): tf.Tensor2D[] {
    const shared = inputs.length === 1 && B > 1 ? this.normalizer.apply(inputs[0]) : null;
    const raws: tf.Tensor2D[] = [];
    for (let b = 0; b < B; b++) raws.push(this.memberRaw(lo + b, shared ?? this.normalizer.apply(inputs[b]), inputGrad));
    return raws;
  }

  /** Member b's raw network output (before the head) on already-normalised input h0. */
  private memberRaw(b: number, h0: tf.Tensor2D, inputGrad: boolean): tf.Tensor2D {
    const rows0 = h0.shape[0];
    const act = this.config.activation;
    if (rows0 <= 2 * ROW_CHUNK) return mlp(h0, this.weights[b], this.biases[b], act, { inputGrad });
    // XNNPACK runs a 500-row product ~10 % faster per row than a 2,000-row one (cache); the
    // slices and the concatenation of the narrow outputs cost little.
    const parts: tf.Tensor2D[] = [];
    for (let r = 0; r < rows0; r += ROW_CHUNK) {
      const n = Math.min(ROW_CHUNK, rows0 - r);
      parts.push(mlp(tf.slice(h0, [r, 0], [n, h0.shape[1]]), this.weights[b], this.biases[b], act, { inputGrad }));
    }
    return tf.concat(parts, 0);
  }

  /** The head: raw outputs as they are, or split into a mean and a soft-bounded log-variance. */
  private head(h: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D | null } {
    if (this.config.head !== "gaussian") return { mean: h, logVar: null };
    const d = this.config.outputSize;
    const rows = h.shape[0];
    const mean = tf.slice(h, [0, 0], [rows, d]);
    const raw = tf.slice(h, [0, d], [rows, d]);
    const logVar = softBoundLogVar(raw, this.minLogVar!, this.maxLogVar!) as tf.Tensor2D;
    return { mean, logVar };
  }

  private splitInputs(x: tf.Tensor2D | tf.Tensor3D | tf.Tensor2D[], B = this.members): tf.Tensor2D[] {
    const d = this.config.inputSize;
    if (Array.isArray(x)) {
      if (x.length !== B) throw new ShapeError(`EnsembleMLP: expected ${B} member inputs, got ${x.length}`);
      for (const t of x) this.checkCols("EnsembleMLP input", t.shape[1], d);
      return x;
    }
    if (x.rank === 2) {
      this.checkCols("EnsembleMLP input", x.shape[1] as number, d);
      return [x as tf.Tensor2D];
    }
    if (x.rank === 3) {
      const [b, , c] = x.shape as [number, number, number];
      if (b !== B) throw new ShapeError(`EnsembleMLP: input has ${b} members along axis 0, the ensemble has ${B}`);
      this.checkCols("EnsembleMLP input", c, d);
      return B === 1 ? [tf.squeeze(x, [0]) as tf.Tensor2D] : (tf.unstack(x) as tf.Tensor2D[]);
    }
    throw new ShapeError(`EnsembleMLP: input must be [rows, ${d}] or [${B}, rows, ${d}], got [${x.shape.join(", ")}]`);
  }

  // ---------------------------------------------------------------------------------------------
  // The loss and the optimizer step.

  /**
   * The training loss on a batch: "mse" (mean squared error of the mean) or "nll" (Gaussian NLL with
   * the bound penalty). Weight decay is applied by the optimizer, not here. x is [rows, in] or
   * [B, rows, in]; y matches with out. Differentiable w.r.t. the variables only (its gradient w.r.t.
   * x is returned as zeros, to save a product per member); differentiate `forward` for input gradients.
   */
  loss(x: tf.Tensor2D | tf.Tensor3D, y: tf.Tensor2D | tf.Tensor3D, kind: LossKind = this.defaultLoss(), opts: LossOptions = {}): tf.Scalar {
    const { scale = 1, penalty = true, members } = opts;
    if (kind === "nll" && this.config.head !== "gaussian") {
      throw new ValueError('EnsembleMLP.loss: "nll" needs head: "gaussian"');
    }
    return tidy(() => {
      // All members' raw outputs stacked by rows, so the head and the loss run once for the whole
      // ensemble instead of once per member (fewer, larger kernels; the mean over all entries equals
      // the average of the members' means because every member has the same number of rows).
      // members = [lo, hi): only those members (x and y then hold hi - lo members along axis 0).
      const [lo, hi] = members ?? [0, this.members];
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi <= this.members && lo < hi)) {
        throw new ShapeError(`EnsembleMLP.loss: member range [${lo}, ${hi}) outside [0, ${this.members})`);
      }
      const B = hi - lo;
      // inputGrad false: a loss on data is never differentiated w.r.t. the data.
      const raws = this.rawOutputs(this.splitInputs(x, B), lo, B, false);
      const out = this.head(B === 1 ? raws[0] : tf.concat(raws, 0));
      const target = this.stackTargets(y, out.mean.shape[0], B);
      let total: tf.Scalar = kind === "nll" ? gaussianNll(out.mean, out.logVar!, target) : tf.mean(tf.squaredDifference(out.mean, target));
      if (scale !== 1) total = tf.mul(total, scale);
      if (penalty && kind === "nll" && this.config.learnLogVarBounds && this.config.boundPenalty > 0) {
        const gap = tf.sub(tf.sum(this.maxLogVar!), tf.sum(this.minLogVar!));
        total = tf.add(total, tf.mul(this.config.boundPenalty, gap));
      }
      return total;
    });
  }

  /** Targets as one [B * rows, out] matrix matching the stacked member outputs. */
  private stackTargets(y: tf.Tensor2D | tf.Tensor3D, totalRows: number, B = this.members): tf.Tensor2D {
    const d = this.config.outputSize;
    const last = y.shape[y.rank - 1] as number;
    this.checkCols("EnsembleMLP target", last, d);
    let t: tf.Tensor2D;
    if (y.rank === 2) t = B === 1 ? (y as tf.Tensor2D) : (tf.concat(Array(B).fill(y), 0) as tf.Tensor2D);
    else if (y.rank === 3 && y.shape[0] === B) t = tf.reshape(y, [B * y.shape[1], d]);
    else throw new ShapeError(`EnsembleMLP: target must be [rows, ${d}] or [${B}, rows, ${d}], got [${y.shape.join(", ")}]`);
    if (t.shape[0] !== totalRows) {
      throw new ShapeError(`EnsembleMLP: ${t.shape[0] / B} target rows per member for ${totalRows / B} input rows`);
    }
    return t;
  }

  private defaultLoss(): LossKind {
    return this.config.head === "gaussian" ? "nll" : "mse";
  }

  /** One Adam step on the batch; returns the loss before the step. */
  trainStep(x: tf.Tensor2D | tf.Tensor3D, y: tf.Tensor2D | tf.Tensor3D, kind: LossKind = this.defaultLoss()): number {
    return this.minimize(() => this.loss(x, y, kind));
  }

  /**
   * One Adam step minimising any scalar function of this network (SAC actor loss, a policy loss
   * backpropagated through a model...). Only this network's variables move. Returns the loss value
   * (skip the device read with readLoss = false; then returns NaN).
   */
  minimize(lossFn: () => tf.Scalar, readLoss = true): number {
    this.assertUsable();
    this.version++;
    return this.optimizer.minimize(lossFn, readLoss);
  }

  /** One Adam step on plain copies of variables() (in place; the ONNX training path, training.ts). */
  stepArrays(params: readonly Float32Array[], grads: readonly (Float32Array | null)[]): void {
    this.assertUsable();
    this.version++;
    this.optimizer.stepArrays(params, grads);
  }

  /** Writes plain copies of variables() (same order and sizes) back into the variables. */
  assignArrays(params: readonly Float32Array[]): void {
    this.assertUsable();
    const vs = this.variables();
    if (params.length !== vs.length) throw new ShapeError(`assignArrays: expected ${vs.length} arrays, got ${params.length}`);
    this.version++;
    tf.tidy(() => vs.forEach((v, i) => v.assign(tf.tensor(params[i], v.shape, "float32"))));
  }

  /** The log-variance bounds' current values (null without a Gaussian head). */
  logVarBounds(): { min: Float32Array; max: Float32Array } | null {
    if (!this.minLogVar || !this.maxLogVar) return null;
    return { min: this.minLogVar.dataSync().slice() as Float32Array, max: this.maxLogVar.dataSync().slice() as Float32Array };
  }

  /** Applies precomputed gradients (same order as variables()) with this network's Adam. */
  applyGradients(grads: tf.Tensor[]): void {
    const vs = this.variables();
    if (grads.length !== vs.length) throw new ShapeError(`applyGradients: expected ${vs.length} gradients, got ${grads.length}`);
    this.version++;
    this.optimizer.step(grads);
  }

  // ---------------------------------------------------------------------------------------------
  // The optimizer's state.

  /** The optimizer's state (Adam moments and step count), e.g. to save and resume training. */
  optimizerState(): { m: Float32Array[]; v: Float32Array[]; t: number } {
    this.assertUsable();
    return this.optimizer.getState();
  }

  setOptimizerState(s: { m: readonly Float32Array[]; v: readonly Float32Array[]; t: number }): void {
    this.version++;
    this.optimizer.setState(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Training on arrays (training.ts).

  /**
   * Trains on arrays (x: rows x inputSize, y: rows x outputSize) for some epochs of minibatches.
   * Each member sees its own bootstrap resample (when bootstrap is on) in its own order, so members
   * differ by data as well as by initialisation. Returns the mean training loss of each epoch.
   */
  fit(x: MatLike, y: MatLike, opts: FitOptions): { losses: number[]; engine: TrainEngine } {
    return fitEnsemble(this, x, y, opts);
  }

  /** The loss on arrays without training (for validation). */
  evaluate(x: MatLike, y: MatLike, kind: LossKind = this.defaultLoss()): number {
    this.assertUsable();
    const X = asMat(x),
      Y = asMat(y);
    return tf.tidy(
      () =>
        this.loss(
          tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]),
          tf.tensor2d(Float32Array.from(Y.data), [Y.rows, Y.cols]),
          kind,
        ).dataSync()[0],
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Weights (weights.ts).

  /** A copy of all weights (and the normaliser) as plain arrays. */
  getWeights(): EnsembleWeights {
    this.assertUsable();
    return readWeights(this);
  }

  /** Loads weights from getWeights() of a network of the same architecture. */
  setWeights(w: EnsembleWeights): void {
    this.assertUsable();
    this.version++;
    writeWeights(this, w);
  }

  /**
   * Polyak averaging for target networks (SAC): this <- tau * source + (1 - tau) * this, for all
   * weights and biases (tau = 1 copies). Also copies the input normaliser.
   */
  polyakUpdate(source: EnsembleMLP, tau: number): void {
    this.assertUsable();
    this.version++;
    polyakAverage(this, source, tau);
  }

  // ---------------------------------------------------------------------------------------------
  // State.

  /** Throws if the network cannot be used now (after dispose()). */
  assertUsable(): void {
    if (this.disposed) throw new ValueError("EnsembleMLP: used after dispose()");
  }

  /**
   * A counter that every change of the weights, the normaliser or the optimizer state moves (steps,
   * setWeights, polyakUpdate...): a copy elsewhere (inference.ts's ONNX session) is current while it is unchanged.
   */
  get stateVersion(): number {
    return this.version;
  }

  /** Frees every tensor this network owns (its variables, optimizer state and normaliser). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables()) v.dispose();
    this.minLogVar?.dispose();
    this.maxLogVar?.dispose();
    this.normalizer.dispose();
  }

  private checkCols(what: string, got: number, want: number): void {
    if (got !== want) throw new ShapeError(`${what}: expected ${want} columns, got ${got}`);
  }
}

/** tf.tidy for results holding nulls (tidy walks them fine; its type does not allow them). */
function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

function uniforms(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  return out;
}
