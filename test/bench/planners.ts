/**
 * Planners side by side on pendulum swing-up from the hanging state, all planning through the true
 * dynamics (the oracle), so differences are the planners' own:
 *
 * 1. UCT tree search over three torque levels (-2, 0, 2), each held for 3 steps, against CEM and
 *    CMA-ES over continuous torques with the same hold, at EQUAL model cost: CEM's and CMA-ES's
 *    populations are set so that they evaluate as many model rows per decision as the tree search
 *    did at that number of simulations. Return of a 200-step episode, per number of simulations.
 * 2. Offline search distilled into a policy (Guo et al. 2014, lecture 004): DAgger trains a small
 *    network on the tree search's decisions at the states the network itself visits; its return and
 *    decision time against the search's, on five fixed random starts.
 *
 *   npm run bench -- planners [--quick] [--seeds N] [--out FILE]
 *
 * --out writes the figures to FILE too; notebook 13 plots datasets/results/planners.json, made by
 * `npm run bench -- planners --out datasets/results/planners.json`.
 *
 * Last line: {"bench":"planners", "mcts": {...}, "cem": {...}, "cmaes": {...}, "distilled": {...}, ...}
 */
import { backendInfo, initBackend, makeRng } from "../../lib/core";
import { Pendulum } from "../../lib/envs";
import { type StatePolicy, runEpisode } from "../../lib/mbrl/collect";
import { dagger, plannerExpert } from "../../lib/mbrl/dagger";
import { NeuralPolicy } from "../../lib/mbrl/policy";
import { envReward, oracleModel } from "../../lib/models/oracle";
import {
  MpcController,
  type PlanProblem,
  type Planner,
  cemPlan,
  cmaesPlan,
  expandPlan,
  mctsPlan,
  withActionRepeat,
} from "../../lib/planners";
import { saveResult } from "../../lib/datasets";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const seedsArg = args.indexOf("--seeds");
const seeds = seedsArg >= 0 ? Number(args[seedsArg + 1]) : quick ? 1 : 3;
const outArg = args.indexOf("--out");
const out = outArg >= 0 ? args[outArg + 1] : null;

const HOLD = 3;
const HORIZON = 30; // 1.5 s: 10 held torques
const LEVELS = [[-2], [0], [2]];
const SIMULATIONS = quick ? [30, 100] : [30, 100, 300, 1000];
const EPISODE = quick ? 60 : 200;
const CEM_ITERATIONS = 5;

function problem(env: Pendulum): PlanProblem {
  return { model: oracleModel(env), reward: envReward(env), horizon: HORIZON, actionLow: [-2], actionHigh: [2] };
}

/** A planner over held actions, its plans expanded back to single steps, run by MPC every HOLD steps. */
function heldMpc(
  plan: (s: number[], rng: ReturnType<typeof makeRng>) => { actions: number[][]; predictedReturn: number },
  seed: number,
): {
  policy: StatePolicy;
  controller: MpcController;
} {
  const planner: Planner = (s0, rng) => {
    const p = plan(Array.from(s0), rng);
    return { ...p, actions: expandPlan(p.actions, HOLD) };
  };
  const controller = new MpcController(planner, { replanEvery: HOLD, warmStart: false });
  const rng = makeRng(seed);
  return { policy: (s) => controller.act(s, rng), controller };
}

interface Row {
  simulations: number;
  /** Episodes that end with the pendulum within 0.3 rad of upright. */
  upright: number;
  modelRowsPerDecision: number;
  meanReturn: number;
  returns: number[];
  msPerDecision: number;
}

/** Whether an episode ends balanced: the last state within 0.3 rad of upright. */
function endsUpright(ep: { states: number[][] }): boolean {
  const theta = ep.states[ep.states.length - 1][0];
  return Math.abs(Math.atan2(Math.sin(theta), Math.cos(theta))) < 0.3;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main(): Promise<void> {
  await initBackend();
  console.log(backendInfo().message);
  const t0 = Date.now();
  const env = new Pendulum({ start: "down", maxSteps: EPISODE });
  const macro = withActionRepeat(problem(env), HOLD);
  const rows: Record<"mcts" | "cem" | "cmaes", Row[]> = { mcts: [], cem: [], cmaes: [] };

  for (const sims of SIMULATIONS) {
    // Tree search first: its measured model rows per decision set the others' budget.
    const mctsReturns: number[] = [];
    let mctsUpright = 0;
    let mctsRows = 0;
    let mctsDecisions = 0;
    let mctsSeconds = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const { policy, controller } = heldMpc((s, rng) => {
        const p = mctsPlan(macro, s, { actions: LEVELS, simulations: sims }, rng);
        mctsRows += p.modelRows * HOLD;
        return p;
      }, seed);
      const ep = runEpisode(env, policy);
      mctsReturns.push(ep.return);
      if (endsUpright(ep)) mctsUpright++;
      mctsDecisions += controller.planSeconds.length;
      mctsSeconds += controller.planSeconds.reduce((a, b) => a + b, 0);
    }
    const rowsPerDecision = mctsRows / mctsDecisions;
    rows.mcts.push({
      simulations: sims,
      upright: mctsUpright,
      modelRowsPerDecision: Math.round(rowsPerDecision),
      meanReturn: mean(mctsReturns),
      returns: mctsReturns,
      msPerDecision: (1000 * mctsSeconds) / mctsDecisions,
    });
    // Equal cost: population x iterations x HORIZON rows per decision.
    const population = Math.max(4, Math.round(rowsPerDecision / (CEM_ITERATIONS * HORIZON)));
    for (const name of ["cem", "cmaes"] as const) {
      const rets: number[] = [];
      let upright = 0;
      let decisions = 0;
      let seconds = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const { policy, controller } = heldMpc(
          (s, rng) =>
            name === "cem"
              ? cemPlan(macro, s, { population, elites: Math.max(2, Math.round(population / 10)), iterations: CEM_ITERATIONS }, rng)
              : cmaesPlan(macro, s, { population, generations: CEM_ITERATIONS }, rng),
          100 + seed,
        );
        const ep = runEpisode(env, policy);
        rets.push(ep.return);
        if (endsUpright(ep)) upright++;
        decisions += controller.planSeconds.length;
        seconds += controller.planSeconds.reduce((a, b) => a + b, 0);
      }
      rows[name].push({
        simulations: sims,
        upright,
        modelRowsPerDecision: population * CEM_ITERATIONS * HORIZON,
        meanReturn: mean(rets),
        returns: rets,
        msPerDecision: (1000 * seconds) / decisions,
      });
    }
    const last = (k: "mcts" | "cem" | "cmaes") => rows[k][rows[k].length - 1];
    console.log(
      `simulations ${sims} (${Math.round(rowsPerDecision)} model rows per decision): ` +
        `MCTS ${last("mcts").meanReturn.toFixed(1)}, CEM ${last("cem").meanReturn.toFixed(1)}, CMA-ES ${last("cmaes").meanReturn.toFixed(1)}`,
    );
  }

  // 2. Distillation: DAgger on the tree search's decisions (every step, no hold: the network acts every step).
  const distilSims = quick ? 60 : 300;
  const trainEnv = new Pendulum({ seed: 7, maxSteps: EPISODE });
  const expertMacro = withActionRepeat(problem(trainEnv), HOLD);
  const expert = plannerExpert((s, rng) => mctsPlan(expertMacro, s, { actions: LEVELS, simulations: distilSims }, rng));
  const policy = new NeuralPolicy({
    stateDim: 2,
    actionDim: 1,
    actionLow: [-2],
    actionHigh: [2],
    angleDims: [0],
    hiddenSizes: [64, 64],
    seed: 11,
  });
  const rounds = await dagger({
    env: trainEnv,
    expert,
    policy,
    iterations: quick ? 1 : 6,
    epochs: quick ? 20 : 60,
    seed: 5,
    onIteration: (r) => console.log(`DAgger round ${r.iteration}: policy return ${r.policyReturn.toFixed(1)}, ${r.labels} labels`),
  });
  const evalEnv = new Pendulum({ seed: 900, maxSteps: EPISODE });
  const starts = [900, 901, 902, 903, 904];
  let netSeconds = 0;
  let netDecisions = 0;
  const netPolicy: StatePolicy = (s) => {
    const t = performance.now();
    const a = policy.act(s);
    netSeconds += (performance.now() - t) / 1000;
    netDecisions++;
    return a;
  };
  const netReturns = starts.map((seed) => runEpisode(evalEnv, netPolicy, { seed }).return);
  const searchReturns: number[] = [];
  let searchSeconds = 0;
  let searchDecisions = 0;
  const evalMacro = withActionRepeat(problem(evalEnv), HOLD);
  for (const seed of starts) {
    const rng = makeRng(seed);
    const searchPolicy: StatePolicy = (s) => {
      const t = performance.now();
      const a = mctsPlan(evalMacro, s, { actions: LEVELS, simulations: distilSims }, rng).actions[0];
      searchSeconds += (performance.now() - t) / 1000;
      searchDecisions++;
      return a;
    };
    searchReturns.push(runEpisode(evalEnv, searchPolicy, { seed }).return);
  }
  const distilled = {
    simulations: distilSims,
    daggerRounds: rounds.rounds.length,
    labels: rounds.states.length,
    policyMeanReturn: mean(netReturns),
    searchMeanReturn: mean(searchReturns),
    policyMsPerDecision: (1000 * netSeconds) / netDecisions,
    searchMsPerDecision: (1000 * searchSeconds) / searchDecisions,
  };
  console.log(
    `distilled policy ${distilled.policyMeanReturn.toFixed(1)} at ${distilled.policyMsPerDecision.toFixed(2)} ms per decision; ` +
      `the search itself ${distilled.searchMeanReturn.toFixed(1)} at ${distilled.searchMsPerDecision.toFixed(1)} ms`,
  );
  policy.net.dispose();
  const summary = {
    bench: "planners",
    command: `npm run bench -- planners --out datasets/results/planners.json`,
    backend: backendInfo().name,
    quick,
    seeds,
    system: `pendulum swing-up from hanging, ${EPISODE} steps, true dynamics, torques held ${HOLD} steps, horizon ${HORIZON}`,
    mcts: rows.mcts,
    cem: rows.cem,
    cmaes: rows.cmaes,
    distilled,
    seconds: (Date.now() - t0) / 1000,
  };
  if (out) {
    saveResult(out, summary);
  }
  console.log(JSON.stringify(summary));
}

void main();
