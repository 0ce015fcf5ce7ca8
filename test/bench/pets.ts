/**
 * Benchmark of PETS (issue 7): probabilistic ensembles with trajectory sampling on cart-pole swing-up.
 *
 *   npm run bench -- pets [--quick] [--seeds N] [--trials K] [--ablation-seeds M] [--no-ablation] [--ablation-only]
 *
 * Cart-pole (lib/envs/cartpole.ts) with the PETS reward exp(-|tip - upright tip|^2 / l^2) - 0.01 u^2,
 * trials of `trialSteps` steps from the hanging position. For each seed:
 *  - PETS (PE-TS1): 1 random trial, then K trials of CEM-MPC through the ensemble (20 particles,
 *    TS1), refitting the ensemble before each trial;
 *  - the oracle: the same planner with the true dynamics (no learning), on the same start states;
 *  - a random policy.
 * trialsTo90PercentOfOracle is the first trial where the mean PETS return over seeds reaches 90 % of
 * the oracle's mean return. The ablation D / P / DE / PE (deterministic or probabilistic, one net or
 * an ensemble of 5, all TS1) reports for each the first trial whose return (mean over the ablation
 * seeds) reaches the same threshold (null if never within K trials); PE's numbers are the main run's.
 * With --ablation-only the PE runs are skipped (oracle, random and D / P / DE only; PE's ablation
 * entry is then null: take it from a main run on the same seeds, which is the same computation).
 * Compute (2 shared cores, wasm): the sizes below are chosen so that the whole run takes well under
 * an hour; the config printed in the last line says what ran.
 */
import { backendInfo, initBackend, makeRng } from "../../lib/core";
import { CartPole } from "../../lib/envs/cartpole";
import { randomPolicy, runEpisode, mean } from "../../lib/mbrl/collect";
import { envReward, oracleModel } from "../../lib/models/oracle";
import { type AblationVariant, ablationModel, runPets, trialsToThreshold } from "../../lib/pets/pets";
import type { PetsPlannerConfig } from "../../lib/pets/planner";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const num = (flag: string, dflt: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SEEDS = num("--seeds", quick ? 1 : 3);
const TRIALS = num("--trials", quick ? 2 : 15);
const ABL_SEEDS = args.includes("--no-ablation") ? 0 : num("--ablation-seeds", quick ? 1 : 1);
const ORACLE_TRIALS = quick ? 1 : 3;
const ABLATION_ONLY = args.includes("--ablation-only");

const config = {
  trialSteps: quick ? 15 : 40,
  members: 5,
  hiddenSizes: quick ? [32, 32] : [128, 128],
  epochsPerRound: 5,
  minStepsPerRound: quick ? 20 : 200,
  batchSize: 32,
  planner: {
    population: quick ? 20 : 50,
    elites: quick ? 4 : 5,
    iterations: 3,
    horizon: quick ? 8 : 12,
    particles: quick ? 5 : 20,
    propagation: "TS1",
    alpha: 0.1,
  } as PetsPlannerConfig,
};

const t0 = performance.now();
const elapsed = () => ((performance.now() - t0) / 1000).toFixed(0) + " s";
const r1 = (x: number) => Math.round(x * 10) / 10;

function makeEnv(seed: number) {
  return new CartPole({ reward: "pets", maxSteps: config.trialSteps, seed });
}

const modelBase = (seed: number) => ({
  stateDim: 4,
  actionDim: 1,
  angleDims: [2],
  hiddenSizes: config.hiddenSizes,
  epochs: config.epochsPerRound,
  minSteps: config.minStepsPerRound,
  batchSize: config.batchSize,
  seed,
});

async function petsRun(variant: AblationVariant, seed: number, label: string, stopAt?: number) {
  const env = makeEnv(seed);
  const model = ablationModel(variant, modelBase(seed), config.members);
  const res = await runPets({
    env,
    model,
    reward: envReward(env),
    planner: config.planner,
    trials: TRIALS,
    seed,
    onTrial: (t) => {
      console.log(
        `  ${label} seed ${seed} trial ${t.trial}: return ${t.return.toFixed(1)} (train ${t.trainSeconds.toFixed(1)} s, ` +
          `${t.decisionSeconds.toFixed(3)} s/decision) [${elapsed()}]`,
      );
      return stopAt !== undefined && t.return >= stopAt;
    },
  });
  model.dispose();
  return {
    returns: res.trials.map((t) => t.return),
    trainSeconds: res.trials.map((t) => t.trainSeconds),
    decisionSeconds: res.trials.map((t) => t.decisionSeconds),
  };
}

async function oracleReturns(seed: number): Promise<number[]> {
  const env = makeEnv(seed);
  // The same start states as PETS's first MPC trials (trial k starts from seed * 1000 + k).
  const res = await runPets({ env, model: oracleModel(env), reward: envReward(env), planner: config.planner, trials: ORACLE_TRIALS, learn: false, seed });
  return res.trials.map((t) => t.return);
}

function randomReturns(seed: number): number[] {
  const env = makeEnv(seed);
  const rng = makeRng(seed + 77);
  return Array.from({ length: 3 }, (_, k) => runEpisode(env, randomPolicy(env, rng), { seed: seed * 1000 + 1 + k }).return);
}

(async () => {
  await initBackend();
  const backend = backendInfo().name + (backendInfo().simd ? "+simd" : "");
  console.log(`pets: ${SEEDS} seed(s), ${TRIALS} trials${quick ? " (quick)" : ""}; ${backendInfo().message}`);
  console.log(`config: ${JSON.stringify(config)}`);
  const oracle: number[] = [];
  const random: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const o = await oracleReturns(seed);
    oracle.push(...o);
    random.push(...randomReturns(seed));
    console.log(`seed ${seed}: oracle returns ${o.map(r1).join(", ")} [${elapsed()}]`);
  }
  const oracleReturn = mean(oracle);
  const threshold = 0.9 * oracleReturn;
  console.log(`oracle mean return ${r1(oracleReturn)}, random ${r1(mean(random))}, threshold (90 %) ${r1(threshold)}`);

  const pe: Awaited<ReturnType<typeof petsRun>>[] = [];
  if (!ABLATION_ONLY) for (let seed = 1; seed <= SEEDS; seed++) pe.push(await petsRun("PE", seed, "PE"));
  const returnByTrial = ABLATION_ONLY ? [] : Array.from({ length: TRIALS }, (_, k) => mean(pe.map((r) => r.returns[k])));
  const trialsTo90 = trialsToThreshold(returnByTrial, threshold);
  console.log(`PE mean return by trial: ${returnByTrial.map(r1).join(", ")}; reaches 90 % of the oracle at trial ${trialsTo90}`);

  // Ablation: D, P, DE on the first ABL_SEEDS seeds (PE from the main run), each stopped once its
  // return reaches the threshold (with one seed; with several, all trials run).
  const ablation: Record<AblationVariant, number | null> = { D: null, P: null, DE: null, PE: null };
  const ablationReturns: Partial<Record<AblationVariant, number[]>> = {};
  if (ABL_SEEDS > 0) {
    for (const v of ["D", "P", "DE"] as AblationVariant[]) {
      const runs: Awaited<ReturnType<typeof petsRun>>[] = [];
      for (let seed = 1; seed <= ABL_SEEDS; seed++) runs.push(await petsRun(v, seed, v, ABL_SEEDS === 1 ? threshold : undefined));
      const len = Math.max(...runs.map((r) => r.returns.length));
      const curve = Array.from({ length: len }, (_, k) => mean(runs.map((r) => r.returns[Math.min(k, r.returns.length - 1)])));
      ablationReturns[v] = curve.map(r1);
      ablation[v] = trialsToThreshold(curve, threshold);
      console.log(`${v}: trials to threshold ${ablation[v]} [${elapsed()}]`);
    }
    if (!ABLATION_ONLY) {
      const peCurve = Array.from({ length: TRIALS }, (_, k) => mean(pe.slice(0, ABL_SEEDS).map((r) => r.returns[k])));
      ablationReturns.PE = peCurve.map(r1);
      ablation.PE = trialsToThreshold(peCurve, threshold);
    }
  }
  const allDecision = pe.flatMap((r) => r.decisionSeconds);
  const allTrain = pe.flatMap((r) => r.trainSeconds);
  const out = {
    bench: "pets",
    quick,
    seeds: SEEDS,
    trials: TRIALS,
    oracleReturn: r1(oracleReturn),
    randomReturn: r1(mean(random)),
    threshold: r1(threshold),
    returnByTrial: returnByTrial.map(r1),
    returnByTrialPerSeed: pe.map((r) => r.returns.map(r1)),
    trialsTo90PercentOfOracle: trialsTo90,
    ablation,
    ablationSeeds: ABL_SEEDS,
    ablationReturnByTrial: ablationReturns,
    ablationOnly: ABLATION_ONLY,
    secondsPerDecision: allDecision.length ? Number(mean(allDecision).toPrecision(3)) : null,
    secondsPerTrainingRound: allTrain.length ? Number(mean(allTrain).toPrecision(3)) : null,
    backend,
    config: { ...config, oracleTrialsPerSeed: ORACLE_TRIALS, randomTrialsPerSeed: 3 },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
  console.log(JSON.stringify(out));
})();
