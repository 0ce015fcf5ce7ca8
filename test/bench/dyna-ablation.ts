/**
 * Dyna-style ablation on pendulum swing-up (notebook 07, section 5): the Dyna loop of the dyna-style
 * benchmark with model rollouts of length k = 1, 3, 10 and 30, and, at k = 10, the disagreement rules:
 * MOReL's hard penalty (reward -kappa when d(s, a) > alpha) and the penalty with termination (the
 * branch halts there). Return of the deterministic policy (mean over 5 fixed start states) against
 * real transitions, averaged over the seeds.
 *
 *   npm run bench -- dyna-ablation [--quick] [--seeds N] [--steps N] [--out FILE]
 *
 * --out writes the JSON figures to FILE too; notebook 07 plots datasets/results/dyna-ablation.json,
 * made by `npm run bench -- dyna-ablation --out datasets/results/dyna-ablation.json`.
 * Last line: {"bench":"dyna-ablation","seeds":N,"runs":[{"name":...,"curve":[...],...}],...}
 */
import { backendInfo, initBackend } from "../../lib/core";
import { saveResult } from "../../lib/datasets";
import { Pendulum } from "../../lib/envs";
import { type DynaEvalPoint, type DynaStyleConfig, disposeDynaResult, dynaStyle, pendulumObservationReward } from "../../lib/dyna/dyna";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const seeds = Number(flag("--seeds") ?? 1);
const realSteps = Number(flag("--steps") ?? (quick ? 450 : 1500));
const out = flag("--out");

/** The disagreement rule: d(s, a) in observation units ([cos, sin, thetadot]); kappa as in notebook 07. */
const KAPPA = 20;
const ALPHA = Number(flag("--alpha") ?? 0.1);
const only = flag("--only");

const RUNS: { name: string; horizon: number; penalty?: { kappa: number; alpha: number }; terminateAbove?: number }[] = [
  { name: "k = 1", horizon: 1 },
  { name: "k = 3", horizon: 3 },
  { name: "k = 10", horizon: 10 },
  { name: "k = 30", horizon: 30 },
  { name: "k = 10, penalty (MOReL's -kappa)", horizon: 10, penalty: { kappa: KAPPA, alpha: ALPHA } },
  { name: "k = 10, penalty and termination", horizon: 10, penalty: { kappa: KAPPA, alpha: ALPHA }, terminateAbove: ALPHA },
];

function evalStarts(): number[][] {
  return [0, 1, 2, 3, 4].map((i) => {
    const e = new Pendulum({ seed: 900 + i });
    e.reset(900 + i);
    return e.getState();
  });
}

async function main(): Promise<void> {
  await initBackend();
  console.log(backendInfo().message);
  const base: Omit<DynaStyleConfig, "seed" | "horizon"> = {
    randomSteps: 400,
    batchSize: 256,
    stateScale: [1, 1, 8],
    evalEvery: 100,
    evalStarts: evalStarts(),
    useModel: true,
    realSteps,
    updatesPerStep: quick ? 3 : 10,
    rolloutEvery: 50,
    realRatio: 0.1,
    modelEvery: 250,
    modelEpochs: quick ? 10 : 20,
    reward: pendulumObservationReward,
  };
  const t0 = Date.now();
  const results = [];
  // --quick (the smoke test) runs two of the six settings briefly.
  const selected = RUNS.filter((r, i) => (only ? r.name === only : !quick || i === 1 || i === 5));
  for (const run of selected) {
    const curves: DynaEvalPoint[][] = [];
    let penalised = 0,
      terminated = 0,
      transitions = 0,
      seconds = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const res = await dynaStyle(new Pendulum({ seed }), {
        ...base,
        seed,
        horizon: run.horizon,
        // The same number of simulated transitions per rollout phase for every k (3,000, as dyna-style's
        // 1,000 branches of k = 3): fewer, longer branches for a long k.
        rolloutsPerStep: Math.max(1, Math.round((20 * 3) / run.horizon)),
        penalty: run.penalty ?? null,
        terminateAbove: run.terminateAbove ?? null,
        onEval: (p) =>
          console.log(
            `${run.name.padEnd(34)} seed ${seed}: ${String(p.realSteps).padStart(5)} real steps, return ${p.evalReturn.toFixed(0).padStart(6)}, ${p.seconds.toFixed(0)} s`,
          ),
      });
      curves.push(res.curve);
      const dMean = res.rolloutStats.reduce((a, s) => a + s.meanDisagreement, 0) / Math.max(1, res.rolloutStats.length);
      console.log(`${run.name}: mean disagreement over the rollouts ${dMean.toFixed(4)}`);
      for (const s of res.rolloutStats) {
        penalised += s.penalised;
        terminated += s.terminated;
        transitions += s.transitions;
      }
      seconds += res.curve[res.curve.length - 1].seconds;
      disposeDynaResult(res);
    }
    const curve = curves[0].map((p, i) => ({
      realSteps: p.realSteps,
      evalReturn: Math.round(curves.reduce((s, c) => s + c[i].evalReturn, 0) / curves.length),
    }));
    results.push({
      name: run.name,
      horizon: run.horizon,
      penalty: run.penalty ?? null,
      terminateAbove: run.terminateAbove ?? null,
      curve,
      finalReturn: curve[curve.length - 1].evalReturn,
      fractionPenalised: transitions ? Math.round((penalised / transitions) * 1e4) / 1e4 : 0,
      branchesTerminated: terminated,
      simulatedTransitions: transitions,
      secondsPerRun: Math.round(seconds / seeds),
    });
  }
  const figures = {
    bench: "dyna-ablation",
    command: "npm run bench -- dyna-ablation --out datasets/results/dyna-ablation.json",
    seeds,
    quick,
    realSteps,
    kappa: KAPPA,
    alpha: ALPHA,
    runs: results,
    backend: backendInfo().name,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  if (out) saveResult(out, figures);
  console.log(JSON.stringify(figures));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
