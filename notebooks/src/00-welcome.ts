// %% [markdown]
// # 00 · Welcome
//
// This course teaches **model-based reinforcement learning**: an agent that learns how its world
// works (a *model* of the dynamics) and then uses that model to decide what to do. Every notebook
// runs real algorithms from the course library on simulated systems, shows what happens in plots,
// and asks you to write the key step yourself in a graded exercise.
//
// This first notebook is a tour of the tools you will use in all the others:
//
// 1. the TypeScript kernel and the course library,
// 2. seeded randomness (why every experiment here is reproducible),
// 3. tensors and the backend that runs them,
// 4. a recap of Markov decision processes: return, value function $V$ and action-value function $Q$,
//    with your first two exercises,
// 5. plots, progress bars and animations,
// 6. the systems of the course, and
// 7. why learn a model at all: the trade-offs between model-based and model-free RL.
//
// **How to work.** Run the cells from top to bottom (Shift-Enter). Cells marked *Exercise* contain a
// function whose body throws `not implemented yet`; replace that line with your code, run the cell,
// then run the *check* cell below it. The checks print `ok: ...` when they pass. Your notebook is
// graded by hidden tests on the exercise functions only, so keep their names and signatures.

// %% [markdown]
// ## 1. The kernel and the library
//
// Cells are TypeScript. Each cell is type-checked before it runs, so a type error is reported
// without running anything. The course library is imported from `mbrl/<part>`: `mbrl/core`
// (randomness, checks, tensors), `mbrl/viz` (plots), `mbrl/envs` (the simulated systems) and more
// in later notebooks. Hover over a name or press Tab for completion: the library ships its types.
//
// Tensor work runs on a *backend*. The fastest one available is chosen when you call `initBackend()`:
// native TensorFlow (`tfjs-node`) if it is installed, otherwise WebAssembly with SIMD, and only as
// a last resort plain JavaScript. Training the dynamics models and the planners' many forward passes
// run on ONNX Runtime instead, a native engine that uses both cores (the same numbers, a few times
// faster); where it cannot load they run on the backend. The message below tells you what you have.

// %%
import { initBackend, makeRng, tf } from "mbrl/core";
import { display, lineChart, histogram, progress, animate } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";

const backend = await initBackend();
console.log(backend.message);

// %% [markdown]
// ## 2. Seeded randomness
//
// Reinforcement learning is noisy: the initial state, the exploration noise, the minibatches of a
// network's training and the network's initial weights are all random. To compare two algorithms
// fairly and to debug, we need to be able to replay exactly the same random numbers. Every random
// choice in the course library goes through a generator created by `makeRng(seed)`: the same seed
// gives the same stream on every run and every machine.

// %%
const rngA = makeRng(42);
const rngB = makeRng(42);
const rngC = makeRng(7);
const fromA = [rngA.uniform(), rngA.uniform(), rngA.uniform()];
const fromB = [rngB.uniform(), rngB.uniform(), rngB.uniform()];
const fromC = [rngC.uniform(), rngC.uniform(), rngC.uniform()];
console.log("seed 42:", fromA.map((v) => v.toFixed(4)).join(" "));
console.log("seed 42:", fromB.map((v) => v.toFixed(4)).join(" "), " <- identical");
console.log("seed  7:", fromC.map((v) => v.toFixed(4)).join(" "), " <- different");

// %% [markdown]
// The generator also draws normal samples, integers, random choices and permutations. Here are
// 5,000 draws from a standard normal and from a uniform on $[-2, 2)$:

// %%
const samples = makeRng(0);
await display(
  histogram(
    [
      { name: "normal(0, 1)", values: samples.normals(5000) },
      { name: "uniform(-2, 2)", values: samples.uniforms(5000, -2, 2) },
    ],
    { title: "5,000 seeded samples", bins: 40, xTitle: "value" },
  ),
);

// %% [markdown]
// ## 3. Tensors
//
// Neural-network models in the course are written with TensorFlow.js (`tf`). A tensor is an
// n-dimensional array with a shape and a dtype; operations on tensors run on the backend and can be
// differentiated automatically, which later notebooks use to train models and to backpropagate
// through them. Tensors hold memory outside JavaScript's garbage collector, so library code wraps
// tensor work in `tf.tidy`, which frees every intermediate tensor when it returns.

// %%
const W = tf.tensor2d([
  [1, 2],
  [3, 4],
]);
const v = tf.tensor2d([[1], [-1]]);
const Wv = tf.tidy(() => tf.matMul(W, v));
console.log("W v =", Array.from(Wv.dataSync()));
// Gradient of f(x) = sum(x^2) is 2x: automatic differentiation in one line.
const gradSq = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)));
console.log("d/dx sum(x^2) at [1, -2, 3] =", Array.from(gradSq(tf.tensor1d([1, -2, 3])).dataSync()));
tf.dispose([W, v, Wv]);

// %% [markdown]
// ## 4. Markov decision processes: return, V and Q
//
// *Lecture: seed 001 (Aalto/FCAI tutorial), slides "Reinforcement Learning: Markov Decision Process
// (MDP)", "Goal" and "Value function".*
//
// An agent interacts with an environment in discrete steps. At step $t$ it observes the state $s_t$,
// takes an action $a_t$, receives a reward $r_t$, and the environment moves to $s_{t+1}$ drawn from
// the dynamics $p(s_{t+1} \mid s_t, a_t)$. A policy $\pi(a \mid s)$ chooses actions. The agent's
// goal is to maximise the **discounted return**
//
// $$G_t = r_t + \gamma r_{t+1} + \gamma^2 r_{t+2} + \dots = \sum_{k \ge 0} \gamma^k r_{t+k},$$
//
// where the discount $\gamma \in [0, 1]$ makes rewards far in the future count less (and keeps the
// sum finite on long tasks). Two expectations of the return organise most of RL:
//
// * the **value** of a state under a policy, $V^\pi(s) = \mathbb{E}_\pi[G_t \mid s_t = s]$;
// * the **action value**, $Q^\pi(s, a) = \mathbb{E}_\pi[G_t \mid s_t = s, a_t = a]$: take $a$ first, then follow $\pi$.
//
// They are linked by one-step look-ahead through the dynamics:
// $Q^\pi(s, a) = \mathbb{E}[r_t + \gamma V^\pi(s_{t+1}) \mid s_t = s, a_t = a]$ and
// $V^\pi(s) = \sum_a \pi(a \mid s) Q^\pi(s, a)$.
// Model-based RL is about learning $p(s_{t+1} \mid s_t, a_t)$, so that this look-ahead (and much
// longer ones) can be computed without touching the real system.
//
// ### Exercise: discounted return (2 points)
//
// Write `discountedReturn(rewards, gamma)`, which returns $\sum_{k=0}^{T-1} \gamma^k r_k$ for the
// list `rewards` $= [r_0, \dots, r_{T-1}]$. An empty list has return 0. Hint: summing backwards,
// $G = r_k + \gamma G$, needs no powers.

// %% exercise id=discounted-return points=2
function discountedReturn(rewards: number[], gamma: number): number {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: discounted-return");
  // END SOLUTION
}

// %% check id=discounted-return
checkClose("three rewards of 1 with gamma 0.5", discountedReturn([1, 1, 1], 0.5), 1.75);
checkClose("gamma 1 is the plain sum", discountedReturn([3, -1, 2], 1), 4);
checkClose("only the first reward counts when gamma is 0", discountedReturn([5, 10, 10], 0), 5);
checkClose("an empty episode has return 0", discountedReturn([], 0.9), 0);

// %% [markdown]
// ### Exercise: the Bellman look-ahead (3 points)
//
// A **model** of a small MDP can be written as a table: for every state $s$ and action $a$, the list
// of possible outcomes, each with its probability, next state, reward and whether the episode ends
// there. With it, the one-step look-ahead above is a sum over outcomes:
//
// $$Q(s, a) = \sum_{\text{outcomes } (p, s', r, \text{done})} p\,\bigl(r + \gamma\,[\text{not done}]\,V(s')\bigr).$$
//
// Write `lookAhead(model, V, gamma)`, returning the table `Q[s][a]` for every state and action of
// `model[s][a]` (a state with no outcomes for an action gets $Q = 0$). This is the step every planner
// of the course repeats: it turns a model and a value estimate into action values. Value iteration is
// $V(s) \leftarrow \max_a Q(s, a)$, repeated.

// %%
/** One possible result of taking an action: with probability `prob`, move to `next` and get `reward`. */
interface Outcome {
  prob: number;
  next: number;
  reward: number;
  /** The episode ends on arrival: nothing is earned after `next`. */
  done: boolean;
}

// %% exercise id=bellman-lookahead points=3
function lookAhead(model: Outcome[][][], V: number[], gamma: number): number[][] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: bellman-lookahead");
  // END SOLUTION
}

// %% check id=bellman-lookahead
{
  // State 0, action 0: 80 % to state 1 (reward 1, V = 10), 20 % to state 2 (reward 0, V = 0).
  const coin: Outcome[][][] = [
    [
      [
        { prob: 0.8, next: 1, reward: 1, done: false },
        { prob: 0.2, next: 2, reward: 0, done: false },
      ],
    ],
    [[]],
    [[]],
  ];
  checkClose(
    "a stochastic model: the expectation over outcomes, weighted by their probabilities",
    lookAhead(coin, [0, 10, 0], 0.9)[0][0],
    0.8 * (1 + 9),
  );
  const end: Outcome[][][] = [[[{ prob: 1, next: 1, reward: 5, done: true }]], [[]]];
  checkClose("the episode ends: no future value after a terminal outcome", lookAhead(end, [0, 100], 0.9)[0][0], 5);
  checkClose("the immediate reward is not discounted", lookAhead(end, [0, 0], 0.5)[0][0], 5);
  const shape = lookAhead(coin, [0, 10, 0], 0.9);
  check(
    "one row per state, one entry per action (Q = 0 without outcomes)",
    shape.length === 3 && shape[1].length === 1 && shape[1][0] === 0,
  );
}

// %% [markdown]
// ### V and Q on a small chain
//
// A corridor of 7 cells. The agent starts in the middle (cell 3) and moves left or right; reaching
// the right end (cell 6) gives reward +1 and ends the episode, reaching the left end (cell 0) gives
// 0 and ends it too. With $\gamma = 0.9$, what is each cell worth under the *uniformly random* policy,
// and under the best policy?
//
// Because the dynamics are known here, we can compute $V$ exactly by repeating your one-step
// look-ahead until nothing changes (policy evaluation; with a max over actions instead of the
// average it becomes value iteration and gives the optimal $V^*$).

// %%
const N_CELLS = 7;
const START = 3;
const GAMMA = 0.9;
type Move = -1 | 1;
const MOVES: Move[] = [-1, 1];
const isTerminal = (s: number) => s === 0 || s === N_CELLS - 1;
function chainStep(s: number, a: Move): { next: number; reward: number } {
  const next = s + a;
  return { next, reward: next === N_CELLS - 1 ? 1 : 0 };
}

/** The corridor as an outcome table. slip[s]: chance that a move in cell s goes the other way. */
function chainModel(slip: number[] = new Array(N_CELLS).fill(0), reward = (next: number) => (next === N_CELLS - 1 ? 1 : 0)): Outcome[][][] {
  return Array.from({ length: N_CELLS }, (_, s) =>
    MOVES.map((a) => {
      if (isTerminal(s)) return [];
      const outcome = (next: number, prob: number): Outcome => ({ prob, next, reward: reward(next), done: isTerminal(next) });
      return slip[s] > 0 ? [outcome(s + a, 1 - slip[s]), outcome(s - a, slip[s])] : [outcome(s + a, 1)];
    }),
  );
}

/** Policy evaluation (policy: probability of moving right per cell) or value iteration (policy null). */
function evaluate(model: Outcome[][][], rightProb: number[] | null, sweeps = 200): number[] {
  let V = new Array<number>(model.length).fill(0);
  for (let k = 0; k < sweeps; k++) {
    const Q = lookAhead(model, V, GAMMA);
    V = Q.map((q, s) => (rightProb ? (1 - rightProb[s]) * q[0] + rightProb[s] * q[1] : Math.max(...q)));
  }
  return V;
}
const corridor = chainModel();
const vRandom = evaluate(corridor, new Array(N_CELLS).fill(0.5));
const vStar = evaluate(corridor, null);
const qStar = lookAhead(corridor, vStar, GAMMA);
console.log("V random :", vRandom.map((x) => x.toFixed(3)).join("  "));
console.log("V*       :", vStar.map((x) => x.toFixed(3)).join("  "));
console.log("Q*(3, left), Q*(3, right) =", qStar[START].map((x) => x.toFixed(3)).join(", "));
check("the optimal policy at the start moves right", qStar[START][1] > qStar[START][0]);

// %% [markdown]
// ### Estimating V from experience
//
// Without a model we could still *estimate* $V^\pi(s_0)$: run many episodes with $\pi$, compute each
// episode's discounted return with your `discountedReturn`, and average (a Monte Carlo estimate). The
// estimate converges to the exact value as episodes accumulate. The progress bar below updates in
// place while the episodes run.

// %%
function randomEpisode(rng: ReturnType<typeof makeRng>): number[] {
  const rewards: number[] = [];
  let s = START;
  while (!isTerminal(s)) {
    const { next, reward } = chainStep(s, rng.choice(MOVES));
    rewards.push(reward);
    s = next;
  }
  return rewards;
}
const mcRng = makeRng(1);
const EPISODES = 3000;
const bar = progress(EPISODES, { label: "episodes" });
const running: number[] = [];
let total = 0;
for (let i = 0; i < EPISODES; i++) {
  total += discountedReturn(randomEpisode(mcRng), GAMMA);
  running.push(total / (i + 1));
  if ((i + 1) % 100 === 0) {
    bar.update(i + 1, { estimate: running[i] });
    await new Promise((r) => setTimeout(r, 5)); // let the bar redraw
  }
}
bar.close();
// Plot about 200 log-spaced points: on a log axis the rest would overlap (and bloat the saved notebook).
const shown = [...new Set(Array.from({ length: 200 }, (_, k) => Math.round(Math.pow(EPISODES, k / 199))))];
await display(
  lineChart(
    [
      { name: "Monte Carlo estimate", x: shown, y: shown.map((n) => running[n - 1]) },
      { name: "exact V(start)", x: [1, EPISODES], y: [vRandom[START], vRandom[START]], dashed: true },
    ],
    { title: "Estimating V of the random policy at the start cell", xTitle: "episodes", yTitle: "V(start)", logX: true },
  ),
);
checkClose("the Monte Carlo estimate is close to the exact value", running[EPISODES - 1], vRandom[START], 0.1);

// %% [markdown]
// ## 5. Animations
//
// Later notebooks show systems moving: a pendulum swinging up, a cart-pole balancing, an arm
// reaching. An animation is a list of SVG frames; `animate(frames)` shows them in a small player
// with play, pause, step and a slider. Here is the greedy policy of $V^*$ walking along the corridor.

// %%
function chainFrame(s: number, t: number): string {
  const cells = Array.from({ length: N_CELLS }, (_, i) => {
    const fill = i === N_CELLS - 1 ? "#7c7" : i === 0 ? "#ccc" : "#fff";
    return (
      `<rect x="${10 + i * 50}" y="20" width="46" height="46" fill="${fill}" stroke="#333"/>` +
      `<text x="${33 + i * 50}" y="84" font-size="11" text-anchor="middle">${vStar[i].toFixed(2)}</text>`
    );
  }).join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="370" height="95" viewBox="0 0 370 95">` +
    `<text x="10" y="13" font-size="12">t = ${t}</text>${cells}` +
    `<circle cx="${33 + s * 50}" cy="43" r="15" fill="#37c"/></svg>`
  );
}
const frames: string[] = [];
let cell = START;
for (let t = 0; ; t++) {
  frames.push(chainFrame(cell, t));
  if (isTerminal(cell)) break;
  const greedy = qStar[cell][1] >= qStar[cell][0] ? 1 : -1;
  cell = chainStep(cell, greedy).next;
}
animate(frames, { fps: 2, title: "Greedy policy of V* on the corridor (numbers: V*)" });

// %% [markdown]
// ## 6. The systems of the course
//
// Every algorithm in the course runs on a handful of simulated systems from `mbrl/envs`. They share
// one interface (`reset(seed)`, `step(action)` returning the next observation, reward, `terminated`
// and `truncated`, and `render(state)` returning an SVG frame) and the continuous ones also expose a
// pure, batched `dynamics(states, actions)` that planners can use as a perfect model. Here each runs
// under a short scripted controller, just to see them move; the learned controllers come later.
//
// | system | used in | what it asks |
// | --- | --- | --- |
// | pendulum | 01-03, 09 | swing a weak pendulum up with a torque limit (pump energy first) |
// | cart-pole | 05 (and 09's PILCO benchmark) | swing the pole up by pushing the cart, then balance it |
// | two-link arm | 10-11 | reach a target with a planar arm (torques at shoulder and elbow) |
// | hill | 01-02 | climb as high as possible: the distribution-shift example (01), fixed by data aggregation (02) |
// | Dyna mazes | 06 | grid worlds for Dyna-Q, including ones that change mid-run |

// %%
import { ENV_NAMES, tourRollout } from "mbrl/envs";

console.log(`systems: ${ENV_NAMES.join(", ")}`);
const pendulumTour = tourRollout("pendulum");
console.log(`pendulum: ${pendulumTour.frames.length} frames, return ${pendulumTour.return.toFixed(1)}`);
animate(pendulumTour.frames, { fps: 20, title: "Pendulum: an energy-pumping controller swings it up" });

// %%
animate(tourRollout("cartpole").frames, { fps: 20, title: "Cart-pole: pumping the cart back and forth" });

// %%
animate(tourRollout("dynamaze").frames, { fps: 6, title: "Dyna maze: following a shortest path to the goal" });

// %% [markdown]
// ## 7. Why learn a model? The trade-offs
//
// *Lecture: seed 001, slides "RL has a sample efficiency problem!", "Sample efficiency",
// "Asymptotic performance", "Computation at deployment" and "Adapting to new tasks" (after Mordatch
// and Hamrick's ICML 2020 tutorial); seed 000, "Sample Complexity" and "Why Learn a Dynamics Model?".*
//
// The lectures compare the two families on four counts. We can see all four on the corridor, made a
// little harder: cells 4 and 5, next to the goal, are **icy** (a move goes the other way 70 % of the
// time), and the agent walks right 80 % of the time. Its task: know what its start cell is worth, $V^\pi(3)$.
//
// * **Model-free** (Monte Carlo): average the discounted returns of the episodes that started there.
// * **Model-based, table**: count where each (cell, move) led, turn the counts into an outcome table,
//   and evaluate the policy on it with your `lookAhead`. Every transition of every episode teaches
//   the model something, not just the episode's one return.
// * **Model-based, too simple a model**: assume the slip is the same in every cell and fit that one
//   number. Two parameters' worth of structure learn fast, but the assumption is wrong.
//
// Below: the error of each estimate against the exact value, for growing amounts of experience,
// averaged over 40 seeds.

// %%
const ICY = [0, 0, 0, 0, 0.7, 0.7, 0];
const RIGHT = new Array(N_CELLS).fill(0.8);
const icyTruth = evaluate(chainModel(ICY), RIGHT)[START];
interface Step {
  s: number;
  a: number;
  next: number;
  reward: number;
}
function icyEpisode(rng: ReturnType<typeof makeRng>): Step[] {
  const steps: Step[] = [];
  let s = START;
  while (!isTerminal(s)) {
    const a = rng.uniform() < RIGHT[s] ? 1 : 0;
    const move = MOVES[a] * (rng.uniform() < ICY[s] ? -1 : 1);
    const next = s + move;
    steps.push({ s, a, next, reward: next === N_CELLS - 1 ? 1 : 0 });
    s = next;
  }
  return steps;
}
/** The outcome table of the counts (cells and moves never tried get no outcomes). */
function tableModel(data: Step[]): Outcome[][][] {
  const counts = Array.from({ length: N_CELLS }, () => [new Map<number, number>(), new Map<number, number>()]);
  for (const d of data) counts[d.s][d.a].set(d.next, (counts[d.s][d.a].get(d.next) ?? 0) + 1);
  return counts.map((row) =>
    row.map((m) => {
      const n = [...m.values()].reduce((x, y) => x + y, 0);
      return [...m.entries()].map(([next, c]) => ({ prob: c / n, next, reward: next === N_CELLS - 1 ? 1 : 0, done: isTerminal(next) }));
    }),
  );
}
/** One slip probability for every cell, fitted to all transitions. */
function sharedSlipModel(data: Step[]): Outcome[][][] {
  const slipped = data.filter((d) => d.next - d.s !== MOVES[d.a]).length;
  return chainModel(new Array(N_CELLS).fill(data.length ? slipped / data.length : 0));
}
const EPISODE_COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];
const SEEDS = 40;
const errors = { mc: [] as number[], table: [] as number[], shared: [] as number[] };
for (const n of EPISODE_COUNTS) {
  let [mc, table, shared] = [0, 0, 0];
  for (let seed = 0; seed < SEEDS; seed++) {
    const rng = makeRng(1000 + seed);
    const episodes = Array.from({ length: n }, () => icyEpisode(rng));
    const data = episodes.flat();
    const mcEstimate =
      episodes.reduce(
        (acc, e) =>
          acc +
          discountedReturn(
            e.map((d) => d.reward),
            GAMMA,
          ),
        0,
      ) / n;
    mc += Math.abs(mcEstimate - icyTruth) / SEEDS;
    table += Math.abs(evaluate(tableModel(data), RIGHT)[START] - icyTruth) / SEEDS;
    shared += Math.abs(evaluate(sharedSlipModel(data), RIGHT)[START] - icyTruth) / SEEDS;
  }
  errors.mc.push(mc);
  errors.table.push(table);
  errors.shared.push(shared);
}
console.log(`exact V(start) on the icy corridor: ${icyTruth.toFixed(4)}`);
await display(
  lineChart(
    [
      { name: "model-free (Monte Carlo)", x: EPISODE_COUNTS, y: errors.mc, points: true },
      { name: "model-based (outcome table)", x: EPISODE_COUNTS, y: errors.table, points: true },
      { name: "model-based (one shared slip: wrong model)", x: EPISODE_COUNTS, y: errors.shared, points: true },
    ],
    {
      title: "Sample efficiency and asymptotic error: estimating V(start)",
      xTitle: "episodes of experience",
      yTitle: "mean |error| over 40 seeds",
      logX: true,
      logY: true,
    },
  ),
);

// %% [markdown]
// * **Sample efficiency.** The models learn from every transition, not only from each episode's one
//   return: the table model's estimate beats the Monte Carlo average at every amount of data, and
//   with one or two episodes the one-parameter model is the best of all (a strong assumption is worth
//   a lot of data).
// * **Asymptotic performance.** That one-parameter model is wrong (the slip differs between cells),
//   and it stops improving: its error levels off at the **model bias**, which no amount of data
//   removes, and Monte Carlo overtakes it. The table model is right here (it can represent any slip
//   per cell), so it keeps improving too. This is why the lectures answer "asymptotic performance:
//   model-free, or it depends": on how good the model class is.
// * **New reward without new data.** Suppose the left end now pays 1 and the right end nothing. The
//   model (the dynamics) has not changed, so the same learned table answers at once:

// %%
{
  const rng = makeRng(2000);
  const data = Array.from({ length: 50 }, () => icyEpisode(rng)).flat();
  const learned = tableModel(data);
  const leftPays = (next: number) => (next === 0 ? 1 : 0);
  // Same learned probabilities, new rewards attached to the outcomes.
  const relabelled = learned.map((row) => row.map((outs) => outs.map((o) => ({ ...o, reward: leftPays(o.next) }))));
  const newTruth = evaluate(chainModel(ICY, leftPays), RIGHT)[START];
  console.log(
    `new task, from the same 50 episodes: model-based V(start) ${evaluate(relabelled, RIGHT)[START].toFixed(4)}, exact ${newTruth.toFixed(4)}`,
  );
  console.log("a model-free value estimate of the old task says nothing about the new one: it needs new episodes.");
  // Compute at decision time: planning costs look-ahead sweeps, acting from a table costs a lookup.
  const t0 = performance.now();
  const plans = 200;
  for (let k = 0; k < plans; k++) evaluate(learned, null);
  const planMs = (performance.now() - t0) / plans;
  console.log(
    `computation: one plan by value iteration on the model (200 sweeps) ${planMs.toFixed(3)} ms; acting from a learned Q table is one lookup`,
  );
}

// %% [markdown]
// * **Computation at decision time.** Planning through a model costs computation whenever the agent
//   (re)plans; a policy or Q table learned model-free acts with one lookup. Tiny here, it dominates
//   for MPC on continuous systems (notebook 02 measures milliseconds per decision, notebook 03 compares
//   them with a learned policy).
//
// | | model-free | model-based |
// | --- | --- | --- |
// | sample efficiency | low: learns only from returns | high: every transition trains the model |
// | asymptotic performance | unbiased, given enough data | limited by model bias (it depends on the model class) |
// | computation at decision time | a lookup or one network call | a plan (many model calls), unless distilled into a policy |
// | a new reward or task | needs new experience | re-plan with the same model (the dynamics did not change) |
//
// ## What comes next
//
// | notebook | topic |
// | --- | --- |
// | 01 | learning a dynamics model from data (model-based RL version 0.5) |
// | 02 | planning with a model: random shooting, CEM, MPC (versions 1.0 and 1.5) |
// | 03 | backpropagating through the model into a policy (version 2.0) |
// | 04 | uncertainty: probabilistic networks and ensembles |
// | 05 | PETS: probabilistic ensembles with trajectory sampling |
// | 06 | Dyna-Q on the Dyna maze |
// | 07 | Dyna-style acceleration of a model-free learner |
// | 08 | Gaussian processes |
// | 09 | PILCO |
// | 10 | LQR and iLQR |
// | 11 | local models and guided policy search |
//
// ## Check your understanding
//
// 1. In the Bellman look-ahead exercise, why must a terminal outcome contribute only its reward,
//    and what would value iteration compute on the corridor if it added $\gamma V(s')$ there too?
// 2. The one-shared-slip model was the best with one or two episodes and the worst with many. Which
//    kind of model would you choose for a robot that can afford 3 trials, and which for one that can
//    afford 100,000? What would you need to know about the robot to decide?
// 3. The Monte Carlo estimate of $V$ and the model-based one use the same episodes. Why does the
//    model-based estimate have lower error with few episodes, even though it is also "just counting"?
// 4. A model-based agent is told that the reward has changed. What can it do at once that a
//    model-free agent cannot, and what can still go wrong if the new reward sends it to states its
//    model has never seen? (Notebook 01 shows this happen.)
//
// ## Try it
//
// * In the **trade-offs** cell, make every cell equally icy: `const ICY = new Array(N_CELLS).fill(0.3);`
//   (the two ends never move anyway). Does the shared-slip model still have an error floor? Why not?
//   Which curve is now best at every amount of data?
// * In the same cell, set `SEEDS` to 5: how much of each curve is noise?
// * In the **V and Q on a small chain** cell, set `GAMMA` to 0.5 and then 0.99 and re-run the cells
//   below it: how do $V^*$ and the random policy's values change, and how many episodes does the
//   Monte Carlo estimate need to get within 0.1?
