/**
 * Tabular Dyna-Q and Dyna-Q+ (Sutton and Barto, Reinforcement Learning, 2nd ed., section 8.2-8.3).
 *
 * Every real step does three things: (a) act epsilon-greedily, (b) direct RL: one Q-learning update
 * from the real transition, (c) model learning: remember (R, S') for (S, A) in a deterministic table,
 * then (d) planning: n Q-learning updates on transitions replayed from that table, each from a random
 * previously observed state and a random action previously taken there.
 * Dyna-Q+ adds the bonus kappa * sqrt(tau) to the simulated reward, tau being the number of real steps
 * since (S, A) was last tried, and lets planning try actions never taken (they model "stay, reward 0").
 *
 * Q is a flat Float64Array: Q[s * nActions + a].
 */
import { type Rng, ValueError, checkInt, checkNumber, makeRng } from "../core";
import type { TabularEnv } from "../envs/types";
import type { Maze } from "../envs/maze";
import { solve } from "../linalg";
import { checkInterrupt } from "../core/interrupt";

/**
 * What Dyna-Q needs from an environment: the part of lib/envs' TabularEnv it touches (the mazes
 * implement it). `reset()` starts an episode, `step(a)` is one real step. Dyna-Q never reads the
 * environment's true model (`transition`): it learns its own from the steps it takes.
 */
export type TabularTask = Pick<TabularEnv, "nStates" | "nActions" | "reset" | "step">;

export interface DynaQConfig {
  /** Planning updates per real step (n); 0 gives plain one-step Q-learning. */
  planningSteps: number;
  /** Step size. Default 0.1. */
  alpha?: number;
  /** Discount. Default 0.95. */
  gamma?: number;
  /** Exploration probability of epsilon-greedy. Default 0.1. */
  epsilon?: number;
  /** Dyna-Q+ exploration bonus weight; 0 (default) is plain Dyna-Q. */
  kappa?: number;
}

/** The deterministic tabular model: what happened the last time each (s, a) was tried. */
export interface TabularModel {
  /** 1 where (s, a) has been tried in the real environment. */
  known: Uint8Array;
  reward: Float64Array;
  next: Int32Array;
  done: Uint8Array;
  /** Real time step at which (s, a) was last tried (0 if never). */
  lastTried: Float64Array;
  /** States seen at least once as S, in order of first visit. */
  observedStates: number[];
  /** For each state, the actions taken there, in order of first use. */
  actionsTaken: number[][];
}

export interface DynaQAgent {
  readonly nStates: number;
  readonly nActions: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly epsilon: number;
  readonly planningSteps: number;
  readonly kappa: number;
  /** Action values, Q[s * nActions + a]. */
  Q: Float64Array;
  model: TabularModel;
  /** Real steps taken so far (the clock of the Dyna-Q+ bonus). */
  time: number;
}

/** A fresh agent: Q = 0 everywhere and an empty model. */
export function makeDynaQ(nStates: number, nActions: number, config: DynaQConfig): DynaQAgent {
  checkInt("makeDynaQ: nStates", nStates);
  checkInt("makeDynaQ: nActions", nActions);
  const planningSteps = checkInt("makeDynaQ: planningSteps", config.planningSteps, { allowZero: true });
  const alpha = checkNumber("makeDynaQ: alpha", config.alpha ?? 0.1, 0, 1);
  const gamma = checkNumber("makeDynaQ: gamma", config.gamma ?? 0.95, 0, 1);
  const epsilon = checkNumber("makeDynaQ: epsilon", config.epsilon ?? 0.1, 0, 1);
  const kappa = checkNumber("makeDynaQ: kappa", config.kappa ?? 0, 0);
  const size = nStates * nActions;
  return {
    nStates,
    nActions,
    alpha,
    gamma,
    epsilon,
    planningSteps,
    kappa,
    Q: new Float64Array(size),
    model: {
      known: new Uint8Array(size),
      reward: new Float64Array(size),
      next: new Int32Array(size),
      done: new Uint8Array(size),
      lastTried: new Float64Array(size),
      observedStates: [],
      actionsTaken: Array.from({ length: nStates }, () => []),
    },
    time: 0,
  };
}

/** The greedy action in s; ties are broken uniformly at random (this matters while Q is all zero). */
export function argmaxRandom(Q: ArrayLike<number>, s: number, nActions: number, rng: Rng): number {
  const base = s * nActions;
  let best = -Infinity;
  let count = 0;
  let choice = 0;
  for (let a = 0; a < nActions; a++) {
    const q = Q[base + a];
    if (q > best) {
      best = q;
      count = 1;
      choice = a;
    } else if (q === best) {
      // Reservoir sampling over the tied actions: each ends up chosen with probability 1/count.
      count++;
      if (rng.int(count) === 0) choice = a;
    }
  }
  return choice;
}

/** With probability epsilon a uniformly random action, otherwise the greedy one. */
export function epsilonGreedy(Q: ArrayLike<number>, s: number, nActions: number, epsilon: number, rng: Rng): number {
  if (rng.uniform() < epsilon) return rng.int(nActions);
  return argmaxRandom(Q, s, nActions, rng);
}

/** One Q-learning update: Q(s,a) += alpha [r + gamma max_a' Q(s',a') - Q(s,a)], no bootstrap at the end. */
export function qLearningUpdate(agent: DynaQAgent, s: number, a: number, reward: number, next: number, done: boolean): void {
  const { Q, nActions, alpha, gamma } = agent;
  let target = reward;
  if (!done) {
    let m = -Infinity;
    for (let b = 0; b < nActions; b++) m = Math.max(m, Q[next * nActions + b]);
    target += gamma * m;
  }
  const i = s * nActions + a;
  Q[i] += alpha * (target - Q[i]);
}

/** Model learning: the deterministic model remembers the latest outcome of (s, a). */
export function modelUpdate(agent: DynaQAgent, s: number, a: number, reward: number, next: number, done: boolean): void {
  const m = agent.model;
  const i = s * agent.nActions + a;
  if (m.actionsTaken[s].length === 0) m.observedStates.push(s);
  if (!m.known[i]) m.actionsTaken[s].push(a);
  m.known[i] = 1;
  m.reward[i] = reward;
  m.next[i] = next;
  m.done[i] = done ? 1 : 0;
  m.lastTried[i] = agent.time;
}

/**
 * Planning: n simulated Q-learning updates. Each picks S uniformly among the observed states, then A
 * uniformly among the actions taken in S (Dyna-Q) or among all actions (Dyna-Q+), asks the model for
 * (R, S') and applies the Q-learning update. Dyna-Q+ adds kappa * sqrt(tau) to R.
 * Random numbers are drawn in this order per update: rng.int(#observed states), rng.int(#actions).
 */
export function planningUpdates(agent: DynaQAgent, n: number, rng: Rng): void {
  const m = agent.model;
  if (m.observedStates.length === 0) return;
  const plus = agent.kappa > 0;
  for (let k = 0; k < n; k++) {
    const s = m.observedStates[rng.int(m.observedStates.length)];
    const a = plus ? rng.int(agent.nActions) : m.actionsTaken[s][rng.int(m.actionsTaken[s].length)];
    const i = s * agent.nActions + a;
    // Dyna-Q+ models an untried action as "stay in S with reward 0" (the book's footnote in 8.3).
    let reward = m.known[i] ? m.reward[i] : 0;
    const next = m.known[i] ? m.next[i] : s;
    const done = m.known[i] ? m.done[i] === 1 : false;
    if (plus) reward += agent.kappa * Math.sqrt(agent.time - m.lastTried[i]);
    qLearningUpdate(agent, s, a, reward, next, done);
  }
}

/** One real step of Dyna-Q from state s (the task's current state): act, direct RL, model learning, planning. */
export function dynaQStep(
  agent: DynaQAgent,
  task: TabularTask,
  s: number,
  rng: Rng,
): { action: number; next: number; reward: number; done: boolean; truncated: boolean } {
  const a = epsilonGreedy(agent.Q, s, agent.nActions, agent.epsilon, rng);
  const { observation: next, reward, terminated: done, truncated } = task.step(a);
  qLearningUpdate(agent, s, a, reward, next, done);
  agent.time += 1;
  modelUpdate(agent, s, a, reward, next, done);
  planningUpdates(agent, agent.planningSteps, rng);
  return { action: a, next, reward, done, truncated };
}

/** Called after every real step; returning true stops the episode early (used to freeze the agent mid-episode). */
export type StepHook = (info: { episode: number; step: number; state: number; agent: DynaQAgent }) => boolean | void;

/** Runs one episode to the goal (or maxSteps); returns the number of real steps it took. */
export function dynaQEpisode(
  agent: DynaQAgent,
  task: TabularTask,
  rng: Rng,
  { maxSteps = 100_000, episode = 0, onStep }: { maxSteps?: number; episode?: number; onStep?: StepHook } = {},
): number {
  checkTask(agent, task);
  let s = task.reset();
  for (let t = 1; t <= maxSteps; t++) {
    checkInterrupt();
    const out = dynaQStep(agent, task, s, rng);
    s = out.next;
    if (onStep && onStep({ episode, step: t, state: s, agent }) === true) return t;
    if (out.done || out.truncated) return t;
  }
  return maxSteps;
}

/** One run of `episodes` episodes from a fresh agent; returns steps per episode and the final agent. */
export function dynaQRun(
  task: TabularTask,
  config: DynaQConfig,
  { episodes, seed, maxSteps, onStep }: { episodes: number; seed: number; maxSteps?: number; onStep?: StepHook },
): { stepsPerEpisode: number[]; agent: DynaQAgent } {
  checkInt("dynaQRun: episodes", episodes);
  const rng = makeRng(seed);
  const agent = makeDynaQ(task.nStates, task.nActions, config);
  const stepsPerEpisode: number[] = [];
  for (let e = 0; e < episodes; e++) {
    stepsPerEpisode.push(dynaQEpisode(agent, task, rng, { maxSteps, episode: e, onStep }));
  }
  return { stepsPerEpisode, agent };
}

/** Steps per episode averaged over `runs` independent runs (seeds seed, seed+1, ...), with the standard deviation. */
export function dynaQCurve(
  task: TabularTask,
  config: DynaQConfig,
  { episodes, runs, seed = 0 }: { episodes: number; runs: number; seed?: number },
): { mean: number[]; std: number[]; runs: number[][] } {
  checkInt("dynaQCurve: runs", runs);
  const all: number[][] = [];
  for (let r = 0; r < runs; r++) all.push(dynaQRun(task, config, { episodes, seed: seed + r }).stepsPerEpisode);
  const mean: number[] = [];
  const std: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let m = 0;
    for (const run of all) m += run[e];
    m /= runs;
    let v = 0;
    for (const run of all) v += (run[e] - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(v / runs));
  }
  return { mean, std, runs: all };
}

/**
 * The first episode (1-based) from which the curve stays within `tolerance` (relative) of `optimal`
 * for the rest of the run; null if it never settles.
 */
export function episodesToOptimal(curve: readonly number[], optimal: number, tolerance = 0.2): number | null {
  const limit = optimal * (1 + tolerance);
  let first: number | null = null;
  for (let e = curve.length - 1; e >= 0; e--) {
    if (curve[e] > limit) break;
    first = e + 1;
  }
  return first;
}

/** Q as rows Q[s][a] (the layout lib/envs' renderMaze and greedyActions take). */
export function qRows(agent: DynaQAgent): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < agent.nStates; s++) out.push(Array.from(agent.Q.subarray(s * agent.nActions, (s + 1) * agent.nActions)));
  return out;
}

/**
 * Runs Dyna-Q for a fixed number of real steps, starting a new episode whenever one ends, and records
 * the cumulative reward (the book's Figures 8.4 and 8.5). Pass a fresh task: a changing maze switches
 * its layout after a number of total steps, and the agent is not told.
 */
export function dynaQContinuing(
  task: TabularTask,
  config: DynaQConfig,
  { steps, seed }: { steps: number; seed: number },
): { cumulativeReward: Float64Array; agent: DynaQAgent } {
  checkInt("dynaQContinuing: steps", steps);
  const rng = makeRng(seed);
  const agent = makeDynaQ(task.nStates, task.nActions, config);
  const cumulativeReward = new Float64Array(steps);
  let total = 0;
  let s = task.reset();
  for (let t = 0; t < steps; t++) {
    checkInterrupt();
    const out = dynaQStep(agent, task, s, rng);
    total += out.reward;
    cumulativeReward[t] = total;
    s = out.done || out.truncated ? task.reset() : out.next;
  }
  return { cumulativeReward, agent };
}

function checkTask(agent: DynaQAgent, task: TabularTask): void {
  if (task.nStates !== agent.nStates || task.nActions !== agent.nActions) {
    throw new ValueError(
      `Dyna-Q: the task has ${task.nStates} states x ${task.nActions} actions, the agent ${agent.nStates} x ${agent.nActions}`,
    );
  }
}

/**
 * The expected steps per episode of the epsilon-greedy policy around an OPTIMAL greedy policy (ties
 * among optimal actions split evenly): the floor the steps-per-episode curves settle on. With
 * epsilon = 0.1 on the Dyna maze it is about 17, not 14, because one step in 13 is random.
 * Solves (I - P_pi) t = 1 over the non-goal states with the maze's true model (analysis only).
 */
export function epsilonGreedyOptimalSteps(maze: Maze, epsilon: number): number {
  checkNumber("epsilonGreedyOptimalSteps: epsilon", epsilon, 0, 1);
  const goal = maze.goalState;
  const states = maze.freeStates().filter((s) => s !== goal);
  const index = new Map(states.map((s, i) => [s, i]));
  const dist = (s: number) => (s === goal ? 0 : maze.shortestPath(s));
  const nA = maze.nActions;
  const A = states.map(() => new Array<number>(states.length).fill(0));
  for (const s of states) {
    const i = index.get(s)!;
    const nexts = Array.from({ length: nA }, (_, a) => maze.transition(s, a).next);
    const d = nexts.map(dist);
    const best = Math.min(...d);
    const nBest = d.filter((x) => x === best).length;
    A[i][i] += 1;
    for (let a = 0; a < nA; a++) {
      const p = epsilon / nA + (d[a] === best ? (1 - epsilon) / nBest : 0);
      if (nexts[a] !== goal) A[i][index.get(nexts[a])!] -= p;
    }
  }
  const t = solve(A, new Float64Array(states.length).fill(1));
  return t[index.get(maze.startState)!];
}

/** The agent's model as plain arrays, indexed [s][a] (the layout of notebook 06's exercise). */
export function dynaModelTable(agent: DynaQAgent): {
  observedStates: number[];
  actionsTaken: number[][];
  reward: number[][];
  next: number[][];
  done: boolean[][];
} {
  const m = agent.model;
  const rows = <T>(f: (i: number) => T): T[][] =>
    Array.from({ length: agent.nStates }, (_, s) => Array.from({ length: agent.nActions }, (_, a) => f(s * agent.nActions + a)));
  return {
    observedStates: m.observedStates.slice(),
    actionsTaken: m.actionsTaken.map((a) => a.slice()),
    reward: rows((i) => m.reward[i]),
    next: rows((i) => m.next[i]),
    done: rows((i) => m.done[i] === 1),
  };
}
