/**
 * Benchmark of model-based RL versions 0.5 to 2.0 (issue 6).
 *
 *   npm run bench -- mbrl-versions [--quick] [--seeds N]
 *
 * Pendulum swing-up (Gym constants, 200-step episodes, random starts):
 *  - v1.5: CEM-MPC through a learned normalised-delta MLP; 1 random episode then 9 MPC episodes
 *    (10 real episodes = 2,000 transitions), refit after each; then 10 evaluation episodes.
 *  - v2.0: backpropagation through the learned MLP into a neural policy; 1 random episode then
 *    rounds of (fit, 50 policy gradient steps over 40-step model rollouts, run the policy); then 10
 *    evaluation episodes of the deterministic policy.
 * Hill ("climb as high as possible"): v0.5's open-loop plan (predicted vs real return) from a learned
 * MLP dynamics model and a learned reward model, and v1.0 after 8 rounds of aggregate-and-refit.
 * Also: seconds per MPC decision and per training epoch of the dynamics MLP, with the backend.
 * Last line: one JSON object of the figures.
 */
import { PhaseClock } from "./phases";
import { backendInfo, initBackend, makeRng } from "../../lib/core";
import { Hill } from "../../lib/envs/hill";
import { Pendulum } from "../../lib/envs/pendulum";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { envReward } from "../../lib/models/oracle";
import { RewardModel } from "../../lib/models/reward";
import type { Dataset, DynamicsModel, FitReport } from "../../lib/models/types";
import { evaluatePolicy, mean } from "../../lib/mbrl/collect";
import { NeuralPolicy } from "../../lib/mbrl/policy";
import { mbrlV05 } from "../../lib/mbrl/v05";
import { mbrlV10 } from "../../lib/mbrl/v10";
import { mbrlV15, mpcPolicy } from "../../lib/mbrl/v15";
import { mbrlV20 } from "../../lib/mbrl/v20";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const seedsArg = args.indexOf("--seeds");
const SEEDS = seedsArg >= 0 ? Number(args[seedsArg + 1]) : quick ? 1 : 3;

const S = quick
  ? { pendSteps: 40, v15Mpc: 1, v20Iters: 1, policySteps: 3, evalEps: 1, hillSteps: 30, hillRounds: 2, cemPop: 60, hillPop: 60 }
  : { pendSteps: 200, v15Mpc: 9, v20Iters: 12, policySteps: 50, evalEps: 10, hillSteps: 100, hillRounds: 8, cemPop: 150, hillPop: 300 };

const t0 = performance.now();
const elapsed = () => ((performance.now() - t0) / 1000).toFixed(0) + " s";
const epochSeconds: number[] = [];

/** The dynamics MLP for the pendulum (angle as cos/sin), recording seconds per epoch of each fit. */
function pendulumModel(seed: number): MlpDynamicsModel {
  const m = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], seed, maxEpochs: quick ? 5 : 100 });
  const fit = m.fit.bind(m);
  m.fit = async (D: Dataset) => {
    const r = await fit(D);
    if (r.epochs > 0) epochSeconds.push(r.seconds / r.epochs);
    return r;
  };
  return m;
}

/** A learned dynamics model whose fit also refits a learned reward model (the hill's reward is unknown to the agent). */
function withReward(model: DynamicsModel, reward: RewardModel): DynamicsModel {
  return {
    name: model.name,
    stateDim: model.stateDim,
    actionDim: model.actionDim,
    predict: model.predict.bind(model),
    predictBatch: model.predictBatch.bind(model),
    async fit(D: Dataset): Promise<FitReport> {
      await reward.fit(D);
      return model.fit(D);
    },
  };
}

async function pendulumV15(seed: number) {
  const env = new Pendulum({ seed, maxSteps: S.pendSteps });
  const res = await mbrlV15({
    env,
    model: pendulumModel(seed),
    reward: envReward(env),
    baseEpisodes: 1,
    mpcEpisodes: S.v15Mpc,
    horizon: 20,
    cem: { population: S.cemPop, elites: Math.round(S.cemPop / 10), iterations: 4 },
    seed,
    onEpisode: (e) =>
      console.log(`  seed ${seed} v1.5 episode ${e.episode}: return ${e.return.toFixed(1)} (${e.transitions} transitions) [${elapsed()}]`),
  });
  const trainDecisions = res.controller.planSeconds.length;
  const returns = evaluatePolicy(env, mpcPolicy(res.controller, makeRng(seed + 500)), S.evalEps, 10_000 + 100 * seed);
  const evalSeconds = res.controller.planSeconds.slice(trainDecisions);
  return { meanReturn: mean(returns), returns, realEpisodes: res.realEpisodes, secondsPerDecision: mean(evalSeconds) };
}

async function pendulumV20(seed: number) {
  const env = new Pendulum({ seed, maxSteps: S.pendSteps });
  const policy = new NeuralPolicy({
    stateDim: 2,
    actionDim: 1,
    actionLow: [-2],
    actionHigh: [2],
    angleDims: [0],
    seed: seed + 1,
    learningRate: 3e-3,
  });
  const res = await mbrlV20({
    env,
    model: pendulumModel(seed),
    reward: envReward(env),
    policy,
    baseEpisodes: 1,
    iterations: S.v20Iters,
    horizon: quick ? 10 : 40,
    policySteps: S.policySteps,
    batchSize: 64,
    seed,
    onIteration: (r) =>
      console.log(
        `  seed ${seed} v2.0 round ${r.iteration}: return ${r.return.toFixed(1)}, J ${r.objective.toFixed(1)}, |grad| ${r.gradNorm.toFixed(1)} [${elapsed()}]`,
      ),
  });
  const t = performance.now();
  const returns = evaluatePolicy(env, policy.asStatePolicy(), S.evalEps, 10_000 + 100 * seed);
  const secondsPerAction = (performance.now() - t) / 1000 / (S.evalEps * S.pendSteps);
  policy.dispose();
  return { meanReturn: mean(returns), returns, realEpisodes: res.realEpisodes, secondsPerAction };
}

async function hill(seed: number) {
  const make = () => {
    const reward = new RewardModel({ stateDim: 1, actionDim: 1, inputs: "next", hiddenSizes: [32, 32], seed, epochs: quick ? 10 : 100 });
    const model = new MlpDynamicsModel({ stateDim: 1, actionDim: 1, hiddenSizes: [32, 32], seed, maxEpochs: quick ? 5 : 100 });
    return { reward, model: withReward(model, reward) };
  };
  const env = new Hill({ seed, maxSteps: S.hillSteps, startStd: 1 });
  const cem = { population: S.hillPop, elites: S.hillPop / 10, iterations: 8 };
  const a = make();
  const v05 = await mbrlV05({ env, model: a.model, reward: a.reward, baseEpisodes: 10, cem, actionRepeat: 10, evalSeed: 7 + seed, seed });
  console.log(`  seed ${seed} hill v0.5: predicted ${v05.predicted.toFixed(1)}, real ${v05.real.toFixed(1)} [${elapsed()}]`);
  const b = make();
  const v10 = await mbrlV10({
    env,
    model: b.model,
    reward: b.reward,
    baseEpisodes: 10,
    iterations: S.hillRounds,
    cem,
    actionRepeat: 10,
    evalSeed: 7 + seed,
    seed,
    onIteration: (r) =>
      console.log(
        `  seed ${seed} hill v1.0 round ${r.iteration}: predicted ${r.predicted.toFixed(1)}, real ${r.real.toFixed(1)} [${elapsed()}]`,
      ),
  });
  const last = v10.rounds[v10.rounds.length - 1];
  return { v05: { predicted: v05.predicted, real: v05.real }, v10: { predicted: last.predicted, real: last.real } };
}

(async () => {
  await initBackend();
  const clock = new PhaseClock().environments().training().planning();
  console.log(`mbrl-versions: ${SEEDS} seed(s)${quick ? " (quick)" : ""}; ${backendInfo().message}`);
  const v15: Awaited<ReturnType<typeof pendulumV15>>[] = [];
  const v20: Awaited<ReturnType<typeof pendulumV20>>[] = [];
  const hills: Awaited<ReturnType<typeof hill>>[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    hills.push(await hill(seed));
    v15.push(await pendulumV15(seed));
    console.log(`seed ${seed} v1.5: mean eval return ${v15[seed - 1].meanReturn.toFixed(1)} [${elapsed()}]`);
    v20.push(await pendulumV20(seed));
    console.log(`seed ${seed} v2.0: mean eval return ${v20[seed - 1].meanReturn.toFixed(1)} [${elapsed()}]`);
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const out = {
    bench: "mbrl-versions",
    quick,
    seeds: SEEDS,
    pendulum: {
      "v1.5": {
        meanReturn: r1(mean(v15.map((r) => r.meanReturn))),
        perSeed: v15.map((r) => r1(r.meanReturn)),
        realEpisodes: v15[0].realEpisodes,
        evalEpisodes: S.evalEps,
      },
      "v2.0": {
        meanReturn: r1(mean(v20.map((r) => r.meanReturn))),
        perSeed: v20.map((r) => r1(r.meanReturn)),
        realEpisodes: v20[0].realEpisodes,
        evalEpisodes: S.evalEps,
      },
    },
    hill: {
      "v0.5": { predicted: r1(mean(hills.map((h) => h.v05.predicted))), real: r1(mean(hills.map((h) => h.v05.real))) },
      "v1.0": { predicted: r1(mean(hills.map((h) => h.v10.predicted))), real: r1(mean(hills.map((h) => h.v10.real))) },
      perSeed: hills,
    },
    secondsPerDecision: Number(mean(v15.map((r) => r.secondsPerDecision)).toPrecision(3)),
    secondsPerPolicyAction: Number(mean(v20.map((r) => r.secondsPerAction)).toPrecision(3)),
    secondsPerEpoch: Number(mean(epochSeconds).toPrecision(3)),
    // Per real environment step over the whole run (every version, evaluation included).
    ...clock.report(clock.calls.environment, "RealStep"),
    backend: backendInfo().name + (backendInfo().simd ? "+simd" : ""),
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  console.log(JSON.stringify(out));
})();
