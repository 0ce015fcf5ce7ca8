/**
 * The PETS loop (Chua et al. 2018; lectures 002, 003) and the three decision rules of lecture 001.
 *
 *   1. run a random policy for one trial, keep its transitions in D
 *   repeat for each trial:
 *     2. train the probabilistic ensemble on D (continuing from the current weights)
 *     3. run one trial with CEM-MPC: at every step plan H steps ahead through the ensemble, scoring
 *        each candidate by the mean return of its particles, execute the first action
 *     4. append the trial's transitions to D
 *
 * Decision rules under epistemic uncertainty (the posterior p(f | D) is the ensemble):
 *  - greedy: maximise the expected return over models, E_{p(f|D)} J(pi; f) (particles spread over
 *    all members: TS1, the PETS default);
 *  - posterior sampling: draw ONE model f ~ p(f | D) (one member) per trial and act optimally for
 *    it; the particles keep only that member's aleatoric noise;
 *  - optimism: maximise an upper bound, mean_b J_b + beta std_b J_b over the members (UCB).
 *
 * With the true dynamics as the model (lib/models/oracle.ts) and learning off, the same loop gives
 * the oracle's return: the best this planner can do.
 */
import { type Rng, ValueError, checkInt, makeRng, trialSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { randomStatePolicy, runEpisode } from "../envs/episode";
import { EnsembleDynamicsModel } from "../models/ensemble";
import { type Dataset, type DynamicsModel, type RewardFunction, concatDatasets, datasetSize } from "../models/types";
import { MpcController } from "../planners/mpc";
import type { Plan } from "../planners/problem";
import { type PetsPlannerConfig, petsPlanner } from "./planner";
import { type ParticleDynamics, particleDynamics } from "./propagation";
import { checkInterrupt } from "../core/interrupt";

export type DecisionRule = "greedy" | "posterior" | "optimism";

export const DECISION_RULES: readonly DecisionRule[] = ["greedy", "posterior", "optimism"];

/**
 * An MPC controller that follows a decision rule. Call `newTrial(rng)` at the start of each trial
 * (posterior sampling draws its member there), then `act(s, rng)` every step.
 */
export class PetsController {
  readonly mpc: MpcController;
  /** The member posterior sampling acts on this trial (null for the other rules). */
  sampledMember: number | null = null;
  private readonly dyn: ParticleDynamics;

  constructor(
    model: DynamicsModel,
    reward: RewardFunction,
    actionLow: readonly number[],
    actionHigh: readonly number[],
    readonly planner: PetsPlannerConfig,
    readonly rule: DecisionRule = "greedy",
  ) {
    if (!DECISION_RULES.includes(rule))
      throw new ValueError(`PetsController: unknown decision rule "${String(rule)}" (use ${DECISION_RULES.join(", ")})`);
    const base = particleDynamics(model);
    this.baseMembers = () => base.memberIds;
    // Posterior sampling sees only the sampled member; the others see the elites.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.dyn = {
      stateDim: base.stateDim,
      actionDim: base.actionDim,
      stochastic: base.stochastic,
      get memberIds() {
        return self.sampledMember !== null ? [self.sampledMember] : base.memberIds;
      },
      step: base.step,
      expected: base.expected,
    };
    const cfg: PetsPlannerConfig = rule === "optimism" ? { ...planner, score: "optimism" } : planner;
    this.mpc = new MpcController(petsPlanner(this.dyn, reward, actionLow, actionHigh, cfg));
  }

  private readonly baseMembers: () => readonly number[];

  /** Starts a trial: forgets the plan; posterior sampling draws one member for the whole trial. */
  newTrial(rng: Rng): void {
    this.mpc.reset();
    if (this.rule === "posterior") {
      const ids = this.baseMembers();
      this.sampledMember = ids[rng.int(ids.length)];
    } else this.sampledMember = null;
  }

  act(s: readonly number[], rng: Rng): number[] {
    return this.mpc.act(s, rng);
  }

  /** The plan being executed. */
  get plan(): Plan | null {
    return this.mpc.plan;
  }

  /** Seconds of each planning call so far. */
  get decisionSeconds(): readonly number[] {
    return this.mpc.planSeconds;
  }
}

export interface PetsConfig {
  env: ContinuousEnv;
  /** The learned model (an EnsembleDynamicsModel for PETS), or the oracle with `learn: false`. */
  model: DynamicsModel;
  reward: RewardFunction;
  planner: PetsPlannerConfig;
  /** MPC trials after the random one(s). */
  trials: number;
  /** Random-policy trials that start D. Default 1. */
  randomTrials?: number;
  /** Steps per trial. Default env.maxSteps. */
  trialSteps?: number;
  /** Decision rule. Default "greedy". */
  rule?: DecisionRule;
  /** Fit the model before every MPC trial. Default true. */
  learn?: boolean;
  seed: number;
  /** Start-state seed of trial k (k = 0 is the first random trial); default trialSeed(seed, k) = seed * 1000 + k. */
  startSeed?: (k: number) => number;
  /** Called after each MPC trial; return true to stop early. */
  onTrial?: (t: PetsTrial) => boolean | void;
}

export interface PetsTrial {
  /** 1-based index of the MPC trial. */
  trial: number;
  return: number;
  /** Transitions in D after the trial. */
  transitions: number;
  /** Seconds of the training round before the trial (0 without learning). */
  trainSeconds: number;
  /** Mean seconds per MPC decision in the trial. */
  decisionSeconds: number;
  /** Wall seconds of the whole MPC trial: planning plus the environment and bookkeeping. */
  trialSeconds: number;
  /**
   * CPU seconds (all threads of this process) of the training round and of the MPC trial. On a
   * shared machine wall-clock time mostly measures the other processes; CPU time is the steadier figure.
   */
  trainCpuSeconds: number;
  trialCpuSeconds: number;
  /** The trial's visited states (for pictures). */
  states: number[][];
}

export interface PetsResult {
  trials: PetsTrial[];
  /** Returns of the random trials. */
  randomReturns: number[];
  data: Dataset;
  controller: PetsController;
}

/** Runs the PETS loop (see the file comment). */
export async function runPets(cfg: PetsConfig): Promise<PetsResult> {
  const { env } = cfg;
  const trials = checkInt("runPets: trials", cfg.trials, { allowZero: true });
  const randomTrials = checkInt("runPets: randomTrials", cfg.randomTrials ?? 1, { allowZero: true });
  const T = checkInt("runPets: trialSteps", cfg.trialSteps ?? env.maxSteps);
  const learn = cfg.learn ?? true;
  const rng = makeRng(cfg.seed);
  const startSeed = cfg.startSeed ?? ((k: number) => trialSeed(cfg.seed, k));
  // 1. random trials
  const pi0 = randomStatePolicy(env, rng.fork());
  const randomEpisodes = Array.from({ length: randomTrials }, (_, k) => runEpisode(env, pi0, { seed: startSeed(k), maxSteps: T }));
  let data = concatDatasets(...randomEpisodes.map((e) => e.data));
  const controller = new PetsController(
    cfg.model,
    cfg.reward,
    env.actionSpace.low,
    env.actionSpace.high,
    cfg.planner,
    cfg.rule ?? "greedy",
  );
  const out: PetsTrial[] = [];
  for (let k = 1; k <= trials; k++) {
    checkInterrupt();
    // 2. train the model on D
    let trainSeconds = 0;
    const cpu0 = process.cpuUsage();
    if (learn) {
      if (datasetSize(data) < 2) throw new ValueError("runPets: need random trials (or data) before learning");
      trainSeconds = (await cfg.model.fit(data)).seconds;
    }
    const cpu1 = process.cpuUsage();
    // 3. one MPC trial
    controller.newTrial(rng);
    const before = controller.decisionSeconds.length;
    const t0 = performance.now();
    const ep = runEpisode(env, (s) => controller.act(s, rng), { seed: startSeed(randomTrials + k - 1), maxSteps: T });
    const trialSeconds = (performance.now() - t0) / 1000;
    const cpu2 = process.cpuUsage();
    // 4. aggregate
    data = concatDatasets(data, ep.data);
    const secs = controller.decisionSeconds.slice(before);
    const t: PetsTrial = {
      trial: k,
      return: ep.return,
      transitions: datasetSize(data),
      trainSeconds,
      decisionSeconds: secs.reduce((a, b) => a + b, 0) / Math.max(secs.length, 1),
      trialSeconds,
      trainCpuSeconds: cpuSeconds(cpu0, cpu1),
      trialCpuSeconds: cpuSeconds(cpu1, cpu2),
      states: ep.states,
    };
    out.push(t);
    if (cfg.onTrial?.(t)) break;
  }
  return { trials: out, randomReturns: randomEpisodes.map((e) => e.return), data, controller };
}

/** CPU seconds between two process.cpuUsage() readings. */
function cpuSeconds(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number {
  return (b.user - a.user + b.system - a.system) / 1e6;
}

/** First trial (1-based) whose return reaches `threshold`, or null. */
export function trialsToThreshold(returns: readonly number[], threshold: number): number | null {
  const i = returns.findIndex((r) => r >= threshold);
  return i < 0 ? null : i + 1;
}

/** The four models of the PETS ablation: D, P, DE, PE (deterministic / probabilistic, single / ensemble). */
export type AblationVariant = "D" | "P" | "DE" | "PE";

export const ABLATION_VARIANTS: readonly AblationVariant[] = ["D", "P", "DE", "PE"];

/** An ensemble model for an ablation variant; other settings pass through. */
export function ablationModel(
  variant: AblationVariant,
  base: Omit<ConstructorParameters<typeof EnsembleDynamicsModel>[0], "members" | "probabilistic" | "elites">,
  members = 5,
): EnsembleDynamicsModel {
  if (!ABLATION_VARIANTS.includes(variant)) throw new ValueError(`ablationModel: unknown variant "${String(variant)}"`);
  const B = variant.endsWith("E") ? members : 1;
  return new EnsembleDynamicsModel({ ...base, members: B, probabilistic: variant.startsWith("P") });
}
