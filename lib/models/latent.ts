/**
 * A deterministic latent world model learned from pixels (lectures 001 and 003: PlaNet, Dreamer,
 * TD-MPC; "the model must learn its own state").
 *
 *   encoder      z_t      = e(o_t)                 images (stacked frames) -> latent state
 *   transition   z_{t+1}  = z_t + f(z_t, a_t)      residual, in latent space only
 *   reward head  r_t      = R(z_t, a_t)
 *   decoder      o_t     ~= d(z_t)                 latent -> images, so the latent keeps what is seen
 *
 * Training on windows (o_0, a_0, r_0, ..., o_k) of recorded episodes, with the k-step latent loss:
 * the transition is rolled OPEN LOOP from z^_0 = e(o_0), z^_j = z^_{j-1} + f(z^_{j-1}, a_{j-1}), and
 *
 *   L = w_rec   * mean_j ||d(e(o_j)) - o_j||^2                     reconstruction
 *     + w_lat   * sum_j rho^{j-1} ||z^_j - sg(e(o_j))||^2          latent consistency (TD-MPC)
 *     + w_pred  * sum_j rho^{j-1} ||d(z^_j) - o_j||^2              multi-step prediction in pixels
 *                                                                   (PlaNet's overshooting, deterministic;
 *                                                                   off by default: it doubles the decoder cost)
 *     + w_rew   * sum_j rho^{j-1} (R(z^_{j-1}, a_{j-1}) - r_{j-1})^2   reward from the IMAGINED latent
 *
 * divided by sum_j rho^{j-1}. sg is a stop-gradient: the encoder is not pulled towards the
 * transition's guesses (that would let both collapse to a constant); it is shaped by reconstruction.
 * Each term is computed on the latents the planner will use: imagined ones, k steps out.
 *
 * Planning: `latentDynamics()` and `latentReward()` expose the transition and the reward head as the
 * course's DynamicsModel / RewardFunction over latent "states", so lib/planners (cemPlan, MPC) plan
 * in latent space unchanged, starting from z = e(o) of the current image.
 *
 * Networks are MLPs (lib/nn's `mlp` op: one tape node per network, fast backward on wasm); PlaNet
 * uses convolutions for 64 x 64 images, but a pendulum at 32 x 32 is well within reach of an MLP.
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber, makeRng, tf } from "../core";
import { type Mat, mat } from "../linalg/mat";
import { type Activation, mlp } from "../nn/ops";
import type { Dataset, DynamicsModel, FitReport, RewardFunction } from "./types";

/** One recorded episode seen in pixels: T + 1 observations, T actions and rewards. */
export interface PixelEpisode {
  /** (T + 1) x obsDim float32 values, row t = o_t. */
  obs: Float32Array;
  /** T x actionDim. */
  actions: Float32Array;
  /** T rewards; r_t is the reward of (o_t, a_t). */
  rewards: Float32Array;
  /** Number of transitions T. */
  steps: number;
  /** The true states (T + 1 rows), when known: only for plots and diagnostics, never for training. */
  states?: number[][];
}

export interface LatentModelConfig {
  obsDim: number;
  actionDim: number;
  /** Bound of each action (actions enter the networks divided by it). Default 1. */
  actionScale?: number;
  /** Latent size. Default 8. */
  latentDim?: number;
  /** Encoder and decoder hidden widths. Default [128, 64] (decoder mirrored). */
  encoderHidden?: readonly number[];
  /** Transition and reward-head hidden widths. Default [128, 128]. */
  transitionHidden?: readonly number[];
  activation?: Activation;
  /** Steps k of the open-loop latent loss. Default 5. */
  k?: number;
  /** Weight decay of later steps, rho. Default 0.9. */
  rho?: number;
  /**
   * Loss weights. Default rec 1, lat 1, pred 0, rew 1: the TD-MPC combination plus reconstruction.
   * pred > 0 adds PlaNet-style prediction in pixels (one more decoder pass per step: about twice
   * the training time here), which sharpens the decoded imagined frames.
   */
  weights?: Partial<LossWeights>;
  learningRate?: number;
  /** Windows per minibatch. Default 32. */
  batchSize?: number;
  seed?: number;
}

export interface LossWeights {
  rec: number;
  lat: number;
  pred: number;
  rew: number;
}

/** Defaults of LatentModelConfig in one place. */
export const LATENT_DEFAULTS = Object.freeze({
  actionScale: 1,
  latentDim: 8,
  encoderHidden: [128, 64] as readonly number[],
  transitionHidden: [128, 128] as readonly number[],
  activation: "relu" as Activation,
  k: 5,
  rho: 0.9,
  weights: Object.freeze({ rec: 1, lat: 1, pred: 0, rew: 1 }) as Readonly<LossWeights>,
  learningRate: 1e-3,
  batchSize: 32,
  seed: 0,
});

/** The loss terms of one minibatch (plain numbers). */
export interface LossTerms {
  total: number;
  rec: number;
  lat: number;
  pred: number;
  rew: number;
}

/** A minibatch of windows, time-major: obs row j * B + b is o_{t_b + j}. */
export interface WindowBatch {
  B: number;
  k: number;
  obs: Float32Array;
  /** k blocks of B x actionDim (already divided by actionScale). */
  actions: Float32Array;
  /** k blocks of B rewards (normalised). */
  rewards: Float32Array;
}

/** Gradient-free identity: the value passes, the gradient is zero (the sg(.) of the latent loss). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

interface Net {
  ws: tf.Variable<tf.Rank.R2>[];
  bs: tf.Variable<tf.Rank.R1>[];
}

/** He-initialised layers sizes[0] -> ... -> sizes[L], drawn from the model's seeded stream. */
function makeNet(sizes: readonly number[], rng: Rng, name: string, lastScale = 1): Net {
  const ws: tf.Variable<tf.Rank.R2>[] = [],
    bs: tf.Variable<tf.Rank.R1>[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    const std = Math.sqrt(2 / n) * (l + 2 === sizes.length ? lastScale : 1);
    const w = new Float32Array(n * m);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, std);
    ws.push(tf.variable(tf.tensor2d(w, [n, m]), true, `${name}/w${l}`));
    bs.push(tf.variable(tf.zeros([m]) as tf.Tensor1D, true, `${name}/b${l}`));
  }
  return { ws, bs };
}

export class LatentWorldModel {
  readonly obsDim: number;
  readonly actionDim: number;
  readonly latentDim: number;
  readonly k: number;
  readonly rho: number;
  readonly actionScale: number;
  readonly weights: Readonly<LossWeights>;
  readonly batchSize: number;
  readonly activation: Activation;
  /** Reward normalisation (set from the data at the first fit): r_norm = (r - mean) / std. */
  rewardMean = 0;
  rewardStd = 1;
  /** Gradient steps taken so far. */
  steps = 0;
  private readonly enc: Net;
  private readonly dec: Net;
  private readonly trans: Net;
  private readonly rew: Net;
  private readonly optimizer: tf.Optimizer;
  private readonly rng: Rng;
  private disposed = false;

  constructor(cfg: LatentModelConfig) {
    const c = { ...LATENT_DEFAULTS, ...cfg, weights: { ...LATENT_DEFAULTS.weights, ...cfg.weights } };
    this.obsDim = checkInt("LatentWorldModel: obsDim", c.obsDim);
    this.actionDim = checkInt("LatentWorldModel: actionDim", c.actionDim);
    this.latentDim = checkInt("LatentWorldModel: latentDim", c.latentDim);
    this.k = checkInt("LatentWorldModel: k", c.k);
    this.rho = checkNumber("LatentWorldModel: rho", c.rho, 0, 1);
    this.actionScale = checkNumber("LatentWorldModel: actionScale", c.actionScale, 1e-12);
    this.batchSize = checkInt("LatentWorldModel: batchSize", c.batchSize);
    for (const [key, w] of Object.entries(c.weights)) checkNumber(`LatentWorldModel: weights.${key}`, w, 0);
    this.weights = Object.freeze(c.weights);
    this.activation = c.activation;
    this.rng = makeRng(c.seed);
    const dz = this.latentDim,
      da = this.actionDim;
    this.enc = makeNet([this.obsDim, ...c.encoderHidden, dz], this.rng, "enc");
    this.dec = makeNet([dz, ...[...c.encoderHidden].reverse(), this.obsDim], this.rng, "dec");
    // Small last layers: the transition starts near the identity, the reward head near the mean.
    this.trans = makeNet([dz + da, ...c.transitionHidden, dz], this.rng, "trans", 0.1);
    this.rew = makeNet([dz + da, ...c.transitionHidden, 1], this.rng, "rew", 0.1);
    this.optimizer = tf.train.adam(checkNumber("LatentWorldModel: learningRate", c.learningRate, 0));
  }

  private get variables(): tf.Variable[] {
    return [this.enc, this.dec, this.trans, this.rew].flatMap((n) => [...n.ws, ...n.bs]);
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new ValueError(`LatentWorldModel.${what}: the model was disposed`);
  }

  // ---- the four networks, in tf ops ----------------------------------------------------------

  encodeTensor(obs: tf.Tensor2D, inputGrad = false): tf.Tensor2D {
    return mlp(obs, this.enc.ws, this.enc.bs, this.activation, { inputGrad });
  }
  /** Decoded images in [0, 1] (a sigmoid on the last layer). */
  decodeTensor(z: tf.Tensor2D): tf.Tensor2D {
    return tf.sigmoid(mlp(z, this.dec.ws, this.dec.bs, this.activation));
  }
  /** z' = z + f([z, a / actionScale]); `a` is already divided by actionScale. */
  stepTensor(z: tf.Tensor2D, aScaled: tf.Tensor2D): tf.Tensor2D {
    return tf.add(z, mlp(tf.concat([z, aScaled], 1), this.trans.ws, this.trans.bs, "silu"));
  }
  /** Normalised reward of (z, a) ([n, 1]); `a` already divided by actionScale. */
  rewardTensor(z: tf.Tensor2D, aScaled: tf.Tensor2D): tf.Tensor2D {
    return mlp(tf.concat([z, aScaled], 1), this.rew.ws, this.rew.bs, "silu");
  }

  // ---- training -----------------------------------------------------------------------------

  /**
   * The k-step loss of a batch as one scalar, and its terms. Called inside the optimizer's tape; the
   * windows are time-major, so the encoder and decoder each see all (k + 1) B images in one call.
   */
  lossTensors(batch: WindowBatch): { total: tf.Scalar; terms: tf.Scalar[] } {
    const { B, k } = batch;
    const da = this.actionDim,
      D = this.obsDim;
    const obs = tf.tensor2d(batch.obs, [(k + 1) * B, D]);
    const E = this.encodeTensor(obs);
    const recon = this.decodeTensor(E);
    const perImage = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.div(tf.sum(tf.squaredDifference(a, b)), a.shape[0]) as tf.Scalar;
    const rec = perImage(recon, obs);
    const target = stopGradient(E) as tf.Tensor2D;
    let z = tf.slice(E, [0, 0], [B, this.latentDim]);
    const lat: tf.Scalar[] = [],
      pred: tf.Scalar[] = [],
      rew: tf.Scalar[] = [];
    let norm = 0;
    for (let j = 1; j <= k; j++) {
      const w = this.rho ** (j - 1);
      norm += w;
      const a = tf.tensor2d(batch.actions.subarray((j - 1) * B * da, j * B * da), [B, da]);
      const r = tf.tensor2d(batch.rewards.subarray((j - 1) * B, j * B), [B, 1]);
      rew.push(tf.mul(tf.mean(tf.squaredDifference(this.rewardTensor(z, a), r)), w));
      z = this.stepTensor(z, a);
      const tj = tf.slice(target, [j * B, 0], [B, this.latentDim]) as tf.Tensor2D;
      lat.push(tf.mul(perImage(z, tj), w));
      if (this.weights.pred > 0) {
        const oj = tf.slice(obs, [j * B, 0], [B, D]) as tf.Tensor2D;
        pred.push(tf.mul(perImage(this.decodeTensor(z), oj), w));
      }
    }
    const predTerm = pred.length > 0 ? tf.div(tf.addN(pred), norm) : tf.scalar(0);
    const terms = [rec, tf.div(tf.addN(lat), norm), predTerm, tf.div(tf.addN(rew), norm)] as tf.Scalar[];
    const W = this.weights;
    const total = tf.addN([
      tf.mul(terms[0], W.rec),
      tf.mul(terms[1], W.lat),
      tf.mul(terms[2], W.pred),
      tf.mul(terms[3], W.rew),
    ]) as tf.Scalar;
    return { total, terms };
  }

  /** The loss terms of a batch without training (plain numbers). */
  evaluate(batch: WindowBatch): LossTerms {
    this.checkAlive("evaluate");
    return tf.tidy(() => {
      const { total, terms } = this.lossTensors(batch);
      const [rec, lat, pred, rew] = terms.map((t) => t.dataSync()[0]);
      return { total: total.dataSync()[0], rec, lat, pred, rew };
    });
  }

  /** One Adam step on a batch; returns its loss terms (before the step). */
  trainStep(batch: WindowBatch): LossTerms {
    this.checkAlive("trainStep");
    let terms: tf.Scalar[] = [];
    const total = this.optimizer.minimize(
      () => {
        const out = this.lossTensors(batch);
        terms = out.terms.map((t) => tf.keep(t));
        return out.total;
      },
      true,
      this.variables,
    )!;
    const values = terms.map((t) => t.dataSync()[0]);
    const result = { total: total.dataSync()[0], rec: values[0], lat: values[1], pred: values[2], rew: values[3] };
    tf.dispose([total, ...terms]);
    this.steps++;
    return result;
  }

  /** Sets the reward normalisation from the episodes' rewards (call before training on new data). */
  setRewardStats(episodes: readonly PixelEpisode[]): void {
    let n = 0,
      s = 0,
      s2 = 0;
    for (const e of episodes)
      for (const r of e.rewards) {
        n++;
        s += r;
        s2 += r * r;
      }
    if (n === 0) throw new ValueError("LatentWorldModel: no rewards in the episodes");
    this.rewardMean = s / n;
    this.rewardStd = Math.max(Math.sqrt(Math.max(s2 / n - this.rewardMean ** 2, 0)), 1e-6);
  }

  /** A minibatch of B random windows of k + 1 observations from the episodes. */
  sampleBatch(episodes: readonly PixelEpisode[], rng: Rng, B = this.batchSize, k = this.k): WindowBatch {
    checkEpisodes(episodes, this.obsDim, this.actionDim);
    const usable = episodes.filter((e) => e.steps >= k);
    if (usable.length === 0) throw new ValueError(`LatentWorldModel: no episode has the ${k} steps a window needs`);
    const counts = usable.map((e) => e.steps - k + 1);
    const totalWindows = counts.reduce((a, b) => a + b, 0);
    const D = this.obsDim,
      da = this.actionDim;
    const obs = new Float32Array((k + 1) * B * D),
      actions = new Float32Array(k * B * da),
      rewards = new Float32Array(k * B);
    for (let b = 0; b < B; b++) {
      let u = rng.int(totalWindows),
        e = 0;
      while (u >= counts[e]) u -= counts[e++];
      const ep = usable[e],
        t0 = u;
      for (let j = 0; j <= k; j++) obs.set(ep.obs.subarray((t0 + j) * D, (t0 + j + 1) * D), (j * B + b) * D);
      for (let j = 0; j < k; j++) {
        for (let q = 0; q < da; q++) actions[(j * B + b) * da + q] = ep.actions[(t0 + j) * da + q] / this.actionScale;
        rewards[j * B + b] = (ep.rewards[t0 + j] - this.rewardMean) / this.rewardStd;
      }
    }
    return { B, k, obs, actions, rewards };
  }

  /**
   * `steps` Adam steps on random windows of the episodes (the model keeps its weights between
   * calls: more data, more steps). Reward statistics are refreshed from the episodes first.
   */
  fit(
    episodes: readonly PixelEpisode[],
    opts: { steps: number; rng?: Rng; onStep?: (step: number, terms: LossTerms) => void },
  ): { losses: LossTerms[]; seconds: number } {
    const steps = checkInt("LatentWorldModel.fit: steps", opts.steps, { allowZero: true });
    const rng = opts.rng ?? this.rng;
    this.setRewardStats(episodes);
    const t0 = performance.now();
    const losses: LossTerms[] = [];
    for (let s = 0; s < steps; s++) {
      const terms = this.trainStep(this.sampleBatch(episodes, rng));
      losses.push(terms);
      opts.onStep?.(s, terms);
    }
    return { losses, seconds: (performance.now() - t0) / 1000 };
  }

  // ---- using the model ------------------------------------------------------------------------

  /** Latents of n observations (n x obsDim, flat) as n x latentDim. */
  encode(obs: Float32Array | readonly number[]): Float32Array {
    this.checkAlive("encode");
    if (obs.length % this.obsDim !== 0)
      throw new ShapeError(`LatentWorldModel.encode: ${obs.length} values are not rows of ${this.obsDim}`);
    const n = obs.length / this.obsDim;
    return tf.tidy(() => this.encodeTensor(tf.tensor2d(obs as Float32Array, [n, this.obsDim])).dataSync() as Float32Array);
  }

  /** Images of n latents (n x latentDim, flat) as n x obsDim. */
  decode(z: ArrayLike<number>): Float32Array {
    this.checkAlive("decode");
    if (z.length % this.latentDim !== 0)
      throw new ShapeError(`LatentWorldModel.decode: ${z.length} values are not rows of ${this.latentDim}`);
    const n = z.length / this.latentDim;
    return tf.tidy(() => this.decodeTensor(tf.tensor2d(Float32Array.from(z), [n, this.latentDim])).dataSync() as Float32Array);
  }

  /**
   * Open-loop imagination: from observation o_0, the latents z^_0..z^_H under the H actions, and
   * their decoded images ((H + 1) x obsDim). Nothing but o_0 is seen.
   */
  imagine(o0: ArrayLike<number>, actions: readonly (readonly number[])[]): { latents: Float32Array; frames: Float32Array } {
    this.checkAlive("imagine");
    if (o0.length !== this.obsDim) throw new ShapeError(`LatentWorldModel.imagine: o0 has ${o0.length} values, expected ${this.obsDim}`);
    return tf.tidy(() => {
      let z = this.encodeTensor(tf.tensor2d(Float32Array.from(o0), [1, this.obsDim]));
      const zs = [z];
      for (const a of actions) {
        if (a.length !== this.actionDim)
          throw new ShapeError(`LatentWorldModel.imagine: an action has ${a.length} entries, expected ${this.actionDim}`);
        z = this.stepTensor(z, tf.tensor2d([a.map((v) => v / this.actionScale)], [1, this.actionDim]));
        zs.push(z);
      }
      const Z = tf.concat(zs, 0);
      return { latents: Z.dataSync() as Float32Array, frames: this.decodeTensor(Z).dataSync() as Float32Array };
    });
  }

  /** Predicted rewards (in the task's units) of n latent-action pairs. */
  predictRewards(z: Float32Array | Float64Array, a: Float32Array | Float64Array, n: number): Float32Array {
    return tf.tidy(() => {
      const r = this.rewardTensor(
        tf.tensor2d(Float32Array.from(z), [n, this.latentDim]),
        tf.div(tf.tensor2d(Float32Array.from(a), [n, this.actionDim]), this.actionScale),
      );
      return tf.add(tf.mul(r, this.rewardStd), this.rewardMean).dataSync() as Float32Array;
    });
  }

  /**
   * The transition as a DynamicsModel over latent "states" (stateDim = latentDim), for lib/planners.
   * Each predictBatch also computes the reward head on (S, A) and caches it, so the reward call
   * that follows with the same S and A (as evaluateSequences does) costs nothing.
   */
  latentDynamics(): DynamicsModel & { reward: RewardFunction } {
    let cache: { S: Mat; A: Mat; r: Float64Array } | null = null;
    const predictBatch = (S: Mat, A: Mat): Mat => {
      this.checkAlive("latentDynamics");
      if (S.cols !== this.latentDim || A.cols !== this.actionDim || S.rows !== A.rows) {
        throw new ShapeError(
          `latent model: expected n x ${this.latentDim} latents and n x ${this.actionDim} actions, got ${S.rows} x ${S.cols} and ${A.rows} x ${A.cols}`,
        );
      }
      const n = S.rows;
      const [z2, r] = tf.tidy(() => {
        const z = tf.tensor2d(Float32Array.from(S.data), [n, this.latentDim]);
        const a = tf.div(tf.tensor2d(Float32Array.from(A.data), [n, this.actionDim]), this.actionScale) as tf.Tensor2D;
        const rr = tf.add(tf.mul(this.rewardTensor(z, a), this.rewardStd), this.rewardMean);
        return [this.stepTensor(z, a).dataSync(), rr.dataSync()];
      });
      cache = { S, A, r: Float64Array.from(r) };
      return mat(n, this.latentDim, Float64Array.from(z2));
    };
    const reward: RewardFunction = {
      batch: (S: Mat, A: Mat): Float64Array => {
        if (!cache || cache.S !== S || cache.A !== A) predictBatch(S, A);
        return cache!.r;
      },
    };
    return {
      name: "latent",
      stateDim: this.latentDim,
      actionDim: this.actionDim,
      reward,
      fit: (_D: Dataset): Promise<FitReport> => {
        throw new ValueError(
          "latent model: fit the LatentWorldModel on pixel episodes (model.fit(episodes, ...)), not on state transitions",
        );
      },
      predict: (s, a) => {
        return predictBatch(mat(1, this.latentDim, Float64Array.from(s)), mat(1, this.actionDim, Float64Array.from(a))).data;
      },
      predictBatch,
    };
  }

  /**
   * Prediction errors on episodes, per image (sum of squared pixel errors / number of images):
   * reconstruction d(e(o)) against o, and the open-loop prediction d(z^_j) against o_j for
   * j = 1..horizon from every start t (the pixel error k steps out, the figure the k-step loss trains).
   */
  predictionErrors(episodes: readonly PixelEpisode[], horizon: number): { reconstruction: number; byStep: number[] } {
    this.checkAlive("predictionErrors");
    checkEpisodes(episodes, this.obsDim, this.actionDim);
    const D = this.obsDim,
      da = this.actionDim;
    let recSum = 0,
      recN = 0;
    const sums = new Array<number>(horizon).fill(0),
      counts = new Array<number>(horizon).fill(0);
    for (const ep of episodes) {
      const T = ep.steps;
      tf.tidy(() => {
        const O = tf.tensor2d(ep.obs, [T + 1, D]);
        const E = this.encodeTensor(O);
        recSum += tf.sum(tf.squaredDifference(this.decodeTensor(E), O)).dataSync()[0];
        recN += T + 1;
        const starts = T - horizon + 1;
        if (starts <= 0) return;
        let z = tf.slice(E, [0, 0], [starts, this.latentDim]);
        for (let j = 1; j <= horizon; j++) {
          const a = tf.div(
            tf.tensor2d(ep.actions.subarray((j - 1) * da, (j - 1 + starts) * da), [starts, da]),
            this.actionScale,
          ) as tf.Tensor2D;
          z = this.stepTensor(z, a);
          const target = tf.slice(O, [j, 0], [starts, D]);
          sums[j - 1] += tf.sum(tf.squaredDifference(this.decodeTensor(z), target)).dataSync()[0];
          counts[j - 1] += starts;
        }
      });
    }
    return { reconstruction: recSum / recN, byStep: sums.map((s, j) => s / Math.max(counts[j], 1)) };
  }

  /** Frees the weights and the optimizer state. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.variables);
    this.optimizer.dispose();
  }
}

/** Throws unless every episode's arrays fit the model's sizes. */
export function checkEpisodes(episodes: readonly PixelEpisode[], obsDim: number, actionDim: number): void {
  if (episodes.length === 0) throw new ValueError("latent model: no episodes");
  episodes.forEach((e, i) => {
    const T = e.steps;
    if (e.obs.length !== (T + 1) * obsDim || e.actions.length !== T * actionDim || e.rewards.length !== T) {
      throw new ShapeError(
        `latent model: episode ${i} has ${e.obs.length} observation values, ${e.actions.length} action values and ${e.rewards.length} rewards; ` +
          `with ${T} steps expected ${(T + 1) * obsDim}, ${T * actionDim} and ${T}`,
      );
    }
  });
}
