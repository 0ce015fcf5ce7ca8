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
import { ShapeError, checkInt, checkNumber, componentSeed, makeRng } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { pendulumObservationReward } from "../envs/pendulum";
import { EnsembleDynamicsModel } from "../models/ensemble";
import type { Dataset } from "../models/types";
import {
  type ReplayBuffer,
  type TransitionBatch,
  concatBatches,
  makeReplayBuffer,
  pushBatch,
  pushTransition,
  sampleBatch,
} from "./buffer";
import { type BatchReward, type RolloutStats, branchedRollouts } from "./rollouts";
import { type SacAgent, disposeSac, makeSac, sacAct, sacUpdate } from "./sac";

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
  model: EnsembleDynamicsModel | null;
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
    seed: componentSeed(cfg.seed, 1),
  });
  const real = makeReplayBuffer(realSteps, ds, da);
  const simulated = makeReplayBuffer(cfg.modelBufferSize ?? 20000, ds, da);
  // Every member on its own bootstrap resample of all real data, no held-out split (all members roll out).
  const model = cfg.useModel
    ? new EnsembleDynamicsModel({
        stateDim: ds,
        actionDim: da,
        members: cfg.ensembleSize ?? 5,
        hiddenSizes: cfg.modelHidden ?? [64, 64],
        batchSize: MODEL_BATCH_SIZE,
        epochs: modelEpochs,
        validFraction: 0,
        seed: componentSeed(cfg.seed, 3),
      })
    : null;
  let modelFitted = false;
  const policy = (S: Float64Array, n: number) => sacAct(agent, S, n, false);
  const curve: DynaEvalPoint[] = [];
  const rolloutStats: RolloutStats[] = [];
  const modelLosses: number[] = [];
  let simulatedTotal = 0;
  const t0 = Date.now();

  let obs = env.reset(componentSeed(cfg.seed, 5));
  for (let t = 1; t <= realSteps; t++) {
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
      if (t % modelEvery === 0 || !modelFitted) {
        const report = await model.fit(bufferToDataset(real), { epochs: modelFitted ? modelEpochs : 3 * modelEpochs });
        modelLosses.push(report.trainLoss[report.trainLoss.length - 1]);
        modelFitted = true;
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
