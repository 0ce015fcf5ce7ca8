/**
 * Planning in latent space with data aggregation (PlaNet's loop, lecture 001 and 003):
 *
 *   1. run a random policy for a few episodes, recording images, actions and rewards
 *   2. train the latent world model on windows of the recorded episodes (k-step latent loss)
 *   3. every step: encode the current images, z = e(o); CEM over action sequences scored by the
 *      reward head along the imagined latent rollout; execute the first action (MPC)
 *   4. append the episode to the data; back to 2 (a few more gradient steps on all data)
 *
 * The planner is lib/planners' cemPlan and MpcController unchanged: the latent transition and
 * reward head are a DynamicsModel and a RewardFunction whose "state" is z.
 */
import { type Rng, checkInt, checkNumber, makeRng } from "../core";
import type { PixelEnv } from "../envs/pixels";
import { type CemConfig, cemPlanner } from "../planners/cem";
import { MpcController } from "../planners/mpc";
import type { LatentWorldModel, PixelEpisode } from "../models/latent";

/** A policy on pixels: the current observation (the env's live buffer) and step -> action. */
export type PixelPolicy = (obs: Float32Array, t: number) => number[];

/** Runs one episode of `policy` on the pixel system and records it (images, actions, rewards, true states). */
export function collectPixelEpisode(
  env: PixelEnv,
  policy: PixelPolicy,
  opts: { seed?: number; maxSteps?: number } = {},
): PixelEpisode & { return: number } {
  env.reset(opts.seed);
  const T = Math.min(opts.maxSteps ?? env.maxSteps, env.maxSteps);
  checkInt("collectPixelEpisode: maxSteps", T);
  const D = env.obsDim,
    da = env.actionSpace.dim;
  const obs = new Float32Array((T + 1) * D),
    actions = new Float32Array(T * da),
    rewards = new Float32Array(T);
  const states = [env.getState()];
  obs.set(env.pixels(), 0);
  let ret = 0,
    t = 0;
  for (; t < T; t++) {
    const res = env.step(policy(env.pixels(), t));
    const a = res.info.action as number[];
    for (let q = 0; q < da; q++) actions[t * da + q] = a[q];
    rewards[t] = res.reward;
    ret += res.reward;
    obs.set(env.pixels(), (t + 1) * D);
    states.push(env.getState());
    if (res.terminated || res.truncated) {
      t++;
      break;
    }
  }
  return {
    obs: obs.subarray(0, (t + 1) * D),
    actions: actions.subarray(0, t * da),
    rewards: rewards.subarray(0, t),
    steps: t,
    states,
    return: ret,
  };
}

/** Uniform random actions in the box. */
export function randomPixelPolicy(env: PixelEnv, rng: Rng): PixelPolicy {
  const { low, high } = env.actionSpace;
  return () => low.map((l, q) => rng.uniform(l, high[q]));
}

/**
 * The latent MPC policy: encode the images, plan with CEM in latent space (warm-started by the
 * shifted previous plan), act. `noise` adds Gaussian exploration to the executed action (PlaNet
 * uses 0.3 of the action range while collecting); 0 when evaluating.
 */
export function latentMpcPolicy(
  model: LatentWorldModel,
  env: PixelEnv,
  cfg: { horizon: number; cem: CemConfig; noise?: number; gamma?: number },
  rng: Rng,
): PixelPolicy & { controller: MpcController } {
  const dyn = model.latentDynamics();
  const { low, high } = env.actionSpace;
  const planner = cemPlanner(
    { model: dyn, reward: dyn.reward, horizon: cfg.horizon, actionLow: low, actionHigh: high, gamma: cfg.gamma },
    cfg.cem,
  );
  const controller = new MpcController(planner);
  const noise = cfg.noise ?? 0;
  const policy = (obs: Float32Array, t: number) => {
    if (t === 0) controller.reset();
    const z = model.encode(obs);
    const a = controller.act(z, rng);
    return a.map((v, q) => {
      const x = v + noise * (high[q] - low[q]) * rng.normal();
      return x < low[q] ? low[q] : x > high[q] ? high[q] : x;
    });
  };
  return Object.assign(policy, { controller });
}

export interface LatentMpcConfig {
  env: PixelEnv;
  model: LatentWorldModel;
  /** Random episodes first (step 1). */
  seedEpisodes: number;
  /** MPC episodes after them (step 3, each followed by training). */
  episodes: number;
  /** Gradient steps after the random episodes. */
  initialTrainSteps: number;
  /** Gradient steps after each MPC episode. */
  trainStepsPerEpisode: number;
  horizon: number;
  cem: CemConfig;
  /** Exploration noise while collecting (fraction of the action range). Default 0.1. */
  noise?: number;
  /** Episode length (default the env's). */
  maxSteps?: number;
  seed: number;
  onEpisode?: (e: LatentMpcPoint & { decisionSeconds: number; trainSeconds: number }) => void;
}

export interface LatentMpcPoint {
  /** Real episodes so far, random ones included. */
  episode: number;
  return: number;
  /** Real transitions collected so far. */
  realSteps: number;
}

export interface LatentMpcResult {
  curve: LatentMpcPoint[];
  data: PixelEpisode[];
  /** Seconds per planning decision (all MPC episodes). */
  decisionSeconds: number[];
  trainSeconds: number;
}

/** The PlaNet-style loop: random episodes, train, then (MPC episode, train) `episodes` times. */
export function latentMpc(cfg: LatentMpcConfig): LatentMpcResult {
  const { env, model } = cfg;
  const rng = makeRng(cfg.seed);
  checkInt("latentMpc: seedEpisodes", cfg.seedEpisodes);
  checkInt("latentMpc: episodes", cfg.episodes, { allowZero: true });
  const noise = checkNumber("latentMpc: noise", cfg.noise ?? 0.1, 0);
  const data: PixelEpisode[] = [];
  const curve: LatentMpcPoint[] = [];
  let realSteps = 0;
  // 1. random episodes
  const pi0 = randomPixelPolicy(env, rng);
  for (let e = 0; e < cfg.seedEpisodes; e++) {
    const ep = collectPixelEpisode(env, pi0, { seed: rng.int(2 ** 31), maxSteps: cfg.maxSteps });
    data.push(ep);
    realSteps += ep.steps;
  }
  // 2. train
  let trainSeconds = model.fit(data, { steps: cfg.initialTrainSteps, rng }).seconds;
  const policy = latentMpcPolicy(model, env, { horizon: cfg.horizon, cem: cfg.cem, noise }, rng);
  const decisionSeconds: number[] = [];
  for (let e = 0; e < cfg.episodes; e++) {
    // 3. MPC in latent space
    const before = policy.controller.planSeconds.length;
    const ep = collectPixelEpisode(env, policy, { seed: rng.int(2 ** 31), maxSteps: cfg.maxSteps });
    const secs = policy.controller.planSeconds.slice(before);
    decisionSeconds.push(...secs);
    // 4. aggregate and train
    data.push(ep);
    realSteps += ep.steps;
    const fit = model.fit(data, { steps: cfg.trainStepsPerEpisode, rng });
    trainSeconds += fit.seconds;
    const point = { episode: cfg.seedEpisodes + e + 1, return: ep.return, realSteps };
    curve.push(point);
    cfg.onEpisode?.({ ...point, decisionSeconds: secs.reduce((a, b) => a + b, 0) / Math.max(secs.length, 1), trainSeconds: fit.seconds });
  }
  return { curve, data, decisionSeconds, trainSeconds };
}
