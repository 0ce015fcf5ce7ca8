// %% [markdown]
// # 05 · PETS: probabilistic ensembles with trajectory sampling
//
// Notebook 04 built models that know what they do not know: a Gaussian network whose variance
// captures **aleatoric** noise, and an ensemble whose members disagree where data is missing
// (**epistemic** uncertainty). Here we *plan* with such a model, following PETS (Chua et al. 2018,
// lectures 002 and 003):
//
// 1. **Probabilistic ensemble** (PE): $B = 5$ Gaussian networks, each trained by negative
//    log-likelihood on its own bootstrap resample of the data, predicting the normalised state change
//    $s' - s$ with a mean $\mu_b(s,a)$ and a soft-bounded log-variance.
// 2. **Trajectory sampling** (TS): an action sequence is scored by propagating $P$ *particles* through
//    the ensemble: at each step a particle moves to a sample of one member's Gaussian.
// 3. **CEM-MPC**: the cross-entropy method (notebook 02) searches action sequences, scoring each by the
//    *mean return of its particles*; only the first action is executed, then we replan.
//
// Averaging over particles means averaging over both kinds of uncertainty: a sequence that only works
// if the model happens to be right everywhere scores poorly, so the planner avoids what the model has
// not seen yet, which is what makes model exploitation (notebook 02, version 0.5) much rarer.
//
// **Compute.** This notebook runs on a small shared CPU, so everything live is small: short trials,
// small populations and few particles. The settings are printed next to every result, and the larger
// runs of the benchmark `npm run bench -- pets` are shown as stored numbers, clearly labelled.

// %%
import { initBackend, makeRng } from "mbrl/core";
import { display, lineChart, combine, progress } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { CartPole } from "mbrl/envs";
import { envReward, oracleModel } from "mbrl/models";
import {
  runPets,
  ablationModel,
  particleFan,
  particleAveragedReturns,
  petsPlanner,
  type PetsPlannerConfig,
  type DecisionRule,
} from "mbrl/pets";
import { randomPolicy, runEpisode } from "mbrl/mbrl";

console.log((await initBackend()).message);

// %% [markdown]
// ## 1. The task
//
// Cart-pole swing-up (the PILCO cart-pole of notebook 09): the pole starts hanging down, a force
// $u \in [-10, 10]$ N pushes the cart, $\Delta t = 0.1$ s. The PETS reward of a step is
//
// $$ r(s, u) = \exp\!\left(-\lVert \text{tip}(s) - \text{tip}_{\text{up}} \rVert^2 / \ell^2\right) - 0.01\,u^2, $$
//
// close to 1 when the pole tip is at the upright position (cart at the origin), minus a small price
// for force. The reward is known to the agent; only the dynamics are learned.

// %%
const NB = {
  trialSteps: 40,
  trials: 6,
  hiddenSizes: [64, 64],
  members: 5,
  planner: { population: 40, elites: 4, iterations: 3, horizon: 12, particles: 10 } as PetsPlannerConfig,
};
const makeEnv = (seed: number) => new CartPole({ reward: "pets", maxSteps: NB.trialSteps, seed });
const env = makeEnv(0);
const reward = envReward(env);
const modelConfig = (seed: number) => ({ stateDim: 4, actionDim: 1, angleDims: [2], hiddenSizes: NB.hiddenSizes, epochs: 5, minSteps: 100, seed });
console.log("notebook settings:", JSON.stringify(NB));
const randomRet = runEpisode(env, randomPolicy(env, makeRng(1)), { seed: 1 }).return;
console.log(`a random policy scores ${randomRet.toFixed(1)} over ${NB.trialSteps} steps (the force penalty dominates)`);

// %% [markdown]
// ## 2. Trajectory sampling, by hand
//
// Take $P$ particles, all at $s_0$, and one action sequence $a_0, \dots, a_{H-1}$. With **TS1**, at
// every step $t$ and for every particle $p$:
//
// 1. draw a member $b \sim \text{Uniform}\{0, \dots, B-1\}$ (a fresh one each step);
// 2. move the particle to a sample of that member's Gaussian,
//    $s^p_{t+1} = \mu_b(s^p_t, a_t) + \sigma_b \odot \xi$, $\;\xi \sim \mathcal{N}(0, I)$.
//
// **TS$\infty$** instead draws the member once per particle and keeps it for the whole trajectory:
// every particle then lives in one plausible "world", so the spread *between* particles of different
// members shows epistemic uncertainty and the spread *within* one member's particles aleatoric noise.
// TS1 mixes the members along each path.
//
// To keep the exercise about the sampling, the members here are linear-Gaussian:
// $\mu_b(s, a) = A_b [s; a] + c_b$ with a fixed standard deviation per state dimension.
//
// **Exercise (ts1-propagation).** Implement TS1. Use `rng = makeRng(seed)` and, for each step `t`
// and then each particle `p` in order, draw the member with `rng.int(members.length)` and then
// one `rng.normal()` per state dimension (in order). Return every particle's states
// `states[p][t]` ($t = 0..H$, starting with a copy of `s0`) and the members used, `members[t][p]`.

// %% exercise id=ts1-propagation points=3
/** One ensemble member: s' = A [s; a] + c + std * xi, xi ~ N(0, I) (std per state dimension). */
interface GaussianMember {
  A: number[][];
  c: number[];
  std: number[];
}

function ts1Propagate(
  s0: number[],
  actions: number[][],
  members: GaussianMember[],
  particles: number,
  seed: number,
): { states: number[][][]; members: number[][] } {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: ts1-propagation");
  // END SOLUTION
}

// %% check id=ts1-propagation
{
  // Two noiseless members: member 0 keeps x, member 1 adds 1. Each step reveals the member drawn.
  const twoWorlds: GaussianMember[] = [
    { A: [[1, 0]], c: [0], std: [0] },
    { A: [[1, 0]], c: [1], std: [0] },
  ];
  const r = ts1Propagate([0], Array.from({ length: 8 }, () => [0]), twoWorlds, 50, 3);
  check("one path per particle, H + 1 states each", r.states.length === 50 && r.states.every((p) => p.length === 9));
  check("one row of members per step", r.members.length === 8 && r.members.every((row) => row.length === 50));
  checkClose("particles start at s0", r.states.map((p) => p[0]), Array.from({ length: 50 }, () => [0]));
  let consistent = true;
  for (let t = 0; t < 8; t++) for (let p = 0; p < 50; p++) consistent &&= r.states[p][t + 1][0] - r.states[p][t][0] === r.members[t][p];
  check("each step follows the member drawn for it", consistent);
  const ones = r.members.flat().filter((b) => b === 1).length / 400;
  check("members drawn uniformly", Math.abs(ones - 0.5) < 0.1, `fraction of member 1: ${ones}`);
  const switches = r.members.slice(1).reduce((n, row, t) => n + row.filter((b, p) => b !== r.members[t][p]).length, 0);
  check("a fresh member every step (TS1, not TSinf)", switches > 100, `${switches} member switches`);
  // One noisy member: x' = x + 0.5 xi, so after 4 steps the spread is 0.5 * sqrt(4) = 1.
  const noisy = ts1Propagate([0], [[0], [0], [0], [0]], [{ A: [[1, 0]], c: [0], std: [0.5] }], 2000, 5);
  const final = noisy.states.map((p) => p[4][0]);
  const m = final.reduce((a, b) => a + b, 0) / final.length;
  const sd = Math.sqrt(final.reduce((a, b) => a + (b - m) ** 2, 0) / final.length);
  check("aleatoric noise: spread after 4 steps about 1", Math.abs(sd - 1) < 0.06, `std ${sd.toFixed(3)}`);
  const again = [ts1Propagate([1], [[1]], twoWorlds, 3, 9), ts1Propagate([1], [[1]], twoWorlds, 3, 9)].map((x) => [x.states, x.members]);
  checkClose("seeded: the same seed gives the same particles", again[0], again[1]);
}

// %% [markdown]
// With a mixed ensemble the particles fan out: members that disagree send particles to different
// places, and each member's own noise blurs them further. (The lines below use the library's
// `propagateParticles`, the same algorithm over batches.)
//
// ## 3. The score of a sequence: the particle-averaged return
//
// Each particle $p$ of candidate $n$ collects rewards $r^{n,p}_0, \dots, r^{n,p}_{H-1}$ along its path.
// CEM ranks candidates by
//
// $$ J_n = \frac{1}{P} \sum_{p=1}^{P} \sum_{t=0}^{H-1} \gamma^t\, r^{n,p}_t , $$
//
// a Monte Carlo estimate of the expected return under the model's uncertainty.
//
// **Exercise (particle-averaged-return).** `rewards[n][p][t]` holds the rewards; return $J_n$ for every
// candidate $n$.

// %% exercise id=particle-averaged-return points=2
function particleAveragedReturn(rewards: number[][][], gamma: number): number[] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: particle-averaged-return");
  // END SOLUTION
}

// %% check id=particle-averaged-return
{
  checkClose("one particle: its return", particleAveragedReturn([[[1, 2, 3]]], 1), [6]);
  checkClose("two particles: their mean", particleAveragedReturn([[[1, 1], [3, 3]]], 1), [4]);
  checkClose("discounted: 1 + 0.5 * 2", particleAveragedReturn([[[1, 2]]], 0.5), [2]);
  checkClose("candidates are scored separately", particleAveragedReturn([[[1]], [[5], [7]]], 0.9), [1, 6]);
  const rng = makeRng(2);
  const R = Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => rng.normal())));
  const totals = R.flatMap((c) => c.map((p) => p.reduce((a, b) => a + b, 0)));
  checkClose("agrees with the library (gamma = 1)", particleAveragedReturn(R, 1), Array.from(particleAveragedReturns(totals, 4, 6)), 1e-12);
}

// %% [markdown]
// ## 4. PETS, live
//
// The loop: one random trial, then for each trial (i) train the ensemble on all data so far (five
// epochs, continuing from the previous weights), (ii) run one trial with CEM-MPC, scoring candidates
// by the particle-averaged return with TS1, (iii) add the trial's transitions to the data.
// The **oracle** runs the same planner with the true dynamics: the best this planner can do with these
// settings. Notebook settings (small; see the benchmark below for larger ones): 40-step trials,
// 6 trials, 5 members of 2 x 64 units, CEM population 40, 3 iterations, horizon 12, 10 particles
// (the benchmark uses 20, the PETS default). This cell takes about a minute.

// %%
const bar = progress(NB.trials, { label: "PETS trials" });
const pe = ablationModel("PE", modelConfig(1), NB.members);
const petsRun = await runPets({
  env: makeEnv(1),
  model: pe,
  reward,
  planner: NB.planner,
  trials: NB.trials,
  seed: 1,
  onTrial: (t) => bar.update(t.trial, { return: t.return.toFixed(1), "s/decision": t.decisionSeconds.toFixed(3) }),
});
bar.close();
const oracleRun = await runPets({ env: makeEnv(1), model: oracleModel(env), reward, planner: NB.planner, trials: NB.trials, learn: false, seed: 1 });
const trialIdx = petsRun.trials.map((t) => t.trial);
const oracleMean = oracleRun.trials.reduce((a, t) => a + t.return, 0) / NB.trials;
await display(
  lineChart(
    [
      { name: "PETS (PE-TS1)", x: trialIdx, y: petsRun.trials.map((t) => t.return), points: true },
      { name: "oracle (true dynamics)", x: trialIdx, y: oracleRun.trials.map((t) => t.return), points: true, dashed: true },
      { name: "random policy", x: trialIdx, y: trialIdx.map(() => petsRun.randomReturns[0]), dashed: true },
    ],
    { title: "Live run: return per trial (1 seed, notebook settings)", xTitle: "trial", yTitle: "return" },
  ),
);
console.log("PETS returns:", petsRun.trials.map((t) => t.return.toFixed(1)).join(", "), ` | oracle mean ${oracleMean.toFixed(1)}`);
console.log(`seconds per decision ${(petsRun.trials.reduce((a, t) => a + t.decisionSeconds, 0) / NB.trials).toFixed(3)}, per training round ${(petsRun.trials.reduce((a, t) => a + t.trainSeconds, 0) / NB.trials).toFixed(2)}`);

// %% [markdown]
// After one random trial the model knows only the bottom of the swing, and the first plans barely
// move the pole; each trial adds data where the plans went, so the model improves exactly where the
// planner needs it. Six short trials of one seed are a noisy picture (a single trial can fail to
// swing up). The benchmark runs the same loop longer, with larger settings, on 3 seeds; its stored
// numbers follow (rerun it with `npm run bench -- pets`).

// %%
// From one run of `npm run bench -- pets` (3 seeds; 40-step trials; 5 members of 2 x 128 units;
// CEM population 50, 5 elites, 3 iterations, horizon 12, 20 particles, TS1; 21 minutes on the
// shared 2-core machine). The ablation curves are means over the same 3 seeds, from
// `npm run bench -- pets --ablation-only --ablation-seeds 3` (9 minutes; PE is the main run).
// See the benchmark's last JSON line for everything.
const BENCH = {
  oracleReturn: 14.9,
  randomReturn: -12.1,
  returnByTrial: [2.5, 4.9, 4.1, 7.4, 8.5, 7.1, 10.2, 12.5, 7.9, 15.6, 16.8, 15.4, 10.2, 15.2, 13.1],
  returnByTrialPerSeed: [[4.1, 6.4, 1.4, 8.7, 8.5, 5.8, 12.3, 19.2, 5.7, 20.5, 16, 15.9, 11.4, 15.3, 10], [2.4, 6.8, 6.9, 5.8, 6.3, 11.5, 11.1, 11.3, 7.7, 17, 19.7, 13.9, 12, 11.1, 11.4], [1, 1.3, 4.1, 7.6, 10.6, 4.1, 7.3, 7.1, 10.4, 9.1, 14.9, 16.4, 7.2, 19.3, 17.9]],
  trialsTo90PercentOfOracle: 10,
  ablation: { D: 9, P: 11, DE: 10, PE: 10 } as Record<string, number | null>,
  ablationReturnByTrial: { D: [-0.3, 1.8, 4.5, 5, 13, 10.9, 11.9, 13.1, 15, 10.2, 4.9, 13.5, 8.6, 13.9, 13], P: [-0.2, 4.8, 6.4, 5.8, 8.2, 8.4, 11.7, 12.4, 9.5, 9.7, 15, 8.3, 15, 15.5, 14.5], DE: [3.6, 5, 7.2, 7.2, 8.1, 10.6, 9.1, 13.1, 9.4, 13.7, 13.9, 11.4, 12.3, 8.8, 9.5], PE: [2.5, 4.9, 4.1, 7.4, 8.5, 7.1, 10.2, 12.5, 7.9, 15.6, 16.8, 15.4, 10.2, 15.2, 13.1] } as Record<string, number[]>,
  secondsPerDecision: 0.473,
  secondsPerTrainingRound: 5.77,
};
const bx = BENCH.returnByTrial.map((_, k) => k + 1);
await display(
  lineChart(
    [
      ...BENCH.returnByTrialPerSeed.map((r, i) => ({ name: `PETS seed ${i + 1}`, x: bx, y: r, dashed: true })),
      { name: "PETS (PE-TS1), mean of 3 seeds", x: bx, y: BENCH.returnByTrial, points: true },
      { name: "oracle", x: bx, y: bx.map(() => BENCH.oracleReturn), dashed: true },
      { name: "90 % of the oracle", x: bx, y: bx.map(() => 0.9 * BENCH.oracleReturn), dashed: true },
      { name: "random policy", x: bx, y: bx.map(() => BENCH.randomReturn), dashed: true },
    ],
    { title: "Benchmark (stored): return per trial", xTitle: "trial", yTitle: "return" },
  ),
);
console.log(
  `benchmark: oracle ${BENCH.oracleReturn}, random ${BENCH.randomReturn}; the mean PETS return first reaches 90 % of the ` +
    `oracle's at trial ${BENCH.trialsTo90PercentOfOracle}; ${BENCH.secondsPerDecision} s per decision, ` +
    `${BENCH.secondsPerTrainingRound} s per training round (wasm backend, shared machine)`,
);

// %% [markdown]
// The mean over seeds reaches 90 % of the oracle's return at trial 10 (400 real transitions after
// the random trial) and stays around the oracle's level afterwards, with the occasional failed
// trial (seed 1, trial 9): a plan that looked good to the model did not swing the pole up.
//
// ## 5. The fan of one plan
//
// What does the planner "see"? Take the model after the live run, plan from a state of its best trial
// in mid-swing (the pole near horizontal), and propagate 20 particles through the chosen sequence. With TS1 each particle hops between
// members; with TS$\infty$ each stays with one member, so groups of particles show the members'
// different opinions. The black line is what the true system does with the same actions, open loop.

// %%
{
  const best = petsRun.trials.reduce((a, t) => (t.return > a.return ? t : a));
  const s0 = best.states.find((s) => Math.abs(Math.cos(s[2])) < 0.3) ?? best.states[10];
  console.log(`start of the plan: x ${s0[0].toFixed(2)} m, theta ${s0[2].toFixed(2)} rad (trial ${best.trial})`);
  const planCfg = { ...NB.planner, horizon: 15, particles: 20 };
  const rng = makeRng(7);
  const plan = petsPlanner(pe, reward, env.actionSpace.low, env.actionSpace.high, planCfg)(s0, rng);
  const truth = [s0];
  for (const a of plan.actions) truth.push(env.nextState(truth[truth.length - 1], a));
  const charts = (["TS1", "TSinf"] as const).map((kind) => {
    const fan = particleFan(pe, reward, env.actionSpace.low, env.actionSpace.high, { ...planCfg, propagation: kind }, s0, plan.actions, makeRng(8));
    const steps = truth.map((_, t) => t);
    return lineChart(
      [
        ...fan.states.map((path, p) => ({ name: `particle ${p + 1}`, x: steps, y: path.map((s) => s[2]) })),
        { name: "true system", x: steps, y: truth.map((s) => s[2]), dashed: true },
      ],
      { title: `${kind}: pole angle of 20 particles (score ${fan.score.toFixed(1)})`, xTitle: "step", yTitle: "theta (rad), pi = upright", width: 330 },
    );
  });
  await display(combine(charts));
}

// %% [markdown]
// Where the data is dense (the first steps) the particles agree with each other and with the truth;
// further out they spread, and the score averages over that spread. A plan that relies on a
// prediction only some members make is scored by all of them.
//
// ## 6. Ablation: which ingredient matters?
//
// PETS's ablation compares four models, all with the same planner and TS1:
//
// | | one network | ensemble of 5 |
// |---|---|---|
// | deterministic (MSE) | **D** | **DE** |
// | probabilistic (NLL) | **P** | **PE** |
//
// D has no notion of uncertainty; P knows aleatoric noise only; DE knows epistemic uncertainty only
// (through disagreement); PE has both. Stored from the benchmark: the first trial whose return
// reaches 90 % of the oracle's (null: not within the benchmark's trials).
//
// On this forgiving task (short trials, a dense known reward) the first crossing of the threshold
// does not separate the four: D 9, DE 10, PE 10, P 11 (means over 3 seeds; each curve is noisy).
// Where they differ is later: over trials 11 to 15 the probabilistic models hold a higher return
// (printed below), while the deterministic ones are lower and more erratic (D's mean drops to 4.9 at
// trial 11), as expected of plans that exploit model errors; three seeds are still few. The PETS
// paper's clearer ranking (PE best, D worst) comes from harder tasks and longer training. D is by
// far the cheapest: one particle, one network.

// %%
console.log("benchmark ablation (3 seeds), trials to 90 % of the oracle:", JSON.stringify(BENCH.ablation));
for (const [v, curve] of Object.entries(BENCH.ablationReturnByTrial)) {
  const late = curve.slice(10);
  console.log(`${v.padEnd(2)} mean return over trials 11-15: ${(late.reduce((a, b) => a + b, 0) / late.length).toFixed(1)}`);
}
{
  const names = Object.keys(BENCH.ablationReturnByTrial);
  if (names.length > 0) {
    await display(
      lineChart(
        names.map((v) => ({ name: v, x: BENCH.ablationReturnByTrial[v].map((_, k) => k + 1), y: BENCH.ablationReturnByTrial[v], points: true })),
        { title: "Benchmark (stored): ablation, mean return per trial over 3 seeds", xTitle: "trial", yTitle: "return" },
      ),
    );
  }
}

// %% [markdown]
// And a tiny live version: D (one deterministic network, so one particle suffices) against the PE
// run above, same seed, settings and start states. One seed of six short trials is far too little
// to rank the variants; it shows the mechanics, and how much cheaper D is per decision.

// %%
{
  const d = ablationModel("D", modelConfig(1));
  const dRun = await runPets({ env: makeEnv(1), model: d, reward, planner: NB.planner, trials: NB.trials, seed: 1 });
  d.dispose();
  await display(
    lineChart(
      [
        { name: "D", x: dRun.trials.map((t) => t.trial), y: dRun.trials.map((t) => t.return), points: true },
        { name: "PE", x: trialIdx, y: petsRun.trials.map((t) => t.return), points: true },
      ],
      { title: "Live ablation: D vs PE (1 seed, notebook settings)", xTitle: "trial", yTitle: "return" },
    ),
  );
  const perDecision = (r: typeof dRun) => (r.trials.reduce((a, t) => a + t.decisionSeconds, 0) / r.trials.length).toFixed(3);
  console.log(`D  returns ${dRun.trials.map((t) => t.return.toFixed(1)).join(", ")} (${perDecision(dRun)} s per decision)`);
  console.log(`PE returns ${petsRun.trials.map((t) => t.return.toFixed(1)).join(", ")} (${perDecision(petsRun)} s per decision)`);
}

// %% [markdown]
// ## 7. Greedy, posterior sampling, optimism
//
// With a posterior over models $p(f \mid \mathcal{D})$ (here: the ensemble) there are several ways to
// act (lecture 001):
//
// * **greedy**: $\pi = \arg\max_\pi \mathbb{E}_{f \sim p(f \mid \mathcal{D})} J(\pi; f)$, the PETS
//   default: particles spread over all members;
// * **posterior sampling**: draw one model $\tilde f \sim p(f \mid \mathcal{D})$ per trial (one member)
//   and act optimally for it; no extra parameter, and it explores because different trials trust
//   different members;
// * **optimism** (UCB): maximise an upper bound; here, with the particles split over the members
//   (TS$\infty$) and $J_b$ the mean return of member $b$'s particles,
//   $J = \text{mean}_b J_b + \beta\, \text{std}_b J_b$ with $\beta = 1$.
//
// To compare the rules under the *same* posterior, each acts with the ensemble trained in the live run
// above (no further learning) for 3 trials from the same start states. Posterior sampling draws a
// new member each trial, so its trials differ the most: sometimes the drawn member is a good model,
// sometimes not. Its benefit, exploration across trials, would show only over a learning run.
// Optimism prefers sequences on which the members disagree about a *high* return: with a young model
// that can mean bolder swings. With three trials of one seed, which rule comes out ahead says little;
// the point is how each rule turns the same ensemble into a decision.

// %%
{
  const rules: DecisionRule[] = ["greedy", "posterior", "optimism"];
  const curves: { name: string; x: number[]; y: number[]; points: boolean }[] = [];
  for (const rule of rules) {
    const run = await runPets({ env: makeEnv(3), model: pe, reward, planner: { ...NB.planner, beta: 1 }, trials: 3, randomTrials: 0, learn: false, seed: 3, rule });
    const drawn = rule === "posterior" ? ` (last member drawn: ${run.controller.sampledMember})` : "";
    curves.push({ name: rule, x: run.trials.map((t) => t.trial), y: run.trials.map((t) => t.return), points: true });
    console.log(`${rule.padEnd(10)} returns: ${run.trials.map((t) => t.return.toFixed(1)).join(", ")}${drawn}`);
  }
  await display(lineChart(curves, { title: "Decision rules with the same trained ensemble (3 trials each)", xTitle: "trial", yTitle: "return" }));
}

// %% [markdown]
// ## PETS at the papers' scale (a stored run)
//
// Everything above is small enough to run here. `npm run bench -- pets --paper` runs PETS with
// mbrl-lib's cart-pole settings (200-step trials, an ensemble of 7 networks of 4 x 200 units, 5 elites,
// TS1 with 20 particles, CEM with population 350, 5 iterations, horizon 15) and the oracle with the
// same planner, and stores the returns per trial in `test/bench/results/pets-paper.json`. The chart is
// drawn from that file; its `contents` line says what the stored run holds (a run cut short says
// PARTIAL and shows only the trials that ran). The grey band is where PETS (Fig. 3) and mbrl-lib
// report cart-pole by trial 10.

// %%
import * as fs from "fs";
import * as path from "path";
{
  // The repository root: node_modules/mbrl is a link to dist/, which sits in the root.
  const root = path.dirname(path.dirname(require.resolve("mbrl/package.json")));
  const stored = JSON.parse(fs.readFileSync(path.join(root, "test", "bench", "results", "pets-paper.json"), "utf8"));
  console.log(`${stored.command}: ${stored.contents}`);
  const seeds: { seed: number; petsReturns: number[]; oracleReturns: number[] }[] = stored.seeds;
  const trials = stored.config.trials as number;
  const band = stored.paperBand as { low: number; high: number };
  const curves: Parameters<typeof lineChart>[0] = seeds
    .filter((s) => s.petsReturns.length > 0)
    .map((s) => ({ name: `PETS seed ${s.seed}`, x: s.petsReturns.map((_, k) => k + 1), y: s.petsReturns, points: true }));
  const oracle = seeds.flatMap((s) => s.oracleReturns);
  const oracleMean = oracle.reduce((a, b) => a + b, 0) / Math.max(oracle.length, 1);
  const xs = Array.from({ length: trials }, (_, k) => k + 1);
  curves.push({ name: `oracle (mean of ${oracle.length} trials)`, x: xs, y: xs.map(() => oracleMean), dashed: true });
  curves.push({ name: "PETS / mbrl-lib band", x: xs, y: xs.map(() => (band.low + band.high) / 2), lower: xs.map(() => band.low), upper: xs.map(() => band.high) });
  await display(lineChart(curves, { title: "PETS at the papers' scale (stored: npm run bench -- pets --paper)", xTitle: "trial", yTitle: "return", xDomain: [1, trials] }));
}

// %% [markdown]
// ## Summary
//
// * A probabilistic ensemble carries both kinds of uncertainty: each member's Gaussian (aleatoric) and
//   the members' disagreement (epistemic).
// * Trajectory sampling turns that into particles; CEM scores a sequence by the particles' mean return
//   (your two exercises), so plans that only work in some members' worlds are discounted.
// * MPC replans every step from the real state, and each trial's data goes where the plans went; PETS
//   approaches the oracle within a few trials (the benchmark above).
// * How to use epistemic uncertainty is a choice: greedy expectation, posterior sampling, or optimism.

// %%
pe.dispose();
