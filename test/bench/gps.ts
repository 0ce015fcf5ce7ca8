/**
 * Local-model trajectory optimisation and guided policy search on the two-link arm (lecture 004).
 *
 *   npm run bench -- gps [--quick]
 *
 * A. Trajectory optimisation with local models only (no access to the true model: the arm is only
 *    sampled): one start state, 5 rollouts per iteration, at most 15 iterations. Each iteration prints
 *    the KL of the C-step against its bound epsilon. "iterations" is the first iteration after which
 *    the controller's mean run ends within 1 cm of the target.
 * B. Guided policy search: 4 start states, each with its local controller kept close to a global
 *    tanh-MLP policy (MDGPS); the policy then runs from held-out start states. Success: the end
 *    effector ends within 3 cm of the target.
 * Last line: {"bench":"gps","iterations":N,"rolloutsPerIteration":N,"finalDistance":N,"klWithinBoundFraction":N,"heldOutSuccessRate":N,...}
 */
import { PhaseClock } from "./phases";
import { initBackend, backendInfo, makeRng } from "../../lib/core";
import { TwoLinkArm } from "../../lib/envs";
import { armDistance, armReachCost, armStartCorners, armStartsInSquare, dynamicsFromEnv } from "../../lib/control";
import { guidedPolicySearch, runControllerMean, runPolicy } from "../../lib/gps";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  await initBackend();
  const clock = new PhaseClock().environments().training();
  const t0 = Date.now();
  const env = new TwoLinkArm();
  const dyn = dynamicsFromEnv(env);
  const target = env.target;
  const cost = armReachCost({ target });
  const T = 60;
  const x0 = env.reset(0);
  const rollouts = 5;

  // A. Local-model trajectory optimisation.
  const maxIterations = quick ? 6 : 15;
  let reachedAt: number | null = null;
  let finalDistance = NaN;
  let within = 0,
    total = 0;
  guidedPolicySearch(
    dyn,
    cost,
    { T, conditions: [x0], samplesPerCondition: rollouts, iterations: maxIterations, klStep: 0.5, seed: 1 },
    (info, st) => {
      const d = armDistance(runControllerMean(dyn, st.controllers[0], x0).xs[T], target);
      finalDistance = d;
      const ok = info.kl[0] <= 1.1 * info.epsilon[0];
      within += ok ? 1 : 0;
      total++;
      if (reachedAt === null && d < 0.01) reachedAt = info.iteration + 1;
      console.log(
        `trajopt iter ${String(info.iteration + 1).padStart(2)}: sample cost ${info.sampleCost[0].toFixed(3)}  KL ${info.kl[0].toFixed(2)} / bound ${info.epsilon[0].toFixed(2)} ` +
          `${ok ? "ok" : "OVER"} (${info.status[0]}, eta ${info.eta[0].toExponential(2)})  mean-run distance ${(d * 100).toFixed(2)} cm`,
      );
    },
  );

  // B. Guided policy search from 4 start states; held-out starts inside their range.
  const q0 = env.startQ;
  const spread = 0.3;
  const conditions = armStartCorners(q0, spread);
  const gpsIterations = quick ? 4 : 10;
  const state = guidedPolicySearch(
    dyn,
    cost,
    {
      T,
      conditions,
      samplesPerCondition: rollouts,
      iterations: gpsIterations,
      klStep: 0.5,
      seed: 2,
      policy: { hiddenSizes: [64, 64], epochs: quick ? 25 : 60 },
    },
    (info, st) => {
      const dists = conditions.map((c) => armDistance(runPolicy(dyn, st.policy!, c, T).xs[T], target));
      info.kl.forEach((kl, i) => {
        within += kl <= 1.1 * info.epsilon[i] ? 1 : 0;
        total++;
      });
      console.log(
        `gps iter ${String(info.iteration + 1).padStart(2)}: mean sample cost ${(info.sampleCost.reduce((a, b) => a + b, 0) / conditions.length).toFixed(3)}  ` +
          `KL/bound ${info.kl.map((k, i) => `${k.toFixed(1)}/${info.epsilon[i].toFixed(1)}`).join(" ")}  ` +
          `policy distance on training starts ${dists.map((d) => (d * 100).toFixed(1)).join(" ")} cm  (${info.seconds.toFixed(0)} s)`,
      );
    },
  );
  const heldOut = armStartsInSquare(q0, spread, 8, makeRng(99));
  const heldDist = heldOut.map((c) => armDistance(runPolicy(dyn, state.policy!, c, T).xs[T], target));
  const successRate = heldDist.filter((d) => d < 0.03).length / heldOut.length;
  console.log(
    `held-out starts: policy final distances ${heldDist.map((d) => (d * 100).toFixed(1)).join(" ")} cm; success (< 3 cm) ${(successRate * 100).toFixed(0)} %`,
  );
  state.policy!.net.dispose();

  console.log(
    JSON.stringify({
      bench: "gps",
      iterations: reachedAt ?? maxIterations,
      reachedTarget: reachedAt !== null,
      rolloutsPerIteration: rollouts,
      finalDistance: Number(finalDistance.toExponential(3)),
      klWithinBoundFraction: Number((within / total).toFixed(3)),
      heldOutSuccessRate: Number(successRate.toFixed(3)),
      heldOutMeanDistance: Number((heldDist.reduce((a, b) => a + b, 0) / heldDist.length).toFixed(4)),
      gpsIterations,
      quick,
      seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
      backend: backendInfo().name,
      // Per GPS iteration; training is the global policy's supervised fit, the rest the local trajectory optimisation.
      ...clock.report(reachedAt ?? maxIterations, "Iteration", "planning"),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
