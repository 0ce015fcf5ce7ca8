/**
 * Benchmark of planning in latent space from pixels (issue 22, notebook 12).
 *
 *   npm run bench -- latent [--quick] [--seeds N]
 *
 * Pendulum swing-up (Gym constants, 200-step episodes, random starts), seen as 32 x 32 images, two
 * stacked frames:
 *  - latent MPC (PlaNet-style loop, lib/mbrl/latentMpc.ts): random episodes, train the latent world
 *    model, then (CEM-MPC episode in latent space, aggregate, train) repeatedly;
 *  - beside it, state-based MPC (version 1.5, notebook 02): the same CEM settings through a normalised
 *    delta MLP on the true state, with the true reward.
 * Figures: return per episode vs real steps for both (3 seeds); the state-based final return (mean of
 * its last three episodes) and the real steps it needs to come within 20 % of it; the best pixel
 * return within 5x those steps and whether it is within 20 % too (the goal); the latent
 * model's reconstruction and k-step prediction error (pixels, per image) on held-out random episodes;
 * render throughput (frames per second of the rasteriser, steps per second of the pixel system);
 * seconds per planning decision and per training step.
 * --out FILE writes the figures after every seed; notebook 12 plots datasets/results/latent.json, made by
 * `npm run bench -- latent --out datasets/results/latent.json`. Last line: JSON.
 */
import * as path from "path";
import { backendInfo, initBackend, makeRng } from "../../lib/core";
import { Pendulum } from "../../lib/envs/pendulum";
import { PENDULUM_PIXELS, PixelEnv, renderStates } from "../../lib/envs/pixels";
import { LatentWorldModel } from "../../lib/models/latent";
import { collectPixelEpisode, latentMpc, randomPixelPolicy } from "../../lib/mbrl/latentMpc";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { envReward } from "../../lib/models/oracle";
import { mean } from "../../lib/mbrl/collect";
import { mbrlV15 } from "../../lib/mbrl/v15";
import { saveResult } from "../../lib/datasets";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outArg = args.indexOf("--out");
const out = outArg >= 0 ? args[outArg + 1] : null;
const seedsArg = args.indexOf("--seeds");
const SEEDS = seedsArg >= 0 ? Number(args[seedsArg + 1]) : quick ? 1 : 3;

/** Every setting of the run in one table. */
const S = quick
  ? {
      steps: 30,
      stateEpisodes: 2,
      pixelSeedEpisodes: 2,
      pixelEpisodes: 1,
      initTrain: 10,
      trainPerEp: 5,
      pop: 20,
      iters: 1,
      horizon: 5,
      heldOut: 1,
    }
  : {
      steps: 200,
      stateEpisodes: 6,
      pixelSeedEpisodes: 2,
      pixelEpisodes: 8,
      initTrain: 300,
      trainPerEp: 100,
      pop: 100,
      iters: 3,
      horizon: 15,
      heldOut: 2,
    };
const CEM = { population: S.pop, elites: Math.max(2, Math.round(S.pop / 10)), iterations: S.iters };
const K_EVAL = 10;

const t0 = performance.now();
const elapsed = () => ((performance.now() - t0) / 1000).toFixed(0) + " s";

/** Frames per second of the rasteriser alone, and steps per second of the pixel pendulum. */
function renderThroughput(): { framesPerSecond: number; envStepsPerSecond: number } {
  const rng = makeRng(0);
  const n = 2000;
  const states = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) states[i] = rng.uniform(-Math.PI, Math.PI);
  let frames = 0;
  const ta = performance.now();
  while (performance.now() - ta < 1000) {
    renderStates(PENDULUM_PIXELS, states, 2, 0.05, 32, 2);
    frames += 2 * n;
  }
  const framesPerSecond = frames / ((performance.now() - ta) / 1000);
  const env = new PixelEnv(new Pendulum({ seed: 0 }));
  env.reset(0);
  let steps = 0;
  const tb = performance.now();
  while (performance.now() - tb < 1000) {
    env.step([rng.uniform(-2, 2)]);
    if (env.t >= env.maxSteps) env.reset();
    steps++;
  }
  return { framesPerSecond, envStepsPerSecond: steps / ((performance.now() - tb) / 1000) };
}

async function stateMpc(seed: number) {
  const env = new Pendulum({ seed, maxSteps: S.steps });
  const model = new MlpDynamicsModel({ stateDim: 2, actionDim: 1, angleDims: [0], hiddenSizes: [64, 64], maxEpochs: quick ? 5 : 40, seed });
  const res = await mbrlV15({
    env,
    model,
    reward: envReward(env),
    baseEpisodes: 1,
    mpcEpisodes: S.stateEpisodes - 1,
    horizon: S.horizon,
    cem: CEM,
    seed,
    onEpisode: (e) =>
      console.log(
        `  seed ${seed} state MPC episode ${e.episode}: return ${e.return.toFixed(1)} (${e.transitions} real steps) [${elapsed()}]`,
      ),
  });
  return {
    curve: res.curve.map((c) => ({ episode: c.episode, return: c.return, realSteps: c.transitions })),
    secondsPerDecision: mean(res.controller.planSeconds),
  };
}

function pixelMpc(seed: number) {
  const env = new PixelEnv(new Pendulum({ seed, maxSteps: S.steps }));
  const model = new LatentWorldModel({
    obsDim: env.obsDim,
    actionDim: 1,
    actionScale: 2,
    seed,
    ...(quick ? { encoderHidden: [32], transitionHidden: [32] } : {}),
  });
  const res = latentMpc({
    env,
    model,
    seedEpisodes: S.pixelSeedEpisodes,
    episodes: S.pixelEpisodes,
    initialTrainSteps: S.initTrain,
    trainStepsPerEpisode: S.trainPerEp,
    horizon: S.horizon,
    cem: CEM,
    seed,
    onEpisode: (e) =>
      console.log(
        `  seed ${seed} latent MPC episode ${e.episode}: return ${e.return.toFixed(1)} (${e.realSteps} real steps; ` +
          `${(1000 * e.decisionSeconds).toFixed(0)} ms per decision, train ${e.trainSeconds.toFixed(0)} s) [${elapsed()}]`,
      ),
  });
  // held-out random episodes: reconstruction and k-step open-loop prediction error
  const rng = makeRng(1000 + seed);
  const heldOut = Array.from({ length: S.heldOut }, (_, i) =>
    collectPixelEpisode(env, randomPixelPolicy(env, rng), { seed: 5000 + 10 * seed + i }),
  );
  const err = model.predictionErrors(heldOut, quick ? 3 : K_EVAL);
  const trainSteps = model.steps;
  model.dispose();
  return {
    curve: res.curve,
    secondsPerDecision: mean(res.decisionSeconds),
    secondsPerTrainStep: res.trainSeconds / trainSteps,
    reconstruction: err.reconstruction,
    predictionByStep: err.byStep,
  };
}

/** Mean over seeds of each episode's return (curves of equal length). */
function meanCurve(curves: { return: number; realSteps: number }[][]): { realSteps: number; return: number }[] {
  return curves[0].map((p, i) => ({ realSteps: p.realSteps, return: mean(curves.map((c) => c[i].return)) }));
}

type StateRun = Awaited<ReturnType<typeof stateMpc>>;
type PixelRun = ReturnType<typeof pixelMpc>;

/** The benchmark's figures from the seeds run so far. */
function summarise(
  state: StateRun[],
  pixel: PixelRun[],
  throughput: { framesPerSecond: number; envStepsPerSecond: number },
): Record<string, unknown> {
  const stateMean = meanCurve(state.map((s) => s.curve));
  const pixelMean = meanCurve(pixel.map((p) => p.curve));
  const last = stateMean.slice(-3);
  const stateFinal = mean(last.map((p) => p.return));
  // Returns are negative: "within 20 %" of R means at least 1.2 R.
  const target = stateFinal < 0 ? 1.2 * stateFinal : 0.8 * stateFinal;
  const reached = stateMean.find((p) => p.return >= target);
  const stateStepsNeeded = reached ? reached.realSteps : stateMean[stateMean.length - 1].realSteps;
  const budget = 5 * stateStepsNeeded;
  const inBudget = pixelMean.filter((p) => p.realSteps <= budget);
  const pixelBest = inBudget.length > 0 ? Math.max(...inBudget.map((p) => p.return)) : null;
  const pixelFirst = pixelMean.find((p) => p.return >= target);
  const figures = {
    bench: "latent",
    quick,
    seeds: state.length,
    backend: backendInfo().name,
    episodeSteps: S.steps,
    image: "32x32, 2 frames",
    cem: { ...CEM, horizon: S.horizon },
    stateFinalReturn: stateFinal,
    stateStepsToWithin20pct: stateStepsNeeded,
    pixelBestReturnWithin5x: pixelBest,
    pixelStepsToWithin20pct: pixelFirst ? pixelFirst.realSteps : null,
    goalReached: pixelBest !== null && pixelBest >= target,
    pixelFinalReturn: mean(pixelMean.slice(-3).map((p) => p.return)),
    pixelRealSteps: pixelMean[pixelMean.length - 1].realSteps,
    stateCurve: stateMean,
    pixelCurve: pixelMean,
    reconstructionError: mean(pixel.map((p) => p.reconstruction)),
    predictionErrorByStep: pixel[0].predictionByStep.map((_, j) => mean(pixel.map((p) => p.predictionByStep[j]))),
    renderFramesPerSecond: Math.round(throughput.framesPerSecond),
    pixelEnvStepsPerSecond: Math.round(throughput.envStepsPerSecond),
    secondsPerDecisionPixel: mean(pixel.map((p) => p.secondsPerDecision)),
    secondsPerDecisionState: mean(state.map((s) => s.secondsPerDecision)),
    secondsPerTrainStep: mean(pixel.map((p) => p.secondsPerTrainStep)),
    seconds: (performance.now() - t0) / 1000,
  };
  return figures;
}

function writeResults(out: string, figures: Record<string, unknown>, state: StateRun[], pixel: PixelRun[]): void {
  const perSeed = { state: state.map((s) => s.curve), pixel: pixel.map((p) => p.curve) };
  const record = {
    bench: "latent",
    command: "npm run bench -- latent --out datasets/results/latent.json",
    date: new Date().toISOString(),
    ...figures,
    perSeed,
  };
  saveResult(out, record);
  console.log(`wrote ${path.relative(process.cwd(), path.resolve(out))}`);
}

async function main() {
  await initBackend();
  console.log(`latent benchmark (${quick ? "quick" : "full"}, ${SEEDS} seeds), backend ${backendInfo().name}`);
  const throughput = renderThroughput();
  console.log(
    `render: ${throughput.framesPerSecond.toFixed(0)} frames/s (32 x 32); pixel pendulum ${throughput.envStepsPerSecond.toFixed(0)} steps/s [${elapsed()}]`,
  );
  const state: StateRun[] = [];
  const pixel: PixelRun[] = [];
  let figures: Record<string, unknown> = {};
  for (let seed = 0; seed < SEEDS; seed++) {
    state.push(await stateMpc(seed));
    pixel.push(pixelMpc(seed));
    figures = summarise(state, pixel, throughput);
    // written after every seed, so a long run that is stopped still leaves its figures so far
    if (out) writeResults(out, figures, state, pixel);
  }
  console.log(JSON.stringify(figures));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
