/**
 * Soft actor-critic (Haarnoja et al. 2018, with the automatic temperature of the 2019 version): the
 * model-free learner inside the Dyna loop. It learns from whatever transitions it is given, real or
 * simulated, which is the point of Dyna.
 *
 * - actor: a squashed Gaussian policy a = center + scale * tanh(mu(s) + sigma(s) eps);
 * - critic: twin Q networks (one EnsembleMLP with 2 members) and their Polyak-averaged targets;
 *   the target uses the smaller of the two (clipped double Q);
 * - temperature alpha tuned so the policy's entropy stays near -|A|.
 *
 * Networks are lib/nn EnsembleMLPs; noise comes from a seeded Rng, so a seed fixes a whole run.
 */
import { type Rng, ShapeError, checkInt, checkNumber, makeRng, tf } from "../core";
import { EnsembleMLP } from "../nn";
import type { TransitionBatch } from "./buffer";

export interface SacConfig {
  stateDim: number;
  actionDim: number;
  actionLow: readonly number[];
  actionHigh: readonly number[];
  /** Typical magnitude of each state entry, used to scale network inputs. Default all 1. */
  stateScale?: readonly number[];
  /** Hidden layer widths of actor and critics. Default [64, 64]. */
  hidden?: readonly number[];
  /** Adam learning rate of all three. Default 1e-3. */
  learningRate?: number;
  gamma?: number;
  /** Polyak rate of the target critics. Default 0.005. */
  tau?: number;
  /** Initial temperature. Default 0.2. */
  initAlpha?: number;
  /** Entropy target. Default -actionDim. */
  targetEntropy?: number;
  seed: number;
}

export interface SacAgent {
  readonly config: Readonly<Required<SacConfig>>;
  actor: EnsembleMLP;
  critic: EnsembleMLP;
  criticTarget: EnsembleMLP;
  logAlpha: tf.Variable<tf.Rank.R0>;
  alphaOptimizer: tf.AdamOptimizer;
  /** Draws the policy noise. */
  rng: Rng;
  /** Gradient steps taken. */
  updates: number;
}

export interface SacLosses {
  critic: number;
  actor: number;
  alpha: number;
  /** Mean log-probability of the policy's actions (minus the entropy). */
  logProb: number;
}

const LOG_STD_MIN = -5;
const LOG_STD_MAX = 2;

export function makeSac(cfg: SacConfig): SacAgent {
  const ds = checkInt("makeSac: stateDim", cfg.stateDim);
  const da = checkInt("makeSac: actionDim", cfg.actionDim);
  if (cfg.actionLow.length !== da || cfg.actionHigh.length !== da) {
    throw new ShapeError(`makeSac: actionLow/actionHigh must have length ${da}`);
  }
  cfg.actionLow.forEach((lo, j) => {
    if (!(Number.isFinite(lo) && Number.isFinite(cfg.actionHigh[j]) && lo < cfg.actionHigh[j])) {
      throw new ShapeError(`makeSac: action bound ${j} must be finite with low < high, got [${lo}, ${cfg.actionHigh[j]}]`);
    }
  });
  const config: Required<SacConfig> = {
    ...cfg,
    stateScale: cfg.stateScale ?? new Array(ds).fill(1),
    hidden: cfg.hidden ?? [64, 64],
    learningRate: checkNumber("makeSac: learningRate", cfg.learningRate ?? 1e-3, 0),
    gamma: checkNumber("makeSac: gamma", cfg.gamma ?? 0.99, 0, 1),
    tau: checkNumber("makeSac: tau", cfg.tau ?? 0.005, 0, 1),
    initAlpha: checkNumber("makeSac: initAlpha", cfg.initAlpha ?? 0.2, 0),
    targetEntropy: cfg.targetEntropy ?? -da,
  };
  if (config.stateScale.length !== ds) throw new ShapeError(`makeSac: stateScale must have length ${ds}`);
  const common = { hiddenSizes: config.hidden, activation: "relu" as const, learningRate: config.learningRate };
  const actor = new EnsembleMLP({ ...common, inputSize: ds, outputSize: 2 * da, members: 1, seed: cfg.seed });
  const critic = new EnsembleMLP({ ...common, inputSize: ds + da, outputSize: 1, members: 2, seed: cfg.seed + 1 });
  const criticTarget = new EnsembleMLP({ ...common, inputSize: ds + da, outputSize: 1, members: 2, seed: cfg.seed + 1 });
  // Fixed input scaling (states by their typical size, actions to [-1, 1]) instead of a data-fitted one,
  // so the networks see the same scale from the first step on.
  const center = config.actionLow.map((lo, j) => (lo + config.actionHigh[j]) / 2);
  const half = config.actionLow.map((lo, j) => (config.actionHigh[j] - lo) / 2);
  actor.setInputNormalizer(new Array(ds).fill(0), config.stateScale);
  critic.setInputNormalizer([...new Array(ds).fill(0), ...center], [...config.stateScale, ...half]);
  criticTarget.polyakUpdate(critic, 1);
  return {
    config,
    actor,
    critic,
    criticTarget,
    logAlpha: variableScalar(Math.log(Math.max(config.initAlpha, 1e-8))),
    alphaOptimizer: tf.train.adam(config.learningRate),
    rng: makeRng((cfg.seed + 2) >>> 0),
    updates: 0,
  };
}

function variableScalar(x: number): tf.Variable<tf.Rank.R0> {
  const init = tf.scalar(x);
  const v = tf.variable(init);
  init.dispose(); // the variable holds its own reference to the data
  return v;
}

/** The actor's log-std: a smooth map of its raw output into [LOG_STD_MIN, LOG_STD_MAX] (keeps the gradient alive). */
function logStdOf(raw: tf.Tensor2D, da: number): tf.Tensor2D {
  const n = raw.shape[0];
  return tf.add(LOG_STD_MIN, tf.mul(0.5 * (LOG_STD_MAX - LOG_STD_MIN), tf.add(tf.tanh(tf.slice(raw, [0, da], [n, da])), 1)));
}

/** Squashed-Gaussian sample and its log-probability from the actor's raw output [n, 2 da] and noise eps [n, da]. */
function squash(agent: SacAgent, raw: tf.Tensor2D, eps: tf.Tensor2D): { action: tf.Tensor2D; logProb: tf.Tensor2D } {
  const da = agent.config.actionDim;
  const n = raw.shape[0];
  const mu = tf.slice(raw, [0, 0], [n, da]);
  const logStd = logStdOf(raw, da);
  const u = tf.add(mu, tf.mul(tf.exp(logStd), eps));
  const t = tf.tanh(u);
  const { half, center } = actionScale(agent);
  const action = tf.add(center, tf.mul(half, t)) as tf.Tensor2D;
  return { action, logProb: squashedLogProb(eps, logStd, t, half) };
}

/** The action box as center + half * [-1, 1]: the tanh's output mapped to the bounds. */
function actionScale(agent: SacAgent): { half: tf.Tensor1D; center: tf.Tensor1D } {
  const { actionLow, actionHigh } = agent.config;
  return {
    half: tf.tensor1d(actionLow.map((lo, j) => (actionHigh[j] - lo) / 2)),
    center: tf.tensor1d(actionLow.map((lo, j) => (actionHigh[j] + lo) / 2)),
  };
}

/**
 * log pi(a|s) of a squashed Gaussian action, from its standardised pre-tanh value z = (u - mu) / sigma and
 * t = tanh(u): log N(u; mu, sigma) - log |d action / d u|, summed over action dimensions.
 */
function squashedLogProb(z: tf.Tensor, logStd: tf.Tensor2D, t: tf.Tensor, half: tf.Tensor1D): tf.Tensor2D {
  const gaussLog = tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logStd, 0.5 * Math.log(2 * Math.PI)));
  const jacobian = tf.log(tf.add(tf.mul(half, tf.sub(1, tf.square(t))), 1e-6));
  return tf.sum(tf.sub(gaussLog, jacobian), 1, true) as tf.Tensor2D;
}

function noise(agent: SacAgent, n: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(agent.rng.normals(n * agent.config.actionDim)), [n, agent.config.actionDim]);
}

/**
 * Actions for n states (flat row-major): sampled from the policy, or its mode center + scale * tanh(mu)
 * when deterministic (for evaluation).
 */
export function sacAct(agent: SacAgent, states: Float64Array, n: number, deterministic = false): Float64Array {
  const { stateDim: ds, actionDim: da } = agent.config;
  if (states.length !== n * ds) throw new ShapeError(`sacAct: expected ${n} x ${ds} numbers, got ${states.length}`);
  const eps = deterministic ? null : agent.rng.normals(n * da);
  const out = tf.tidy(() => {
    const raw = agent.actor.forwardMembers(tf.tensor2d(Float32Array.from(states), [n, ds])).mean[0];
    const e = eps ? tf.tensor2d(Float32Array.from(eps), [n, da]) : tf.zeros([n, da]);
    return squash(agent, raw, e as tf.Tensor2D).action.dataSync();
  });
  return Float64Array.from(out);
}

/**
 * Policy samples for n states with the given standard-normal noise (n x actionDim), and their
 * log-densities log pi(a|s) (change of variables through tanh included). For tests and plots.
 */
export function sacSample(
  agent: SacAgent,
  states: Float64Array,
  n: number,
  eps: Float64Array,
): { actions: Float64Array; logProbs: Float64Array } {
  const { stateDim: ds, actionDim: da } = agent.config;
  if (states.length !== n * ds || eps.length !== n * da)
    throw new ShapeError(`sacSample: expected ${n} x ${ds} states and ${n} x ${da} noise`);
  let result = { actions: new Float64Array(0), logProbs: new Float64Array(0) };
  tf.tidy(() => {
    const raw = agent.actor.forwardMembers(tf.tensor2d(Float32Array.from(states), [n, ds])).mean[0];
    const out = squash(agent, raw, tf.tensor2d(Float32Array.from(eps), [n, da]));
    result = { actions: Float64Array.from(out.action.dataSync()), logProbs: Float64Array.from(out.logProb.dataSync()) };
  });
  return result;
}

/** log pi(a|s) of given actions (n x actionDim, inside the bounds) at n states: the density AWAC raises. For tests. */
export function sacLogProb(agent: SacAgent, states: Float64Array, n: number, actions: Float64Array): Float64Array {
  const { stateDim: ds, actionDim: da } = agent.config;
  if (states.length !== n * ds || actions.length !== n * da)
    throw new ShapeError(`sacLogProb: expected ${n} x ${ds} states and ${n} x ${da} actions`);
  return Float64Array.from(
    tf.tidy(() =>
      actionLogProb(
        agent,
        agent.actor.forwardMembers(tf.tensor2d(Float32Array.from(states), [n, ds])).mean[0],
        tf.tensor2d(Float32Array.from(actions), [n, da]),
      ).dataSync(),
    ),
  );
}

/**
 * Expert-labelled observations the actor is held near while its critic is still young (MBMF's
 * fine-tuning): `weight` scales a behaviour-cloning term, mean ||center + scale tanh(mu(s)) - a*||^2,
 * by the batch's mean |Q| (as TD3+BC does, so the weight does not depend on the reward's scale).
 */
export interface ActorAnchor {
  n: number;
  states: Float64Array;
  actions: Float64Array;
  weight: number;
}

/** Options of one sacUpdate; all off by default (plain SAC). */
export interface SacUpdateOptions {
  /**
   * Policy evaluation only: the actor and the temperature stay as they are, used to fit a fresh critic
   * to a policy that was trained another way (MBMF's fine-tuning starts so).
   */
  criticOnly?: boolean;
  /** A behaviour-cloning term in the actor's loss (a distilled policy is not dragged off by a young Q). */
  anchor?: ActorAnchor;
  /**
   * The actor learns by advantage-weighted regression instead of SAC's reparameterised step (AWAC,
   * Nair et al. 2020): it raises log pi(a|s) of the batch's own actions, each weighted by
   * exp(A(s, a) / awacLambda) with A(s, a) = Q(s, a) - Q(s, a'), a' ~ pi. The policy only moves
   * towards actions that were taken, so a critic that is wrong about untried actions cannot pull
   * it away (the dip of SAC fine-tuning from a pre-trained policy). The temperature stays as it is.
   */
  awacLambda?: number;
}

/** Largest AWAC weight exp(A / lambda): one lucky sample cannot dominate the batch (AWAC's reference clips it too). */
const AWAC_MAX_WEIGHT = 100;

/** One SAC gradient step on a batch: critic, then actor, then temperature, then the target critics. */
export function sacUpdate(agent: SacAgent, batch: TransitionBatch, opts: SacUpdateOptions = {}): SacLosses {
  const { criticOnly = false, anchor, awacLambda } = opts;
  if (awacLambda !== undefined) checkNumber("sacUpdate: awacLambda (a temperature > 0)", awacLambda, 1e-12);
  const { stateDim: ds, actionDim: da, gamma, tau, targetEntropy } = agent.config;
  const n = batch.n;
  const f32 = (a: Float64Array, cols: number) => tf.tensor2d(Float32Array.from(a), [n, cols]);
  const result = tf.tidy(() => {
    const S = f32(batch.states, ds);
    const A = f32(batch.actions, da);
    const R = f32(batch.rewards, 1);
    const S2 = f32(batch.nextStates, ds);
    const notDone = tf.sub(1, f32(batch.dones, 1));
    const alpha = tf.exp(agent.logAlpha);

    // Soft clipped-double-Q target: r + gamma (1 - done) (min_i Qtarget_i(s', a') - alpha log pi(a'|s')).
    const next = squash(agent, agent.actor.forwardMembers(S2).mean[0], noise(agent, n));
    const qNext = agent.criticTarget.forwardMembers(tf.concat([S2, next.action], 1) as tf.Tensor2D).mean;
    const softV = tf.sub(tf.minimum(qNext[0], qNext[1]), tf.mul(alpha, next.logProb));
    const y = tf.add(R, tf.mul(gamma, tf.mul(notDone, softV))) as tf.Tensor2D;
    const criticLoss = agent.critic.trainStep(tf.concat([S, A], 1) as tf.Tensor2D, y, "mse");

    if (criticOnly) return { critic: criticLoss, actor: NaN, logProb: NaN };
    if (awacLambda !== undefined) {
      // The advantage of the batch's action over one drawn from the policy, as weights computed
      // before the actor's step, so no gradient flows through them.
      const minQ = (a: tf.Tensor2D) => {
        const q = agent.critic.forwardMembers(tf.concat([S, a], 1) as tf.Tensor2D).mean;
        return tf.minimum(q[0], q[1]);
      };
      const drawn = squash(agent, agent.actor.forwardMembers(S).mean[0], noise(agent, n)).action;
      const weights = tf.minimum(tf.exp(tf.div(tf.sub(minQ(A), minQ(drawn)), awacLambda)), AWAC_MAX_WEIGHT);
      let logProbMean = 0;
      const actorLoss = agent.actor.minimize(() => {
        const logProb = actionLogProb(agent, agent.actor.forwardMembers(S).mean[0], A);
        logProbMean = tf.mean(logProb).dataSync()[0];
        return tf.neg(tf.mean(tf.mul(weights, logProb))) as tf.Scalar;
      });
      return { critic: criticLoss, actor: actorLoss, logProb: logProbMean };
    }
    // Actor: minimise alpha log pi(a|s) - min_i Q_i(s, a) with a drawn by reparameterisation.
    const eps = noise(agent, n);
    let logProbMean = 0;
    const actorLoss = agent.actor.minimize(() => {
      const cur = squash(agent, agent.actor.forwardMembers(S).mean[0], eps);
      const q = agent.critic.forwardMembers(tf.concat([S, cur.action], 1) as tf.Tensor2D).mean;
      logProbMean = tf.mean(cur.logProb).dataSync()[0];
      const minQ = tf.minimum(q[0], q[1]);
      const sacLoss = tf.mean(tf.sub(tf.mul(alpha, cur.logProb), minQ)) as tf.Scalar;
      if (!anchor || anchor.weight <= 0 || anchor.n === 0) return sacLoss;
      // A number, not a tensor: the scale must not carry a gradient of its own.
      const qScale = tf.mean(tf.abs(minQ)).dataSync()[0];
      const As = tf.tensor2d(Float32Array.from(anchor.states), [anchor.n, ds]);
      const clone = modeActionError(
        agent,
        agent.actor.forwardMembers(As).mean[0],
        tf.tensor2d(Float32Array.from(anchor.actions), [anchor.n, da]),
      );
      return tf.add(sacLoss, tf.mul(anchor.weight * qScale, clone)) as tf.Scalar;
    });

    // Temperature: minimise -log(alpha) (log pi + target entropy), the log-probability held fixed.
    agent.alphaOptimizer.minimize(() => tf.mul(tf.neg(agent.logAlpha), logProbMean + targetEntropy) as tf.Scalar, false, [agent.logAlpha]);
    return { critic: criticLoss, actor: actorLoss, logProb: logProbMean };
  });
  agent.criticTarget.polyakUpdate(agent.critic, tau);
  agent.updates++;
  return { ...result, alpha: Math.exp(agent.logAlpha.dataSync()[0]) };
}

/**
 * Behaviour cloning of the actor (for initialising it from another controller, as MBMF does):
 * mean ||center + scale * tanh(mu(s)) - a*||^2 over the batch, plus (logStd(s) - logStd*)^2 so the
 * policy starts with a chosen, moderate exploration noise instead of whatever the init gave.
 */
export function sacCloneLoss(agent: SacAgent, S: tf.Tensor2D, targets: tf.Tensor2D, logStdTarget: number): tf.Scalar {
  const raw = agent.actor.forwardMembers(S).mean[0];
  const logStd = logStdOf(raw, agent.config.actionDim);
  return tf.add(modeActionError(agent, raw, targets), tf.mean(tf.square(tf.sub(logStd, logStdTarget)))) as tf.Scalar;
}

/** mean ||center + scale tanh(mu(s)) - a*||^2 from the actor's raw output: the policy's mode against target actions. */
function modeActionError(agent: SacAgent, raw: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const { action } = squash(agent, raw, tf.zeros([raw.shape[0], agent.config.actionDim]) as tf.Tensor2D);
  return tf.mean(tf.squaredDifference(action, targets)) as tf.Scalar;
}

/**
 * log pi(a|s) of given actions under the squashed Gaussian with the actor's raw output: the action is
 * mapped back through the tanh (clipped just inside the bounds, where the density is finite).
 */
function actionLogProb(agent: SacAgent, raw: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
  const da = agent.config.actionDim;
  const n = raw.shape[0];
  const { half, center } = actionScale(agent);
  const t = tf.clipByValue(tf.div(tf.sub(actions, center), half), -1 + 1e-5, 1 - 1e-5);
  const u = tf.atanh(t);
  const mu = tf.slice(raw, [0, 0], [n, da]);
  const logStd = logStdOf(raw, da);
  const z = tf.div(tf.sub(u, mu), tf.exp(logStd));
  return squashedLogProb(z, logStd, t, half);
}

/** Frees the agent's tensors. */
export function disposeSac(agent: SacAgent): void {
  agent.actor.dispose();
  agent.critic.dispose();
  agent.criticTarget.dispose();
  agent.logAlpha.dispose();
  agent.alphaOptimizer.dispose();
}
