/**
 * Model-based then model-free (MBMF, Nagabandi et al. 2018) on pendulum swing-up, against the same
 * model-free learner (SAC) from scratch. Real transitions on the x-axis, every phase counted:
 *
 *   MBMF:  MPC with a learned model and data aggregation (1 random + 4 MPC episodes), DAgger distils
 *          MPC into SAC's actor (its first labels are the 4 MPC episodes; 3 rounds, one real episode each),
 *          then SAC fine-tunes from there, its critic first fitted to transitions the learned model
 *          makes up, whose share of SAC's batches then fades to 0 over the fine-tuning (mbmf's
 *          fineTune.modelWarmup, on by default);
 *   MF:    SAC from scratch (400 random steps first), the same networks and rates.
 *
 * Evaluation: the mean return of each policy's deterministic action from 5 fixed random starts.
 * Reported: the curves (3 seeds), the model-free asymptote (mean of MF's last 5 evaluations), and the
 * real steps each method needs to reach it within 10 % (and to reach -300, as the Dyna benchmark does).
 *
 *   npm run bench -- mbmf [--quick] [--seeds N] [--fade STEPS] [--no-model-warmup] [--lr RATE] [--anchor W] [--awac LAMBDA] [--out FILE]
 *
 * --fade STEPS: the made-up transitions' share of SAC's batches falls to 0 over the first STEPS real
 * steps of the fine-tuning (default: all 6,000 of them). --lr: SAC's learning rate, for both methods
 * (default 1e-3).
 *
 * --no-model-warmup fits the fine-tuning's critic on the real transitions alone (1,000 critic-only
 * steps), as the run before the model warm-up existed did.
 *
 * --anchor W holds the fine-tuned actor near the planner's labels with behaviour-cloning weight W
 * (mbmf's fineTune.anchorWeight; default 0, off). --awac LAMBDA fine-tunes the actor by advantage-weighted
 * regression instead of SAC's own step (fineTune.awacLambda; default off).
 *
 * --out writes the figures to FILE too; notebook 13 plots datasets/results/mbmf.json, made by
 * `npm run bench -- mbmf --out datasets/results/mbmf.json`.
 */
import { backendInfo, initBackend } from "../../lib/core";
import { type DynaEvalPoint, disposeDynaResult, dynaStyle } from "../../lib/dyna/dyna";
import { disposeSac } from "../../lib/dyna/sac";
import { Pendulum } from "../../lib/envs";
import { MBMF_MODEL_WARMUP, type MbmfPoint, mbmf, startStates } from "../../lib/hybrid/mbmf";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { envReward } from "../../lib/models/oracle";
import { saveResult } from "../../lib/datasets";
import { PhaseClock } from "./phases";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const seedsArg = args.indexOf("--seeds");
const seeds = seedsArg >= 0 ? Number(args[seedsArg + 1]) : quick ? 1 : 3;
const outArg = args.indexOf("--out");
const out = outArg >= 0 ? args[outArg + 1] : null;
const anchorArg = args.indexOf("--anchor");
const anchorWeight = anchorArg >= 0 ? Number(args[anchorArg + 1]) : 0;
const awacArg = args.indexOf("--awac");
const awacLambda = awacArg >= 0 ? Number(args[awacArg + 1]) : undefined;
const modelWarmup = !args.includes("--no-model-warmup");
const lrArg = args.indexOf("--lr");
const fadeArg = args.indexOf("--fade");
// The made-up share's fade (mbmf's fineTune.modelWarmup.fadeSteps; default the whole fine-tuning).
const fadeSteps = fadeArg >= 0 ? Number(args[fadeArg + 1]) : undefined;

const EPISODE = quick ? 50 : 200;
const MF_STEPS = quick ? 400 : 10_000;
const FINE_TUNE_STEPS = quick ? 200 : 6_000;
const EVAL_EVERY = quick ? 100 : 400;
const EVAL_SEED_BASE = 900;
const EVAL_EPISODES = 5;
const SAC = { hidden: [64, 64], learningRate: lrArg >= 0 ? Number(args[lrArg + 1]) : 1e-3 };
const STATE_SCALE = [1, 1, 8];

interface Curve {
  realSteps: number[];
  evalReturn: number[];
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The first real-step count after which the seed-averaged curve stays at or above `level`. */
function stepsToStayAbove(points: { realSteps: number; evalReturn: number }[], level: number): number | null {
  let first: number | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].evalReturn < level) break;
    first = points[i].realSteps;
  }
  return first;
}

/** Seed curves averaged at each point index (the seeds share their real-step grid). */
function averaged(curves: Curve[]): { realSteps: number; evalReturn: number }[] {
  const len = Math.min(...curves.map((c) => c.realSteps.length));
  return Array.from({ length: len }, (_, i) => ({
    realSteps: curves[0].realSteps[i],
    evalReturn: mean(curves.map((c) => c.evalReturn[i])),
  }));
}

/** The figures of the seeds run so far (with --out, written after every seed, so a long run keeps what it has). */
function summarise(mf: Curve[], hybrid: Curve[], phases: MbmfPoint[][], t0: number) {
  const mfMean = averaged(mf);
  const hybridMean = averaged(hybrid);
  const asymptote = mean(mfMean.slice(-5).map((p) => p.evalReturn));
  // "Within 10 %" of a negative return: at most 10 % more cost.
  const target = asymptote - 0.1 * Math.abs(asymptote);
  const mfSteps = stepsToStayAbove(mfMean, target);
  const hybridSteps = stepsToStayAbove(hybridMean, target);
  const summary = {
    bench: "mbmf",
    command: `npm run bench -- mbmf${lrArg >= 0 ? ` --lr ${SAC.learningRate}` : ""}${fadeArg >= 0 ? ` --fade ${fadeSteps}` : ""}${modelWarmup ? "" : " --no-model-warmup"}${anchorWeight ? ` --anchor ${anchorWeight}` : ""}${
      awacLambda !== undefined ? ` --awac ${awacLambda}` : ""
    } --out datasets/results/mbmf.json`,
    backend: backendInfo().name,
    quick,
    seeds: mf.length,
    seedsRequested: seeds,
    system: `pendulum swing-up, ${EPISODE}-step episodes, ${EVAL_EPISODES} evaluation starts`,
    modelFreeAsymptote: asymptote,
    target,
    realStepsToTarget: { modelFree: mfSteps, mbmf: hybridSteps },
    speedup: mfSteps !== null && hybridSteps !== null ? mfSteps / hybridSteps : null,
    realStepsTo300: { modelFree: stepsToStayAbove(mfMean, -300), mbmf: stepsToStayAbove(hybridMean, -300) },
    mbmfPhases: phases.map((c) => c.filter((p) => p.phase !== "fine-tuned")),
    finalReturn: { modelFree: mfMean[mfMean.length - 1].evalReturn, mbmf: hybridMean[hybridMean.length - 1].evalReturn },
    curves: { modelFree: mf, mbmf: hybrid },
    secondsPerSeed: (Date.now() - t0) / 1000 / mf.length,
    secondsPerMpcDecision: clock.calls.planning ? Number((clock.seconds.planning / clock.calls.planning).toPrecision(3)) : null,
    // Per real step of both methods together (SAC from scratch and every MBMF phase).
    ...clock.report(realStepsRun, "RealStep", "other"),
  };
  console.log(
    `model-free asymptote ${asymptote.toFixed(1)}; real steps to within 10 %: SAC from scratch ${mfSteps ?? "never"}, MBMF ${hybridSteps ?? "never"}`,
  );
  return summary;
}

// Where the time goes: MPC decisions (phase 1 and the DAgger expert's labels both go through
// MpcController.act or cemPlan; only act is wrapped, so labels count as "other"), network updates and
// model fits, environment steps (evaluation episodes included).
const clock = new PhaseClock().environments().training().planning();
let realStepsRun = 0;

async function main(): Promise<void> {
  await initBackend();
  console.log(backendInfo().message);
  const t0 = Date.now();
  const mf: Curve[] = [];
  const hybrid: Curve[] = [];
  const phases: MbmfPoint[][] = [];
  for (let seed = 0; seed < seeds; seed++) {
    // Model-free from scratch.
    const env = new Pendulum({ seed, maxSteps: EPISODE });
    const res = await dynaStyle(env, {
      realSteps: MF_STEPS,
      useModel: false,
      sac: SAC,
      stateScale: STATE_SCALE,
      evalEvery: EVAL_EVERY,
      evalStarts: startStates(new Pendulum({ maxSteps: EPISODE }), EVAL_SEED_BASE, EVAL_EPISODES),
      seed,
      onEval: (p: DynaEvalPoint) => {
        if (p.realSteps % (5 * EVAL_EVERY) === 0)
          console.log(`seed ${seed} SAC from scratch: ${p.realSteps} steps, return ${p.evalReturn.toFixed(1)}`);
      },
    });
    mf.push({ realSteps: res.curve.map((p) => p.realSteps), evalReturn: res.curve.map((p) => p.evalReturn) });
    realStepsRun += MF_STEPS;
    disposeDynaResult(res);

    // MBMF.
    const env2 = new Pendulum({ seed: 100 + seed, maxSteps: EPISODE });
    const h = await mbmf({
      env: env2,
      model: new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], seed, maxEpochs: quick ? 5 : 100 }),
      reward: envReward(env2),
      modelBased: {
        baseEpisodes: 1,
        mpcEpisodes: quick ? 1 : 4,
        horizon: 20,
        cem: { population: quick ? 40 : 150, elites: quick ? 4 : 15, iterations: 4 },
      },
      distil: { iterations: quick ? 1 : 3, epochs: quick ? 10 : 60 },
      fineTune: {
        realSteps: FINE_TUNE_STEPS,
        // With the model warm-up its own default: no critic steps on the real transitions alone after it.
        criticWarmup: modelWarmup ? undefined : quick ? 50 : 1000,
        modelWarmup: modelWarmup
          ? quick
            ? { transitions: 2_000, steps: 100, fadeSteps: 100 }
            : { ...MBMF_MODEL_WARMUP, fadeSteps }
          : false,
        anchorWeight,
        awacLambda,
      },
      sac: SAC,
      stateScale: STATE_SCALE,
      evalSeedBase: EVAL_SEED_BASE,
      evalEpisodes: EVAL_EPISODES,
      evalEvery: EVAL_EVERY,
      seed,
      onPoint: (p) => {
        if (p.phase !== "fine-tuned" || p.realSteps % (2 * EVAL_EVERY) < EVAL_EVERY) {
          console.log(`seed ${seed} MBMF ${p.phase}: ${p.realSteps} steps, return ${p.evalReturn.toFixed(1)}`);
        }
      },
    });
    phases.push(h.curve);
    realStepsRun += h.curve[h.curve.length - 1].realSteps;
    hybrid.push({ realSteps: h.curve.map((p) => p.realSteps), evalReturn: h.curve.map((p) => p.evalReturn) });
    disposeSac(h.agent);
    if (out) {
      saveResult(out, summarise(mf, hybrid, phases, t0));
    }
  }

  const summary = summarise(mf, hybrid, phases, t0);
  console.log(JSON.stringify(summary));
}

void main();
