/**
 * `npm run bench -- pilco [--quick] [--seeds N] [--seed FIRST] [--trials N] [--iters N] [--maxData N] [--nBasis N]
 *   [--inducing M] [--system cartpole|pendulum|both] [--paper] [--pred-horizon H] [--restarts K [--restart-iters N]]`
 *
 * PILCO on the cart-pole swing-up with the reference settings (lib/pilco/scenarios.ts): one random
 * trial, then up to 15 learned trials of 4 s at dt = 0.1 (H = 40); success = the pole tip within the
 * cost width (0.25 m) of the target for the last second of a trial. Prints the interaction time until
 * the first success next to the paper's figure (Deisenroth and Rasmussen 2011: under 20 s of
 * interaction for the cart-pole swing-up), the seconds per policy optimisation, and the seconds per
 * moment-matching pass (one GP prediction step with derivative pieces) at the data sizes used.
 * The pendulum swing-up (notebook 09's quicker case) runs with --system pendulum|both.
 *
 * --paper (cart-pole) follows the ICML 2011 paper instead of pilco-matlab: trials of 2.5 s
 * (H = 25 at dt = 0.1), every trial counted including the random one (the paper's 17.5 s is 7 such
 * trials), success = the tip within 0.25 m for the last 0.5 s of a trial. A 2.5 s trial cannot show
 * that the pole stays up, so after the run the final policy is also run for 4 s from the start
 * distribution (a check only: its data are not used and its time is not counted) and the JSON says
 * whether the tip stayed within 0.25 m for that run's last second. Its result file is
 * datasets/results/pilco-paper.json, made by `npm run bench -- pilco --paper --seeds 3 --out datasets/results/pilco-paper.json`.
 *
 * Data handling (documented approximation): the dynamics GPs' hyper-parameters are trained on all
 * transitions up to --maxData (300; beyond, a subset: the last two trials plus random older ones);
 * once there are more than --inducing (100) transitions, the long-term prediction uses a sparse
 * FITC GP whose inducing inputs are the last trial's inputs plus farthest-point picks among the older
 * ones (the reference code switches to FITC with 300 inducing inputs; 100 keeps one policy
 * optimisation at about a minute on a shared CPU). --inducing 0 switches FITC off.
 *
 * --pred-horizon H optimises the policy on an H-step prediction (default: the trial's length) while the
 * trials stay as long as the protocol says; --restarts K gives K fresh random policies a short search
 * (--restart-iters, default a third of --iters) beside the current one at every policy search, and
 * the best goes on (PilcoOptions.predictionHorizon, policyRestarts).
 *
 * --out FILE writes the JSON figures, with every trial of the first seed (real and predicted cost, the
 * real pole or pendulum angle and the predicted angle's mean and sd), to FILE: notebook 09 plots
 * datasets/results/pilco.json, made by `npm run bench -- pilco --seeds 1 --out datasets/results/pilco.json`.
 *
 * --quick (CI, under a minute): the moment-matching timing plus one learned cart-pole trial with 10
 * L-BFGS iterations; the JSON then says quick: true and reports what it ran.
 */
import * as fs from "fs";
import * as path from "path";
import { PhaseClock } from "./phases";
import { makeRng } from "../../lib/core";
import { CartPole, Pendulum, cartpoleTipDistance2, type ContinuousEnv } from "../../lib/envs";
import { trainGps } from "../../lib/models/gp";
import { mat } from "../../lib/linalg";
import {
  cartpoleScenario,
  cartpoleSuccess,
  mmModelFromGps,
  momentMatch,
  pendulumScenario,
  pendulumSuccess,
  pilco,
  pilcoTrialRecord,
  policyAction,
  policyInput,
  preparePolicy,
  runTrial,
  type PilcoScenario,
  type PilcoTrialRecord,
} from "../../lib/pilco";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const nSeeds = Number(opt("seeds", quick ? "1" : "3"));
const trials = Number(opt("trials", quick ? "1" : "15"));
// L-BFGS iterations per policy optimisation (the reference: 150 line searches of minimize).
const iters = Number(opt("iters", quick ? "10" : "150"));
const system = opt("system", "cartpole");
const firstSeed = Number(opt("seed", "1"));
const maxData = Number(opt("maxData", "300"));
const nBasis = Number(opt("nBasis", "10"));
// Sparse (FITC) long-term prediction on this many inducing inputs once the data are larger (0: off).
const inducing = Number(opt("inducing", "100"));
const outFile = opt("out", "");
// Policy search options (PilcoOptions): prediction steps (default the trial's), fresh random restarts.
const predHorizon = Number(opt("pred-horizon", "0"));
const restarts = Number(opt("restarts", "0"));
const restartIters = Number(opt("restart-iters", "0"));
/** --paper: the ICML 2011 paper's protocol; without it, pilco-matlab's (the reference code's). */
const protocol = args.includes("--paper") ? "paper" : "reference";
/** The ICML 2011 paper's cart-pole trials: 2.5 s at dt = 0.1. */
const PAPER_H = 25;
/** The uncounted 4 s check run's seed is the run's seed plus this (a prime, apart from the trials' seeds). */
const CHECK_RUN_SEED_OFFSET = 7919;
/** Success under the paper protocol: the last 0.5 s of a 2.5 s trial (5 steps). */
const PAPER_SUCCESS_STEPS = 5;

/** The cart-pole scenario of the chosen protocol. */
function cartpoleOf(): PilcoScenario {
  const sc = cartpoleScenario();
  return protocol === "paper" ? { ...sc, H: PAPER_H } : sc;
}

/** Every trial of one run, for plots (the first seed of each system). */
const trialRecords: Record<string, PilcoTrialRecord[]> = {};

/** CPU-time of one moment-matching pass through the cart-pole dynamics GPs (6 inputs, 4 outputs) at n points. */
function timeMomentMatching(n: number): number {
  const rng = makeRng(n);
  const X = mat(n, 6);
  const Y = mat(n, 4);
  for (let i = 0; i < n * 6; i++) X.data[i] = rng.normal();
  for (let i = 0; i < n; i++)
    for (let e = 0; e < 4; e++) Y.data[i * 4 + e] = Math.sin(X.data[i * 6 + e] + X.data[i * 6 + 5]) + 0.05 * rng.normal();
  const model = mmModelFromGps(trainGps(X, Y, { maxIter: 5 }));
  const m = new Float64Array(6);
  const s = new Float64Array(36);
  for (let d = 0; d < 6; d++) s[d * 7] = 0.1;
  // Warm up the JIT (the first sizes timed would otherwise pay for compilation).
  for (let k = 0; k < 10; k++) momentMatch(model, m, s);
  const reps = n > 200 ? 10 : 20;
  const t0 = process.cpuUsage();
  for (let k = 0; k < reps; k++) momentMatch(model, m, s);
  const c = process.cpuUsage(t0);
  return (c.user + c.system) / 1e6 / reps;
}

interface RunSummary {
  firstSuccessTrial: number | null;
  interactionSecondsToSuccess: number | null;
  secondsPerPolicyOptimisation: number;
  finalRealCost: number;
  /** Paper protocol: the final policy run for 4 s (not counted) keeps the tip up for its last second. */
  holdsFor4s?: boolean;
}

function runSystem(name: "cartpole" | "pendulum", seed: number): RunSummary {
  const env: ContinuousEnv = name === "cartpole" ? new CartPole({ maxSteps: 1e9 }) : new Pendulum({ start: "down", maxSteps: 1e9 });
  const sc: PilcoScenario = name === "cartpole" ? cartpoleOf() : pendulumScenario();
  const success =
    name === "pendulum"
      ? pendulumSuccess
      : protocol === "paper"
        ? (s: number[][]) => cartpoleSuccess(s, PAPER_SUCCESS_STEPS)
        : cartpoleSuccess;
  const t0 = Date.now();
  const res = pilco(env, sc, {
    seed,
    trials,
    policyIters: iters,
    nBasis,
    maxData,
    inducing: inducing > 0 ? inducing : undefined,
    predictionHorizon: predHorizon > 0 && name === "cartpole" ? predHorizon : undefined,
    policyRestarts: restarts,
    restartIters: restartIters > 0 ? restartIters : undefined,
    policyLengthscales: name === "cartpole" ? [1, 1, 1, 0.7, 0.7] : [1, 0.7, 0.7],
    stopOnSuccess: true,
    success,
    onTrial: (t) => {
      // GP training and policy optimisation as PILCO times them (the rest: rollouts, bookkeeping).
      clock.add("training", t.gpSeconds).add("planning", t.optSeconds);
      trialsRun++;
      const real = t.realCosts.reduce((a, b) => a + b, 0);
      // The angle's index in the state: pendulum [theta, thetadot], cart-pole [x, xdot, theta, thetadot].
      if (seed === firstSeed) (trialRecords[name] ??= []).push(pilcoTrialRecord(t, sc.plant.angi[0]));
      console.log(
        `${name} seed ${seed} trial ${t.index}: n=${t.dataSize}` +
          (t.mmSize !== undefined && t.mmSize !== t.dataSize ? ` (FITC on ${t.mmSize})` : "") +
          ` real cost ${real.toFixed(2)}` +
          (t.prediction ? ` predicted ${t.prediction.total.toFixed(2)}` : "") +
          ` success=${t.success}` +
          (name === "cartpole"
            ? ` final tip distance ${Math.sqrt(cartpoleTipDistance2(t.states[t.states.length - 1])).toFixed(2)} m`
            : "") +
          ` gp ${t.gpSeconds.toFixed(1)}s opt ${t.optSeconds.toFixed(1)}s (${t.optEvaluations} evals)` +
          ` elapsed ${((Date.now() - t0) / 1000).toFixed(0)}s`,
      );
    },
  });
  const learned = res.trials.filter((t) => t.index > 0);
  const dt = env.dt * (sc.actionRepeat ?? 1);
  let holdsFor4s: boolean | undefined;
  if (name === "cartpole" && protocol === "paper") {
    // The check run: 4 s (pilco-matlab's trial) with the final policy; nothing of it is learned from.
    const ctx = preparePolicy(res.policy);
    const check = runTrial(
      env,
      { ...sc, H: cartpoleScenario().H },
      (x) => policyAction(ctx, policyInput(sc.plant, x)),
      makeRng(seed + CHECK_RUN_SEED_OFFSET),
      seed + CHECK_RUN_SEED_OFFSET,
    );
    holdsFor4s = cartpoleSuccess(check.trueStates);
    console.log(`cartpole seed ${seed}: final policy run for 4 s (not counted) holds the pole up for the last second: ${holdsFor4s}`);
  }
  return {
    holdsFor4s,
    firstSuccessTrial: res.firstSuccess,
    interactionSecondsToSuccess: res.firstSuccess === null ? null : +((res.firstSuccess + 1) * sc.H * dt).toFixed(1),
    secondsPerPolicyOptimisation: learned.reduce((a, t) => a + t.optSeconds, 0) / Math.max(learned.length, 1),
    finalRealCost: res.trials[res.trials.length - 1].realCosts.reduce((a, b) => a + b, 0),
  };
}

const mmTimes: Record<string, number> = {};
for (const n of quick ? [100] : [100, 200, 300]) {
  mmTimes[`n${n}`] = +timeMomentMatching(n).toFixed(4);
  console.log(`moment matching (6 inputs, 4 outputs, ${n} points): ${(mmTimes[`n${n}`] * 1000).toFixed(1)} ms CPU per pass`);
}

const clock = new PhaseClock().environments();
let trialsRun = 0;
const out: Record<string, unknown> = { bench: protocol === "paper" ? "pilco --paper" : "pilco", quick, seeds: nSeeds, firstSeed };
const systems: ("cartpole" | "pendulum")[] = system === "both" ? ["cartpole", "pendulum"] : [system as "cartpole" | "pendulum"];
for (const sys of systems) {
  const runs: RunSummary[] = [];
  for (let s = 0; s < nSeeds; s++) runs.push(runSystem(sys, firstSeed + s));
  const summary = {
    firstSuccessTrial: runs.map((r) => r.firstSuccessTrial),
    interactionSecondsToSuccess: runs.map((r) => r.interactionSecondsToSuccess),
    secondsPerPolicyOptimisation: +(runs.reduce((a, r) => a + r.secondsPerPolicyOptimisation, 0) / runs.length).toFixed(2),
    finalRealCost: runs.map((r) => +r.finalRealCost.toFixed(2)),
    ...(sys === "cartpole" && protocol === "paper" ? { holdsFor4s: runs.map((r) => r.holdsFor4s ?? null) } : {}),
  };
  console.log(
    `${sys}: first success at learned trial ${JSON.stringify(summary.firstSuccessTrial)}, interaction ${JSON.stringify(summary.interactionSecondsToSuccess)} s` +
      (sys === "cartpole" ? " (paper: under 20 s of interaction)" : ""),
  );
  if (sys === systems[0]) {
    out.system = sys;
    Object.assign(out, summary);
  } else {
    out[sys] = summary;
  }
}
out.paperInteractionSeconds = "<20 (cart-pole, Deisenroth & Rasmussen 2011)";
// The protocol this run follows, stated beside its figures (pilco-matlab scenarios/cartPole/settings_cp.m
// and cartPole_learn.m: J = 1 random trial of H steps, then N = 15 rounds of train GP, optimise policy, apply).
{
  const sc = cartpoleOf();
  const dt = new CartPole().dt * (sc.actionRepeat ?? 1);
  const paper = protocol === "paper";
  out.protocol = {
    name: protocol,
    source: paper
      ? "Deisenroth and Rasmussen, ICML 2011 (2.5 s trials; 17.5 s = 7 trials) on pilco-matlab's cart-pole, cost, policy and GP"
      : "pilco-matlab scenarios/cartPole (settings_cp.m, cartPole_learn.m)",
    samplingTimeSeconds: dt,
    horizonSteps: sc.H,
    trialSeconds: +(sc.H * dt).toFixed(2),
    initialRandomTrials: 1,
    learnedTrialsAtMost: trials,
    policy: `RBF network with ${nBasis} centres, squashed to |u| <= 10`,
    policyOptimisation:
      `L-BFGS, ${iters} iterations (reference: 150 line searches)` +
      (predHorizon > 0
        ? `, on a ${predHorizon}-step (${+(predHorizon * dt).toFixed(2)} s) prediction`
        : ", on a prediction as long as the trial") +
      (restarts > 0 ? `; ${restarts} fresh random policies searched beside the current one each time, the best kept` : ""),
    costWidthMetres: 0.25,
    success: paper
      ? "pole tip within 0.25 m of the upright target for the last 0.5 s of a 2.5 s trial (holdsFor4s: the final policy, run once for 4 s and not counted, keeps it there for the last 1 s)"
      : "pole tip within 0.25 m of the upright target for the last 1 s of a trial",
    interactionCounted: "(1 random trial + learned trials up to and including the first success) x trialSeconds",
    paperNote: paper
      ? "The paper's 17.5 s is 7 trials of 2.5 s, the random one included; counted the same way here."
      : "The ICML 2011 paper reports about 17.5 s for the cart-pole with 2.5 s trials; --paper runs that protocol.",
  };
}
out.secondsPerMomentMatchingPass = mmTimes;
out.policyIters = iters;
out.maxTrials = trials;
out.maxData = maxData;
out.nBasis = nBasis;
out.inducing = inducing;
out.predictionHorizon = predHorizon > 0 ? predHorizon : null;
out.policyRestarts = restarts;
// Per trial (learned and initial, all systems and seeds; the moment-matching timings above included in "other").
Object.assign(out, clock.report(trialsRun, "Trial"));
if (outFile) {
  out.command = `npm run bench -- pilco ${args.join(" ")}`;
  out.trials = trialRecords;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(out) + "\n");
}
console.log(JSON.stringify({ ...out, trials: undefined }));
