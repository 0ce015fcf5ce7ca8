// %% [markdown]
// # 06 · Dyna-Q: planning with a learned tabular model
//
// So far a model was something we *fit* and then *planned through* at decision time. Dyna (Sutton,
// 1991) uses a model differently: as a source of **simulated experience** for an ordinary model-free
// learner. Every real step feeds three processes:
//
// * **direct RL**: the real transition updates the value function (here one Q-learning update);
// * **model learning**: the transition is remembered, so the model can replay it later;
// * **planning**: $n$ more Q-learning updates on transitions *drawn from the model*.
//
// Planning here is *background planning*: it improves the value function between real steps,
// rather than searching for one action at decision time as MPC does. When the world is expensive
// to interact with and computation is cheap, this lets one real step do the work of many.
//
// In this notebook you will:
//
// 1. meet the Dyna maze of Sutton and Barto (Example 8.1) and the tabular Dyna-Q agent;
// 2. write the planning update yourself (graded);
// 3. reproduce the book's steps-per-episode curves for $n = 0$, $5$ and $50$ planning steps;
// 4. look *inside* episode 2 to see why planning helps so much (the book's Figure 8.3);
// 5. see the weak spot of a model that is only ever confirmed, and the exploration bonus of
//    Dyna-Q+ that fixes it when a shortcut opens.

// %%
import { makeRng } from "mbrl/core";
import { display, displayHtml, lineChart, meanBand } from "mbrl/viz";
import { check, checkClose } from "mbrl/exercise";
import { makeDynaMaze, makeShortcutMaze, makeBlockingMaze, renderMaze, MAZE_ACTIONS } from "mbrl/envs";
import { dynaQRun, dynaQContinuing, planningUpdates, qRows, dynaModelTable, episodesToOptimal, epsilonGreedyOptimalSteps } from "mbrl/dyna";

// %% [markdown]
// ## 1. The Dyna maze
//
// *Follows lecture 002 (Stanford AA203, seed `002_…`), slides "Example: Dyna-maze" (Sutton and Barto,
// Example 8.1).*
//
// A $6 \times 9$ grid with 47 free cells. The agent starts at S and must reach G; the four actions
// move it up, right, down or left, and a move into a wall or off the grid leaves it where it is.
// Every step gives reward 0 except the one that reaches G, which gives $+1$ and ends the episode.
// With discount $\gamma = 0.95$, the agent prefers to arrive sooner; the shortest path takes 14 steps.

// %%
const maze = makeDynaMaze();
displayHtml(renderMaze(maze, { title: "Dyna maze (Sutton and Barto, Example 8.1)" }));
console.log(`${maze.freeStates().length} free states, ${maze.nActions} actions (${MAZE_ACTIONS.join(", ")})`);
console.log(`shortest path from S to G: ${maze.shortestPath()} steps`);

// %% [markdown]
// ## 2. The Dyna-Q agent
//
// *Follows lecture 002, slides "Dyna-Q" (the tabular algorithm, steps (a) to (f)), and lecture 000 (SFU
// CMPT 729, seed `000_…`), slides "DYNA" ("ALGORITHM: DYNA").*
//
// The agent keeps a table $Q(s, a)$, initialised to 0, and a **deterministic tabular model**: for each
// pair $(s, a)$ it has tried, the reward and next state it saw the last time. One real step from
// state $S$ is:
//
// 1. choose $A$ $\varepsilon$-greedily from $Q(S, \cdot)$ ($\varepsilon = 0.1$, ties broken at random);
// 2. take it, observe $R$ and $S'$;
// 3. direct RL: $Q(S, A) \leftarrow Q(S, A) + \alpha\,[R + \gamma \max_a Q(S', a) - Q(S, A)]$,
//    with no $\max$ term when $S'$ is the goal (the episode ends there);
// 4. model learning: $\text{Model}(S, A) \leftarrow (R, S')$;
// 5. planning, repeated $n$ times: pick a random state $s$ among those already visited, a random
//    action $a$ among those already taken in $s$, read $(r, s') = \text{Model}(s, a)$, and apply the
//    same Q-learning update to $(s, a, r, s')$.
//
// With $n = 0$ this is plain one-step Q-learning. The library's `dynaQStep` does exactly these five
// things; you will now write step 5.
//
// ### Exercise: the Dyna-Q planning update (3 points)
//
// Write `dynaQPlanning(Q, model, n, alpha, gamma, seed)`. It returns a **new** table (do not modify
// `Q`) after `n` planning updates. `Q[s][a]` is the table; `model` holds what the agent has seen:
//
// * `observedStates`: the states visited so far, in order of first visit;
// * `actionsTaken[s]`: the actions tried in state `s`, in order of first use (empty if none);
// * `reward[s][a]`, `next[s][a]`, `done[s][a]`: the remembered outcome of `(s, a)` (`done` is true
//   when the transition ended the episode, so its target has no bootstrap term).
//
// Draw the random numbers **exactly** like this, so your table matches the reference to the last
// digit: create `const rng = makeRng(seed)` once; then for each update, first
// `s = observedStates[rng.int(observedStates.length)]`, then
// `a = actionsTaken[s][rng.int(actionsTaken[s].length)]`. Use `Q` as it is after the previous update
// (updates are sequential, not batched).

// %% exercise id=dyna-q-planning points=3
interface DynaModelTable {
  observedStates: number[];
  actionsTaken: number[][];
  reward: number[][];
  next: number[][];
  done: boolean[][];
}

function dynaQPlanning(Q: number[][], model: DynaModelTable, n: number, alpha: number, gamma: number, seed: number): number[][] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: dyna-q-planning");
  // END SOLUTION
}

// %% check id=dyna-q-planning
{
  // Two states in a row: 0 --a=1--> 1 --a=1--> goal (reward 1). One observed pair per state.
  const tiny: DynaModelTable = {
    observedStates: [0, 1],
    actionsTaken: [[1], [1], []],
    reward: [
      [0, 0],
      [0, 1],
      [0, 0],
    ],
    next: [
      [0, 1],
      [0, 2],
      [0, 0],
    ],
    done: [
      [false, false],
      [false, true],
      [false, false],
    ],
  };
  const Q0 = [
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  const Q1 = dynaQPlanning(Q0, tiny, 200, 0.5, 0.9, 1);
  check(
    "Q is not modified in place",
    Q0.every((row) => row.every((v) => v === 0)),
  );
  checkClose("after many updates, Q(1, right) -> 1 (terminal: no bootstrap)", Q1[1][1], 1, 1e-6);
  checkClose("after many updates, Q(0, right) -> gamma * 1", Q1[0][1], 0.9, 1e-6);
  check("untried actions are never updated", Q1[0][0] === 0 && Q1[1][0] === 0);
  checkClose("n = 0 changes nothing", dynaQPlanning(Q1, tiny, 0, 0.5, 0.9, 1), Q1);

  // The same updates as the library's planning step, on the model of a real Dyna-Q agent.
  const { agent } = dynaQRun(maze, { planningSteps: 5 }, { episodes: 3, seed: 7 });
  const table: DynaModelTable = dynaModelTable(agent);
  const mine = dynaQPlanning(qRows(agent), table, 300, agent.alpha, agent.gamma, 123);
  planningUpdates(agent, 300, makeRng(123));
  checkClose("matches the library's planningUpdates on a real agent's model", mine, qRows(agent), 1e-12);
}

// %% [markdown]
// ## 3. Steps per episode for n = 0, 5 and 50
//
// *Follows lecture 002, slides "Example: Dyna-maze" (the steps-per-episode figure for $n = 0, 5, 50$,
// with $\alpha = 0.1$, $\varepsilon = 0.1$, $\gamma = 0.95$).*
//
// Each agent runs 50 episodes; we average the number of steps per episode over 30 independent runs,
// as in the book's Figure 8.2 (the band is $\pm$ one standard error of the mean).
//
// The **first episode** is a pure random walk for every $n$: all rewards are 0 until the goal is
// first reached, so every update leaves $Q = 0$, and planning has nothing to spread yet. It takes
// about 870 steps on average. After the first arrival, things differ: without planning, one
// episode moves the news of the goal back by only one state; with $n = 50$ the model replays
// enough transitions to carry it almost all the way back to the start before episode 2 is over.

// %%
const RUNS = 30;
const EPISODES = 50;
const curves = [0, 5, 50].map((n) => {
  const runs = Array.from(
    { length: RUNS },
    (_, r) => dynaQRun(maze, { planningSteps: n }, { episodes: EPISODES, seed: 1000 + r }).stepsPerEpisode,
  );
  return { n, band: meanBand(runs, "stderr") };
});
for (const { n, band } of curves)
  console.log(`n = ${String(n).padStart(2)}: first episode ${band.mean[0].toFixed(0)} steps (mean of ${RUNS} runs)`);
const episodes = Array.from({ length: EPISODES - 1 }, (_, i) => i + 2);
await display(
  lineChart(
    [
      ...curves.map(({ n, band }) => ({
        name: `n = ${n}`,
        x: episodes,
        y: band.mean.slice(1),
        lower: band.lower.slice(1),
        upper: band.upper.slice(1),
      })),
      { name: "shortest path (14)", x: episodes, y: episodes.map(() => 14), dashed: true },
    ],
    {
      title: "Dyna-Q on the Dyna maze: n planning steps (mean of 30 runs)",
      xTitle: "episode",
      integerX: true,
      yTitle: "steps per episode",
      yDomain: [0, 800],
    },
  ),
);

// %% [markdown]
// Why do the curves flatten near 16 or 17, not at 14? Because the agent keeps exploring: one step in
// ten is random. Even an agent with a perfect greedy policy takes about 15.9 steps on average with
// $\varepsilon = 0.1$ (computed exactly below by solving the linear equations of expected steps-to-go),
// and a little more while $Q$ is still wrong in rarely visited cells. We therefore measure "reaching
// the optimum" as: the averaged curve stays within 20 % of this $\varepsilon$-greedy optimum.

// %%
const floor = epsilonGreedyOptimalSteps(maze, 0.1);
console.log(`epsilon-greedy around an optimal policy: ${floor.toFixed(2)} steps per episode on average`);
for (const { n, band } of curves) {
  console.log(
    `n = ${String(n).padStart(2)}: within 20 % of it for good from episode ${episodesToOptimal(band.mean, floor, 0.2) ?? "> 50"}`,
  );
}

// %% [markdown]
// The book reports about 3 episodes for $n = 50$, 5 for $n = 5$ and 25 for $n = 0$; with 30 runs the
// $n = 0$ number is noisy (one slow run in the last episodes is enough to push it later). The
// benchmark `npm run bench -- dyna-q` repeats this with 100 runs.
//
// ## 4. Inside episode 2: where does the agent know to go?
//
// *Follows lecture 002, slide "Example: Dyna-maze" ("the policies found by Dyna-Q with and without
// planning, half-way through the second episode").*
//
// The arrows show the greedy action in each cell half-way through the second episode (cells with no
// preference yet have none). Without planning, only the cell next to the goal has learned anything:
// the first episode updated one $Q$ value, the one of the final step. With 50 planning steps per real
// step, the same single arrival has been replayed thousands of times through the model, and a policy
// reaches back from the goal across most of the maze, so the rest of episode 2 is short.

// %%
function halfwayThroughEpisode2(n: number, seed: number): string {
  // First find how long episode 2 is for this seed, then rerun the same seed and stop half-way.
  const length2 = dynaQRun(maze, { planningSteps: n }, { episodes: 2, seed }).stepsPerEpisode[1];
  const half = Math.ceil(length2 / 2);
  const { agent } = dynaQRun(
    maze,
    { planningSteps: n },
    {
      episodes: 2,
      seed,
      onStep: ({ episode, step }) => episode === 1 && step >= half,
    },
  );
  return renderMaze(maze, { q: qRows(agent), title: `n = ${n}: step ${half} of ${length2} in episode 2` });
}
displayHtml(
  `<div style="display:flex;gap:24px;align-items:flex-start">${halfwayThroughEpisode2(0, 3)}${halfwayThroughEpisode2(50, 3)}</div>`,
);

// %% [markdown]
// ## 5. When the world changes: Dyna-Q+
//
// *Beyond the lectures: Sutton and Barto, section 8.3 ("When the model is wrong"), the natural sequel
// of lecture 002's Dyna-Q slides.*
//
// Dyna-Q's model only ever says what *happened*. If the world changes in a way that makes things
// worse (a path gets blocked), the agent walks into the change, the model is corrected, and planning
// adapts. If the world changes for the *better* (a shortcut opens somewhere the agent no longer
// visits), nothing ever tells the model: the greedy policy never tries the shortcut, and
// $\varepsilon$-greedy exploration is too rare to find a path several steps long.
//
// **Dyna-Q+** adds an exploration bonus to the simulated reward: $r + \kappa\sqrt{\tau}$, where $\tau$
// is the number of real steps since $(s, a)$ was last tried. Planning then makes long-untried actions
// look attractive, and the agent goes back to check on them. In planning it may also try actions never
// taken in a visited state (modelled as "stay put, reward 0").
//
// ### Exercise: the Dyna-Q+ planning update (2 points)
//
// Write `dynaQPlusPlanning(Q, model, now, n, alpha, gamma, kappa, seed)`. It is your `dynaQPlanning`
// with the two changes of Dyna-Q+ (Sutton and Barto, section 8.3):
//
// * the action is drawn among **all** actions of the visited state, `a = rng.int(Q[s].length)`
//   (after `s = observedStates[rng.int(observedStates.length)]`, with one `makeRng(seed)` as before);
//   an action never tried in `s` (not in `model.actionsTaken[s]`) is modelled as "stay in `s`,
//   reward 0, not terminal";
// * the simulated reward gets the bonus $\kappa\sqrt{\tau}$ with $\tau$ = `now - model.lastTried[s][a]`,
//   the number of real steps since $(s, a)$ was last tried (`lastTried` is 0 for a pair never tried,
//   so its $\tau$ is all the time so far).
//
// The update itself is unchanged: $Q(s, a) \leftarrow Q(s, a) + \alpha\,[r + \kappa\sqrt{\tau} + \gamma \max_{a'} Q(s', a') - Q(s, a)]$,
// with no $\max$ term after a terminal transition. Return a new table.

// %% exercise id=dyna-q-plus-planning points=2
interface DynaPlusTable {
  observedStates: number[];
  actionsTaken: number[][];
  reward: number[][];
  next: number[][];
  done: boolean[][];
  lastTried: number[][];
}

function dynaQPlusPlanning(
  Q: number[][],
  model: DynaPlusTable,
  now: number,
  n: number,
  alpha: number,
  gamma: number,
  kappa: number,
  seed: number,
): number[][] {
  // BEGIN SOLUTION
  throw new Error("not implemented yet: dyna-q-plus-planning");
  // END SOLUTION
}

// %% check id=dyna-q-plus-planning
{
  // One state, two actions: action 0 tried one step ago, action 1 never tried. With gamma = 0 and
  // alpha = 1 each Q value becomes exactly its simulated reward, i.e. its bonus.
  const stale: DynaPlusTable = {
    observedStates: [0],
    actionsTaken: [[0]],
    reward: [[0, 0]],
    next: [[0, 0]],
    done: [[false, false]],
    lastTried: [[99, 0]],
  };
  const Qs = dynaQPlusPlanning([[0, 0]], stale, 100, 40, 1, 0, 0.01, 1);
  checkClose("untried actions are planned with, and earn kappa * sqrt(100) after 100 untried steps", Qs[0][1], 0.1, 1e-9);
  checkClose("the bonus counts the steps since the LAST try: kappa * sqrt(100 - 99)", Qs[0][0], 0.01, 1e-9);

  // The same updates as the library's planning step, on the model of a Dyna-Q+ agent in the shortcut maze.
  const { agent } = dynaQContinuing(makeShortcutMaze(), { planningSteps: 5, alpha: 0.5, kappa: 1e-3 }, { steps: 800, seed: 4 });
  const nA = agent.nActions;
  const table: DynaPlusTable = {
    ...dynaModelTable(agent),
    lastTried: qRows(agent).map((row, s) => row.map((_, a) => agent.model.lastTried[s * nA + a])),
  };
  const mine = dynaQPlusPlanning(qRows(agent), table, agent.time, 300, agent.alpha, agent.gamma, agent.kappa, 17);
  planningUpdates(agent, 300, makeRng(17));
  checkClose("matches the library's Dyna-Q+ planningUpdates on a real agent's model", mine, qRows(agent), 1e-12);
}

// %% [markdown]
// The shortcut maze (Example 8.3): for 3,000 steps the only way round the wall is on the left; then a
// gap opens on the right, making a shorter path. We plot the cumulative reward (one per episode
// completed) over 6,000 steps, averaged over 20 runs; a steeper slope means shorter episodes.

// %%
const before = makeShortcutMaze();
// A maze whose shortcut opens after its first step, stepped once, to draw the second layout.
const after = makeShortcutMaze({ switchAt: 1 });
after.reset();
after.step(0);
displayHtml(
  `<div style="display:flex;gap:24px">${renderMaze(before, { title: "shortcut maze: steps 1 to 3000" })}` +
    `${renderMaze(after, { title: "from step 3001: the shortcut is open" })}</div>`,
);

// %%
function cumulative(make: () => ReturnType<typeof makeShortcutMaze>, kappa: number, steps: number, runs = 20) {
  const all = Array.from(
    { length: runs },
    (_, r) => dynaQContinuing(make(), { planningSteps: 50, alpha: 0.5, kappa }, { steps, seed: r }).cumulativeReward,
  );
  // Thin the 6,000 points out to every 50th for plotting.
  const idx = Array.from({ length: steps / 50 }, (_, i) => (i + 1) * 50 - 1);
  const band = meanBand(
    all.map((c) => idx.map((i) => c[i])),
    "stderr",
  );
  return { x: idx.map((i) => i + 1), ...band };
}
const plainShortcut = cumulative(makeShortcutMaze, 0, 6000);
const plusShortcut = cumulative(makeShortcutMaze, 1e-3, 6000);
await display(
  lineChart(
    [
      { name: "Dyna-Q", x: plainShortcut.x, y: plainShortcut.mean, lower: plainShortcut.lower, upper: plainShortcut.upper },
      { name: "Dyna-Q+, κ = 1e-3", x: plusShortcut.x, y: plusShortcut.mean, lower: plusShortcut.lower, upper: plusShortcut.upper },
    ],
    { title: "Shortcut maze: the shortcut opens at step 3000 (n = 50, 20 runs)", xTitle: "time steps", yTitle: "cumulative reward" },
  ),
);
const slope = (c: typeof plainShortcut) => (c.mean[c.mean.length - 1] - c.mean[59]) / 3000;
console.log(
  `episodes per 1000 steps after the switch: Dyna-Q ${(1000 * slope(plainShortcut)).toFixed(0)}, Dyna-Q+ ${(1000 * slope(plusShortcut)).toFixed(0)}`,
);
check("Dyna-Q+ completes more episodes after the shortcut opens", slope(plusShortcut) > slope(plainShortcut));

// %% [markdown]
// Dyna-Q+ pays a small price before the switch (it spends steps re-checking old paths) and gains far
// more after it: its slope jumps soon after step 3,000, while plain Dyna-Q keeps using the long way.
//
// The blocking maze (Example 8.2) is the opposite change: the short path on the right closes after
// 1,000 steps and a longer one opens on the left. Both agents must first discover that their model is
// wrong; the bonus helps here too, because it sends the agent to the new opening sooner.

// %%
const plainBlocking = cumulative(makeBlockingMaze, 0, 3000);
const plusBlocking = cumulative(makeBlockingMaze, 1e-3, 3000);
await display(
  lineChart(
    [
      { name: "Dyna-Q", x: plainBlocking.x, y: plainBlocking.mean, lower: plainBlocking.lower, upper: plainBlocking.upper },
      { name: "Dyna-Q+, κ = 1e-3", x: plusBlocking.x, y: plusBlocking.mean, lower: plusBlocking.lower, upper: plusBlocking.upper },
    ],
    { title: "Blocking maze: the path changes at step 1000 (n = 50, 20 runs)", xTitle: "time steps", yTitle: "cumulative reward" },
  ),
);

// %% [markdown]
// ## What to remember
//
// * Dyna interleaves acting, learning a model and planning; planning reuses each real transition many
//   times, so fewer real steps are needed. Here 50 planning steps cut learning from about 25 episodes
//   to about 3.
// * A tabular deterministic model is exact for what was seen and silent about the rest; the planning
//   updates only touch pairs that were actually tried.
// * A model that is only corrected by experience can stay wrong where the agent stops going. An
//   exploration bonus for long-untried actions (Dyna-Q+) keeps it honest in a changing world.
//
// Next, notebook 07 replaces the table by a learned neural-network ensemble and Q-learning by soft
// actor-critic, on a continuous system, where the model's errors become the central problem.
//
// ## Check your understanding
//
// 1. Episode 1 takes about the same number of steps for $n = 0$, 5 and 50. Why can planning not help
//    before the goal has been reached once, and what would change if $Q$ were initialised to $+1$
//    instead of 0?
// 2. Planning updates only use pairs $(s, a)$ that were actually tried. What would go wrong if plain
//    Dyna-Q also planned with untried actions, and why is that acceptable in Dyna-Q+?
// 3. Suppose each real step costs one second and each planning update a millisecond. Which $n$ would
//    you choose for the Dyna maze? What if real steps were free (a fast simulator)?
// 4. In the blocking maze, why does plain Dyna-Q eventually find the new path on its own, while in
//    the shortcut maze it never finds the shortcut? What does that say about errors in a model that
//    make the world look *worse* versus *better* than it is?
// 5. The bonus $\kappa\sqrt{\tau}$ is added to the *simulated* reward, not the real one. What would happen
//    to the learned $Q$ values if it were added to real rewards instead?
//
// ## Try it
//
// * **No exploration.** In the cell that computes `curves` (section 3), change `dynaQRun(maze, { planningSteps: n }, ...)`
//   to `dynaQRun(maze, { planningSteps: n, epsilon: 0 }, ...)`. Does $n = 50$ still settle near the
//   14-step shortest path, or does the greedy agent get stuck? Compare the floor computed in the next
//   cell with `epsilonGreedyOptimalSteps(maze, 0)`.
// * **How much planning is enough?** In the same cell, replace `[0, 5, 50]` by `[0, 1, 5, 20, 50, 200]`
//   (and `RUNS` by 10 to keep it quick). Where do the returns from more planning start to vanish?
// * **The size of the bonus.** In the cell that defines `plusShortcut` (section 5), try `kappa` `1e-4`
//   and `1e-2` instead of `1e-3`. Which one finds the shortcut soonest, and which one pays the most
//   before step 3,000 for re-checking old paths?
