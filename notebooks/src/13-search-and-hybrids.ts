// %% [markdown]
// # 13 · Tree search, CMA-ES, and model-free fine-tuning
//
// Notebook 02 planned with random shooting, CEM and gradients; notebook 03 distilled a planner into a
// policy. This notebook adds three ideas the lectures teach around them:
//
// 1. **Tree search with a model.** Lecture 001 (seed 001, "AlphaGo: model-based reasoning for games")
//    opens with AlphaGo, AlphaGo Zero and MuZero: programs that decide by *searching a tree* of futures
//    through a model. Lecture 004 (seed 004, "Deep Learning for Real-Time Atari Game Play Using Offline
//    Monte-Carlo Tree Search Planning", Guo et al. 2014) shows the search's decisions distilled into a
//    network that is fast enough to play in real time.
// 2. **CMA-ES.** Lecture 003 (seed 003, "Model-based control": "optimize over action selection using
//    CMA-ES or CEM") names it beside CEM. Where CEM keeps one independent Gaussian per action, CMA-ES
//    learns a full covariance over the whole action sequence.
// 3. **Model-based then model-free (MBMF).** Lectures 003 and 004 (seed 003, "Model-based RL with
//    model-free finetuning"; seed 004, "Neural Network Dynamics for Model-Based Deep Reinforcement
//    Learning with Model-Free Fine-Tuning", Nagabandi et al. 2018): MPC with a learned model is
//    sample-efficient, a model-free learner reaches a higher final return; start the second from the
//    first and get both.
//
// You will write the UCT selection rule and CMA-ES's mean and covariance update (graded), and compare
// the planners at equal model cost. Two results need more compute than a notebook should take; they are
// read from committed files that a repository command regenerates (named beside each plot).

// %%
import { initBackend, makeRng } from "mbrl/core";
import { display, lineChart, scatterChart, combine } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { Pendulum } from "mbrl/envs";
import { oracleModel, envReward } from "mbrl/models";
import {
  mctsPlan,
  uctScores,
  cemPlan,
  cemRefit,
  cmaesInit,
  cmaesAsk,
  cmaesTell,
  rankMuUpdate,
  withActionRepeat,
  type PlanProblem,
} from "mbrl/planners";
import { runEpisode, dagger, plannerExpert, NeuralPolicy, type StatePolicy } from "mbrl/mbrl";
import { loadResult } from "mbrl/datasets";

await initBackend();
const pend = new Pendulum({ seed: 0, start: "down" });
pend.reset(0);
const sDown = pend.getState();
// The true pendulum as the model, so every difference below is the planner's.
const problem: PlanProblem = { model: oracleModel(pend), reward: envReward(pend), horizon: 30, actionLow: [-2], actionHigh: [2] };
// Torques held for 3 steps: a 30-step horizon becomes 10 decisions, for every planner alike.
const HOLD = 3;
const macro = withActionRepeat(problem, HOLD);
const LEVELS = [[-2], [0], [2]];
console.log(
  `start: hanging down, theta = ${sDown[0].toFixed(2)}; horizon ${problem.horizon} steps as ${problem.horizon / HOLD} held torques`,
);

// %% [markdown]
// ## 1. Monte-Carlo tree search with a model
//
// *Intuition.* CEM searches the space of whole action sequences. A tree search instead grows a tree of
// futures from the current state, one branch at a time, and spends its simulations where the returns
// look best *or* where it has looked least. With a few discrete actions (here three torques) every node
// has three children, and the question at each node is which one to explore next: exploitation against
// exploration, the same dilemma as a multi-armed bandit.
//
// *The algorithm (UCT, Kocsis and Szepesvári 2006).* One simulation:
//
// 1. **select**: from the root, while every action of the node has been tried, follow
//    $$a^* = \arg\max_a \; \bar Q(s, a) + c \sqrt{\frac{\ln N(s)}{N(s, a)}},$$
//    where $N(s)$ counts the visits of the node, $N(s, a)$ the tries of action $a$ there, and
//    $\bar Q = (Q - Q_{\min}) / (Q_{\max} - Q_{\min})$ is the mean return rescaled by the smallest and
//    largest values in the tree (as MuZero does), so that $c$ means the same whatever the reward's scale
//    (with all values equal, $\bar Q = 1/2$);
// 2. **expand**: try an untried action through the model, $s' = f(s, a)$: a new node;
// 3. **simulate**: estimate the new node's value by a random rollout to the horizon;
// 4. **back up**: along the path, $G \leftarrow r + \gamma G$, $N(s, a) \mathrel{+}= 1$ and
//    $Q(s, a) \mathrel{+}= (G - Q(s, a)) / N(s, a)$.
//
// The decision is the most visited root action. The bonus $c\sqrt{\ln N / n}$ shrinks as an action is
// tried and grows only *logarithmically* with the parent's visits, so every action keeps being tried,
// ever more rarely: the UCB1 rule of bandits, applied at every node.
//
// ### Exercise: the UCT selection rule (2 points)
//
// Write `uctSelect(visits, n, q, c, qMin, qMax)`: the index of the action to follow from a node with
// `visits` visits, where `n[a]` and `q[a]` are the tries and mean return of action `a`. An action with
// `n[a] === 0` is chosen first (the lowest such index); otherwise the argmax of the rule above (the
// lowest index among equal scores), with $\bar Q = 1/2$ when `qMax === qMin`.

// %% exercise id=uct-select points=2
function uctSelect(visits: number, n: number[], q: number[], c: number, qMin: number, qMax: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: uct-select");
  // END SOLUTION
}

// %% check id=uct-select
{
  check("an untried action is tried first", uctSelect(10, [3, 0, 7], [-1, 0, -2], 1.4, -2, -1) === 1);
  check(
    "the bonus sends the search to a rarely tried action (90 vs 10 tries, means -1 and -1.5)",
    uctSelect(100, [90, 10], [-1, -1.5], 1.4, -2, -1) === 1,
    "a greedy rule would pick action 0",
  );
  check(
    "returns of a few hundred are rescaled before the bonus is added",
    uctSelect(50, [45, 5], [-300, -310], 1.4, -320, -300) === 1,
    "without rescaling, a bonus of about 1 cannot matter against values 10 apart",
  );
  check(
    "with 1000 visits the better mean wins: the bonus grows only with ln N",
    uctSelect(1000, [900, 100], [-1, -1.5], 1.4, -2, -1) === 0,
  );
  // The same choice as the library's scores on random nodes.
  const rng = makeRng(3);
  for (let k = 0; k < 200; k++) {
    const K = 2 + rng.int(4);
    const n = Array.from({ length: K }, () => 1 + rng.int(40));
    const q = Array.from({ length: K }, () => -rng.uniform(0, 50));
    const visits = n.reduce((s, x) => s + x, 0);
    const scores = uctScores(visits, n, q, 1.4, Math.min(...q), Math.max(...q));
    const expected = scores.indexOf(Math.max(...scores));
    if (uctSelect(visits, n, q, 1.4, Math.min(...q), Math.max(...q)) !== expected) {
      check(`matches the library on a random node (n = [${n}], q = [${q.map((x) => x.toFixed(1))}])`, false);
    }
  }
  console.log("ok: uct-select");
}

// %% [markdown]
// The library's `mctsPlan` runs the four steps with this rule (`uctScores`). From the hanging pendulum
// with 300 simulations, here is how the search spread its simulations over the three first torques:

// %%
const first = mctsPlan(macro, sDown, { actions: LEVELS, simulations: 300 }, makeRng(1));
console.log(
  `root visits for torque -2, 0, +2: ${first.rootVisits.join(", ")}; mean returns ${first.rootQ.map((q) => q.toFixed(0)).join(", ")}`,
);
console.log(`${first.nodes} nodes, ${first.modelRows} model rows (each is ${HOLD} true steps): decision ${LEVELS[first.actionIndex][0]}`);

// %% [markdown]
// Closing the loop: MPC replans every held step. Below, one swing-up episode (10 s) by the tree search
// with 100 simulations and by CEM at the *same number of model rows per decision* (its population is
// chosen so), both through the true model.

// %%
function heldPolicy(decide: (s: number[]) => number[]): StatePolicy {
  let held: number[] = [0];
  return (s, t) => {
    if (t % HOLD === 0) held = decide(s);
    return held;
  };
}
const rngT = makeRng(2);
let treeRows = 0;
let treeDecisions = 0;
const treeEp = runEpisode(
  pend,
  heldPolicy((s) => {
    const p = mctsPlan(macro, s, { actions: LEVELS, simulations: 100 }, rngT);
    treeRows += p.modelRows;
    treeDecisions++;
    return p.actions[0];
  }),
  { seed: 0 },
);
const population = Math.max(4, Math.round(treeRows / treeDecisions / (5 * macro.horizon)));
const rngC = makeRng(2);
const cemEp = runEpisode(
  pend,
  heldPolicy((s) => cemPlan(macro, s, { population, elites: Math.max(2, Math.round(population / 10)), iterations: 5 }, rngC).actions[0]),
  { seed: 0 },
);
console.log(`tree search: return ${treeEp.return.toFixed(0)} (${Math.round(treeRows / treeDecisions)} model rows per decision)`);
console.log(`CEM, population ${population} x 5 iterations: return ${cemEp.return.toFixed(0)}`);
const wrap = (th: number) => Math.atan2(Math.sin(th), Math.cos(th));
const time = treeEp.states.map((_, t) => t * pend.dt);
await display(
  lineChart(
    [
      { name: "tree search (100 simulations)", x: time, y: treeEp.states.map((s) => wrap(s[0])) },
      { name: "CEM (same model rows)", x: time, y: cemEp.states.map((s) => wrap(s[0])) },
    ],
    { title: "Swing-up from hanging: angle (0 = upright)", xTitle: "time (s)", yTitle: "theta (rad)", width: 700, height: 260 },
  ),
);

// %% [markdown]
// The benchmark `npm run bench -- planners --out datasets/results/planners.json` repeats this for 3 seeds and budgets from 30 to
// 1,000 simulations, with CMA-ES too (section 3), and wrote the file plotted here
// (datasets/results/planners.json).

// %%
interface PlannerRow {
  simulations: number;
  modelRowsPerDecision: number;
  meanReturn: number;
  upright: number;
  msPerDecision: number;
}
interface PlannersResult {
  bench: string;
  command: string;
  seeds: number;
  mcts: PlannerRow[];
  cem: PlannerRow[];
  cmaes: PlannerRow[];
  distilled: {
    simulations: number;
    labels: number;
    policyMeanReturn: number;
    searchMeanReturn: number;
    policyMsPerDecision: number;
    searchMsPerDecision: number;
  };
}
const pr = loadResult<PlannersResult>("planners");
console.log(`from: ${pr.command}`);
await display(
  lineChart(
    [
      { name: "tree search (3 torques)", x: pr.mcts.map((r) => r.modelRowsPerDecision), y: pr.mcts.map((r) => r.meanReturn), points: true },
      { name: "CEM", x: pr.cem.map((r) => r.modelRowsPerDecision), y: pr.cem.map((r) => r.meanReturn), points: true },
      { name: "CMA-ES", x: pr.cmaes.map((r) => r.modelRowsPerDecision), y: pr.cmaes.map((r) => r.meanReturn), points: true },
    ],
    {
      title: `Swing-up return vs planning budget (mean of ${pr.seeds} seeds)`,
      xTitle: "model rows per decision",
      yTitle: "episode return",
      logX: true,
      width: 700,
      height: 300,
    },
  ),
);

// %% [markdown]
// Read the plot from left to right. With a small budget the tree search is far ahead: three torque
// levels and ten decisions make a small tree, and every simulation refines it, while CEM's few samples
// of a 10-dimensional continuous sequence are mostly poor. With a large budget the continuous optimisers
// catch up and pass it: a bang-off-bang torque held for 0.15 s cannot do what a finely tuned continuous
// torque does, however well it is searched. The discretisation is a modelling choice, and it sets the
// tree search's ceiling.
//
// **What AlphaZero and MuZero add.** Random rollouts are a poor value estimate and uniform exploration
// wastes simulations on moves a good player would never consider. AlphaZero learns a **value network**
// $V(s)$ that replaces the rollouts, and a **policy prior** $P(s, a)$ that enters the selection rule
// (PUCT: $\bar Q + c\,P(s, a)\sqrt{N(s)} / (1 + N(s, a))$), both trained on the search's own results, so
// search and networks improve each other. MuZero goes one step further: it plans with a *learned* model
// of a learned latent state (notebook 12 builds such a model), so it needs no simulator at all.
//
// ## 2. Offline search, distilled into a policy
//
// A tree search is slow at decision time. Guo et al. (lecture 004) ran the search *offline* and trained
// a network to reproduce its decisions, as DAgger does (notebook 03): run the network, label every state
// it visits with the search's decision, retrain on everything. Here the network regresses the torque
// the tree search chose. A short live run (two rounds, 60 simulations):

// %%
const trainEnv = new Pendulum({ seed: 7 });
const expertMacro = withActionRepeat({ ...problem, model: oracleModel(trainEnv), reward: envReward(trainEnv) }, HOLD);
const student = new NeuralPolicy({
  stateDim: 2,
  actionDim: 1,
  actionLow: [-2],
  actionHigh: [2],
  angleDims: [0],
  hiddenSizes: [64, 64],
  seed: 11,
});
const distil = await dagger({
  env: trainEnv,
  expert: plannerExpert((s, rng) => mctsPlan(expertMacro, s, { actions: LEVELS, simulations: 60 }, rng)),
  policy: student,
  iterations: 2,
  epochs: 40,
  seed: 5,
});
for (const r of distil.rounds)
  console.log(`round ${r.iteration}: the network's own episode returned ${r.policyReturn.toFixed(0)}; ${r.labels} labels so far`);
const t0 = performance.now();
const netEp = runEpisode(new Pendulum({ seed: 900 }), student.asStatePolicy(), { seed: 900 });
console.log(
  `distilled network from a random start: return ${netEp.return.toFixed(0)} at ${((performance.now() - t0) / 200).toFixed(2)} ms per decision`,
);
const d = pr.distilled;
console.log(
  `benchmark (6 rounds, ${d.simulations} simulations, ${d.labels} labels): network ${d.policyMeanReturn.toFixed(0)} at ` +
    `${d.policyMsPerDecision.toFixed(2)} ms per decision, the search itself ${d.searchMeanReturn.toFixed(0)} at ${d.searchMsPerDecision.toFixed(1)} ms ` +
    `(${Math.round(d.searchMsPerDecision / d.policyMsPerDecision)} times slower)`,
);

// %% [markdown]
// With enough rounds the network plays as well as the search that taught it, and tens of times faster
// per decision (the benchmark's ratio is printed above), because imitation only has to be right *on the states the network visits*, and DAgger puts
// exactly those in the training set. Two rounds are not enough for that; the benchmark's six are.
//
// ## 3. CMA-ES: a full covariance over the action sequence
//
// *Intuition.* CEM samples every action independently: its Gaussian is axis-aligned. When good
// sequences lie along a diagonal ("push now *and* less later"), CEM can only shrink its variance until it
// crawls along the diagonal in tiny steps. CMA-ES (Hansen and Ostermeier 2001) samples
// $x_k = m + \sigma\, y_k$, $y_k \sim \mathcal N(0, C)$, and adapts three things from the best samples:
// the mean $m$, a **step size** $\sigma$, and a **covariance** $C$ that learns the directions in which
// progress was made.
//
// *The update.* Rank the $\lambda$ samples by return, best first: $x_{1:\lambda}, \dots$. With the
// weights $w_i \propto \ln(\mu + \tfrac12) - \ln i$ for the $\mu$ best (summing to 1) and the selected
// steps $y_i = (x_{i:\lambda} - m) / \sigma$, measured from the **old** mean and in units of $\sigma$:
// $$m' = \sum_{i=1}^{\mu} w_i\, x_{i:\lambda}, \qquad C' = (1 - c_\mu)\, C + c_\mu \sum_{i=1}^{\mu} w_i\, y_i y_i^\top .$$
// Measuring the steps from the old mean is the point: if the best samples all lie on one side, $C$
// grows in that direction, and the next samples go further that way. (CEM refits its variance around
// the *new* mean, which forgets the direction.) Dividing by $\sigma$ keeps $C$ a *shape*, while $\sigma$
// alone carries the scale; CMA-ES adapts $\sigma$ separately, by comparing the length of the path the
// mean has travelled with that of a random walk (`cmaesTell` in lib/planners/cmaes.ts does that, and a
// rank-one update with the same path).
//
// ### Exercise: CMA-ES's mean and rank-μ covariance update (3 points)
//
// Write `cmaesRankMu(mean, sigma, C, samples, returns, mu, cMu)`: `samples[k]` is sample $k$,
// `returns[k]` its return (higher is better). Return `{ mean, C }` as above, with the weights
// $w_i = \ln(\mu + \tfrac12) - \ln i$ for $i = 1..\mu$, divided by their sum.

// %% exercise id=cmaes-rank-mu points=3
function cmaesRankMu(
  mean: number[],
  sigma: number,
  C: number[][],
  samples: number[][],
  returns: number[],
  mu: number,
  cMu: number,
): { mean: number[]; C: number[][] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: cmaes-rank-mu");
  // END SOLUTION
}

// %% check id=cmaes-rank-mu
{
  // One parent and c_mu = 1: the mean jumps to the best sample, C becomes its step's outer product.
  const one = cmaesRankMu(
    [0, 0],
    1,
    [
      [1, 0],
      [0, 1],
    ],
    [
      [1, 2],
      [3, -1],
      [-2, 0],
    ],
    [5, 1, 0],
    1,
    1,
  );
  checkClose("one parent: the mean moves to the best sample", one.mean, [1, 2]);
  checkClose("one parent, c_mu = 1: C is the best step's outer product", one.C, [
    [1, 2],
    [2, 4],
  ]);
  // Steps are in units of sigma: the same samples with sigma = 2 give a quarter of the covariance.
  const two = cmaesRankMu(
    [0, 0],
    2,
    [
      [1, 0],
      [0, 1],
    ],
    [
      [1, 2],
      [3, -1],
      [-2, 0],
    ],
    [5, 1, 0],
    1,
    1,
  );
  checkClose("the steps are divided by sigma", two.C, [
    [0.25, 0.5],
    [0.5, 1],
  ]);
  // Steps from the OLD mean: two parents on the same side grow C along their direction.
  const side = cmaesRankMu(
    [0, 0],
    1,
    [
      [0.1, 0],
      [0, 0.1],
    ],
    [
      [1, 1],
      [2, 2],
      [-5, 5],
    ],
    [2, 3, -10],
    2,
    1,
  );
  check(
    "steps are measured from the old mean (C grows along the direction of progress)",
    side.C[0][1] > 1,
    `got C = ${JSON.stringify(side.C)}`,
  );
  // The same numbers as the library on a random generation.
  const rng = makeRng(8);
  const n = 3;
  const lambda = 8;
  const mean = [0.2, -0.1, 0.4];
  const C = [
    [1, 0.3, 0],
    [0.3, 2, 0.1],
    [0, 0.1, 0.5],
  ];
  const samples = Array.from({ length: lambda }, () => mean.map((m) => m + 0.7 * rng.normal()));
  const returns = samples.map((x) => -(x[0] ** 2) - 3 * (x[1] - 1) ** 2 - x[2] ** 2);
  const w = Array.from({ length: 4 }, (_, i) => Math.log(4.5) - Math.log(i + 1));
  const sum = w.reduce((a, b) => a + b, 0);
  const lib = rankMuUpdate(
    mean,
    0.7,
    C.flat(),
    samples.flat(),
    returns,
    w.map((x) => x / sum),
    0.4,
  );
  const mine = cmaesRankMu(mean, 0.7, C, samples, returns, 4, 0.4);
  checkClose("matches the library's rankMuUpdate: mean", mine.mean, Array.from(lib.mean), 1e-9);
  checkClose("matches the library's rankMuUpdate: C", mine.C.flat(), Array.from(lib.C), 1e-9);
  console.log("ok: cmaes-rank-mu");
}

// %% [markdown]
// Why the full covariance matters, on a function we know: $f(x) = x^\top A x$ in 8 dimensions with
// $A$'s eigenvalues from 1 to $10^6$ along *rotated* axes. Both methods start at $x = (1, \dots, 1)$ and get
// the same number of evaluations; CEM is the course's `cemRefit` with 10 % elites.

// %%
function rotatedQuadratic(dim: number, seed: number) {
  const r = makeRng(seed);
  const R: number[][] = [];
  for (let i = 0; i < dim; i++) {
    const v = Array.from({ length: dim }, () => r.normal());
    for (const u of R) {
      const dot = v.reduce((s, x, j) => s + x * u[j], 0);
      for (let j = 0; j < dim; j++) v[j] -= dot * u[j];
    }
    const norm = Math.hypot(...v);
    R.push(v.map((x) => x / norm));
  }
  return (x: ArrayLike<number>) =>
    R.reduce((f, row, i) => f + 10 ** ((6 * i) / (dim - 1)) * row.reduce((s, rij, j) => s + rij * x[j], 0) ** 2, 0);
}
const DIM = 8;
const fq = rotatedQuadratic(DIM, 11);
const BUDGET = 5000;
// CMA-ES with the tutorial's defaults (population 10 in 8 dimensions).
const cma = cmaesInit(Array(DIM).fill(1), 0.5);
const rngQ = makeRng(1);
const cmaCurve: { evals: number; best: number }[] = [];
let cmaBest = Infinity;
for (let used = 0; used + cma.params.lambda <= BUDGET; used += cma.params.lambda) {
  const X = cmaesAsk(cma, rngQ);
  const fit = Array.from({ length: cma.params.lambda }, (_, k) => fq(X.subarray(k * DIM, (k + 1) * DIM)));
  cmaBest = Math.min(cmaBest, ...fit);
  cmaesTell(
    cma,
    X,
    fit.map((v) => -v),
  );
  cmaCurve.push({ evals: used + cma.params.lambda, best: cmaBest });
}
// Diagonal CEM: population 40, 4 elites, no smoothing, no floor.
let cm = Float64Array.from(Array(DIM).fill(1));
let cs = Float64Array.from(Array(DIM).fill(0.5));
const cemCurve: { evals: number; best: number }[] = [];
let cemBest = Infinity;
for (let used = 0; used + 40 <= BUDGET; used += 40) {
  const pop = Array.from({ length: 40 }, () => Float64Array.from(cm, (m, j) => m + cs[j] * rngQ.normal()));
  const vals = pop.map((x) => fq(x));
  cemBest = Math.min(cemBest, ...vals);
  const elite = vals
    .map((_, i) => i)
    .sort((a, b) => vals[a] - vals[b])
    .slice(0, 4)
    .map((i) => pop[i]);
  ({ mean: cm, std: cs } = cemRefit(elite, cm, cs, 0, 0));
  cemCurve.push({ evals: used + 40, best: cemBest });
}
console.log(`after ${BUDGET} evaluations: CMA-ES best f = ${cmaBest.toExponential(1)}, diagonal CEM best f = ${cemBest.toExponential(1)}`);
const eig = cma.D.map((dj) => dj * dj);
console.log(
  `CMA-ES's covariance: eigenvalue ratio ${(Math.max(...eig) / Math.min(...eig)).toExponential(1)} (the Hessian's is 1e6; C learns its inverse)`,
);
await display(
  lineChart(
    [
      { name: "CMA-ES", x: cmaCurve.map((p) => p.evals), y: cmaCurve.map((p) => p.best) },
      { name: "diagonal CEM", x: cemCurve.map((p) => p.evals), y: cemCurve.map((p) => p.best) },
    ],
    {
      title: "Rotated ill-conditioned quadratic (8-D)",
      xTitle: "evaluations",
      yTitle: "best f so far",
      logY: true,
      width: 700,
      height: 280,
    },
  ),
);

// %% [markdown]
// CEM stalls: its axis-aligned variance collapses onto the narrowest direction before the mean has got
// anywhere along the others. CMA-ES's covariance turns to the valley and its step size keeps moving,
// until it reaches the optimum to machine precision. On the pendulum (the plot in section 1) the action
// sequence is 10-dimensional and its directions are correlated in time; there CMA-ES beat CEM at every
// budget of the benchmark.
//
// ## 4. Model-based, then model-free
//
// The lectures' central trade-off: a model-based learner uses few real samples, because every sample
// teaches it about the dynamics everywhere it goes; a model-free learner uses many, but is limited only
// by its function approximators, not by a model's errors or a planner's horizon, so it reaches a higher
// final return. Nagabandi et al. combine them:
//
// 1. learn a dynamics model and act by MPC through it, aggregating the data (version 1.5, notebook 02);
// 2. initialise a policy by imitating the MPC controller with DAgger (section 2's recipe);
// 3. fine-tune that policy with a model-free method (TRPO in the paper; here SAC, notebook 07's learner).
//    SAC's critic needs a start too: it is warmed up on transitions the learned model makes up all over
//    the region the real data span (beside the real ones), and SAC's batches keep a share of them that
//    fades from a half to zero over the fine-tuning, so that the last updates learn from real data only.
//
// `npm run bench -- mbmf --out datasets/results/mbmf.json` runs this on the pendulum (1 random and 4 MPC episodes, 3 DAgger
// rounds, then SAC) against SAC from scratch, 3 seeds, counting every real step of every phase, and
// wrote the file plotted here (datasets/results/mbmf.json). Each point is the mean return from the same
// five random starts.

// %%
interface MbmfResultFile {
  bench: string;
  command: string;
  seeds: number;
  modelFreeAsymptote: number;
  target: number;
  realStepsToTarget: { modelFree: number | null; mbmf: number | null };
  speedup: number | null;
  mbmfPhases: { phase: string; realSteps: number; evalReturn: number }[][];
  curves: { modelFree: { realSteps: number[]; evalReturn: number[] }[]; mbmf: { realSteps: number[]; evalReturn: number[] }[] };
}
const mbr = loadResult<MbmfResultFile>("mbmf");
console.log(`from: ${mbr.command}`);
const avg = (cs: { realSteps: number[]; evalReturn: number[] }[]) => {
  const len = Math.min(...cs.map((c) => c.realSteps.length));
  return {
    x: cs[0].realSteps.slice(0, len),
    y: Array.from({ length: len }, (_, i) => cs.reduce((s, c) => s + c.evalReturn[i], 0) / cs.length),
  };
};
const mf = avg(mbr.curves.modelFree);
const hy = avg(mbr.curves.mbmf);
await display(
  lineChart(
    [
      { name: "SAC from scratch", ...mf },
      { name: "MBMF (MPC, DAgger, then SAC)", ...hy },
      { name: "model-free asymptote", x: [0, mf.x[mf.x.length - 1]], y: [mbr.modelFreeAsymptote, mbr.modelFreeAsymptote], dashed: true },
    ],
    {
      title: `Pendulum: return vs real steps (mean of ${mbr.seeds} seeds)`,
      xTitle: "real environment steps",
      yTitle: "evaluation return",
      width: 700,
      height: 300,
    },
  ),
);
const steps = mbr.realStepsToTarget;
console.log(
  `real steps to within 10 % of the model-free asymptote (${mbr.modelFreeAsymptote.toFixed(0)}): SAC ${steps.modelFree ?? "never"}, MBMF ${steps.mbmf ?? "never"}`,
);
for (const [i, phases] of mbr.mbmfPhases.entries()) {
  console.log(`seed ${i}: ${phases.map((p) => `${p.phase} ${p.evalReturn.toFixed(0)} after ${p.realSteps} steps`).join("; ")}`);
}

// %% [markdown]
// Read the plot phase by phase; it is more instructive than the paper's smooth curves.
//
// * **Model-based** (the first point, after 1,000 real steps): MPC through the learned model is already
//   at the model-free asymptote on every seed. On the pendulum, a small state and smooth dynamics make
//   the model good fast; the price is a CEM optimisation at every decision.
// * **Distilled**: DAgger's first labels are the MPC episodes of phase 1 (the planner's own actions at the
//   states it visited, no extra real step), then one policy episode per round is labelled by the
//   planner. The network ends a little below MPC (printed above), and that is its teacher's level: the
//   labels come from the planner started afresh at each state, and that planner, run as a controller
//   on seed 0, returns $-150$ where MPC, which starts each plan from its previous one, returns $-125$
//   (one of the five starts takes an extra swing). Labels from MPC itself did not help (one run: $-151$).
// * **Fine-tuned**: the hand-over is the delicate part, and the first version of this benchmark failed
//   it. With SAC's critic fitted on the real transitions alone (1,000 of them: one random episode and
//   one good controller's track), the first SAC updates *destroyed* the handed-over policy on every
//   seed: 15 updates moved the policy's mode action by 0.45 on average (on a range of 4), 30 updates
//   and the return was at $-617$, and the mean of the seeds stayed below $-600$ for 2,800 real steps
//   (`npm run bench -- mbmf --no-model-warmup` reproduces that run). This is the well-known
//   **fine-tuning dip**: the critic knows the value of the actions that controller took and
//   extrapolates everywhere else; the actor climbs the extrapolation. A fresh optimiser state for the
//   actor, a ten times smaller actor step, a low temperature, and the actor frozen for 600 real steps
//   while the critic learned from its own transitions: each (one run, seed 0) still fell below $-1{,}000$.
//   The step was not the problem, the critic was.
//
//   The remedy used here is the model once more: it makes up 20,000 transitions from states drawn all
//   over the box the real states span, half with the policy's actions and half with random ones
//   (`modelTransitions`), and the critic is fitted on those beside the real ones before the first actor
//   update; SAC's batches then keep a made-up share that fades from a half to zero over the fine-tuning's
//   6,000 real steps (`fineTune.modelWarmup`). The curve above is that run: one evaluation at the
//   distilled level, then within 10 % of the model-free asymptote and staying there, on every seed (the
//   line printed above says from which step, for MBMF and for SAC from scratch). A shorter fade, over
//   the first 2,000 real steps, kept two seeds as steady, but the third relapsed once to $-381$ after
//   the made-up share had gone (`--fade 2000`): SAC from scratch relapses like that too (its curve above
//   does, around 5,000 steps), and the model's transitions steady the critic while real ones are few.
//   This is a departure from the paper, whose fine-tuning is purely model-free: here the model keeps
//   helping, less and less, until the end.
//
// So the trade-off of the lectures shows: model-based control is by far the most sample-efficient here,
// the model-free learner reaches the same final return only after many more samples, and handing over
// from one to the other keeps the savings only if the hand-over keeps what was learned: the actor *and*
// a critic that has seen more than one controller's track.
//
// ## Summary
//
// * Tree search (UCT) grows a tree of futures through a model, choosing children by the bandit rule
//   $\bar Q + c\sqrt{\ln N / n}$; it shines with few discrete actions and small budgets. AlphaZero adds a
//   learned value and policy prior; MuZero a learned latent model.
// * An expensive search can be distilled into a fast network with DAgger (Guo et al.).
// * CMA-ES adapts a full covariance and a step size; it handles correlated, ill-conditioned problems
//   where CEM's diagonal Gaussian stalls.
// * MBMF: model-based for sample efficiency, imitation to hand over, model-free for the final return;
//   the hand-over must protect the imitated policy from a critic that has seen little (the dip); here
//   the model's made-up transitions give the critic that start.
//
// ## Check your understanding
//
// 1. Why does the UCT bonus grow with $\ln N(s)$ rather than with $N(s)$? What would a tree search do
//    with the bonus $\sqrt{N(s)/N(s, a)}$ on the pendulum?
// 2. The tree search's return hardly improves from 100 to 1,000 simulations, while CEM's keeps improving.
//    What limits each of them? What would you change to raise the tree search's ceiling, and what would
//    it cost?
// 3. In CMA-ES, why are the selected steps measured from the *old* mean? What would $C$ learn if they
//    were measured from the new one, on a long straight valley?
// 4. Why can a critic fitted only on one good controller's data mislead the actor that imitated that
//    controller? The made-up transitions fade out of SAC's batches by the end of the fine-tuning: what
//    could go wrong if their share stayed at a half, on a system whose model is worse than the
//    pendulum's?
// 5. You have a simulator that costs nothing and a robot that costs a lot. Which of this notebook's
//    methods would you run where, and why?
//
// ## Try it
//
// * In the swing-up cell of section 1, set the tree search's `simulations` to 30 and then to 300, and
//   `LEVELS` to five torques `[[-2], [-1], [0], [1], [2]]`: does the finer action set raise the return at
//   the same number of simulations, or does the wider tree need more of them?
// * In the quadratic cell of section 3, replace `rotatedQuadratic` by an *axis-aligned* one (drop the
//   rotation: `R` the identity). Does CEM still stall? What does that tell you about when a diagonal
//   Gaussian is enough?
// * In section 2, run DAgger for 5 rounds instead of 2 (`iterations`), and compare the network's return
//   with the benchmark's search return. How many labels did it take?
