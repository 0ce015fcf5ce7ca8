// %% [markdown]
// # 05 · PETS: probabilistic ensembles with trajectory sampling
//
// Notebook 04 built models that know what they do not know: a Gaussian network whose variance
// captures **aleatoric** noise, and an ensemble whose members disagree where data is missing
// (**epistemic** uncertainty). Here we *plan* with such a model, following PETS (Chua et al. 2018;
// Stanford lecture, seed 002, "Case study: PETS"; CMU lecture, seed 003, "Deep Reinforcement Learning
// in a Handful of Trials using Probabilistic Dynamics Models" and "Propagating Particles"):
//
// 1. **Probabilistic ensemble** (PE): $B = 5$ Gaussian networks, each trained by negative
//    log-likelihood on its own bootstrap resample of the data, predicting the normalised state change
//    $s' - s$ with a mean $\mu_b(s,a)$ and a soft-bounded log-variance.
// 2. **Trajectory sampling** (TS): an action sequence is scored by propagating $P$ *particles* through
//    the ensemble: at each step a particle moves to a sample of one member's Gaussian.
// 3. **CEM-MPC**: the cross-entropy method (notebook 02) searches action sequences, scoring each by the
//    *mean return of its particles*; only the first action is executed, then we replan.
//
// Averaging over particles means averaging over both kinds of uncertainty. The average itself is
// **risk-neutral**: spread in the predictions costs nothing unless it lowers the expected reward. It
// does here, because the reward saturates (it is at most 1, reached only near the upright target), so
// particles that scatter away from the target earn less on average than particles that agree on it.
// A sequence that only works if the model happens to be right everywhere then scores poorly, the
// planner avoids what the model has not seen yet, and model exploitation (notebook 01's hill, where
// version 0.5 walked off the cliff) becomes much rarer. With a reward linear in the state, the same
// spread would not change the average at all.
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
import { runPets, ablationModel, particleFan, optimisticReturns, petsPlanner, type PetsPlannerConfig, type DecisionRule } from "mbrl/pets";
import { randomPolicy, runEpisode } from "mbrl/mbrl";
import { loadResult } from "mbrl/datasets";

console.log((await initBackend()).message);

// %% [markdown]
// ## 1. The task
//
// Cart-pole swing-up (the cart-pole of the PILCO and PETS papers): the pole starts hanging down, a force
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
const modelConfig = (seed: number) => ({
  stateDim: 4,
  actionDim: 1,
  angleDims: [2],
  hiddenSizes: NB.hiddenSizes,
  epochs: 5,
  minSteps: 100,
  seed,
});
console.log("notebook settings:", JSON.stringify(NB));
const randomRet = runEpisode(env, randomPolicy(env, makeRng(1)), { seed: 1 }).return;
console.log(`a random policy scores ${randomRet.toFixed(1)} over ${NB.trialSteps} steps (the force penalty dominates)`);

// %% [markdown]
// ## 2. Trajectory sampling, by hand
//
// *Lecture: seed 002, "Case study: PETS" (propagation: sample different models and use them); seed 003,
// "Propagating Particles".*
//
// Take $P$ particles, all at $s_0$, and one action sequence $a_0, \dots, a_{H-1}$. With **TS1**, at
// every step $t$ and for every particle $p$:
//
// 1. draw a member $b \sim \text{Uniform}\{0, \dots, B-1\}$ (a fresh one each step);
// 2. move the particle by a sample of that member's Gaussian over the **change** of state (the
//    members predict $s' - s$, notebook 01's delta), $s^p_{t+1} = s^p_t + \mu_b(s^p_t, a_t) + \sigma_b \odot \xi$,
//    $\;\xi \sim \mathcal{N}(0, I)$.
//
// **TS$\infty$** instead draws the member once per particle and keeps it for the whole trajectory:
// every particle then lives in one plausible "world", so the spread *between* particles of different
// members shows epistemic uncertainty and the spread *within* one member's particles aleatoric noise.
// TS1 mixes the members along each path.
//
// To keep the exercise about the sampling, the members here are linear-Gaussian and predict the next
// state directly: $s' = A_b [s; a] + c_b + \sigma_b \odot \xi$ with a fixed standard deviation per state
// dimension (a delta model is the special case $A_b = [I + \tilde A_b,\ \cdot\,]$).
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
  const r = ts1Propagate(
    [0],
    Array.from({ length: 8 }, () => [0]),
    twoWorlds,
    50,
    3,
  );
  check("one path per particle, H + 1 states each", r.states.length === 50 && r.states.every((p) => p.length === 9));
  check("one row of members per step", r.members.length === 8 && r.members.every((row) => row.length === 50));
  checkClose(
    "particles start at s0",
    r.states.map((p) => p[0]),
    Array.from({ length: 50 }, () => [0]),
  );
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
// ## 3. The score of a sequence: the mean, and an optimistic alternative
//
// *Lecture: seed 001, "Decision-making Under Uncertainty" (the greedy, posterior-sampling and UCB
// rules); seed 002, "Case study: PETS".*
//
// Each particle $p$ of candidate $n$ collects rewards along its path; its return is $R^{n,p}$. PETS
// ranks candidates by the **particle average** $J_n = \frac{1}{P}\sum_p R^{n,p}$, a Monte Carlo
// estimate of the expected return under the model's uncertainty (the library's
// `particleAveragedReturns`). That is the **greedy** rule of the lecture:
// $\pi = \arg\max_\pi \mathbb{E}_{f \sim p(f \mid \mathcal{D})} J(\pi; f)$.
//
// **Optimism** instead maximises an upper bound, $\max_\pi \max_{f \in \mathcal{M}} J(\pi; f)$ over a
// confidence set $\mathcal{M}$ of plausible dynamics. Searching over $\mathcal{M}$ is expensive; a
// common **heuristic approximation** uses the ensemble members as samples of plausible dynamics and
// adds a bonus for their disagreement. With TS$\infty$ every particle keeps one member $b$ for its whole
// path, so each member's opinion is the mean return of its own particles, $J_b$, and
//
// $$J^{\text{UCB}}_n = \operatorname{mean}_b J_b + \beta\, \operatorname{std}_b J_b ,$$
//
// with the mean and the (population) standard deviation over the members present. Only the spread
// **between members** (epistemic: the models disagree) earns a bonus; the spread of one member's
// particles is that member's aleatoric noise, which more data will not remove, so it earns nothing.
//
// ### Exercise: the optimistic score (3 points)
//
// Write `optimisticScore(returns, members, beta)`: `returns[n][p]` is the return of particle $p$ of
// candidate $n$, `members[n][p]` the member it followed. Return $J^{\text{UCB}}_n$ for every candidate.

// %% exercise id=optimistic-score points=3
function optimisticScore(returns: number[][], members: number[][], beta: number): number[] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: optimistic-score");
  // END SOLUTION
}

// %% check id=optimistic-score
{
  checkClose(
    "one member whose particles disagree: aleatoric spread earns no bonus",
    optimisticScore([[0, 10, 0, 10]], [[0, 0, 0, 0]], 1),
    [5],
  );
  checkClose(
    "each member counts once, however many particles it has: J_b = (1, 5), mean 3, std 2",
    optimisticScore([[1, 1, 1, 5]], [[0, 0, 0, 1]], 1),
    [5],
  );
  checkClose("beta = 0 is the mean of the members' opinions", optimisticScore([[1, 3, 6, 6]], [[0, 0, 1, 1]], 0), [4]);
  checkClose("beta scales the bonus for disagreement (std 2)", optimisticScore([[1, 3, 6, 6]], [[0, 0, 1, 1]], 1.5), [7]);
  checkClose(
    "candidates are scored separately",
    optimisticScore(
      [
        [2, 2],
        [0, 4],
      ],
      [
        [0, 1],
        [0, 1],
      ],
      1,
    ),
    [2, 4],
  );
  const rng = makeRng(2);
  const R = Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => rng.normal()));
  const M = Array.from({ length: 4 }, () => Array.from({ length: 10 }, () => rng.int(5)));
  checkClose(
    "agrees with the library's optimisticReturns",
    optimisticScore(R, M, 0.7),
    Array.from(optimisticReturns(R.flat(), M.flat(), 4, 10, 0.7)),
    1e-12,
  );
}

// %% [markdown]
// ## 4. PETS, live
//
// *Lecture: seed 002, "Case study: PETS" (planning: apply MPC); seed 003, "Results".*
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
const oracleRun = await runPets({
  env: makeEnv(1),
  model: oracleModel(env),
  reward,
  planner: NB.planner,
  trials: NB.trials,
  learn: false,
  seed: 1,
});
const trialIdx = petsRun.trials.map((t) => t.trial);
const oracleMean = oracleRun.trials.reduce((a, t) => a + t.return, 0) / NB.trials;
await display(
  lineChart(
    [
      { name: "PETS (PE-TS1)", x: trialIdx, y: petsRun.trials.map((t) => t.return), points: true },
      { name: "oracle (true dynamics)", x: trialIdx, y: oracleRun.trials.map((t) => t.return), points: true, dashed: true },
      { name: "random policy", x: trialIdx, y: trialIdx.map(() => petsRun.randomReturns[0]), dashed: true },
    ],
    { title: "Live run: return per trial (1 seed, notebook settings)", xTitle: "trial", yTitle: "return", integerX: true },
  ),
);
console.log("PETS returns:", petsRun.trials.map((t) => t.return.toFixed(1)).join(", "), ` | oracle mean ${oracleMean.toFixed(1)}`);
console.log(
  `seconds per decision ${(petsRun.trials.reduce((a, t) => a + t.decisionSeconds, 0) / NB.trials).toFixed(3)}, per training round ${(petsRun.trials.reduce((a, t) => a + t.trainSeconds, 0) / NB.trials).toFixed(2)}`,
);

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
  returnByTrialPerSeed: [
    [4.1, 6.4, 1.4, 8.7, 8.5, 5.8, 12.3, 19.2, 5.7, 20.5, 16, 15.9, 11.4, 15.3, 10],
    [2.4, 6.8, 6.9, 5.8, 6.3, 11.5, 11.1, 11.3, 7.7, 17, 19.7, 13.9, 12, 11.1, 11.4],
    [1, 1.3, 4.1, 7.6, 10.6, 4.1, 7.3, 7.1, 10.4, 9.1, 14.9, 16.4, 7.2, 19.3, 17.9],
  ],
  trialsTo90PercentOfOracle: 10,
  ablation: { D: 9, P: 11, DE: 10, PE: 10 } as Record<string, number | null>,
  ablationReturnByTrial: {
    D: [-0.3, 1.8, 4.5, 5, 13, 10.9, 11.9, 13.1, 15, 10.2, 4.9, 13.5, 8.6, 13.9, 13],
    P: [-0.2, 4.8, 6.4, 5.8, 8.2, 8.4, 11.7, 12.4, 9.5, 9.7, 15, 8.3, 15, 15.5, 14.5],
    DE: [3.6, 5, 7.2, 7.2, 8.1, 10.6, 9.1, 13.1, 9.4, 13.7, 13.9, 11.4, 12.3, 8.8, 9.5],
    PE: [2.5, 4.9, 4.1, 7.4, 8.5, 7.1, 10.2, 12.5, 7.9, 15.6, 16.8, 15.4, 10.2, 15.2, 13.1],
  } as Record<string, number[]>,
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
    { title: "Benchmark (stored): return per trial", xTitle: "trial", yTitle: "return", integerX: true },
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
// *Lecture: seed 003, "Propagating Particles"; seed 002, "Case study: PETS".*
//
// What does the planner "see"? Take the model after the live run, plan from a state of its best trial
// in mid-swing (the pole near horizontal), and propagate 20 particles through the chosen sequence. With TS1 each particle hops between
// members; with TS$\infty$ each stays with one member, so groups of particles show the members'
// different opinions (coloured by member on the right). The black line is what the true system does
// with the same actions, open loop.

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
    const fan = particleFan(
      pe,
      reward,
      env.actionSpace.low,
      env.actionSpace.high,
      { ...planCfg, propagation: kind },
      s0,
      plan.actions,
      makeRng(8),
    );
    const steps = truth.map((_, t) => t);
    // TS1 particles hop between members: one colour. TSinf particles keep theirs: one colour per member.
    const group = (p: number) => (kind === "TS1" ? "particles" : `member ${fan.members[p] + 1}`);
    return lineChart(
      [
        ...fan.states.map((path, p) => ({
          name: `particle ${p + 1}`,
          group: group(p),
          x: steps,
          y: path.map((s) => s[2]),
          ...(kind === "TS1" ? { color: "#8fb3d9" } : {}),
        })),
        { name: "true system", x: steps, y: truth.map((s) => s[2]), color: "black" },
      ],
      {
        title: `${kind}: pole angle of 20 particles (score ${fan.score.toFixed(1)})`,
        xTitle: "step",
        yTitle: "theta (rad), pi = upright",
        width: 330,
      },
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
// *Lecture: seed 003, "Aleatoric uncertainty in model learning", "Epistemic uncertainty" and
// "NN Ensembles for representing Epistemic uncertainty".*
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
        names.map((v) => ({
          name: v,
          x: BENCH.ablationReturnByTrial[v].map((_, k) => k + 1),
          y: BENCH.ablationReturnByTrial[v],
          points: true,
        })),
        { title: "Benchmark (stored): ablation, mean return per trial over 3 seeds", xTitle: "trial", yTitle: "return", integerX: true },
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
      { title: "Live ablation: D vs PE (1 seed, notebook settings)", xTitle: "trial", yTitle: "return", integerX: true },
    ),
  );
  const perDecision = (r: typeof dRun) => (r.trials.reduce((a, t) => a + t.decisionSeconds, 0) / r.trials.length).toFixed(3);
  console.log(`D  returns ${dRun.trials.map((t) => t.return.toFixed(1)).join(", ")} (${perDecision(dRun)} s per decision)`);
  console.log(`PE returns ${petsRun.trials.map((t) => t.return.toFixed(1)).join(", ")} (${perDecision(petsRun)} s per decision)`);
}

// %% [markdown]
// ## 7. Greedy, posterior sampling, optimism
//
// *Lecture: seed 001, "Decision-making Under Uncertainty": $\pi^{\text{Greedy}}$ ("combats model
// bias"), $\pi^{\text{PS}}$ ("no extra hyperparameters") and $\pi^{\text{UCB}}$ over the confidence set
// $\mathcal{M}$ ("extra hyperparameter $\beta$").*
//
// With a posterior over models $p(f \mid \mathcal{D})$ (here: the ensemble) there are several ways to
// act:
//
// * **greedy**: $\pi = \arg\max_\pi \mathbb{E}_{f \sim p(f \mid \mathcal{D})} J(\pi; f)$, the PETS
//   default: particles spread over all members;
// * **posterior sampling**: draw one model $\tilde f \sim p(f \mid \mathcal{D})$ per trial (one member)
//   and act optimally for it; no extra parameter, and it explores because different trials trust
//   different members;
// * **optimism** (UCB): the heuristic of section 3, your `optimisticScore` with $\beta = 1$ (the
//   library's `optimisticReturns`), standing in for the maximum over the confidence set.
//
// These rules differ in how they **collect data**, so the fair comparison is a learning run, not a
// frozen model: each rule starts from the same random trial and learns its own ensemble from the
// data its own decisions gather (same seed, settings and start states). Kept short: 1 random + 3
// planned trials per rule, one seed (about a minute), so the order of the curves is noise-prone; look
// for how the rules behave, not for a winner.

// %%
{
  const RULE_TRIALS = 3;
  const rules: DecisionRule[] = ["greedy", "posterior", "optimism"];
  const curves: { name: string; x: number[]; y: number[]; points: boolean }[] = [];
  for (const rule of rules) {
    const model = ablationModel("PE", modelConfig(3), NB.members);
    const run = await runPets({ env: makeEnv(3), model, reward, planner: { ...NB.planner, beta: 1 }, trials: RULE_TRIALS, seed: 3, rule });
    model.dispose();
    const drawn = rule === "posterior" ? ` (member drawn for the last trial: ${run.controller.sampledMember})` : "";
    curves.push({
      name: rule,
      x: [0, ...run.trials.map((t) => t.trial)],
      y: [run.randomReturns[0], ...run.trials.map((t) => t.return)],
      points: true,
    });
    console.log(`${rule.padEnd(10)} returns: ${run.trials.map((t) => t.return.toFixed(1)).join(", ")}${drawn}`);
  }
  await display(
    lineChart(curves, {
      title: "Decision rules over a learning run (trial 0: the shared random trial)",
      xTitle: "trial",
      yTitle: "return",
      integerX: true,
    }),
  );
}

// %% [markdown]
// Greedy plans for the average member. Posterior sampling commits to one member per trial: a trial
// planned with a poor member can be bad, but its data corrects exactly that member's mistakes (all
// members are retrained on it). Optimism is drawn to sequences the members
// disagree about, which with a young model means bolder swings through unvisited states: more
// informative data, at the risk of worse early trials. On a dense, forgiving reward like this one,
// directed exploration matters little; it matters when the reward is sparse and greedy plans never
// find it.
//

// ## PETS at the papers' scale (a stored run)
//
// Everything above is small enough to run here. `npm run bench -- pets --paper` runs PETS with
// mbrl-lib's cart-pole settings (200-step trials, an ensemble of 7 networks of 4 x 200 units, 5 elites,
// TS1 with 20 particles, CEM with population 350, 5 iterations, horizon 15) and the oracle with the
// same planner, and stores the returns per trial in `datasets/results/pets-paper.json`. The chart is
// drawn from that file; its `contents` line says what the stored run holds (a run cut short says
// PARTIAL and shows only the trials that ran). The grey band is where PETS (Fig. 3) and mbrl-lib
// report cart-pole by trial 10; the black line is the mean over the stored seeds, the figure the
// papers plot. A seed takes about an hour on two cores (decisions of 525,000 model rows each), so the
// seeds can run in separate processes and be merged (the benchmark's header says how).

// %%
{
  // datasets/results/pets-paper.json, made by the command it names
  const stored = loadResult<{
    bench: string;
    command: string;
    contents: string;
    seeds: { seed: number; petsReturns: number[]; oracleReturns: number[] }[];
    config: { trials: number };
    paperBand: { low: number; high: number; byTrial: number };
  }>("pets-paper");
  console.log(`${stored.command}: ${stored.contents}`);
  const seeds = stored.seeds;
  const trials = stored.config.trials;
  const band = stored.paperBand;
  const ran = seeds.filter((s) => s.petsReturns.length > 0);
  const curves: Parameters<typeof lineChart>[0] = ran.map((s) => ({
    name: `PETS seed ${s.seed}`,
    x: s.petsReturns.map((_, k) => k + 1),
    y: s.petsReturns,
    points: true,
  }));
  // The mean over the seeds, at the trials every seed reached: the figure the papers report.
  const common = Math.min(...ran.map((s) => s.petsReturns.length));
  if (ran.length > 1) {
    const meanByTrial = Array.from({ length: common }, (_, k) => ran.reduce((a, s) => a + s.petsReturns[k], 0) / ran.length);
    curves.push({ name: `PETS, mean of ${ran.length} seeds`, x: meanByTrial.map((_, k) => k + 1), y: meanByTrial, color: "black" });
    const at = Math.min(band.byTrial, common);
    console.log(`mean return over ${ran.length} seeds at trial ${at}: ${meanByTrial[at - 1].toFixed(1)} (band ${band.low}-${band.high})`);
  }
  const oracle = seeds.flatMap((s) => s.oracleReturns);
  const oracleMean = oracle.reduce((a, b) => a + b, 0) / Math.max(oracle.length, 1);
  const xs = Array.from({ length: trials }, (_, k) => k + 1);
  curves.push({ name: `oracle (mean of ${oracle.length} trials)`, x: xs, y: xs.map(() => oracleMean), dashed: true });
  curves.push({
    name: "PETS / mbrl-lib band",
    x: xs,
    y: xs.map(() => (band.low + band.high) / 2),
    lower: xs.map(() => band.low),
    upper: xs.map(() => band.high),
  });
  await display(
    lineChart(curves, {
      title: "PETS at the papers' scale (stored: npm run bench -- pets --paper)",
      xTitle: "trial",
      yTitle: "return",
      xDomain: [1, trials],
      integerX: true,
    }),
  );
}

// %% [markdown]
// ## Summary
//
// * A probabilistic ensemble carries both kinds of uncertainty: each member's Gaussian (aleatoric) and
//   the members' disagreement (epistemic).
// * Trajectory sampling turns that into particles (your TS1 exercise); CEM scores a sequence by the
//   particles' mean return, a risk-neutral average that discounts plans which only work in some
//   members' worlds when, as here, the spread lowers the expected reward.
// * MPC replans every step from the real state, and each trial's data goes where the plans went; PETS
//   approaches the oracle within a few trials (the benchmark above).
// * How to use epistemic uncertainty is a choice: greedy expectation, posterior sampling, or optimism
//   (your optimistic score, a heuristic stand-in for optimism over a confidence set of models).
//
// ## Check your understanding
//
// 1. Suppose the reward were linear in the cart position, $r = x$, instead of saturating. Would the
//    particle average still steer the planner away from states the model has not seen? Why or why not?
// 2. Your optimistic score gives no bonus for the spread of one member's particles. Why would a bonus
//    for aleatoric spread be a mistake? What would the planner seek out if it had one?
// 3. TS1 and TS$\infty$ give the same particle average for one-step predictions. Over a 15-step plan,
//    which one tells you more about whether the *members* disagree, and why does optimism require it?
// 4. You must swing up a real cart-pole with a 20-trial budget, and a failed trial costs a broken pole.
//    Which decision rule would you choose (greedy, posterior sampling, optimism), and what would make
//    you change your mind?
//
// ## Try it
//
// * In the **fan of one plan** cell, change `particles: 20` in `planCfg` to 100 and compare the two
//   fans and scores of TS1 and TS$\infty$: which score moves more between runs with 20 particles?
// * In the same cell, plan from a state at the start of the best trial (`best.states[0]`) instead of
//   mid-swing: where do the members agree, and where do they fan out?
// * In the **decision rules** cell, set `beta: 1` to `beta: 3` (the optimism weight) and watch how the
//   optimistic run's early trials change; then try `RULE_TRIALS = 6` if you have two more minutes.
//   Which rule's data would you rather train the next model on?

// %%
pe.dispose();
