/**
 * Guided policy search with local models (lecture 004; Levine and Abbeel 2014, and the mirror-descent
 * GPS of Montgomery and Levine 2016). Reads top to bottom; one iteration is:
 *
 *   for every initial condition i:
 *     1. run N rollouts of the local linear-Gaussian controller p_i on the real system (samples only:
 *        the algorithm never looks at the true dynamics' equations or Jacobians)
 *     2. fit time-varying linear-Gaussian dynamics to them: Bayesian regression with a NIW prior from
 *        a GMM fitted on all recent (x, u, x') tuples of all conditions
 *     3. quadratise the cost around the sample mean
 *     4. adapt the step size epsilon_i from predicted vs actual improvement
 *     5. C-step: p_i <- argmin E[cost] s.t. KL(p_i || p_bar_i) <= epsilon_i (dual gradient descent);
 *        p_bar_i is the previous p_i (pure trajectory optimisation) or, once a global policy exists,
 *        its linearisation around p_i's samples: this keeps the local controllers close to the policy
 *   S-step (with a policy): train the global network pi_theta(x) by supervised regression on the new
 *   controllers' mean actions at the sampled states of all conditions.
 */
import { ShapeError, ValueError, checkInt } from "../core/checks";
import { makeRng, type Rng } from "../core/random";
import { Mat, cholInverse, cholesky, eye, mat } from "../linalg";
import {
  LinearGaussianController,
  controllerMean,
  initialController,
  linearGaussianController,
  sampleAction,
} from "../control/linearGaussian";
import { BatchDynamics, TrajectoryCost, rolloutClosedLoop, trajectoryCost } from "../control/ilqr";
import { Gmm } from "../models/gmm";
import { LinearGaussianDynamics, Trajectory, fitDynamicsGmm, fitLocalDynamicsPrior } from "../models/localLinear";
import { EnsembleMLP } from "../nn/ensemble";
import { QuadraticTrajectoryCost, expectedCost, forwardMarginals, quadratizeCost } from "./trajectory";
import { KlStepResult, adaptStepMultiplier, klConstrainedUpdate } from "./trajOpt";

export interface GpsConfig {
  /** Horizon (actions per rollout). */
  T: number;
  /** Initial states, one per condition. */
  conditions: readonly (readonly number[])[];
  /** Rollouts per condition per iteration. Default 5. */
  samplesPerCondition?: number;
  /** Iterations. Default 15. */
  iterations?: number;
  /** KL step per time step: epsilon = klStep * T * stepMult. Default 0.5. */
  klStep?: number;
  /** Std of the first controller's exploration noise. Default 1. */
  initStd?: number;
  /** Mean action of the first controller. Default zeros. */
  initMean?: readonly number[];
  /**
   * Upper limit of the step multiplier (epsilon = klStep * T * mult, mult in [0.1, maxStepMult]).
   * Default 10 for trajectory optimisation alone, 3 with a policy: there the KL is measured against
   * the policy, not the old controller, so a large bound lets a controller leave the region its
   * local model was fitted on.
   */
  maxStepMult?: number;
  /** Iterations of samples the GMM prior is fitted on. Default 3. */
  priorWindow?: number;
  /** Train a global policy (guided policy search) or only optimise the local controllers. Default false. */
  policy?: false | { hiddenSizes?: number[]; epochs?: number; learningRate?: number };
  seed: number;
}

export interface GpsIterationInfo {
  iteration: number;
  /** Per condition: mean cost of the samples of this iteration. */
  sampleCost: number[];
  /** Per condition: the KL of the C-step and its bound epsilon. */
  kl: number[];
  epsilon: number[];
  eta: number[];
  status: KlStepResult["status"][];
  /** Per condition: the fitted dynamics and the samples they were fitted on (for plots). */
  dynamics: LinearGaussianDynamics[];
  samples: Trajectory[][];
  /** Seconds since the start. */
  seconds: number;
}

export interface GpsState {
  controllers: LinearGaussianController[];
  policy: GlobalPolicy | null;
  history: GpsIterationInfo[];
}

/** The global policy: a network pi(x) with a state-independent Gaussian noise. */
export interface GlobalPolicy {
  net: EnsembleMLP;
  /** Noise covariance (from the local controllers' precisions). */
  cov: Mat;
  n: number;
  m: number;
}

/** Mean actions of the global policy for many states (rows). */
export function policyMean(policy: GlobalPolicy, states: readonly ArrayLike<number>[]): Float64Array[] {
  const X = mat(states.length, policy.n);
  states.forEach((s, i) => X.data.set(Array.from(s), i * policy.n));
  const out = policy.net.predict(X).mean[0];
  return out.map((r) => Float64Array.from(r));
}

/** Runs the deterministic global policy from x0 on a system (clipping actions). */
export function runPolicy(dyn: BatchDynamics, policy: GlobalPolicy, x0: ArrayLike<number>, T: number): Trajectory {
  return rolloutClosedLoop(dyn, x0, T, (x) => policyMean(policy, [x])[0]);
}

/** One rollout of a linear-Gaussian controller on the system (the only use of the system). */
export function sampleRollout(dyn: BatchDynamics, ctrl: LinearGaussianController, x0: ArrayLike<number>, rng: Rng): Trajectory {
  return rolloutClosedLoop(dyn, x0, ctrl.T, (x, t) => sampleAction(ctrl, t, x, rng));
}

/** The noise-free run of a controller's mean on the system. */
export function runControllerMean(dyn: BatchDynamics, ctrl: LinearGaussianController, x0: ArrayLike<number>): Trajectory {
  return rolloutClosedLoop(dyn, x0, ctrl.T, (x, t) => controllerMean(ctrl, t, x));
}

function meanTrajectory(samples: readonly Trajectory[]): { xs: Float64Array[]; us: Float64Array[] } {
  const N = samples.length, T = samples[0].us.length;
  const avg = (get: (s: Trajectory) => Float64Array) => {
    const out = new Float64Array(get(samples[0]).length);
    for (const s of samples) {
      const v = get(s);
      for (let i = 0; i < out.length; i++) out[i] += v[i] / N;
    }
    return out;
  };
  return {
    xs: Array.from({ length: T + 1 }, (_, t) => avg((s) => s.xs[t])),
    us: Array.from({ length: T }, (_, t) => avg((s) => s.us[t])),
  };
}

/**
 * The linearisation of the global policy around the states x_bar_t of a condition:
 * K_t = d pi / dx at x_bar_t (central differences, one batched network call), k_t = pi(x_bar_t) - K_t x_bar_t,
 * with the policy's noise covariance.
 */
export function linearizePolicy(policy: GlobalPolicy, xbar: readonly Float64Array[], h = 1e-2): LinearGaussianController {
  const { n, m } = policy;
  const T = xbar.length;
  const rows: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    rows.push(xbar[t]);
    for (let j = 0; j < n; j++) {
      const p = Float64Array.from(xbar[t]), q = Float64Array.from(xbar[t]);
      p[j] += h;
      q[j] -= h;
      rows.push(p, q);
    }
  }
  const out = policyMean(policy, rows);
  const K: Mat[] = [], k: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const base = t * (2 * n + 1);
    const Kt = mat(m, n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) Kt.data[i * n + j] = (out[base + 1 + 2 * j][i] - out[base + 2 + 2 * j][i]) / (2 * h);
    }
    const kt = Float64Array.from(out[base]);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) kt[i] -= Kt.data[i * n + j] * xbar[t][j];
    K.push(Kt);
    k.push(kt);
  }
  return linearGaussianController(K, k, Array.from({ length: T }, () => policy.cov));
}

/**
 * Runs guided policy search (or, with `policy: false`, KL-constrained trajectory optimisation with
 * local models only) on the system `dyn`. `onIteration` sees every iteration's figures.
 */
export function guidedPolicySearch(
  dyn: BatchDynamics,
  cost: TrajectoryCost,
  config: GpsConfig,
  onIteration?: (info: GpsIterationInfo, state: GpsState) => void,
): GpsState {
  const T = checkInt("gps: T", config.T);
  const { n, m } = dyn;
  const C = config.conditions.length;
  if (C === 0) throw new ShapeError("gps: no initial conditions");
  config.conditions.forEach((x, i) => {
    if (x.length !== n) throw new ShapeError(`gps: condition ${i} has length ${x.length}, expected ${n}`);
  });
  const N = config.samplesPerCondition ?? 5;
  const iterations = config.iterations ?? 15;
  const klStep = config.klStep ?? 0.5;
  if (!(klStep > 0)) throw new ValueError(`gps: klStep must be > 0, got ${klStep}`);
  const priorWindow = config.priorWindow ?? 3;
  const rng = makeRng(config.seed);
  const t0 = Date.now();

  const controllers = config.conditions.map(() => initialController(T, n, m, config.initMean ?? new Array(m).fill(0), config.initStd ?? 1));
  const stepMult = new Array<number>(C).fill(1);
  const eta = new Array<number>(C).fill(1);
  // What the last C-step predicted, to compare with what the new samples show.
  const last: ({ dyn: LinearGaussianDynamics; quad: QuadraticTrajectoryCost; x0Mean: Float64Array; x0Cov: Mat; prevCost: number; predicted: number } | null)[] =
    new Array(C).fill(null);
  const recent: Trajectory[][] = []; // samples of the last `priorWindow` iterations, all conditions
  let policy: GlobalPolicy | null = null;
  const history: GpsIterationInfo[] = [];
  const state: GpsState = { controllers, policy, history };

  for (let it = 0; it < iterations; it++) {
    // 1. Samples.
    const samples = controllers.map((ctrl, i) => Array.from({ length: N }, () => sampleRollout(dyn, ctrl, config.conditions[i], rng)));
    recent.push(samples.flat());
    if (recent.length > priorWindow) recent.shift();
    // 2. Global prior and local dynamics.
    const gmm: Gmm = fitDynamicsGmm(recent.flat(), rng.fork(), { maxIter: 50 });
    const info: GpsIterationInfo = {
      iteration: it,
      sampleCost: [],
      kl: [],
      epsilon: [],
      eta: [],
      status: [],
      dynamics: [],
      samples,
      seconds: 0,
    };
    for (let i = 0; i < C; i++) {
      const S = samples[i];
      const local = fitLocalDynamicsPrior(S, gmm);
      // 3. Cost expansion around the sample mean; the initial-state distribution from the samples.
      const mean = meanTrajectory(S);
      const quad = quadratizeCost(cost, mean.xs, mean.us);
      const x0Mean = mean.xs[0];
      const x0Cov = mat(n, n);
      for (const s of S) for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) x0Cov.data[a * n + b] += ((s.xs[0][a] - x0Mean[a]) * (s.xs[0][b] - x0Mean[b])) / N;
      for (let a = 0; a < n; a++) x0Cov.data[a * n + a] += 1e-6;
      // 4. Step adaptation: the previous C-step predicted `predicted` (old model), the new model
      // says the controller actually achieves `actual`.
      if (last[i] !== null) {
        const prev = last[i]!;
        const actual = expectedCost(quad, forwardMarginals(local, controllers[i], x0Mean, x0Cov));
        stepMult[i] = adaptStepMultiplier(stepMult[i], prev.prevCost, prev.predicted, actual, { maxMult: config.maxStepMult ?? (config.policy ? 3 : 10) });
      }
      // 5. C-step against the previous controller or the linearised global policy.
      const pBar = policy ? linearizePolicy(policy, mean.xs.slice(0, T)) : controllers[i];
      const epsilon = klStep * T * stepMult[i];
      const prevCost = expectedCost(quad, forwardMarginals(local, controllers[i], x0Mean, x0Cov));
      const res = klConstrainedUpdate(local, quad, pBar, x0Mean, x0Cov, epsilon, { eta0: eta[i] });
      eta[i] = res.eta;
      controllers[i] = res.controller;
      last[i] = { dyn: local, quad, x0Mean, x0Cov, prevCost, predicted: res.predictedCost };
      info.sampleCost.push(S.reduce((a, s) => a + trajectoryCost(cost, s.xs, s.us), 0) / N);
      info.kl.push(res.kl);
      info.epsilon.push(epsilon);
      info.eta.push(res.eta);
      info.status.push(res.status);
      info.dynamics.push(local);
    }
    // S-step: regress the policy onto the controllers' mean actions at the sampled states.
    if (config.policy) {
      policy = policy ?? makePolicy(n, m, config.policy, config.seed);
      trainPolicy(policy, controllers, samples, config.policy.epochs ?? 100, config.seed + it);
      state.policy = policy;
    }
    info.seconds = (Date.now() - t0) / 1000;
    history.push(info);
    onIteration?.(info, state);
  }
  return state;
}

function makePolicy(n: number, m: number, cfg: { hiddenSizes?: number[]; learningRate?: number }, seed: number): GlobalPolicy {
  const net = new EnsembleMLP({
    inputSize: n,
    outputSize: m,
    hiddenSizes: cfg.hiddenSizes ?? [64, 64],
    activation: "tanh",
    learningRate: cfg.learningRate ?? 3e-3,
    seed,
  });
  return { net, cov: eye(m), n, m };
}

/**
 * The S-step: supervised learning of pi(x) on (x_t, K_t x_t + k_t) pairs of every sample of every
 * condition; the policy's noise is the inverse of the mean precision of the controllers.
 */
export function trainPolicy(
  policy: GlobalPolicy,
  controllers: readonly LinearGaussianController[],
  samples: readonly (readonly Trajectory[])[],
  epochs: number,
  seed: number,
): number {
  const { n, m } = policy;
  const X: number[][] = [], Y: number[][] = [];
  const prec = mat(m, m);
  let count = 0;
  controllers.forEach((ctrl, i) => {
    for (const s of samples[i]) {
      for (let t = 0; t < ctrl.T; t++) {
        X.push(Array.from(s.xs[t]));
        const u = new Array<number>(m).fill(0);
        for (let a = 0; a < m; a++) {
          let v = ctrl.k[t][a];
          for (let b = 0; b < n; b++) v += ctrl.K[t].data[a * n + b] * s.xs[t][b];
          u[a] = v;
        }
        Y.push(u);
      }
    }
    for (let t = 0; t < ctrl.T; t++) {
      for (let a = 0; a < m * m; a++) prec.data[a] += ctrl.precision[t].data[a];
      count++;
    }
  });
  for (let a = 0; a < m * m; a++) prec.data[a] /= count;
  policy.cov = cholInverse(cholesky(prec, { name: "mean controller precision" }));
  const { losses } = policy.net.fit(X, Y, { epochs, batchSize: 64, seed: seed >>> 0 });
  return losses[losses.length - 1];
}
