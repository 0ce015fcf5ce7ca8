/**
 * EnsembleMLP: B independent multilayer perceptrons trained side by side. Every neural model of the
 * course is one: a deterministic dynamics model (B = 1), a Gaussian-NLL model with soft-bounded
 * log-variance (lecture 003), a PETS probabilistic ensemble (B = 5), SAC's twin critics (B = 2) and
 * actor, the global policy of guided policy search.
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
import { ShapeError, ValueError, checkInt } from "../core/checks";
import { Rng, makeRng } from "../core/random";
import { MatLike, asMat } from "../linalg/mat";
import { Adam } from "./adam";
import { ACTIVATIONS, Activation, gaussianNll, mlp, softBoundLogVar } from "./ops";
import { checkInterrupt } from "../core/interrupt";

/** Rows per forward chunk for large batches (see memberForward). */
const ROW_CHUNK = Number(process.env.MBRL_ROW_CHUNK ?? 512);

export type Head = "deterministic" | "gaussian";
export type LossKind = "mse" | "nll";

export interface EnsembleConfig {
  inputSize: number;
  /** Outputs per member; for a Gaussian head, the size of the mean (and of the log-variance). */
  outputSize: number;
  /** Widths of the hidden layers, e.g. [200, 200, 200]. May be empty (a linear model). */
  hiddenSizes: readonly number[];
  /** Ensemble size B (1 = a single network). Default 1. */
  members?: number;
  /** Hidden activation. Default "silu". */
  activation?: Activation;
  /** "deterministic" (default): raw outputs. "gaussian": a mean and a soft-bounded log-variance. */
  head?: Head;
  /** Initial soft bounds of the log-variance (Gaussian head). Defaults -10 and 0.5 (as PETS). */
  minLogVar?: number;
  maxLogVar?: number;
  /** Learn the bounds (with a penalty on their gap). Default true. */
  learnLogVarBounds?: boolean;
  /** Weight of the penalty boundPenalty * (sum maxLogVar - sum minLogVar). Default 0.01. */
  boundPenalty?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** L2 on the weights (not biases), PyTorch-Adam style: weightDecay * W is added to the gradient. Default 0. */
  weightDecay?: number;
  /** Seed of the initial weights. */
  seed: number;
}

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

export interface FitOptions {
  epochs: number;
  /** Rows per member per step. Default 32. */
  batchSize?: number;
  /** Give each member its own bootstrap resample of the data (with replacement). Default: members > 1. */
  bootstrap?: boolean;
  /** Seed of the bootstrap and the shuffles. Default: the model's seed + 1. */
  seed?: number;
  /** Default "nll" for a Gaussian head, else "mse". */
  loss?: LossKind;
  /** Recompute the input normaliser from x before training. Default true. */
  normalizeInputs?: boolean;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** What fitAsync needs from a trainer (ParallelTrainer in parallel.ts). */
export interface BatchTrainer {
  trainStep(x: Float32Array, y: Float32Array, rows: number, kind?: LossKind): Promise<number>;
  /** Sends the network's weights, normaliser and optimizer state to the trainer's workers. */
  push(): Promise<void>;
  /** Brings every weight the workers hold back into the network. */
  pull(): Promise<void>;
}

/** Plain-array weights: for each member, for each layer, W (in x out, row-major) and b. */
export interface EnsembleWeights {
  layers: { w: Float32Array; b: Float32Array }[][];
  minLogVar: Float32Array | null;
  maxLogVar: Float32Array | null;
  inputMean: Float32Array;
  inputStd: Float32Array;
}

/**
 * Adds gradient arrays into running sums, entry by entry: sum[j] += part[j], where a null sum[j]
 * takes part[j] itself (no copy) and a null part[j] adds nothing. For adding up the parts of a step
 * split across threads (ParallelTrainer, on both sides).
 */
export function addGradients(sum: (Float32Array | null)[], part: readonly (Float32Array | null)[]): void {
  part.forEach((g, j) => {
    const acc = sum[j];
    if (!g) return;
    if (!acc) sum[j] = g;
    else for (let i = 0; i < g.length; i++) acc[i] += g[i];
  });
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
  private inputMean: tf.Tensor1D;
  private inputInvStd: tf.Tensor1D;
  private inputMeanArr: Float32Array;
  private inputStdArr: Float32Array;
  private normalize = false;
  private readonly optimizer: Adam;
  private disposed = false;
  private heldBy: string | null = null;
  private version = 0;

  constructor(cfg: EnsembleConfig) {
    const members = checkInt("EnsembleMLP members", cfg.members ?? 1);
    checkInt("EnsembleMLP inputSize", cfg.inputSize);
    checkInt("EnsembleMLP outputSize", cfg.outputSize);
    for (const h of cfg.hiddenSizes) checkInt("EnsembleMLP hiddenSizes entry", h);
    const activation = cfg.activation ?? "silu";
    if (!ACTIVATIONS.includes(activation)) {
      throw new ValueError(`EnsembleMLP: unknown activation "${activation}" (use one of ${ACTIVATIONS.join(", ")})`);
    }
    const head = cfg.head ?? "deterministic";
    if (head !== "deterministic" && head !== "gaussian") throw new ValueError(`EnsembleMLP: unknown head "${head}"`);
    this.config = {
      inputSize: cfg.inputSize,
      outputSize: cfg.outputSize,
      hiddenSizes: cfg.hiddenSizes.slice(),
      members,
      activation,
      head,
      minLogVar: cfg.minLogVar ?? -10,
      maxLogVar: cfg.maxLogVar ?? 0.5,
      learnLogVarBounds: cfg.learnLogVarBounds ?? true,
      boundPenalty: cfg.boundPenalty ?? 0.01,
      learningRate: cfg.learningRate ?? 1e-3,
      weightDecay: cfg.weightDecay ?? 0,
      seed: cfg.seed,
    };
    if (!(this.config.minLogVar < this.config.maxLogVar)) {
      throw new ValueError(`EnsembleMLP: minLogVar ${this.config.minLogVar} must be below maxLogVar ${this.config.maxLogVar}`);
    }
    this.members = members;
    const outWidth = head === "gaussian" ? 2 * cfg.outputSize : cfg.outputSize;
    this.sizes = [cfg.inputSize, ...cfg.hiddenSizes, outWidth];
    const rng = makeRng(cfg.seed);
    this.weights = [];
    this.biases = [];
    for (let b = 0; b < members; b++) {
      const ws: tf.Variable<tf.Rank.R2>[] = [];
      const bs: tf.Variable<tf.Rank.R1>[] = [];
      for (let l = 0; l + 1 < this.sizes.length; l++) {
        const fanIn = this.sizes[l], fanOut = this.sizes[l + 1];
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
      this.minLogVar = tf.variable(tf.fill([cfg.outputSize], this.config.minLogVar) as tf.Tensor1D, trainable);
      this.maxLogVar = tf.variable(tf.fill([cfg.outputSize], this.config.maxLogVar) as tf.Tensor1D, trainable);
    } else {
      this.minLogVar = null;
      this.maxLogVar = null;
    }
    this.inputMeanArr = new Float32Array(cfg.inputSize);
    this.inputStdArr = new Float32Array(cfg.inputSize).fill(1);
    this.inputMean = tf.keep(tf.tensor1d(this.inputMeanArr));
    this.inputInvStd = tf.keep(tf.tensor1d(this.inputStdArr));
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

  /** Number of trainable scalars. */
  get numParams(): number {
    return this.variables().reduce((s, v) => s + v.size, 0);
  }

  /** FLOPs of the matrix products of one forward pass over `rows` rows per member (2 m n k each). */
  forwardFlops(rows: number): number {
    let f = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) f += 2 * this.sizes[l] * this.sizes[l + 1];
    return f * rows * this.members;
  }

  // ---------------------------------------------------------------------------------------------
  // Input normalisation: x -> (x - mean) / std, applied inside forward so callers pass raw inputs.

  /** Sets the input normaliser; std entries below 1e-6 count as 1e-6 so constant inputs stay finite. */
  setInputNormalizer(mean: ArrayLike<number>, std: ArrayLike<number>): void {
    const n = this.config.inputSize;
    if (mean.length !== n || std.length !== n) {
      throw new ShapeError(`setInputNormalizer: expected mean and std of length ${n}, got ${mean.length} and ${std.length}`);
    }
    this.version++;
    this.inputMeanArr = Float32Array.from(mean);
    this.inputStdArr = Float32Array.from(std, (s) => Math.max(Math.abs(s), 1e-6));
    this.inputMean.dispose();
    this.inputInvStd.dispose();
    this.inputMean = tf.keep(tf.tensor1d(this.inputMeanArr));
    this.inputInvStd = tf.keep(tf.tensor1d(Float32Array.from(this.inputStdArr, (s) => 1 / s)));
    this.normalize = true;
  }

  /** Sets the normaliser to the per-column mean and standard deviation of x (rows x inputSize). */
  fitInputNormalizer(x: MatLike): void {
    const X = asMat(x);
    this.checkCols("fitInputNormalizer x", X.cols, this.config.inputSize);
    const n = X.rows, d = X.cols;
    const mean = new Float64Array(d), sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (X.data[i * d + j] - mean[j]) ** 2 / n;
    this.setInputNormalizer(mean, Array.from(sd, (v) => (v > 1e-12 ? Math.sqrt(v) : 1)));
  }

  /** The current normaliser (copies). */
  inputNormalizer(): { mean: Float32Array; std: Float32Array } {
    return { mean: this.inputMeanArr.slice(), std: this.inputStdArr.slice() };
  }

  // ---------------------------------------------------------------------------------------------
  // Forward passes. Differentiable w.r.t. the inputs and the variables (use tf.grad / tf.variableGrads).

  /**
   * Runs every member. x is [rows, in] (the same rows for all members) or [B, rows, in] (member b
   * gets x[b]). Returns [B, rows, out] tensors (the caller disposes them, or uses tf.tidy).
   */
  forward(x: tf.Tensor2D | tf.Tensor3D): EnsembleOutput {
    this.checkAlive();
    return tidy(() => {
      // Members' raw outputs stacked by rows: the head runs once, and a reshape gives [B, rows, out].
      const B = this.members;
      const inputs = this.splitInputs(x);
      const shared = inputs.length === 1 && B > 1 ? this.normalizeInput(inputs[0]) : null;
      const raws: tf.Tensor2D[] = [];
      for (let b = 0; b < B; b++) raws.push(this.memberRaw(b, shared ?? this.normalizeInput(inputs[b])));
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
    this.checkAlive();
    const B = this.members;
    return tidy(() => {
      const inputs = this.splitInputs(x);
      const shared = inputs.length === 1 && B > 1 ? this.normalizeInput(inputs[0]) : null;
      const means: tf.Tensor2D[] = [];
      const logVars: tf.Tensor2D[] = [];
      for (let b = 0; b < B; b++) {
        const h = shared ?? this.normalizeInput(inputs[b]);
        const o = this.memberForward(b, h);
        means.push(o.mean);
        if (o.logVar) logVars.push(o.logVar);
      }
      return { mean: means, logVar: this.config.head === "gaussian" ? logVars : null };
    });
  }

  /** Member b on already-normalised input h [rows, in]. */
  private memberForward(b: number, h0: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D | null } {
    return this.head(this.memberRaw(b, h0));
  }

  /** Member b's raw network output (before the head) on already-normalised input h0. */
  private memberRaw(b: number, h0: tf.Tensor2D, inputGrad = true): tf.Tensor2D {
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

  private normalizeInput(x: tf.Tensor2D): tf.Tensor2D {
    if (!this.normalize) return x;
    return tf.mul(tf.sub(x, this.inputMean), this.inputInvStd);
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

  private checkCols(what: string, got: number, want: number): void {
    if (got !== want) throw new ShapeError(`${what}: expected ${want} columns, got ${got}`);
  }

  private checkAlive(): void {
    if (this.disposed) throw new ValueError("EnsembleMLP: used after dispose()");
    if (this.heldBy) throw new ValueError(`EnsembleMLP: ${this.heldBy}`);
  }

  /**
   * Marks some members' weights as living elsewhere for now (reason says where and what brings them
   * back), or clears the mark (null). While marked, every use that would read those weights throws
   * instead of silently using stale values. ParallelTrainer sets it between its steps.
   */
  setHeldElsewhere(reason: string | null): void {
    this.heldBy = reason;
  }

  /**
   * A counter that every change of the weights, the normaliser or the optimizer state moves (steps,
   * setWeights, polyakUpdate...): a copy elsewhere (a worker's) is current while it is unchanged.
   */
  get stateVersion(): number {
    return this.version;
  }


  /** Forward on plain arrays: x is rows x inputSize; returns [member][row][output] arrays. */
  predict(x: MatLike): { mean: number[][][]; logVar: number[][][] | null } {
    const X = asMat(x);
    this.checkCols("predict x", X.cols, this.config.inputSize);
    const { mean, logVar } = tidy(() => {
      const o = this.forward(tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]));
      return { mean: o.mean.arraySync(), logVar: o.logVar ? o.logVar.arraySync() : null };
    });
    return { mean, logVar };
  }

  // ---------------------------------------------------------------------------------------------
  // Training.

  /**
   * The training loss on a batch: "mse" (mean squared error of the mean) or "nll" (Gaussian NLL with
   * the bound penalty). Weight decay is applied by the optimizer, not here. x is [rows, in] or [B, rows, in]; y matches with out.
   * Differentiable w.r.t. the variables only (its gradient w.r.t. x is returned as zeros, to save a
   * product per member); differentiate `forward` for input gradients.
   */
  loss(
    x: tf.Tensor2D | tf.Tensor3D,
    y: tf.Tensor2D | tf.Tensor3D,
    kind: LossKind = this.defaultLoss(),
    { scale = 1, penalty = true, members }: { scale?: number; penalty?: boolean; members?: readonly [number, number] } = {},
  ): tf.Scalar {
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
      const inputs = this.splitInputs(x, B);
      const shared = inputs.length === 1 && B > 1 ? this.normalizeInput(inputs[0]) : null;
      const raws: tf.Tensor2D[] = [];
      // inputGrad false: a loss on data is never differentiated w.r.t. the data.
      for (let b = 0; b < B; b++) raws.push(this.memberRaw(lo + b, shared ?? this.normalizeInput(inputs[b]), false));
      const out = this.head(B === 1 ? raws[0] : tf.concat(raws, 0));
      const target = this.stackTargets(y, out.mean.shape[0], B);
      let total: tf.Scalar =
        kind === "nll" ? gaussianNll(out.mean, out.logVar!, target) : tf.mean(tf.squaredDifference(out.mean, target));
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
    this.checkAlive();
    this.version++;
    return this.optimizer.minimize(lossFn, readLoss);
  }

  /**
   * The loss of members [lo, hi) (x and y hold hi - lo members along axis 0; times `scale`,
   * optionally without the bound penalty) and its gradients as arrays in variables() order: those of
   * the other members' variables are null (not computed). For splitting a step across threads: the
   * gradients of the parts add up to the gradient of the whole, and the log-variance bounds get a
   * (partial) gradient from every part.
   */
  memberLossGradients(
    x: tf.Tensor2D | tf.Tensor3D,
    y: tf.Tensor2D | tf.Tensor3D,
    kind: LossKind,
    members: readonly [number, number],
    opts: { scale?: number; penalty?: boolean } = {},
  ): { loss: number; grads: (Float32Array | null)[] } {
    return this.withMemberGrads(x, y, kind, members, opts, (all, grads) => ({
      grads: all.map((v) => (grads[v.name] ? (grads[v.name].dataSync() as Float32Array).slice() : null)),
    }));
  }

  /**
   * One Adam step for members [lo, hi) only, on their minibatch (x and y hold hi - lo members along
   * axis 0), with the loss scaled by `scale` (this part's share of the whole ensemble's loss). The
   * log-variance bounds, shared by all members, are not stepped: their gradients come back as arrays,
   * for the caller to add up over the parts and apply with applyGradientArrays(grads, { tick: false }).
   * ParallelTrainer runs one such part per thread; the gradients are read in place, never copied.
   */
  memberStep(
    x: tf.Tensor2D | tf.Tensor3D,
    y: tf.Tensor2D | tf.Tensor3D,
    kind: LossKind,
    members: readonly [number, number],
    opts: { scale?: number; penalty?: boolean } = {},
  ): { loss: number; boundGrads: (Float32Array | null)[] } {
    this.version++;
    const per = 2 * this.weights[0].length;
    const mine = (i: number) => i >= per * members[0] && i < per * members[1];
    return this.withMemberGrads(x, y, kind, members, opts, (all, grads) => {
      this.optimizer.step(all.map((v, i) => (mine(i) ? grads[v.name] ?? null : null)));
      return {
        boundGrads: all.slice(per * this.members).map((v) => (grads[v.name] ? (grads[v.name].dataSync() as Float32Array).slice() : null)),
      };
    });
  }

  /**
   * The loss of members [lo, hi) and its gradients w.r.t. their variables and the log-variance bounds,
   * handed to `use` (with all variables, in variables() order) and disposed afterwards. Works while
   * the network is held elsewhere: ParallelTrainer calls it for the members it keeps here.
   */
  private withMemberGrads<T extends object>(
    x: tf.Tensor2D | tf.Tensor3D,
    y: tf.Tensor2D | tf.Tensor3D,
    kind: LossKind,
    members: readonly [number, number],
    opts: { scale?: number; penalty?: boolean },
    use: (all: tf.Variable[], grads: tf.NamedTensorMap) => T,
  ): T & { loss: number } {
    if (this.disposed) throw new ValueError("EnsembleMLP: used after dispose()");
    const all = this.variables();
    const per = 2 * this.weights[0].length;
    const [lo, hi] = members;
    const used = all.filter((_, i) => i >= per * this.members || (i >= per * lo && i < per * hi));
    const { value, grads } = tf.variableGrads(() => this.loss(x, y, kind, { ...opts, members }), used);
    try {
      return { ...use(all, grads), loss: value.dataSync()[0] };
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
  }

  /** One Adam step from gradient arrays in variables() order (see memberLossGradients); null skips a variable. */
  applyGradientArrays(grads: readonly (Float32Array | null)[], opts: { tick?: boolean } = {}): void {
    if (this.disposed) throw new ValueError("EnsembleMLP: used after dispose()");
    this.version++;
    this.optimizer.step(grads, opts);
  }

  /** Adam moments of variable i (copies), for handing a member's training over between threads. */
  optimizerMoments(i: number): { m: Float32Array; v: Float32Array } {
    return this.optimizer.moments(i);
  }

  /**
   * Sets variable i (variables() order) to the values p and its Adam moments to m and v: the other
   * half of a step taken elsewhere (ParallelTrainer's member split).
   */
  adoptVariable(i: number, p: Float32Array, m: Float32Array, v: Float32Array): void {
    if (this.disposed) throw new ValueError("EnsembleMLP: used after dispose()");
    this.version++;
    const variable = this.variables()[i];
    const t = tf.tensor(p, variable.shape, "float32");
    variable.assign(t);
    t.dispose();
    this.optimizer.setMoments(i, m, v);
  }

  /** The optimizer's state (Adam moments and step count), to continue training in another thread. */
  optimizerState(): { m: Float32Array[]; v: Float32Array[]; t: number } {
    this.checkAlive();
    return this.optimizer.getState();
  }

  setOptimizerState(s: { m: readonly Float32Array[]; v: readonly Float32Array[]; t: number }): void {
    this.version++;
    this.optimizer.setState(s);
  }

  /** Applies precomputed gradients (same order as variables()) with this network's Adam. */
  applyGradients(grads: tf.Tensor[]): void {
    const vs = this.variables();
    if (grads.length !== vs.length) throw new ShapeError(`applyGradients: expected ${vs.length} gradients, got ${grads.length}`);
    this.version++;
    this.optimizer.step(grads);
  }

  /**
   * Trains on arrays (x: rows x inputSize, y: rows x outputSize) for some epochs of minibatches.
   * Each member sees its own bootstrap resample (when bootstrap is on) in its own order, so members
   * differ by data as well as by initialisation. Returns the mean training loss of each epoch.
   */
  fit(x: MatLike, y: MatLike, opts: FitOptions): { losses: number[] } {
    const plan = this.fitPlan(x, y, opts);
    const losses: number[] = [];
    for (let e = 0; e < plan.epochs; e++) {
      plan.shuffle();
      let sum = 0;
      for (let s = 0; s < plan.steps; s++) {
        checkInterrupt();
        const { xb, yb, rows } = plan.batch(s);
        const xt = tf.tensor3d(xb, [this.members, rows, plan.din]), yt = tf.tensor3d(yb, [this.members, rows, plan.dout]);
        sum += this.trainStep(xt, yt, plan.kind) * rows;
        xt.dispose();
        yt.dispose();
      }
      losses.push(sum / plan.n);
      opts.onEpoch?.(e, sum / plan.n);
    }
    return { losses };
  }

  /**
   * Like fit, but each step goes through `trainer` (a ParallelTrainer created for this network), which
   * splits every step between the main thread and a worker (by members, or by rows for a single
   * network). Same batches, same result up to float rounding. The worker's members come back into
   * this network at the end (and before each onEpoch call).
   */
  async fitAsync(x: MatLike, y: MatLike, opts: FitOptions & { trainer: BatchTrainer }): Promise<{ losses: number[] }> {
    await opts.trainer.pull(); // weights that earlier trainStep calls left in the worker
    const plan = this.fitPlan(x, y, opts);
    await opts.trainer.push(); // the worker needs the current weights, optimizer state and normaliser
    const losses: number[] = [];
    try {
      for (let e = 0; e < plan.epochs; e++) {
        plan.shuffle();
        let sum = 0;
        for (let s = 0; s < plan.steps; s++) {
          checkInterrupt();
          const { xb, yb, rows } = plan.batch(s);
          sum += (await opts.trainer.trainStep(xb, yb, rows, plan.kind)) * rows;
        }
        losses.push(sum / plan.n);
        // onEpoch may use the network (a validation loss): it must see every member's weights.
        if (opts.onEpoch) await opts.trainer.pull();
        opts.onEpoch?.(e, sum / plan.n);
      }
    } finally {
      await opts.trainer.pull();
    }
    return { losses };
  }

  /** The minibatch schedule shared by fit and fitAsync: bootstrap sets, per-epoch shuffles, batch assembly. */
  private fitPlan(x: MatLike, y: MatLike, opts: FitOptions) {
    this.checkAlive();
    const X = asMat(x), Y = asMat(y);
    this.checkCols("fit x", X.cols, this.config.inputSize);
    this.checkCols("fit y", Y.cols, this.config.outputSize);
    if (X.rows !== Y.rows) throw new ShapeError(`fit: x has ${X.rows} rows but y has ${Y.rows}`);
    const n = X.rows;
    if (n === 0) throw new ValueError("fit: no data");
    const epochs = checkInt("fit epochs", opts.epochs, { allowZero: true });
    const bs = Math.min(checkInt("fit batchSize", opts.batchSize ?? 32), n);
    const B = this.members;
    const rng: Rng = makeRng(opts.seed ?? (this.config.seed + 1) >>> 0);
    if (opts.normalizeInputs ?? true) this.fitInputNormalizer(X);
    const bootstrap = opts.bootstrap ?? B > 1;
    const sets: Int32Array[] = [];
    for (let b = 0; b < B; b++) {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = bootstrap ? rng.int(n) : i;
      sets.push(idx);
    }
    const din = X.cols, dout = Y.cols;
    const xs = Float32Array.from(X.data), ys = Float32Array.from(Y.data);
    let orders: Int32Array[] = sets;
    return {
      n,
      din,
      dout,
      epochs,
      steps: Math.ceil(n / bs),
      kind: opts.loss ?? this.defaultLoss(),
      /** New random order of every member's set (call once per epoch). */
      shuffle: () => {
        orders = sets.map((set) => shuffleInt(set, rng));
      },
      /** Step s of the epoch: [B, rows, in] and [B, rows, out], member b's rows from its own order. */
      batch: (step: number) => {
        const lo = step * bs, rows = Math.min(bs, n - lo);
        const xb = new Float32Array(B * rows * din), yb = new Float32Array(B * rows * dout);
        for (let b = 0; b < B; b++) {
          const ord = orders[b];
          for (let r = 0; r < rows; r++) {
            const i = ord[lo + r];
            xb.set(xs.subarray(i * din, (i + 1) * din), (b * rows + r) * din);
            yb.set(ys.subarray(i * dout, (i + 1) * dout), (b * rows + r) * dout);
          }
        }
        return { xb, yb, rows };
      },
    };
  }

  /** The loss on arrays without training (for validation). */
  evaluate(x: MatLike, y: MatLike, kind: LossKind = this.defaultLoss()): number {
    this.checkAlive();
    const X = asMat(x), Y = asMat(y);
    return tf.tidy(() =>
      this.loss(
        tf.tensor2d(Float32Array.from(X.data), [X.rows, X.cols]),
        tf.tensor2d(Float32Array.from(Y.data), [Y.rows, Y.cols]),
        kind,
      ).dataSync()[0],
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Weights.

  /** A copy of all weights (and the normaliser) as plain arrays. */
  getWeights(): EnsembleWeights {
    this.checkAlive();
    return {
      layers: this.weights.map((ws, b) =>
        ws.map((w, l) => ({ w: w.dataSync().slice() as Float32Array, b: this.biases[b][l].dataSync().slice() as Float32Array })),
      ),
      minLogVar: this.minLogVar ? (this.minLogVar.dataSync().slice() as Float32Array) : null,
      maxLogVar: this.maxLogVar ? (this.maxLogVar.dataSync().slice() as Float32Array) : null,
      inputMean: this.inputMeanArr.slice(),
      inputStd: this.inputStdArr.slice(),
    };
  }

  /** Loads weights from getWeights() of a network of the same architecture. */
  setWeights(w: EnsembleWeights): void {
    this.checkAlive();
    this.version++;
    if (w.layers.length !== this.members) throw new ShapeError(`setWeights: ${w.layers.length} members given, ${this.members} expected`);
    w.layers.forEach((ls, b) => {
      if (ls.length !== this.weights[b].length) throw new ShapeError(`setWeights: member ${b} has ${ls.length} layers, expected ${this.weights[b].length}`);
      ls.forEach((p, l) => {
        const W = this.weights[b][l], Bv = this.biases[b][l];
        if (p.w.length !== W.size || p.b.length !== Bv.size) {
          throw new ShapeError(`setWeights: member ${b} layer ${l} expects ${W.size} weights and ${Bv.size} biases`);
        }
        tf.tidy(() => {
          W.assign(tf.tensor2d(p.w, W.shape));
          Bv.assign(tf.tensor1d(p.b));
        });
      });
    });
    if (this.minLogVar && w.minLogVar) tf.tidy(() => this.minLogVar!.assign(tf.tensor1d(w.minLogVar!)));
    if (this.maxLogVar && w.maxLogVar) tf.tidy(() => this.maxLogVar!.assign(tf.tensor1d(w.maxLogVar!)));
    this.setInputNormalizer(w.inputMean, w.inputStd);
    this.normalize = w.inputMean.some((m) => m !== 0) || w.inputStd.some((s) => s !== 1);
  }

  /**
   * Polyak averaging for target networks (SAC): this <- tau * source + (1 - tau) * this, for all
   * weights and biases (tau = 1 copies). Also copies the input normaliser.
   */
  polyakUpdate(source: EnsembleMLP, tau: number): void {
    this.checkAlive();
    this.version++;
    const a = this.variables(), s = source.variables();
    if (a.length !== s.length || a.some((v, i) => v.size !== s[i].size)) {
      throw new ShapeError("polyakUpdate: the source network has a different architecture");
    }
    tf.tidy(() => {
      a.forEach((v, i) => v.assign(tau === 1 ? s[i] : tf.add(tf.mul(tau, s[i]), tf.mul(1 - tau, v))));
    });
    const norm = source.inputNormalizer();
    if (source.normalize) this.setInputNormalizer(norm.mean, norm.std);
  }

  /** Frees every tensor this network owns (its variables, optimizer state and normaliser). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables()) v.dispose();
    this.minLogVar?.dispose();
    this.maxLogVar?.dispose();
    this.inputMean.dispose();
    this.inputInvStd.dispose();
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

function shuffleInt(a: Int32Array, rng: Rng): Int32Array {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
