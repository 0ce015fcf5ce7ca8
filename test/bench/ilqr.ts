/**
 * iLQR on the two-link arm (lecture 004).
 *
 *   npm run bench -- ilqr [--quick]
 *
 * 1. With the TRUE dynamics (finite-difference Jacobians of the simulator): the end effector must
 *    reach the target (final distance under 1 cm) with a cost that decreases at every iteration.
 * 2. With a LEARNED model (model-based RL version 1.0): random-torque data, fit a delta MLP, plan with
 *    iLQR through the model, run the plan with its feedback gains on the true arm, add the data, refit.
 *    The figure is the final distance of the last (noise-free) run on the true arm.
 * Last line: {"bench":"ilqr","finalDistance":N,"costMonotone":true,"finalDistanceLearnedModel":N,...}
 */
import { PhaseClock } from "./phases";
import { initBackend, backendInfo, makeRng } from "../../lib/core";
import { TwoLinkArm } from "../../lib/envs";
import { armDistance, armReachCost, dynamicsFromEnv, dynamicsFromModel, ilqr, runFeedback } from "../../lib/control";
import { MlpDynamicsModel } from "../../lib/models/mlp";
import { addTransition, emptyDataset } from "../../lib/models/types";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  await initBackend();
  const clock = new PhaseClock().environments().training();
  const t0 = Date.now();
  const env = new TwoLinkArm();
  const truth = dynamicsFromEnv(env);
  const target = env.target;
  const cost = armReachCost({ target });
  const x0 = env.reset(0);
  const T = 100;
  const zeros = Array.from({ length: T }, () => [0, 0]);

  // 1. True dynamics.
  const res = ilqr(truth, cost, x0, zeros, {
    maxIter: quick ? 40 : 100,
    onIteration: ({ iter, cost: J, mu, alpha }) => {
      if (iter % 10 === 0)
        console.log(`true model  iter ${String(iter).padStart(3)}  cost ${J.toFixed(5)}  mu ${mu.toExponential(1)}  alpha ${alpha ?? "-"}`);
    },
  });
  const finalDistance = armDistance(res.xs[T], target);
  const costMonotone = res.costs.every((c, i) => i === 0 || c <= res.costs[i - 1]);
  console.log(
    `true model: ${res.iterations} iterations (${res.reason}), cost ${res.costs[0].toFixed(3)} -> ${res.costs[res.costs.length - 1].toFixed(4)}, final distance ${(finalDistance * 100).toFixed(3)} cm, monotone ${costMonotone}`,
  );

  // 2. Learned model, version 1.0 loop.
  const rng = makeRng(7);
  const D = emptyDataset();
  const record = (xs: Float64Array[], us: Float64Array[]) => {
    for (let t = 0; t < us.length; t++) addTransition(D, xs[t], us[t], 0, xs[t + 1]);
  };
  // Base policy: smooth random torques (a random walk), from the start state.
  const randomEpisodes = 30;
  for (let e = 0; e < randomEpisodes; e++) {
    const xs = [Float64Array.from(x0)],
      us: Float64Array[] = [];
    let u = [rng.uniform(-3, 3), rng.uniform(-3, 3)];
    for (let t = 0; t < T; t++) {
      u = u.map((v) => Math.max(-5, Math.min(5, 0.9 * v + rng.normal(0, 1))));
      us.push(Float64Array.from(u));
      xs.push(Float64Array.from(env.nextState(Array.from(xs[t]), u)));
    }
    record(xs, us);
  }
  const model = new MlpDynamicsModel({
    stateDim: 4,
    actionDim: 2,
    angleDims: [0, 1],
    hiddenSizes: [128, 128],
    maxEpochs: quick ? 60 : 100,
    seed: 3,
  });
  const learned = dynamicsFromModel(model, { uLow: truth.uLow, uHigh: truth.uHigh });
  const rounds = quick ? 3 : 6;
  let finalDistanceLearnedModel = NaN;
  const roundDistances: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const fit = await model.fit(D);
    // Plan from scratch each round (a warm start from the last model's plan can sit in a poor basin);
    // eps 1e-3: the network computes in float32, so tinier finite differences would be round-off.
    const plan = ilqr(learned, cost, x0, zeros, { maxIter: 50, eps: 1e-3 });
    const last = r === rounds - 1;
    const run = runFeedback(truth, plan, x0, last ? {} : { rng, noiseStd: 0.3 });
    record(run.xs, run.us);
    const dist = armDistance(run.xs[T], target);
    roundDistances.push(dist);
    if (last) finalDistanceLearnedModel = dist;
    console.log(
      `learned model round ${r + 1}/${rounds}: ${D.states.length} transitions, fit loss ${fit.trainLoss[fit.trainLoss.length - 1]?.toExponential(2)}, ` +
        `planned distance ${(armDistance(plan.xs[T], target) * 100).toFixed(2)} cm, true-arm distance ${(dist * 100).toFixed(2)} cm`,
    );
  }
  model.dispose();
  const seconds = (Date.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: "ilqr",
      finalDistance: Number(finalDistance.toExponential(3)),
      costMonotone,
      finalDistanceLearnedModel: Number(finalDistanceLearnedModel.toExponential(3)),
      iterations: res.iterations,
      costs: [Number(res.costs[0].toFixed(4)), Number(res.costs[res.costs.length - 1].toFixed(4))],
      learnedRoundDistances: roundDistances.map((d) => Number(d.toFixed(4))),
      quick,
      seconds: Number(seconds.toFixed(1)),
      backend: backendInfo().name,
      // Per iLQR solve (one on the true arm, one per learned-model round); the rest of the time is iLQR itself.
      ...clock.report(1 + roundDistances.length, "Solve", "planning"),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
