/**
 * Dyna-style acceleration on pendulum swing-up: the same soft actor-critic learner trained on real
 * transitions only (1 gradient step per real step, the usual SAC setting) and inside the Dyna loop
 * (a 5-member probabilistic ensemble refitted every 250 steps, k-step rollouts branched from real
 * states with a random member per transition, batches of 10 % real and 90 % simulated transitions,
 * 10 gradient steps per real step). Return of the deterministic policy (mean over 5 fixed start
 * states) against real transitions, 3 seeds.
 *
 *   npm run bench -- dyna-style [--quick] [--seeds N] [--out FILE]
 *
 * --out writes the figures (with every seed's curve) to FILE too; notebook 07 plots
 * datasets/results/dyna-style.json, made by `npm run bench -- dyna-style --out datasets/results/dyna-style.json`.
 *
 * Last line: {"bench":"dyna-style","seeds":3,"realTransitionsWithModel":N,"realTransitionsWithoutModel":N,...}
 * where each count is the real transitions after which the seed-averaged return reaches -300 and stays there.
 */
import { PhaseClock } from "./phases";
import { backendInfo, initBackend } from "../../lib/core";
import { Pendulum } from "../../lib/envs";
import {
  type DynaEvalPoint,
  type DynaStyleConfig,
  disposeDynaResult,
  dynaStyle,
  pendulumObservationReward,
  realStepsToReach,
} from "../../lib/dyna/dyna";
import { saveResult } from "../../lib/datasets";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const seedsArg = args.indexOf("--seeds");
const seeds = seedsArg >= 0 ? Number(args[seedsArg + 1]) : quick ? 1 : 3;
const threshold = -300;
const outArg = args.indexOf("--out");
const out = outArg >= 0 ? args[outArg + 1] : undefined;

function evalStarts(): number[][] {
  // Five fixed starts from the benchmark's own start distribution (uniform angle, small speed).
  return [0, 1, 2, 3, 4].map((i) => {
    const e = new Pendulum({ seed: 900 + i });
    e.reset(900 + i);
    return e.getState();
  });
}

async function main(): Promise<void> {
  await initBackend();
  const clock = new PhaseClock().environments().training();
  console.log(backendInfo().message);
  const common = {
    randomSteps: 400,
    batchSize: 256,
    stateScale: [1, 1, 8],
    evalEvery: 100,
    evalStarts: evalStarts(),
  };
  const withoutModel: Omit<DynaStyleConfig, "seed"> = {
    ...common,
    useModel: false,
    realSteps: quick ? 600 : 5000,
    updatesPerStep: 1,
  };
  const withModel: Omit<DynaStyleConfig, "seed"> = {
    ...common,
    useModel: true,
    realSteps: quick ? 600 : 2000,
    updatesPerStep: quick ? 3 : 10,
    horizon: 3,
    rolloutEvery: 50,
    rolloutsPerStep: 20,
    realRatio: 0.1,
    modelEvery: 250,
    modelEpochs: quick ? 10 : 20,
    reward: pendulumObservationReward,
  };
  const t0 = Date.now();
  const curves: Record<"model" | "free", DynaEvalPoint[][]> = { model: [], free: [] };
  for (const [name, cfg] of [
    ["model", withModel],
    ["free", withoutModel],
  ] as const) {
    for (let seed = 0; seed < seeds; seed++) {
      const res = await dynaStyle(new Pendulum({ seed }), {
        ...cfg,
        seed,
        onEval: (p) => {
          {
            console.log(
              `${name === "model" ? "with model   " : "without model"} seed ${seed}: ${String(p.realSteps).padStart(5)} real steps, ` +
                `return ${p.evalReturn.toFixed(0).padStart(6)}, ${p.updates} updates, ${p.seconds.toFixed(0)} s`,
            );
          }
        },
      });
      curves[name].push(res.curve);
      disposeDynaResult(res);
    }
  }
  const mean = (cs: DynaEvalPoint[][]) =>
    cs[0].map((p, i) => ({ realSteps: p.realSteps, evalReturn: Math.round(cs.reduce((s, c) => s + c[i].evalReturn, 0) / cs.length) }));
  const meanModel = mean(curves.model);
  const meanFree = mean(curves.free);
  console.log("mean return vs real transitions, with model:   " + meanModel.map((p) => `${p.realSteps}:${p.evalReturn}`).join(" "));
  console.log("mean return vs real transitions, without model: " + meanFree.map((p) => `${p.realSteps}:${p.evalReturn}`).join(" "));
  const nModel = realStepsToReach(curves.model, threshold);
  const nFree = realStepsToReach(curves.free, threshold);
  console.log(
    `real transitions to reach a mean return of ${threshold} and stay there: with model ${nModel ?? "not reached"}, ` +
      `without ${nFree ?? "not reached"}` +
      (nModel && nFree ? ` (${(nFree / nModel).toFixed(1)}x fewer with the model)` : ""),
  );
  const perSeed = (cs: DynaEvalPoint[][]) => cs.map((c) => c.map((p) => Math.round(p.evalReturn)));
  const figures = {
    bench: "dyna-style",
    command: "npm run bench -- dyna-style --out datasets/results/dyna-style.json",
    seeds,
    quick,
    threshold,
    realTransitionsWithModel: nModel,
    realTransitionsWithoutModel: nFree,
    ratio: nModel && nFree ? Math.round((nFree / nModel) * 100) / 100 : null,
    curveWithModel: meanModel,
    curveWithoutModel: meanFree,
    // The returns of each seed at the same real-step marks as the means.
    seedReturnsWithModel: perSeed(curves.model),
    seedReturnsWithoutModel: perSeed(curves.free),
    backend: backendInfo().name,
    seconds: Math.round((Date.now() - t0) / 1000),
    // Per real environment step (evaluation episodes included); training covers the model fits and
    // SAC's updates, the rest is mostly the imagined rollouts (Dyna's planning).
    ...clock.report(clock.calls.environment, "RealStep", "rolloutsAndOther"),
  };
  if (out) saveResult(out, figures);
  console.log(JSON.stringify(figures));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
