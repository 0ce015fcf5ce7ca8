/**
 * Model-based RL version 2.0 (lecture 004; "backpropagate directly into the policy", lecture 000):
 *
 *   1. run base policy pi_0(a|s) (e.g. random) to collect D = {(s, a, s')_i}
 *   2. learn a dynamics model f(s, a) minimising sum_i ||f(s_i, a_i) - s'_i||^2
 *   3. backpropagate through f(s, a) into the policy to optimise pi_theta(a|s)
 *   4. run pi_theta(a|s), appending the visited tuples (s, a, s') to D; go to 2
 *
 * Step 3 maximises the unrolled, differentiable objective
 *   J(theta) = mean over start states s_0 in D of sum_{t<H} gamma^t r(s_t, pi_theta(s_t), s_{t+1}),
 *              s_{t+1} = f(s_t, pi_theta(s_t)),
 * by gradient ascent (backpropagation through time). dJ/dtheta multiplies H Jacobians of f and pi, so
 * it can explode or vanish as H grows (lecture 004's "numerically unstable"): we clip its norm and
 * record it. At run time the policy costs one network call per step, no planning.
 */
import { type Rng, tf, ValueError, checkInt, makeRng, freshSeed } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { type Dataset, type DifferentiableModel, type RewardFunction, concatDatasets, datasetSize } from "../models/types";
import { type StatePolicy, randomPolicy, runEpisode } from "./collect";
import type { NeuralPolicy } from "./policy";

/**
 * The unrolled objective J for a batch of start states S0 [n, stateDim] (a differentiable scalar):
 * the mean over rows of the discounted sum of model-predicted rewards over H steps.
 */
export function unrolledObjective(
  model: DifferentiableModel,
  reward: RewardFunction,
  policy: NeuralPolicy,
  S0: tf.Tensor2D,
  H: number,
  gamma = 1,
): tf.Scalar {
  const rewardTensor = reward.tensor;
  if (!rewardTensor) throw new ValueError("unrolledObjective: the reward needs a tensor form");
  return tf.tidy(() => {
    let S = S0;
    let J: tf.Tensor = tf.zeros([S0.shape[0]]);
    let discount = 1;
    for (let t = 0; t < H; t++) {
      const A = policy.actTensor(S);
      const S2 = model.predictTensor(S, A);
      J = tf.add(J, tf.mul(discount, rewardTensor.call(reward, S, A, S2)));
      discount *= gamma;
      S = S2;
    }
    return tf.mean(J) as tf.Scalar;
  });
}

/**
 * The gradient of J with respect to the policy's weights: returns its global norm and the gradients
 * (the caller disposes them). For the "gradient norm vs horizon" picture and for the update itself.
 */
export function policyGradient(
  model: DifferentiableModel,
  reward: RewardFunction,
  policy: NeuralPolicy,
  S0: tf.Tensor2D,
  H: number,
  gamma = 1,
): { objective: number; norm: number; grads: tf.Tensor[] } {
  const vars = policy.net.variables();
  const { value, grads } = tf.variableGrads(() => tf.neg(unrolledObjective(model, reward, policy, S0, H, gamma)) as tf.Scalar, vars);
  const list = vars.map((v) => grads[v.name]);
  const norm = tf.tidy(() => Math.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
  const objective = -value.dataSync()[0];
  value.dispose();
  return { objective, norm, grads: list };
}

export interface V20Config {
  env: ContinuousEnv;
  model: DifferentiableModel;
  /** The reward, with its tensor form (the objective is differentiated through it). */
  reward: RewardFunction;
  policy: NeuralPolicy;
  baseEpisodes: number;
  basePolicy?: StatePolicy;
  /** Rounds of steps 2-4 (each runs one real episode): real episodes in all = baseEpisodes + iterations. */
  iterations: number;
  /** BPTT horizon H. */
  horizon: number;
  /** Gradient steps on the policy per round. */
  policySteps: number;
  /** Start states per gradient step (sampled from D). Default 128. */
  batchSize?: number;
  gamma?: number;
  /** Clip the gradient's global norm to this (default 10). */
  gradClip?: number;
  /** Std of Gaussian noise added to the policy's actions while collecting (step 4). Default 0.1 * half range. */
  explorationNoise?: number;
  seed: number;
  onIteration?: (r: V20Round) => void;
}

export interface V20Round {
  iteration: number;
  /** Return of the episode run in step 4 (with exploration noise). */
  return: number;
  transitions: number;
  /** J at the last gradient step and the mean (unclipped) gradient norm of the round. */
  objective: number;
  gradNorm: number;
}

/** Samples n start states from D as a tensor. */
function sampleStates(D: Dataset, n: number, rng: Rng): tf.Tensor2D {
  const N = datasetSize(D),
    ds = D.states[0].length;
  const buf = new Float32Array(n * ds);
  for (let i = 0; i < n; i++) buf.set(D.states[rng.int(N)], i * ds);
  return tf.tensor2d(buf, [n, ds]);
}

export async function mbrlV20(cfg: V20Config): Promise<{ rounds: V20Round[]; data: Dataset; realEpisodes: number }> {
  const { env, model, reward, policy } = cfg;
  const rng = makeRng(cfg.seed);
  const H = checkInt("mbrlV20: horizon", cfg.horizon);
  const batch = cfg.batchSize ?? 128;
  const clip = cfg.gradClip ?? 10;
  const noise = cfg.explorationNoise ?? 0.1 * 0.5 * (env.actionSpace.high[0] - env.actionSpace.low[0]);
  // 1. run the base policy to collect D
  const pi0 = cfg.basePolicy ?? randomPolicy(env, rng);
  let data = concatDatasets(...Array.from({ length: cfg.baseEpisodes }, () => runEpisode(env, pi0, { seed: freshSeed(rng) }).data));
  const rounds: V20Round[] = [];
  for (let it = 0; it < cfg.iterations; it++) {
    // 2. learn the dynamics model on D
    await model.fit(data);
    // 3. backpropagate through f into the policy (gradient ascent on J, norm clipped)
    let objective = NaN,
      normSum = 0;
    for (let k = 0; k < cfg.policySteps; k++) {
      const S0 = sampleStates(data, batch, rng);
      const g = policyGradient(model, reward, policy, S0, H, cfg.gamma ?? 1);
      const scale = g.norm > clip ? clip / g.norm : 1;
      const clipped = g.grads.map((x) => (scale < 1 ? tf.mul(x, scale) : x));
      policy.net.applyGradients(clipped);
      tf.dispose([...g.grads, ...clipped, S0]);
      objective = g.objective;
      normSum += g.norm;
    }
    // 4. run the policy (with a little exploration noise) and append what it visited to D
    const ep = runEpisode(env, policy.asStatePolicy(noise, rng), { seed: freshSeed(rng) });
    data = concatDatasets(data, ep.data);
    const round = { iteration: it, return: ep.return, transitions: datasetSize(data), objective, gradNorm: normSum / cfg.policySteps };
    rounds.push(round);
    cfg.onIteration?.(round);
    await new Promise((r) => setImmediate(r));
  }
  return { rounds, data, realEpisodes: cfg.baseEpisodes + cfg.iterations };
}
