/**
 * The PILCO loop (Deisenroth and Rasmussen, ICML 2011; the reference code's pilco_loop):
 *
 *   1. one trial with uniformly random actions,
 *   2. repeat: fit one GP per state dimension to the observed state changes (subset of data once
 *      the data exceed `maxData` points), optimise the policy by L-BFGS on the summed expected
 *      saturating cost of the moment-matched long-term prediction (analytic gradient), run the
 *      policy on the real system for one more trial. With `inducing` set, the long-term prediction
 *      uses a sparse FITC view of the GPs (as the reference's gp1) once the data exceed that many
 *      points: moment matching then costs O(M^2) per step instead of O(n^2).
 *
 * Everything is deterministic given the seed. The system is any ContinuousEnv with setState; its
 * raw state (plus optional Gaussian measurement noise, as the reference plant.noise) is what PILCO sees.
 */
import { makeRng, trialSeed, ValueError, type Rng } from "../core";
import type { ContinuousEnv } from "../envs/types";
import { mat } from "../linalg";
import { sampleMvn, selectInducing, sparseGpView, subsetOfData, trainGps, type GpHyp, type MultiGp } from "../models/gp";
import { squashValue, type SinSquash } from "./blocks";
import { lbfgs } from "../optim/lbfgs";
import { mmModelFromGps, mmModelFromSparse } from "./momentMatch";
import { policyAction, preparePolicy, rbfPolicy, linearPolicy, type Policy } from "./policy";
import { propagate, type PilcoCost, type PilcoPlant, type Prediction } from "./propagate";
import { checkInterrupt } from "../core/interrupt";

export interface PilcoScenario {
  plant: PilcoPlant;
  cost: PilcoCost;
  /** Initial state distribution N(mu0, S0) (S0 row-major). */
  mu0: number[];
  S0: number[];
  /** Prediction and trial length in (control) steps. */
  H: number;
  /** Environment steps per control step (zero-order hold). Default 1. */
  actionRepeat?: number;
  /** One squashing per action dimension. */
  squash: SinSquash[];
  /** Std of the measurement noise added to the observed states. Default 0. */
  obsNoiseStd?: number;
}

export interface PilcoOptions {
  /** Learned trials after the random one. Default 15. */
  trials?: number;
  /** "rbf" (default) or "linear". */
  policy?: "rbf" | "linear";
  /** RBF basis functions. Default 10. */
  nBasis?: number;
  /** RBF length-scales (policy inputs). Default 1 each. */
  policyLengthscales?: number[];
  /** L-BFGS iterations per policy optimisation. Default 100. */
  policyIters?: number;
  /**
   * Stop a policy optimisation early when an iteration lowers the predicted cost by less than this
   * relative amount. Default 0: never (the reference spends its whole line-search budget).
   */
  policyRelTol?: number;
  /**
   * Steps of the long-term prediction the policy is optimised on. Default: the trial length H. A
   * longer prediction than the trial rewards policies that keep the pole up after the trial ends
   * (over 2.5 s, catching the pole earns only the last few steps: the cart-pole's policy search
   * settled on spinning the pole through the top, a local optimum, on two of three seeds).
   */
  predictionHorizon?: number;
  /**
   * Fresh random policies optimised beside the current one at every policy search (each with
   * `restartIters` iterations); the lowest predicted cost is kept and optimised to the full budget.
   * Default 0. Policy search is local: a policy that spins the pole is a local optimum that the
   * next search, started from it, rarely leaves.
   */
  policyRestarts?: number;
  /** L-BFGS iterations of each restart. Default policyIters / 3. */
  restartIters?: number;
  /** L-BFGS iterations per GP hyper-parameter fit. Default 100. */
  gpIters?: number;
  /** Subset-of-data size for the dynamics GPs. Default 300 (the reference's sparse GP switch). */
  maxData?: number;
  /**
   * Inducing inputs of the sparse (FITC) GP used for long-term prediction once the training set is
   * larger: the most recent trial plus farthest-point picks among the older inputs (length-scale
   * scaled). Moment matching then costs O(M^2) instead of O(n^2) per step. Default: off (full GP).
   */
  inducing?: number;
  seed?: number;
  /** Stop after the first trial that satisfies `success`. Default false. */
  stopOnSuccess?: boolean;
  /** Success of a real trial from its visited states (states[0..H]). */
  success?: (states: number[][]) => boolean;
  /** Progress after every trial. */
  onTrial?: (t: PilcoTrial) => void;
  /** Progress inside the policy optimisation (iteration, predicted total cost). */
  onOptIter?: (iter: number, f: number) => void;
}

/** The defaults of PilcoOptions (the reference code's settings). */
export const PILCO_DEFAULTS = {
  policy: "rbf" as "rbf" | "linear",
  nBasis: 10,
  maxData: 300,
  gpIters: 100,
  policyIters: 100,
  policyRelTol: 0,
  policyRestarts: 0,
  seed: 0,
  trials: 15,
};

export interface PilcoTrial {
  /** 0: random trial; 1..: learned. */
  index: number;
  /** Real states visited (H + 1) and actions applied (H). */
  states: number[][];
  actions: number[][];
  /** Real immediate costs of states 1..H. */
  realCosts: number[];
  /** The prediction the policy was optimised for (learned trials). */
  prediction?: Prediction;
  success: boolean;
  /** Seconds spent: GP training, policy optimisation; and policy-optimisation details. */
  gpSeconds: number;
  optSeconds: number;
  optEvaluations: number;
  /** Why L-BFGS stopped. */
  optReason?: string;
  /** Transitions the dynamics GPs were trained on (after the subset-of-data selection). */
  dataSize: number;
  /** Points the moment matching ran on (inducing inputs when the sparse GP was used, else dataSize). */
  mmSize?: number;
}

/**
 * One trial as plots and result files keep it (bench pilco's --out, notebook 09): summed real and
 * predicted cost, success, and the angle of the real trial beside the predicted angle's mean and sd.
 */
export interface PilcoTrialRecord {
  index: number;
  realCost: number;
  predictedCost: number | null;
  success: boolean;
  angle: number[];
  predictedAngleMean: number[] | null;
  predictedAngleSd: number[] | null;
}

/** The record of a trial; `angleIndex` is the angle's index in the state (pendulum 0, cart-pole 2). */
export function pilcoTrialRecord(t: PilcoTrial, angleIndex: number): PilcoTrialRecord {
  const p = t.prediction;
  const round = (v: number) => +v.toFixed(4);
  const dim = p ? p.means[0].length : 0;
  return {
    index: t.index,
    realCost: round(t.realCosts.reduce((a, b) => a + b, 0)),
    predictedCost: p ? round(p.total) : null,
    success: t.success,
    angle: t.states.map((s) => round(s[angleIndex])),
    predictedAngleMean: p ? p.means.map((m) => round(m[angleIndex])) : null,
    predictedAngleSd: p ? p.covs.map((S) => round(Math.sqrt(Math.max(S[angleIndex * dim + angleIndex], 0)))) : null,
  };
}

export interface PilcoResult {
  trials: PilcoTrial[];
  policy: Policy;
  gps: MultiGp | null;
  firstSuccess: number | null;
  /** Seconds of interaction up to and including the first successful trial (or all trials). */
  interactionSeconds: number;
}

/** The augmented state [x, sin/cos of each angle] of one raw state. */
export function augment(plant: PilcoPlant, x: ArrayLike<number>): number[] {
  const z = Array.from(x);
  for (const a of plant.angi) z.push(Math.sin(x[a]), Math.cos(x[a]));
  return z;
}

/** The policy's input for one raw state: the plant.poli entries of its augmented state. */
export function policyInput(plant: PilcoPlant, x: ArrayLike<number>): number[] {
  const z = augment(plant, x);
  return plant.poli.map((i) => z[i]);
}

/** The immediate (deterministic) saturating cost of one raw state. */
export function immediateCost(plant: PilcoPlant, cost: PilcoCost, x: ArrayLike<number>): number {
  const z = augment(plant, x);
  const k = cost.idx.length;
  let q = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      q += (z[cost.idx[i]] - cost.target[i]) * cost.Q[i * k + j] * (z[cost.idx[j]] - cost.target[j]);
    }
  return 1 - Math.exp(-q / (2 * cost.width * cost.width));
}

/** One draw from N(mu, S) (S row-major), as a plain array. */
function sampleState(mu: readonly number[], S: readonly number[], rng: Rng): number[] {
  return Array.from(sampleMvn(mu, mat(mu.length, mu.length, Float64Array.from(S)), 1, rng)[0]);
}

/** Runs one trial on the system: `act(x)` chooses the action from the observed state. */
export function runTrial(env: ContinuousEnv, sc: PilcoScenario, act: (x: number[]) => number[], rng: Rng, seed: number) {
  const rep = sc.actionRepeat ?? 1;
  const noise = sc.obsNoiseStd ?? 0;
  env.reset(seed);
  const s0 = sampleState(sc.mu0, sc.S0, rng);
  env.setState(s0);
  const observe = () => env.getState().map((v) => v + (noise > 0 ? rng.normal(0, noise) : 0));
  const states: number[][] = [observe()];
  const trueStates: number[][] = [env.getState()];
  const actions: number[][] = [];
  for (let t = 0; t < sc.H; t++) {
    let u = act(states[t]);
    // Record the action the system actually applied (it clips to its bounds).
    for (let r = 0; r < rep; r++) {
      const applied = env.step(u).info.action;
      if (applied) u = applied;
    }
    actions.push(u);
    states.push(observe());
    trueStates.push(env.getState());
  }
  return { states, actions, trueStates };
}

/** Draws from the initial state distribution from which the RBF policy's centre distribution is estimated. */
const CENTRE_SAMPLES = 2000;
/** Added to the diagonal of the centres' covariance so it stays positive definite. */
const CENTRE_COV_JITTER = 1e-6;
/** Points of the grid over one period of a squashing function on which its largest output u_max is found. */
const SQUASH_GRID_POINTS = 2001;

/**
 * The initial policy: an RBF network whose centres are drawn from the initial state distribution
 * (their mean and covariance estimated from CENTRE_SAMPLES draws), or a linear policy. Inputs are
 * the plant.poli entries of the augmented state.
 */
function initPolicy(sc: PilcoScenario, opts: PilcoOptions, rng: Rng): Policy {
  const { plant } = sc;
  const pIn = plant.poli.length;
  if ((opts.policy ?? PILCO_DEFAULTS.policy) !== "rbf") return linearPolicy(pIn, sc.squash);
  const { mean: centreMean, cov: centreCov } = policyInputMoments(sc, rng);
  return rbfPolicy(pIn, sc.squash, {
    nBasis: opts.nBasis ?? PILCO_DEFAULTS.nBasis,
    centreMean,
    centreCov,
    lengthscales: opts.policyLengthscales,
    rng,
  });
}

/**
 * Mean and covariance (row-major) of the policy's input under the initial state distribution, from
 * CENTRE_SAMPLES draws (pilco-matlab takes them from gTrig's moments). Each draw gives all inputs at
 * once, so their covariance (of sin and cos of one angle, say) is kept.
 */
export function policyInputMoments(sc: PilcoScenario, rng: Rng): { mean: number[]; cov: number[] } {
  const { plant } = sc;
  const pIn = plant.poli.length;
  const aug = Array.from({ length: CENTRE_SAMPLES }, () => policyInput(plant, sampleState(sc.mu0, sc.S0, rng)));
  const cm = new Array(pIn).fill(0);
  aug.forEach((a) => a.forEach((v, i) => (cm[i] += v / aug.length)));
  const cc = new Array(pIn * pIn).fill(0);
  aug.forEach((a) => {
    for (let i = 0; i < pIn; i++) for (let j = 0; j < pIn; j++) cc[i * pIn + j] += ((a[i] - cm[i]) * (a[j] - cm[j])) / aug.length;
  });
  for (let i = 0; i < pIn; i++) cc[i * pIn + i] += CENTRE_COV_JITTER;
  return { mean: cm, cov: cc };
}

/** The largest action each squashing can produce (u_max), found on a fine grid of one period. */
function squashBounds(squash: readonly SinSquash[]): number[] {
  const last = SQUASH_GRID_POINTS - 1;
  return squash.map((q) =>
    Math.max(...Array.from({ length: SQUASH_GRID_POINTS }, (_, i) => Math.abs(squashValue(q, (i / last) * 2 * Math.PI)))),
  );
}

/**
 * Step 2, the dynamics: one GP per state dimension on the observed state changes (a subset of the
 * data beyond maxData points: the most recent 2 trials plus random older points), hyper-parameters
 * warm-started from the previous fit.
 */
function fitDynamics(X: number[][], Y: number[][], stateDim: number, H: number, opts: PilcoOptions, rng: Rng, inits: GpHyp[] | undefined) {
  const t0 = Date.now();
  const idx = subsetOfData(X.length, opts.maxData ?? PILCO_DEFAULTS.maxData, rng, 2 * H);
  const Xs = mat(idx.length, X[0].length, Float64Array.from(idx.flatMap((i) => X[i])));
  const Ys = mat(idx.length, stateDim, Float64Array.from(idx.flatMap((i) => Y[i])));
  const gps = trainGps(Xs, Ys, { maxIter: opts.gpIters ?? PILCO_DEFAULTS.gpIters, inits });
  return { gps, dataSize: idx.length, gpSeconds: (Date.now() - t0) / 1000 };
}

/**
 * Step 3, policy search: L-BFGS on the summed expected cost of the moment-matched long-term
 * prediction (analytic gradient), through the full GPs or, beyond `inducing` points, their sparse
 * FITC view. Updates policy.params; returns the prediction of the optimised policy.
 */
function optimisePolicy(policy: Policy, gps: MultiGp, dataSize: number, sc: PilcoScenario, opts: PilcoOptions, rng: Rng) {
  const { plant, cost } = sc;
  const H = opts.predictionHorizon ?? sc.H;
  const t1 = Date.now();
  let dyn = mmModelFromGps(gps);
  if (opts.inducing && dataSize > opts.inducing) {
    const D = gps.D;
    const ell = Array.from({ length: D }, (_, d) => Math.min(...gps.gps.map((g) => Math.exp(g.hyp[d]))));
    dyn = mmModelFromSparse(sparseGpView(gps, selectInducing(gps.X, opts.inducing, ell, H)));
  }
  const model = { plant, dyn };
  let evals = 0;
  const f = (p: Float64Array, g: Float64Array): number => {
    evals++;
    policy.params.set(p);
    const r = propagate(model, policy, cost, sc.mu0, sc.S0, H, true);
    g.set(r.grad!);
    return r.total;
  };
  const iters = opts.policyIters ?? PILCO_DEFAULTS.policyIters;
  // Restarts: fresh random policies, each given a short search; the best start (the current policy
  // included, at the same short budget) gets the full search.
  let start = Float64Array.from(policy.params);
  const restarts = opts.policyRestarts ?? PILCO_DEFAULTS.policyRestarts;
  if (restarts > 0) {
    const short = opts.restartIters ?? Math.max(1, Math.round(iters / 3));
    const tryFrom = (x0: Float64Array) => lbfgs(f, x0, { maxIter: short, relTol: 0 });
    let best = tryFrom(start);
    for (let k = 0; k < restarts; k++) {
      const r = tryFrom(initPolicy(sc, opts, rng).params);
      if (r.f < best.f) best = r;
    }
    start = Float64Array.from(best.x);
  }
  // No relative-decrease stop by default: like the reference's minimize, spend the whole budget of
  // line searches. The predicted cost can sit on a plateau for many iterations (policy barely
  // moving the pole) before a swing-up appears; stopping there froze the policy for good.
  const res = lbfgs(f, start, {
    maxIter: iters,
    onIter: opts.onOptIter,
    relTol: opts.policyRelTol ?? PILCO_DEFAULTS.policyRelTol,
  });
  policy.params.set(res.x);
  const prediction = propagate(model, policy, cost, sc.mu0, sc.S0, H);
  return { prediction, optSeconds: (Date.now() - t1) / 1000, optEvaluations: evals, optReason: res.reason, mmSize: dyn.n };
}

/** Runs PILCO on `env` for the scenario; see the file comment. */
export function pilco(env: ContinuousEnv, sc: PilcoScenario, opts: PilcoOptions = {}): PilcoResult {
  const seed = opts.seed ?? PILCO_DEFAULTS.seed;
  const rng = makeRng(seed);
  const { plant, cost, H } = sc;
  const D0 = plant.stateDim;
  const dt = env.dt * (sc.actionRepeat ?? 1);
  const nTrials = opts.trials ?? PILCO_DEFAULTS.trials;
  if (sc.mu0.length !== D0) throw new ValueError(`pilco: mu0 has ${sc.mu0.length} entries, the plant state has ${D0}`);

  // Policy: inputs are plant.poli of the augmented state; centres drawn from the initial state distribution.
  const policy = initPolicy(sc, opts, rng);

  const X: number[][] = [];
  const Y: number[][] = [];
  const trials: PilcoTrial[] = [];
  let gps: MultiGp | null = null;
  let inits: GpHyp[] | undefined;
  let firstSuccess: number | null = null;

  const addData = (states: number[][], actions: number[][]) => {
    for (let t = 0; t < actions.length; t++) {
      const z = augment(plant, states[t]);
      X.push(plant.dyni.map((i) => z[i]).concat(actions[t]));
      Y.push(states[t + 1].map((v, i) => v - states[t][i]));
    }
  };
  const record = (index: number, run: ReturnType<typeof runTrial>, extra: Partial<PilcoTrial>): PilcoTrial => {
    const realCosts = run.trueStates.slice(1).map((x) => immediateCost(plant, cost, x));
    const ok = opts.success ? opts.success(run.trueStates) : false;
    const trial: PilcoTrial = {
      index,
      states: run.trueStates,
      actions: run.actions,
      realCosts,
      success: ok,
      gpSeconds: 0,
      optSeconds: 0,
      optEvaluations: 0,
      dataSize: 0,
      ...extra,
    };
    trials.push(trial);
    opts.onTrial?.(trial);
    return trial;
  };

  // 1) Random trial: uniform actions in [-u_max, u_max].
  const uMax = squashBounds(sc.squash);
  const r0 = runTrial(env, sc, () => uMax.map((u) => rng.uniform(-u, u)), rng, trialSeed(seed, 0));
  addData(r0.states, r0.actions);
  record(0, r0, {});

  for (let j = 1; j <= nTrials; j++) {
    checkInterrupt();
    // 2) Dynamics GPs.
    const fit = fitDynamics(X, Y, D0, H, opts, rng, inits);
    gps = fit.gps;
    inits = gps.gps.map((g) => g.hyp);
    // 3) Policy search on the predicted summed expected cost.
    const opt = optimisePolicy(policy, gps, fit.dataSize, sc, opts, rng);
    // 4) Apply the policy to the system.
    const ctx = preparePolicy(policy);
    const run = runTrial(env, sc, (x) => policyAction(ctx, policyInput(plant, x)), rng, trialSeed(seed, j));
    addData(run.states, run.actions);
    const trial = record(j, run, { ...opt, gpSeconds: fit.gpSeconds, dataSize: fit.dataSize });
    if (trial.success && firstSuccess === null) {
      firstSuccess = j;
      if (opts.stopOnSuccess) break;
    }
  }
  const upTo = firstSuccess ?? trials.length - 1;
  return { trials, policy, gps, firstSuccess, interactionSeconds: (upTo + 1) * H * dt };
}
