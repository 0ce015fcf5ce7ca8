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
import { type Rng, ShapeError, checkInt, checkNumber, componentSeed, makeRng } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { pendulumObservationReward } from "../envs/pendulum";
import { EnsembleDynamicsModel } from "../models/ensemble";
import type { Dataset } from "../models/types";
import { type ReplayBuffer, type TransitionBatch, concatBatches, makeReplayBuffer, pushBatch, pushTransition, sampleBatch } from "./buffer";
import { type BatchReward, type RolloutStats, branchedRollouts } from "./rollouts";
import { type ActorAnchor, type SacAgent, disposeSac, makeSac, sacAct, sacUpdate } from "./sac";
import { checkInterrupt } from "../core/interrupt";

// The pendulum's reward on observations lives with the pendulum; re-exported for old imports.
export { pendulumObservationReward };

// -------------------------------------------------------------------------------------------------
// The model: the models' probabilistic ensemble on normalised deltas (lib/models/ensemble.ts), fitted
// to the replay buffer's transitions.
// -------------------------------------------------------------------------------------------------

/** The first `buf.size` transitions of a replay buffer (flat arrays) as a Dataset (rows). */
export function bufferToDataset(buf: ReplayBuffer): Dataset {
  const ds = buf.stateDim;
  const da = buf.actionDim;
  const rows = (a: Float64Array, d: number, i: number) => Array.from(a.subarray(i * d, (i + 1) * d));
  const D: Dataset = { states: [], actions: [], rewards: [], nextStates: [] };
  for (let i = 0; i < buf.size; i++) {
    D.states.push(rows(buf.states, ds, i));
    D.actions.push(rows(buf.actions, da, i));
    D.rewards.push(buf.rewards[i]);
    D.nextStates.push(rows(buf.nextStates, ds, i));
  }
  return D;
}

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

/** Minibatch rows per member when the model is fitted. */
const MODEL_BATCH_SIZE = 128;

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
  /**
   * Start from a learner trained elsewhere and the real transitions gathered so far (model-based then
   * model-free fine-tuning, MBMF): the agent is used as it is, the transitions fill the real buffer, and
   * `criticWarmup` critic-only gradient steps fit its critic before the loop (randomSteps defaults to 0).
   * With `anchor`, the actor is held near expert labels (observations, actions) by a behaviour-cloning
   * term of weight `weight`, falling linearly to 0 over the loop's first `steps` gradient steps when
   * `steps` is given, else held for the whole loop (as TD3+BC does).
   */
  init?: {
    agent: SacAgent;
    transitions: TransitionBatch;
    criticWarmup?: number;
    anchor?: { n: number; states: Float64Array; actions: Float64Array; weight: number; steps?: number };
    /** The actor learns by advantage-weighted regression (AWAC) with this temperature; see sacUpdate. */
    awacLambda?: number;
    /**
     * Transitions made up by a model (MBMF's hand-over), beside the real ones while the learner starts:
     * the critic warm-up's batches and then each gradient batch take a `share` of them, falling
     * linearly to 0 over the first `fadeSteps` real steps; from there on the learner is model-free.
     */
    madeUp?: { transitions: TransitionBatch; share: number; fadeSteps: number };
  };
}

/** The defaults of DynaStyleConfig. */
export const DYNA_STYLE_DEFAULTS = {
  randomSteps: 400,
  updatesPerStep: 1,
  batchSize: 256,
  evalEvery: 200,
  modelEvery: 250,
  modelEpochs: 20,
  rolloutEvery: 50,
  rolloutsPerStep: 20,
  horizon: 3,
  realRatio: 0.1,
  modelBufferSize: 20000,
  ensembleSize: 5,
  modelHidden: [64, 64] as readonly number[],
};

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
  model: EnsembleDynamicsModel | null;
}

/** The settings of one dynaStyle run: the config's values or the defaults, checked. */
function resolveDynaConfig(cfg: DynaStyleConfig) {
  const D = DYNA_STYLE_DEFAULTS;
  if (cfg.useModel && !cfg.reward) throw new ShapeError("dynaStyle: useModel needs a reward function for simulated transitions");
  return {
    realSteps: checkInt("dynaStyle: realSteps", cfg.realSteps),
    randomSteps: checkInt("dynaStyle: randomSteps", cfg.randomSteps ?? (cfg.init ? 0 : D.randomSteps), { allowZero: true }),
    updatesPerStep: checkInt("dynaStyle: updatesPerStep", cfg.updatesPerStep ?? D.updatesPerStep, { allowZero: true }),
    batchSize: checkInt("dynaStyle: batchSize", cfg.batchSize ?? D.batchSize),
    evalEvery: checkInt("dynaStyle: evalEvery", cfg.evalEvery ?? D.evalEvery),
    modelEvery: checkInt("dynaStyle: modelEvery", cfg.modelEvery ?? D.modelEvery),
    modelEpochs: checkInt("dynaStyle: modelEpochs", cfg.modelEpochs ?? D.modelEpochs),
    rolloutEvery: checkInt("dynaStyle: rolloutEvery", cfg.rolloutEvery ?? D.rolloutEvery),
    rolloutsPerStep: checkInt("dynaStyle: rolloutsPerStep", cfg.rolloutsPerStep ?? D.rolloutsPerStep),
    horizon: checkInt("dynaStyle: horizon", cfg.horizon ?? D.horizon),
    realRatio: checkNumber("dynaStyle: realRatio", cfg.realRatio ?? D.realRatio, 0, 1),
  };
}

/** The model of the Dyna loop: every member on its own bootstrap resample of all real data, no held-out split. */
function makeDynaModel(cfg: DynaStyleConfig, stateDim: number, actionDim: number, epochs: number): EnsembleDynamicsModel {
  return new EnsembleDynamicsModel({
    stateDim,
    actionDim,
    members: cfg.ensembleSize ?? DYNA_STYLE_DEFAULTS.ensembleSize,
    hiddenSizes: cfg.modelHidden ?? DYNA_STYLE_DEFAULTS.modelHidden,
    batchSize: MODEL_BATCH_SIZE,
    epochs,
    validFraction: 0,
    seed: componentSeed(cfg.seed, 3),
  });
}

/** A gradient batch: a `realRatio` share of real transitions, the rest simulated (all real before any rollout). */
function learnerBatch(real: ReplayBuffer, simulated: ReplayBuffer | null, batchSize: number, realRatio: number, rng: Rng): TransitionBatch {
  if (!simulated || simulated.size === 0 || realRatio >= 1) return sampleBatch(real, batchSize, rng);
  const nReal = Math.round(batchSize * realRatio);
  return concatBatches(sampleBatch(real, nReal, rng), sampleBatch(simulated, batchSize - nReal, rng));
}

/** Runs the Dyna loop (or, with useModel false, the model-free learner alone) on a continuous system. */
export async function dynaStyle(env: ContinuousEnv, cfg: DynaStyleConfig): Promise<DynaStyleResult> {
  const c = resolveDynaConfig(cfg);
  const ds = env.observationSpace.dim;
  const da = env.actionSpace.dim;
  const rng = makeRng(cfg.seed);
  const agent =
    cfg.init?.agent ??
    makeSac({
      ...cfg.sac,
      stateDim: ds,
      actionDim: da,
      actionLow: env.actionSpace.low,
      actionHigh: env.actionSpace.high,
      stateScale: cfg.stateScale,
      seed: componentSeed(cfg.seed, 1),
    });
  const real = makeReplayBuffer(c.realSteps + (cfg.init?.transitions.n ?? 0), ds, da);
  // The behaviour-cloning anchor of a learner started from a distilled policy (MBMF), held or fading.
  const anchor = cfg.init?.anchor;
  if (anchor && (anchor.states.length !== anchor.n * ds || anchor.actions.length !== anchor.n * da))
    throw new ShapeError(
      `dynaStyle: init.anchor has ${anchor.n} rows, so its states need ${anchor.n * ds} numbers (got ${anchor.states.length}) ` +
        `and its actions ${anchor.n * da} (got ${anchor.actions.length})`,
    );
  if (anchor) {
    checkNumber("dynaStyle: init.anchor.weight", anchor.weight, 0);
    if (anchor.steps !== undefined) checkInt("dynaStyle: init.anchor.steps", anchor.steps, { allowZero: true });
  }
  let anchoredUpdates = 0;
  const anchorBatch = (r: Rng): ActorAnchor | undefined => {
    // No anchor (or weight 0) leaves the random stream as it is: the run equals one without the option.
    if (!anchor || anchor.n === 0 || anchor.weight === 0) return undefined;
    if (anchor.steps !== undefined && anchoredUpdates >= anchor.steps) return undefined;
    const weight = anchor.steps === undefined ? anchor.weight : anchor.weight * (1 - anchoredUpdates / anchor.steps);
    anchoredUpdates++;
    const m = Math.min(c.batchSize, anchor.n);
    const out: ActorAnchor = { n: m, states: new Float64Array(m * ds), actions: new Float64Array(m * da), weight };
    for (let k = 0; k < m; k++) {
      const i = r.int(anchor.n);
      out.states.set(anchor.states.subarray(i * ds, (i + 1) * ds), k * ds);
      out.actions.set(anchor.actions.subarray(i * da, (i + 1) * da), k * da);
    }
    return out;
  };
  // Made-up transitions of a hand-over (MBMF): their share of each batch, fading to 0 (see init.madeUp).
  const madeUp = cfg.init?.madeUp;
  let madeUpBuf: ReplayBuffer | null = null;
  if (madeUp) {
    checkNumber("dynaStyle: init.madeUp.share", madeUp.share, 0, 1);
    checkInt("dynaStyle: init.madeUp.fadeSteps", madeUp.fadeSteps, { allowZero: true });
    madeUpBuf = makeReplayBuffer(madeUp.transitions.n, ds, da);
    pushBatch(madeUpBuf, madeUp.transitions);
  }
  const madeUpShare = (t: number) => (madeUp && madeUp.fadeSteps > 0 ? madeUp.share * Math.max(0, 1 - t / madeUp.fadeSteps) : 0);
  if (cfg.init) {
    pushBatch(real, cfg.init.transitions);
    const warmup = checkInt("dynaStyle: init.criticWarmup", cfg.init.criticWarmup ?? 0, { allowZero: true });
    const share = madeUp?.share ?? 0;
    for (let g = 0; g < warmup; g++) sacUpdate(agent, learnerBatch(real, madeUpBuf, c.batchSize, 1 - share, rng), { criticOnly: true });
  }
  const simulated = makeReplayBuffer(cfg.modelBufferSize ?? DYNA_STYLE_DEFAULTS.modelBufferSize, ds, da);
  const model = cfg.useModel ? makeDynaModel(cfg, ds, da, c.modelEpochs) : null;
  let modelFitted = false;
  const policy = (S: Float64Array, n: number) => sacAct(agent, S, n, false);
  const curve: DynaEvalPoint[] = [];
  const rolloutStats: RolloutStats[] = [];
  const modelLosses: number[] = [];
  let simulatedTotal = 0;
  const t0 = Date.now();

  let obs = env.reset(componentSeed(cfg.seed, 5));
  for (let t = 1; t <= c.realSteps; t++) {
    checkInterrupt();
    // 1. Act in the real system and keep the transition.
    const a =
      t <= c.randomSteps
        ? env.actionSpace.low.map((lo, j) => rng.uniform(lo, env.actionSpace.high[j]))
        : Array.from(sacAct(agent, Float64Array.from(obs), 1, false));
    const out = env.step(a);
    pushTransition(real, obs, a, out.reward, out.observation, out.terminated);
    obs = out.terminated || out.truncated ? env.reset() : out.observation;

    if (model && t >= c.randomSteps) {
      // 2. Fit the model to all real data (longer the first time).
      if (t % c.modelEvery === 0 || !modelFitted) {
        const report = await model.fit(bufferToDataset(real), { epochs: modelFitted ? c.modelEpochs : 3 * c.modelEpochs });
        modelLosses.push(report.trainLoss[report.trainLoss.length - 1]);
        modelFitted = true;
      }
      // 3. Branch short rollouts from real states.
      if (t % c.rolloutEvery === 0 || simulated.size === 0) {
        const nStarts = c.rolloutEvery * c.rolloutsPerStep;
        const starts = sampleBatch(real, nStarts, rng).states;
        const rolloutOpts = { horizon: c.horizon, penalty: cfg.penalty ?? null, terminateAbove: cfg.terminateAbove ?? null };
        const { batch, stats } = branchedRollouts(starts, nStarts, policy, model, cfg.reward!, rolloutOpts, rng);
        pushBatch(simulated, batch);
        simulatedTotal += batch.n;
        rolloutStats.push(stats);
      }
    }

    // 4. Train the learner on real (and simulated) transitions.
    if (t >= c.randomSteps) {
      for (let g = 0; g < c.updatesPerStep; g++)
        sacUpdate(
          agent,
          model
            ? learnerBatch(real, simulated, c.batchSize, c.realRatio, rng)
            : learnerBatch(real, madeUpBuf, c.batchSize, 1 - madeUpShare(t), rng),
          {
            anchor: anchorBatch(rng),
            awacLambda: cfg.init?.awacLambda,
          },
        );
    }

    if (t % c.evalEvery === 0) {
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
