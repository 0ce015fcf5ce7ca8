/**
 * A probabilistic ensemble of dynamics networks (lectures 000, 002, 003; Chua et al. 2018, PETS).
 *
 * Each of B members predicts the NORMALISED state change, as the delta MLP of notebook 01 does:
 *
 *   s' = s + mu_delta + sigma_delta * ( m_b(x) + exp(v_b(x) / 2) * xi ),   xi ~ N(0, I),
 *
 * where x = (features(s), a), m_b is member b's mean and v_b its log-variance (probabilistic
 * members, "P"; deterministic members, "D", have no v_b and no noise). The log-variance is kept
 * inside learnable soft bounds, v = max - softplus(max - v), v = min + softplus(v - min), with a
 * small penalty on the gap max - min (lib/nn/ops.ts), and the members train on the Gaussian negative
 * log-likelihood. The spread of one member's Gaussian is ALEATORIC uncertainty (noise the data
 * shows); the spread BETWEEN members is EPISTEMIC (what the data does not pin down).
 *
 * The members train together, batched (one lib/nn EnsembleMLP), each on its own bootstrap resample
 * of the training data or all on the same data with different initial weights (`bootstrap`). A
 * held-out split scores each member after every fit; the `elites` best are the ones planners use.
 * `disagreement(S, A)` is d(s, a) = max_{i,j} || mu_i(s, a) - mu_j(s, a) || over the elites' means.
 *
 * Two ways to use it:
 *  - as a plain DynamicsModel: `predictBatch(S, A, rng)` samples a random elite member per row and
 *    its Gaussian noise (a TS1 step); without an rng it returns the mean over elites;
 *  - member by member (`stepMembers`), which the PETS trajectory sampler (lib/pets) uses to give
 *    each particle its own member.
 */
import { type Rng, tf, ShapeError, ValueError, checkInt, checkNumber, freshSeed, makeRng, refitSeed } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import { EnsembleMLP } from "../nn/ensemble";
import { forwardArrays, prepareArrayForward, releaseArrayForward } from "../nn/inference";
import type { Activation } from "../nn/ops";
import { disagreement as maxPairwiseDistance } from "./uncertainty";
import { type InputLayout, deltaArrays, deltaStats, inputLayout, writeInput } from "./features";
import {
  type Dataset,
  type DynamicsModel,
  type FitOptions,
  type FitReport,
  checkBatch,
  checkDataset,
  predictOne,
  splitDataset,
  subsetDataset,
} from "./types";

export interface EnsembleModelConfig {
  stateDim: number;
  actionDim: number;
  /** State dimensions that are angles: fed to the networks as (cos, sin). Default none. */
  angleDims?: readonly number[];
  /** Ensemble size B. Default 5. */
  members?: number;
  /** Gaussian members trained by NLL (true, "P") or deterministic ones trained by MSE (false, "D"). Default true. */
  probabilistic?: boolean;
  /** Each member trains on its own bootstrap resample (true) or all on the same data (false). Default true. */
  bootstrap?: boolean;
  /** Members used for prediction, the best on held-out data. Default: all members. */
  elites?: number;
  /** Hidden widths. Default [200, 200, 200]. */
  hiddenSizes?: readonly number[];
  activation?: Activation;
  learningRate?: number;
  weightDecay?: number;
  /** Minibatch rows per member. Default 32. */
  batchSize?: number;
  /** Epochs per fit (training continues from the current weights). Default 5. */
  epochs?: number;
  /** At least this many gradient steps per fit, whatever the data size (small early datasets). Default 0. */
  minSteps?: number;
  /** Fraction held out to score the members (elites). Default 0.1; 0 keeps every member and no scores. */
  validFraction?: number;
  /** Initial soft bounds of the log-variance (normalised units). Defaults -10 and 0.5. */
  minLogVar?: number;
  maxLogVar?: number;
  seed: number;
}

/** Per-member predictions for n rows: next-state means and variances (raw units), n x stateDim each. */
export interface MemberPredictions {
  mean: Float64Array[];
  /** null for deterministic members. */
  variance: Float64Array[] | null;
}

export class EnsembleDynamicsModel implements DynamicsModel {
  readonly name: string;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly members: number;
  readonly probabilistic: boolean;
  readonly cfg: Readonly<Required<EnsembleModelConfig>>;
  readonly inputSize: number;
  readonly net: EnsembleMLP;
  /** mu_delta and sigma_delta of the last fit (identity before any fit). */
  deltaMean: Float64Array;
  deltaStd: Float64Array;
  /** Indices of the members in use, best held-out loss first (all members before the first fit). */
  elites: number[];
  /** Held-out MSE (normalised deltas) of every member after the last fit (empty without a split). */
  memberValidLoss: number[] = [];
  private readonly layout: InputLayout;
  private fits = 0;

  constructor(cfg: EnsembleModelConfig) {
    this.stateDim = checkInt("EnsembleDynamicsModel: stateDim", cfg.stateDim);
    this.actionDim = checkInt("EnsembleDynamicsModel: actionDim", cfg.actionDim);
    this.layout = inputLayout("EnsembleDynamicsModel", this.stateDim, this.actionDim, cfg.angleDims);
    const angleDims = this.layout.angleDims;
    const members = checkInt("EnsembleDynamicsModel: members", cfg.members ?? 5);
    const elites = checkInt("EnsembleDynamicsModel: elites", cfg.elites ?? members);
    if (elites > members) throw new ValueError(`EnsembleDynamicsModel: elites (${elites}) must not exceed members (${members})`);
    this.cfg = {
      stateDim: cfg.stateDim,
      actionDim: cfg.actionDim,
      angleDims,
      members,
      probabilistic: cfg.probabilistic ?? true,
      bootstrap: cfg.bootstrap ?? true,
      elites,
      hiddenSizes: cfg.hiddenSizes ?? [200, 200, 200],
      activation: cfg.activation ?? "silu",
      learningRate: cfg.learningRate ?? 1e-3,
      weightDecay: cfg.weightDecay ?? 0,
      batchSize: checkInt("EnsembleDynamicsModel: batchSize", cfg.batchSize ?? 32),
      epochs: checkInt("EnsembleDynamicsModel: epochs", cfg.epochs ?? 5),
      minSteps: checkInt("EnsembleDynamicsModel: minSteps", cfg.minSteps ?? 0, { allowZero: true }),
      validFraction: checkNumber("EnsembleDynamicsModel: validFraction", cfg.validFraction ?? 0.1, 0, 0.9),
      minLogVar: cfg.minLogVar ?? -10,
      maxLogVar: cfg.maxLogVar ?? 0.5,
      seed: cfg.seed,
    };
    this.members = members;
    this.probabilistic = this.cfg.probabilistic;
    this.name = `${this.probabilistic ? "P" : "D"}${members > 1 ? "E" : ""}`;
    this.inputSize = this.layout.inputSize;
    this.net = new EnsembleMLP({
      inputSize: this.inputSize,
      outputSize: this.stateDim,
      hiddenSizes: this.cfg.hiddenSizes,
      members,
      activation: this.cfg.activation,
      head: this.probabilistic ? "gaussian" : "deterministic",
      minLogVar: this.cfg.minLogVar,
      maxLogVar: this.cfg.maxLogVar,
      learningRate: this.cfg.learningRate,
      weightDecay: this.cfg.weightDecay,
      seed: cfg.seed,
    });
    this.deltaMean = new Float64Array(this.stateDim);
    this.deltaStd = new Float64Array(this.stateDim).fill(1);
    this.elites = Array.from({ length: members }, (_, b) => b);
  }

  /** Inputs and normalised delta targets of D (with the current delta statistics). */
  private arrays(D: Dataset): { x: Float32Array; y: Float32Array; n: number } {
    return deltaArrays(this.layout, D, this.deltaMean, this.deltaStd, (len) => new Float32Array(len));
  }

  /**
   * One training round: a new held-out split, delta statistics from the training part, then
   * `epochs` epochs (the config's, or `opts.epochs` for this fit) (at least `minSteps` steps) of batched minibatch Adam continuing from the current
   * weights, every member on its own bootstrap resample (or the shared data). Afterwards every member
   * is scored on the held-out part and the elites are re-chosen.
   */
  async fit(D: Dataset, opts: FitOptions & { epochs?: number } = {}): Promise<FitReport> {
    const t0 = performance.now();
    const n = checkDataset("EnsembleDynamicsModel.fit", this, D);
    if (n < 2) throw new ValueError(`EnsembleDynamicsModel.fit: need at least 2 transitions, got ${n}`);
    const cfg = this.cfg;
    const rng = makeRng(refitSeed(cfg.seed, ++this.fits));
    const useValid = cfg.validFraction > 0 && n >= 10;
    const { train, valid } = useValid ? splitDataset(D, cfg.validFraction, rng) : { train: D, valid: subsetDataset(D, []) };
    const stats = deltaStats(train.states, train.nextStates);
    this.deltaMean = stats.mean;
    this.deltaStd = stats.std;
    const tr = this.arrays(train);
    const va = useValid ? this.arrays(valid) : null;
    const bs = Math.min(cfg.batchSize, tr.n);
    const stepsPerEpoch = Math.ceil(tr.n / bs);
    const epochs = Math.max(opts.epochs ?? cfg.epochs, Math.ceil(cfg.minSteps / stepsPerEpoch));
    const trainLoss: number[] = [];
    const validLoss: number[] = [];
    const X = mat(tr.n, this.inputSize, Float64Array.from(tr.x));
    const Y = mat(tr.n, this.stateDim, Float64Array.from(tr.y));
    this.net.fit(X, Y, {
      epochs,
      batchSize: bs,
      bootstrap: cfg.bootstrap && this.members > 1,
      seed: freshSeed(rng),
      onEpoch: (e, loss) => {
        trainLoss.push(loss);
        let vl: number | undefined;
        if (va && (e === epochs - 1 || opts.onEpoch)) {
          vl = mean(this.heldOutLosses(va.x, va.y, va.n));
          validLoss.push(vl);
        }
        opts.onEpoch?.(e, loss, vl);
      },
    });
    await prepareArrayForward(this.net); // the planners' forward pass gets the new weights
    if (va) {
      this.memberValidLoss = this.heldOutLosses(va.x, va.y, va.n);
      const order = this.memberValidLoss.map((l, b) => ({ l, b })).sort((p, q) => p.l - q.l);
      this.elites = order.slice(0, cfg.elites).map((o) => o.b);
    } else {
      this.memberValidLoss = [];
      this.elites = Array.from({ length: cfg.elites }, (_, b) => b);
    }
    return { trainLoss, validLoss, epochs: trainLoss.length, seconds: (performance.now() - t0) / 1000 };
  }

  /** Each member's mean squared error of its predicted mean on normalised targets. */
  private heldOutLosses(x: Float32Array, y: Float32Array, n: number): number[] {
    const ds = this.stateDim;
    const means: Float32Array[] = [];
    tf.tidy(() => {
      for (const m of this.net.forwardMembers(tf.tensor2d(x, [n, this.inputSize])).mean) means.push((m.dataSync() as Float32Array).slice());
    });
    return means.map((m) => {
      let s = 0;
      for (let i = 0; i < n * ds; i++) s += (m[i] - y[i]) ** 2;
      return s / (n * ds);
    });
  }

  /**
   * Member `member[i]` applied to row i (n rows of S and A, flat row-major), grouped so each member
   * runs once on its own rows. Returns next-state means and variances (raw units) for each row.
   */
  memberOutputs(S: Float64Array, A: Float64Array, member: ArrayLike<number>): { mean: Float64Array; variance: Float64Array | null } {
    const ds = this.stateDim,
      da = this.actionDim,
      din = this.inputSize,
      B = this.members;
    const n = member.length;
    if (S.length !== n * ds || A.length !== n * da) {
      throw new ShapeError(`EnsembleDynamicsModel.memberOutputs: expected ${n} x ${ds} states and ${n} x ${da} actions`);
    }
    // Rows grouped by member with a counting sort into one input buffer per member (a planner sends
    // thousands of rows per call: no per-row arrays or closures).
    const count = new Int32Array(B);
    for (let i = 0; i < n; i++) {
      const b = member[i];
      if (!(b >= 0 && b < B && Number.isInteger(b))) throw new ValueError(`memberOutputs: member ${b} of row ${i} is not in 0..${B - 1}`);
      count[b]++;
    }
    const xs = Array.from(count, (c) => new Float32Array(c * din));
    const slot = new Int32Array(n);
    const fill = new Int32Array(B);
    for (let i = 0; i < n; i++) {
      const b = member[i],
        r = fill[b]++;
      slot[i] = r;
      writeInput(this.layout, S, i * ds, A, i * da, xs[b], r * din);
    }
    const outs = this.rawMemberOutputs(xs);
    const meanOut = new Float64Array(n * ds);
    const varOut = this.probabilistic ? new Float64Array(n * ds) : null;
    const mu = this.deltaMean,
      sd = this.deltaStd;
    for (let i = 0; i < n; i++) {
      const { m, v } = outs[member[i]];
      const o = slot[i] * ds;
      for (let j = 0; j < ds; j++) {
        meanOut[i * ds + j] = S[i * ds + j] + mu[j] + sd[j] * m[o + j];
        if (varOut && v) varOut[i * ds + j] = sd[j] * sd[j] * Math.exp(v[o + j]);
      }
    }
    return { mean: meanOut, variance: varOut };
  }

  /**
   * Member b's network on its own rows xs[b] (features, rows x inputSize, flat): the normalised-delta
   * mean m and the soft-bounded log-variance v per row (v null for deterministic members). The
   * network's array forward pass (lib/nn/inference.ts): ONNX Runtime once the fit has loaded the
   * weights into it, else the network's own forwardMembers.
   */
  rawMemberOutputs(xs: readonly Float32Array[]): { m: Float32Array; v: Float32Array | null }[] {
    return forwardArrays(this.net, xs).map((o) => ({ m: o.mean, v: this.probabilistic ? o.logVar : null }));
  }

  /**
   * Next states for n rows, row i through member member[i]: a sample of its Gaussian when `rng` is
   * given (and the members are probabilistic), its mean otherwise.
   */
  stepMembers(S: Float64Array, A: Float64Array, member: ArrayLike<number>, rng?: Rng | null): Float64Array {
    const { mean: m, variance } = this.memberOutputs(S, A, member);
    if (!rng || !variance) return m;
    for (let i = 0; i < m.length; i++) m[i] += Math.sqrt(variance[i]) * rng.normal();
    return m;
  }

  /**
   * The flat-array sampler of Dyna's rollouts: for n rows of states S (n x stateDim, flat) and actions
   * A, EVERY member's next state, as `means` (member b's mean) and `samples` (a draw from member b's
   * Gaussian with `rng`, drawn member by member, row by row; the means for deterministic members or
   * without rng). One forward pass of all members on the shared rows.
   */
  sampleMembers(S: Float64Array, A: Float64Array, n: number, rng: Rng | null): { samples: Float64Array[]; means: Float64Array[] } {
    const ds = this.stateDim,
      da = this.actionDim,
      din = this.inputSize;
    if (S.length !== n * ds || A.length !== n * da) {
      throw new ShapeError(`EnsembleDynamicsModel.sampleMembers: expected ${n} x ${ds} states and ${n} x ${da} actions`);
    }
    const x = new Float32Array(n * din);
    for (let i = 0; i < n; i++) writeInput(this.layout, S, i * ds, A, i * da, x, i * din);
    const input = tf.tensor2d(x, [n, din]);
    let out: { mean: tf.Tensor2D[]; logVar: tf.Tensor2D[] | null };
    try {
      out = this.net.forwardMembers(input);
    } finally {
      input.dispose();
    }
    const means: Float64Array[] = [];
    const samples: Float64Array[] = [];
    for (let b = 0; b < out.mean.length; b++) {
      const m = out.mean[b].dataSync() as Float32Array;
      const v = out.logVar ? (out.logVar[b].dataSync() as Float32Array) : null;
      const mu = new Float64Array(n * ds);
      const smp = new Float64Array(n * ds);
      for (let i = 0; i < n * ds; i++) {
        const j = i % ds;
        mu[i] = S[i] + this.deltaMean[j] + this.deltaStd[j] * m[i];
        smp[i] = rng && v ? mu[i] + this.deltaStd[j] * Math.exp(0.5 * v[i]) * rng.normal() : mu[i];
      }
      means.push(mu);
      samples.push(smp);
    }
    tf.dispose([...out.mean, ...(out.logVar ?? [])]);
    return { samples, means };
  }

  /** Every elite member's prediction for every row (n rows): means and variances, one array per elite. */
  predictMembers(S: Mat, A: Mat): MemberPredictions {
    const n = checkBatch("EnsembleDynamicsModel.predictMembers", this, S, A);
    const mean: Float64Array[] = [];
    const variance: Float64Array[] = [];
    for (const b of this.elites) {
      const o = this.memberOutputs(S.data, A.data, new Int32Array(n).fill(b));
      mean.push(o.mean);
      if (o.variance) variance.push(o.variance);
    }
    return { mean, variance: this.probabilistic ? variance : null };
  }

  /** d(s, a) per row: the largest distance between two elites' predicted next-state means (0 for one elite). */
  disagreement(S: Mat, A: Mat): Float64Array {
    const { mean: means } = this.predictMembers(S, A);
    return maxPairwiseDistance(means, S.rows, this.stateDim);
  }

  /** The mean over elites of their predicted means (the "expectation" prediction), n rows. */
  expectedNext(S: Float64Array, A: Float64Array): Float64Array {
    const ds = this.stateDim;
    const n = S.length / ds;
    const out = new Float64Array(n * ds);
    for (const b of this.elites) {
      const m = this.memberOutputs(S, A, new Int32Array(n).fill(b)).mean;
      for (let i = 0; i < out.length; i++) out[i] += m[i] / this.elites.length;
    }
    return out;
  }

  predict(s: VecLike, a: VecLike, rng?: Rng): Float64Array {
    return predictOne(this, s, a, rng);
  }

  /**
   * With an rng: a TS1 step, each row through a random elite and its noise. Without: the mean over
   * the elites (deterministic).
   */
  predictBatch(S: Mat, A: Mat, rng?: Rng): Mat {
    const n = checkBatch("EnsembleDynamicsModel.predictBatch", this, S, A);
    if (!rng) return mat(n, this.stateDim, this.expectedNext(S.data, A.data));
    const member = new Int32Array(n);
    for (let i = 0; i < n; i++) member[i] = this.elites[rng.int(this.elites.length)];
    return mat(n, this.stateDim, this.stepMembers(S.data, A.data, member, rng));
  }

  dispose(): void {
    releaseArrayForward(this.net);
    this.net.dispose();
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
