/**
 * The generic Dyna loop of lecture 000 with a learned ensemble model and a model-free learner (SAC):
 *
 *   repeat: act in the real system with the current policy, keep every transition (D);
 *           every few steps fit the dynamics model to D;
 *           branch short rollouts of the policy in the model from real states of D;
 *           train the policy on a mix of real and simulated transitions.
 *
 * With `useModel: false` the same learner trains on real data only: the model-free baseline.
 * The details of the rollouts (short, branched, a random member per transition, penalty and
 * termination on disagreement) live in rollouts.ts; the learner in sac.ts.
 */
import { type Rng, ShapeError, checkInt, checkNumber, makeRng, tf } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { pendulumReward } from "../envs/pendulum";
import { EnsembleMLP } from "../nn";
import {
  type ReplayBuffer,
  type TransitionBatch,
  concatBatches,
  makeReplayBuffer,
  pushBatch,
  pushTransition,
  sampleBatch,
} from "./buffer";
import { type BatchReward, type MemberEnsemble, type RolloutStats, branchedRollouts } from "./rollouts";
import { type SacAgent, disposeSac, makeSac, sacAct, sacUpdate } from "./sac";
import { checkInterrupt } from "../core/interrupt";

// -------------------------------------------------------------------------------------------------
// The model: an ensemble of Gaussian networks predicting the normalised change of the state.
// -------------------------------------------------------------------------------------------------

export interface DeltaEnsembleConfig {
  stateDim: number;
  actionDim: number;
  /** Ensemble size. Default 5. */
  members?: number;
  /** Hidden widths. Default [64, 64]. */
  hidden?: readonly number[];
  learningRate?: number;
  /** Sample the members' Gaussian noise in rollouts (true) or use their means (false). Default true. */
  sample?: boolean;
  seed: number;
}

/**
 * s' = s + mu_b(s, a) + sigma_b(s, a) xi for member b: a probabilistic ensemble (lecture 003) on
 * normalised deltas, exposed to the rollouts as per-member predictions.
 */
export class DeltaEnsemble implements MemberEnsemble {
  readonly members: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly net: EnsembleMLP;
  readonly sample: boolean;
  private deltaMean: Float64Array;
  private deltaStd: Float64Array;
  private fitted = false;

  constructor(cfg: DeltaEnsembleConfig) {
    this.stateDim = checkInt("DeltaEnsemble: stateDim", cfg.stateDim);
    this.actionDim = checkInt("DeltaEnsemble: actionDim", cfg.actionDim);
    this.members = checkInt("DeltaEnsemble: members", cfg.members ?? 5);
    this.sample = cfg.sample ?? true;
    this.net = new EnsembleMLP({
      inputSize: this.stateDim + this.actionDim,
      outputSize: this.stateDim,
      hiddenSizes: cfg.hidden ?? [64, 64],
      members: this.members,
      head: "gaussian",
      learningRate: cfg.learningRate ?? 1e-3,
      seed: cfg.seed,
    });
    this.deltaMean = new Float64Array(this.stateDim);
    this.deltaStd = new Float64Array(this.stateDim).fill(1);
  }

  get isFitted(): boolean {
    return this.fitted;
  }

  /**
   * Trains on the first `buf.size` transitions of a buffer for some epochs, continuing from the
   * current weights (the data grows a little between fits). Returns the final epoch's loss.
   */
  fit(buf: ReplayBuffer, { epochs, batchSize = 128, seed }: { epochs: number; batchSize?: number; seed: number }): number {
    const n = buf.size;
    if (n === 0) throw new ShapeError("DeltaEnsemble.fit: the buffer is empty");
    const ds = this.stateDim;
    const da = this.actionDim;
    const x = new Float64Array(n * (ds + da));
    const y = new Float64Array(n * ds);
    const mean = new Float64Array(ds);
    const sq = new Float64Array(ds);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < ds; j++) {
        const d = buf.nextStates[i * ds + j] - buf.states[i * ds + j];
        y[i * ds + j] = d;
        mean[j] += d / n;
        sq[j] += (d * d) / n;
        x[i * (ds + da) + j] = buf.states[i * ds + j];
      }
      for (let j = 0; j < da; j++) x[i * (ds + da) + ds + j] = buf.actions[i * da + j];
    }
    for (let j = 0; j < ds; j++) {
      this.deltaMean[j] = mean[j];
      this.deltaStd[j] = Math.max(Math.sqrt(Math.max(sq[j] - mean[j] * mean[j], 0)), 1e-6);
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < ds; j++) y[i * ds + j] = (y[i * ds + j] - this.deltaMean[j]) / this.deltaStd[j];
    }
    const { losses } = this.net.fit(
      { rows: n, cols: ds + da, data: x },
      { rows: n, cols: ds, data: y },
      { epochs, batchSize, seed },
    );
    this.fitted = true;
    return losses[losses.length - 1];
  }

  predictMembers(S: Float64Array, A: Float64Array, n: number, rng: Rng): { samples: Float64Array[]; means: Float64Array[] } {
    const ds = this.stateDim;
    const da = this.actionDim;
    if (S.length !== n * ds || A.length !== n * da) {
      throw new ShapeError(`DeltaEnsemble.predictMembers: expected ${n} x ${ds} states and ${n} x ${da} actions`);
    }
    const x = new Float32Array(n * (ds + da));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < ds; j++) x[i * (ds + da) + j] = S[i * ds + j];
      for (let j = 0; j < da; j++) x[i * (ds + da) + ds + j] = A[i * da + j];
    }
    const outs = tf.tidy(() => {
      const o = this.net.forwardMembers(tf.tensor2d(x, [n, ds + da]));
      return o.mean.map((m, b) => ({ mean: m.dataSync().slice(), logVar: o.logVar![b].dataSync().slice() }));
    });
    const means: Float64Array[] = [];
    const samples: Float64Array[] = [];
    for (const o of outs) {
      const mu = new Float64Array(n * ds);
      const smp = new Float64Array(n * ds);
      for (let i = 0; i < n * ds; i++) {
        const j = i % ds;
        mu[i] = S[i] + this.deltaMean[j] + this.deltaStd[j] * o.mean[i];
        smp[i] = this.sample ? mu[i] + this.deltaStd[j] * Math.exp(0.5 * o.logVar[i]) * rng.normal() : mu[i];
      }
      means.push(mu);
      samples.push(smp);
    }
    return { samples, means };
  }

  dispose(): void {
    this.net.dispose();
  }
}

// -------------------------------------------------------------------------------------------------
// Rewards on observations
// -------------------------------------------------------------------------------------------------

/**
 * The pendulum's reward on observations [cos, sin, thetadot]: theta = atan2(sin, cos), reward of the
 * state where the action is taken (as the real system). Model rollouts need it, because the model
 * predicts observations, not the raw angle.
 */
export const pendulumObservationReward: BatchReward = (S, A, _S2, n) => {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.min(2, Math.max(-2, A[i]));
    r[i] = pendulumReward(Math.atan2(S[i * 3 + 1], S[i * 3]), S[i * 3 + 2], u);
  }
  return r;
};

// -------------------------------------------------------------------------------------------------
// Evaluation
// -------------------------------------------------------------------------------------------------

/**
 * Mean return of the deterministic policy over episodes from the given raw start states, run in
 * parallel on the system's batched true dynamics (evaluation only: none of these steps trains anything).
 */
export function evaluatePolicy(env: ContinuousEnv, agent: SacAgent, startStates: readonly (readonly number[])[]): number {
  const m = startStates.length;
  const dx = env.stateSpace.dim;
  const dobs = env.observationSpace.dim;
  let X: Float64Array = Float64Array.from(startStates.flat());
  const obs = new Float64Array(m * dobs);
  let total = 0;
  for (let t = 0; t < env.maxSteps; t++) {
    for (let i = 0; i < m; i++) obs.set(env.observe(Array.from(X.subarray(i * dx, (i + 1) * dx))), i * dobs);
    const U = sacAct(agent, obs, m, true);
    const X2 = env.dynamics(X, U);
    const r = env.reward(X, U, X2);
    for (let i = 0; i < m; i++) total += r[i];
    X = X2;
  }
  return total / m;
}

// -------------------------------------------------------------------------------------------------
// The loop
// -------------------------------------------------------------------------------------------------

export interface DynaStyleConfig {
  /** Real transitions to collect in total. */
  realSteps: number;
  /** Uniformly random actions for the first steps (both variants). Default 400. */
  randomSteps?: number;
  /** Train the learner on model rollouts too (true) or on real data only (false). */
  useModel: boolean;
  /** Learner gradient steps per real step. Default 1 (the usual SAC setting). */
  updatesPerStep?: number;
  /** Transitions per gradient step. Default 256. */
  batchSize?: number;
  /** SAC settings (hidden widths, learning rate, ...), except dimensions and seed. */
  sac?: { hidden?: number[]; learningRate?: number; gamma?: number; tau?: number; initAlpha?: number };
  /** Typical state magnitudes for input scaling. Default 1s. */
  stateScale?: readonly number[];
  // --- model and rollouts (used when useModel) ---
  ensembleSize?: number;
  modelHidden?: readonly number[];
  /** Refit the model every this many real steps. Default 250. */
  modelEvery?: number;
  /** Epochs per refit (more at the first fit). Default 20. */
  modelEpochs?: number;
  /** Generate rollouts every this many real steps. Default 50. */
  rolloutEvery?: number;
  /** Branches started per real step (rolloutEvery * this per generation). Default 20. */
  rolloutsPerStep?: number;
  /** Rollout length k. Default 3. */
  horizon?: number;
  /** Simulated transitions kept (FIFO). Default 20000. */
  modelBufferSize?: number;
  /** Fraction of real transitions in each gradient batch. Default 0.1. */
  realRatio?: number;
  penalty?: { kappa: number; alpha: number } | null;
  terminateAbove?: number | null;
  /** Reward of a simulated transition (required with useModel). */
  reward?: BatchReward;
  // --- evaluation ---
  /** Evaluate every this many real steps. Default 200 (one pendulum episode). */
  evalEvery?: number;
  /** Start states of the evaluation episodes (raw states). */
  evalStarts: readonly (readonly number[])[];
  seed: number;
  /** Called after each evaluation. */
  onEval?: (point: DynaEvalPoint) => void;
}

export interface DynaEvalPoint {
  realSteps: number;
  /** Mean return of the deterministic policy on the evaluation starts. */
  evalReturn: number;
  /** Learner gradient steps so far. */
  updates: number;
  /** Simulated transitions generated so far. */
  simulated: number;
  seconds: number;
}

export interface DynaStyleResult {
  curve: DynaEvalPoint[];
  rolloutStats: RolloutStats[];
  modelLosses: number[];
  agent: SacAgent;
  model: DeltaEnsemble | null;
}

/** Runs the Dyna loop (or, with useModel false, the model-free learner alone) on a continuous system. */
export async function dynaStyle(env: ContinuousEnv, cfg: DynaStyleConfig): Promise<DynaStyleResult> {
  const realSteps = checkInt("dynaStyle: realSteps", cfg.realSteps);
  const randomSteps = checkInt("dynaStyle: randomSteps", cfg.randomSteps ?? 400, { allowZero: true });
  const G = checkInt("dynaStyle: updatesPerStep", cfg.updatesPerStep ?? 1, { allowZero: true });
  const batchSize = checkInt("dynaStyle: batchSize", cfg.batchSize ?? 256);
  const evalEvery = checkInt("dynaStyle: evalEvery", cfg.evalEvery ?? 200);
  const modelEvery = checkInt("dynaStyle: modelEvery", cfg.modelEvery ?? 250);
  const modelEpochs = checkInt("dynaStyle: modelEpochs", cfg.modelEpochs ?? 20);
  const rolloutEvery = checkInt("dynaStyle: rolloutEvery", cfg.rolloutEvery ?? 50);
  const rolloutsPerStep = checkInt("dynaStyle: rolloutsPerStep", cfg.rolloutsPerStep ?? 20);
  const horizon = checkInt("dynaStyle: horizon", cfg.horizon ?? 3);
  const realRatio = checkNumber("dynaStyle: realRatio", cfg.realRatio ?? 0.1, 0, 1);
  if (cfg.useModel && !cfg.reward) throw new ShapeError("dynaStyle: useModel needs a reward function for simulated transitions");
  const ds = env.observationSpace.dim;
  const da = env.actionSpace.dim;
  const rng = makeRng(cfg.seed);
  const agent = makeSac({
    ...cfg.sac,
    stateDim: ds,
    actionDim: da,
    actionLow: env.actionSpace.low,
    actionHigh: env.actionSpace.high,
    stateScale: cfg.stateScale,
    seed: (cfg.seed * 7 + 1) >>> 0,
  });
  const real = makeReplayBuffer(realSteps, ds, da);
  const simulated = makeReplayBuffer(cfg.modelBufferSize ?? 20000, ds, da);
  const model = cfg.useModel
    ? new DeltaEnsemble({ stateDim: ds, actionDim: da, members: cfg.ensembleSize ?? 5, hidden: cfg.modelHidden, seed: (cfg.seed * 7 + 3) >>> 0 })
    : null;
  const policy = (S: Float64Array, n: number) => sacAct(agent, S, n, false);
  const curve: DynaEvalPoint[] = [];
  const rolloutStats: RolloutStats[] = [];
  const modelLosses: number[] = [];
  let simulatedTotal = 0;
  const t0 = Date.now();

  let obs = env.reset((cfg.seed * 7 + 5) >>> 0);
  for (let t = 1; t <= realSteps; t++) {
    checkInterrupt();
    // 1. Act in the real system and keep the transition.
    const a =
      t <= randomSteps
        ? env.actionSpace.low.map((lo, j) => rng.uniform(lo, env.actionSpace.high[j]))
        : Array.from(sacAct(agent, Float64Array.from(obs), 1, false));
    const out = env.step(a);
    pushTransition(real, obs, a, out.reward, out.observation, out.terminated);
    obs = out.terminated || out.truncated ? env.reset() : out.observation;

    if (model && t >= randomSteps) {
      // 2. Fit the model to all real data.
      if (t % modelEvery === 0 || !model.isFitted) {
        modelLosses.push(model.fit(real, { epochs: model.isFitted ? modelEpochs : 3 * modelEpochs, seed: (cfg.seed + t) >>> 0 }));
      }
      // 3. Branch short rollouts from real states.
      if (t % rolloutEvery === 0 || simulated.size === 0) {
        const nStarts = rolloutEvery * rolloutsPerStep;
        const starts = sampleBatch(real, nStarts, rng).states;
        const { batch, stats } = branchedRollouts(
          starts,
          nStarts,
          policy,
          model,
          cfg.reward!,
          { horizon, penalty: cfg.penalty ?? null, terminateAbove: cfg.terminateAbove ?? null },
          rng,
        );
        pushBatch(simulated, batch);
        simulatedTotal += batch.n;
        rolloutStats.push(stats);
      }
    }

    // 4. Train the learner on real (and simulated) transitions.
    if (t >= randomSteps) {
      for (let g = 0; g < G; g++) {
        let batch: TransitionBatch;
        if (model && simulated.size > 0) {
          const nReal = Math.round(batchSize * realRatio);
          batch = concatBatches(sampleBatch(real, nReal, rng), sampleBatch(simulated, batchSize - nReal, rng));
        } else {
          batch = sampleBatch(real, batchSize, rng);
        }
        sacUpdate(agent, batch);
      }
    }

    if (t % evalEvery === 0) {
      const point: DynaEvalPoint = {
        realSteps: t,
        evalReturn: evaluatePolicy(env, agent, cfg.evalStarts),
        updates: agent.updates,
        simulated: simulatedTotal,
        seconds: (Date.now() - t0) / 1000,
      };
      curve.push(point);
      cfg.onEval?.(point);
      // Let a notebook's progress display and other async work run between evaluations.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { curve, rolloutStats, modelLosses, agent, model };
}

/** Frees the tensors of a dynaStyle result. */
export function disposeDynaResult(r: DynaStyleResult): void {
  disposeSac(r.agent);
  r.model?.dispose();
}

/**
 * The real transitions at which a curve (mean over seeds, points at the same real-step counts) first
 * reaches `threshold` and stays at or above it for the rest of the run; null if it never does.
 */
export function realStepsToReach(curves: readonly (readonly DynaEvalPoint[])[], threshold: number): number | null {
  if (curves.length === 0) return null;
  const len = Math.min(...curves.map((c) => c.length));
  let first: number | null = null;
  for (let i = len - 1; i >= 0; i--) {
    const mean = curves.reduce((s, c) => s + c[i].evalReturn, 0) / curves.length;
    if (mean < threshold) break;
    first = curves[0][i].realSteps;
  }
  return first;
}
