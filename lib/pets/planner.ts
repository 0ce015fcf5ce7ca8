/**
 * CEM-MPC over particles (PETS): the score of an action sequence is the mean return of its P
 * particles,
 *
 *   J(a_{0:H-1}) = (1 / P) sum_p sum_t r(s_t^p, a_t, s_{t+1}^p),
 *
 * an estimate of the expected return under the model's aleatoric AND epistemic uncertainty (the
 * "greedy" decision rule of lecture 001: maximise the expectation over the posterior of models).
 * With optimism the score is instead an upper bound: with the particles split over the members
 * (TSinf), J_b is the mean return of member b's particles and
 *
 *   J_UCB = mean_b J_b + beta * std_b J_b.
 *
 * Implementation: the particle cloud is itself the "state" of a planning problem for the ordinary
 * CEM of lib/planners (so the refit, the warm start and MPC are the same code as in notebook 02).
 * A lifted state holds P particles, each [s (stateDim), member, return so far]; the lifted model
 * moves all particles of all candidates with one batched call per time step, adds each particle's
 * reward to its running return, and the terminal value turns the particles' returns into the score.
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import type { DynamicsModel, RewardFunction } from "../models/types";
import { type CemConfig, type CemPlan, cemPlan } from "../planners/cem";
import { type PlanProblem, type Planner, evaluateSequences, makeSequences, setSequence } from "../planners/problem";
import { type ParticleDynamics, type Propagation, particleDynamics, propagateStep, tsInfAssignment } from "./propagation";

/** How a sequence's particles become its score. */
export type ScoreRule = "mean" | "optimism";

export interface PetsPlannerConfig extends CemConfig {
  /** Planning horizon H. */
  horizon: number;
  /** Particles per candidate sequence. Default 20 (1 when all particles would be identical). */
  particles?: number;
  /** Default "TS1". */
  propagation?: Propagation;
  /** "mean" (default): particle-averaged return. "optimism": mean_b J_b + beta std_b J_b (forces TSinf). */
  score?: ScoreRule;
  /** Optimism weight beta. Default 1. */
  beta?: number;
}

/** Particle-averaged return: scores[n] = mean over p of particleReturns[n * P + p]. */
export function particleAveragedReturns(particleReturns: ArrayLike<number>, candidates: number, particles: number): Float64Array {
  if (particleReturns.length !== candidates * particles) {
    throw new ShapeError(`particleAveragedReturns: ${particleReturns.length} returns for ${candidates} x ${particles} particles`);
  }
  const out = new Float64Array(candidates);
  for (let n = 0; n < candidates; n++) {
    let s = 0;
    for (let p = 0; p < particles; p++) s += particleReturns[n * particles + p];
    out[n] = s / particles;
  }
  return out;
}

/**
 * The optimistic score of each candidate: particles grouped by member, J_b their mean return, score
 * mean_b J_b + beta * std_b J_b (population std over the members present).
 */
export function optimisticReturns(
  particleReturns: ArrayLike<number>,
  member: ArrayLike<number>,
  candidates: number,
  particles: number,
  beta: number,
): Float64Array {
  const out = new Float64Array(candidates);
  for (let n = 0; n < candidates; n++) {
    const sums = new Map<number, { s: number; c: number }>();
    for (let p = 0; p < particles; p++) {
      const i = n * particles + p;
      const e = sums.get(member[i]) ?? { s: 0, c: 0 };
      e.s += particleReturns[i];
      e.c += 1;
      sums.set(member[i], e);
    }
    const Js = [...sums.values()].map((e) => e.s / e.c);
    const m = Js.reduce((a, b) => a + b, 0) / Js.length;
    const v = Js.reduce((a, b) => a + (b - m) ** 2, 0) / Js.length;
    out[n] = m + beta * Math.sqrt(v);
  }
  return out;
}

/** Particles actually used: 1 when every particle would follow the same path. */
export function effectiveParticles(dyn: ParticleDynamics, cfg: PetsPlannerConfig): number {
  const P = checkInt("PETS planner: particles", cfg.particles ?? 20);
  const kind = cfg.score === "optimism" ? "TSinf" : (cfg.propagation ?? "TS1");
  if (kind === "expectation") return 1;
  if (!dyn.stochastic && dyn.memberIds.length === 1) return 1;
  return P;
}

/** The particle-cloud planning problem (see the file comment). Returns it with its layout. */
export function particleProblem(
  model: DynamicsModel | ParticleDynamics,
  reward: RewardFunction,
  actionLow: readonly number[],
  actionHigh: readonly number[],
  cfg: PetsPlannerConfig,
): { problem: PlanProblem; dyn: ParticleDynamics; particles: number; width: number; lift: (s0: VecLike, rng: Rng) => number[] } {
  const dyn = isParticleDynamics(model) ? model : particleDynamics(model);
  const P = effectiveParticles(dyn, cfg);
  const score = cfg.score ?? "mean";
  if (score !== "mean" && score !== "optimism") throw new ValueError(`PETS planner: unknown score "${String(score)}"`);
  const kind: Propagation = score === "optimism" ? "TSinf" : (cfg.propagation ?? "TS1");
  const beta = checkNumber("PETS planner: beta", cfg.beta ?? 1);
  const ds = dyn.stateDim,
    da = dyn.actionDim;
  const W = ds + 2; // per particle: state, member, return so far
  const stepModel: DynamicsModel = {
    name: "particles",
    stateDim: P * W,
    actionDim: da,
    fit: () => Promise.reject(new ValueError("the particle problem's model is not fitted")),
    predict: (s: VecLike, a: VecLike, rng?: Rng) =>
      stepModel.predictBatch(mat(1, P * W, Float64Array.from(s)), mat(1, da, Float64Array.from(a)), rng).data,
    predictBatch: (X: Mat, A: Mat, rng?: Rng): Mat => {
      if (!rng) throw new ValueError("particle problem: propagation needs an rng");
      const N = X.rows,
        n = N * P;
      const S = new Float64Array(n * ds),
        Ar = new Float64Array(n * da);
      const fixed = new Int32Array(n);
      for (let i = 0; i < N; i++) {
        for (let p = 0; p < P; p++) {
          const src = i * P * W + p * W,
            r = i * P + p;
          for (let j = 0; j < ds; j++) S[r * ds + j] = X.data[src + j];
          fixed[r] = X.data[src + ds];
          for (let k = 0; k < da; k++) Ar[r * da + k] = A.data[i * da + k];
        }
      }
      const { next, member } = propagateStep(dyn, kind, S, Ar, fixed, rng);
      const rew = reward.batch(mat(n, ds, S), mat(n, da, Ar), mat(n, ds, next));
      const out = mat(N, P * W);
      for (let i = 0; i < N; i++) {
        for (let p = 0; p < P; p++) {
          const dst = i * P * W + p * W,
            r = i * P + p;
          for (let j = 0; j < ds; j++) out.data[dst + j] = next[r * ds + j];
          out.data[dst + ds] = kind === "TSinf" ? fixed[r] : member[r];
          out.data[dst + ds + 1] = X.data[dst + ds + 1] + rew[r];
        }
      }
      return out;
    },
  };
  const zeroReward: RewardFunction = { batch: (X: Mat) => new Float64Array(X.rows) };
  const terminalValue = (X: Mat): Float64Array => {
    const N = X.rows;
    const rets = new Float64Array(N * P),
      mem = new Float64Array(N * P);
    for (let i = 0; i < N; i++) {
      for (let p = 0; p < P; p++) {
        rets[i * P + p] = X.data[i * P * W + p * W + ds + 1];
        mem[i * P + p] = X.data[i * P * W + p * W + ds];
      }
    }
    return score === "optimism" ? optimisticReturns(rets, mem, N, P, beta) : particleAveragedReturns(rets, N, P);
  };
  const problem: PlanProblem = { model: stepModel, reward: zeroReward, horizon: cfg.horizon, actionLow, actionHigh, terminalValue };
  const lift = (s0: VecLike, rng: Rng): number[] => {
    if (s0.length !== ds) throw new ShapeError(`PETS planner: state of length ${s0.length}, expected ${ds}`);
    const members = kind === "TSinf" ? tsInfAssignment(P, dyn.memberIds, rng) : new Int32Array(P).fill(-1);
    const x: number[] = [];
    for (let p = 0; p < P; p++) x.push(...Array.from(s0), members[p], 0);
    return x;
  };
  return { problem, dyn, particles: P, width: W, lift };
}

function isParticleDynamics(m: DynamicsModel | ParticleDynamics): m is ParticleDynamics {
  return typeof (m as ParticleDynamics).expected === "function" && Array.isArray((m as ParticleDynamics).memberIds);
}

/**
 * The PETS planner: CEM over action sequences scored by their particles. Plug into MpcController
 * (lib/planners/mpc.ts) for closed-loop control with warm starts. The returned plan's
 * `predictedReturn` is the score of its best sequence.
 */
export function petsPlanner(
  model: DynamicsModel | ParticleDynamics,
  reward: RewardFunction,
  actionLow: readonly number[],
  actionHigh: readonly number[],
  cfg: PetsPlannerConfig,
): Planner {
  return (s0, rng, warmStart) => {
    // Built per call: the ensemble's elites may have changed since the last decision.
    const pp = particleProblem(model, reward, actionLow, actionHigh, cfg);
    const plan: CemPlan = cemPlan(pp.problem, pp.lift(s0, rng), cfg, rng, warmStart);
    return plan;
  };
}

/**
 * The particles of one action sequence under the planner's propagation: [P][H + 1][stateDim] states
 * and each particle's return. For the "fan" picture of a plan.
 */
export function particleFan(
  model: DynamicsModel | ParticleDynamics,
  reward: RewardFunction,
  actionLow: readonly number[],
  actionHigh: readonly number[],
  cfg: PetsPlannerConfig,
  s0: VecLike,
  actions: readonly VecLike[],
  rng: Rng,
): { states: number[][][]; returns: number[]; score: number; members: number[] } {
  const pp = particleProblem(model, reward, actionLow, actionHigh, cfg);
  const seqs = makeSequences(1, cfg.horizon, pp.dyn.actionDim);
  setSequence(seqs, 0, actions);
  const { returns, states } = evaluateSequences(pp.problem, pp.lift(s0, rng), seqs, rng, true);
  const ds = pp.dyn.stateDim,
    W = pp.width;
  const out: number[][][] = Array.from({ length: pp.particles }, () => []);
  for (const X of states!) {
    for (let p = 0; p < pp.particles; p++) out[p].push(Array.from(X.data.subarray(p * W, p * W + ds)));
  }
  const last = states![states!.length - 1];
  const rets = Array.from({ length: pp.particles }, (_, p) => last.data[p * W + ds + 1]);
  // The member each particle used last (with TSinf, the one it kept all along).
  const members = Array.from({ length: pp.particles }, (_, p) => last.data[p * W + ds]);
  return { states: out, returns: rets, score: returns[0], members };
}
