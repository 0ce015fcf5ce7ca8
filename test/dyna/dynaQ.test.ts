import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { greedyActions, makeDynaMaze, makeShortcutMaze } from "../../lib/envs";
import { solve } from "../../lib/linalg";
import {
  type TabularTask,
  argmaxRandom,
  dynaQContinuing,
  dynaQEpisode,
  dynaQRun,
  episodesToOptimal,
  epsilonGreedyOptimalSteps,
  epsilonGreedy,
  qRows,
  makeDynaQ,
  modelUpdate,
  planningUpdates,
  qLearningUpdate,
} from "../../lib/dyna/dynaQ";

/** A corridor 0..L-1 (a test fixture): action 0 left, 1 right; reaching L-1 pays 1 and ends the episode. */
function corridor(L: number): TabularTask {
  let cur = 0;
  let t = 0;
  return {
    nStates: L,
    nActions: 2,
    reset: () => {
      cur = 0;
      t = 0;
      return cur;
    },
    step: (a: number) => {
      const next = a === 1 ? Math.min(cur + 1, L - 1) : Math.max(cur - 1, 0);
      const terminated = next === L - 1;
      cur = next;
      t++;
      return { observation: next, reward: terminated ? 1 : 0, terminated, truncated: false, info: { t } };
    },
  };
}

describe("action selection", () => {
  it("argmaxRandom picks the maximum and breaks ties uniformly", () => {
    const rng = makeRng(1);
    expect(argmaxRandom([0, 3, 1, 2], 0, 4, rng)).toBe(1);
    const counts = [0, 0, 0, 0];
    const N = 40_000;
    for (let i = 0; i < N; i++) counts[argmaxRandom([1, 5, 5, 5], 0, 4, rng)]++;
    expect(counts[0]).toBe(0);
    for (const c of counts.slice(1)) expect(Math.abs(c / N - 1 / 3)).toBeLessThan(0.01);
  });

  it("epsilonGreedy explores with probability epsilon spread over all actions", () => {
    const rng = makeRng(2);
    const N = 40_000;
    let greedy = 0;
    for (let i = 0; i < N; i++) if (epsilonGreedy([0, 0, 1, 0], 0, 4, 0.2, rng) === 2) greedy++;
    // P(greedy) = 1 - eps + eps / |A| = 0.85
    expect(Math.abs(greedy / N - 0.85)).toBeLessThan(0.01);
  });
});

describe("Dyna-Q updates", () => {
  it("qLearningUpdate applies alpha [r + gamma max Q(s') - Q(s,a)] and does not bootstrap at the end", () => {
    const agent = makeDynaQ(3, 2, { planningSteps: 0, alpha: 0.5, gamma: 0.9 });
    agent.Q.set([0, 0, 2, 4, 0, 0]);
    qLearningUpdate(agent, 0, 1, 1, 1, false);
    expect(agent.Q[1]).toBeCloseTo(0.5 * (1 + 0.9 * 4), 12);
    qLearningUpdate(agent, 1, 0, 1, 2, true);
    expect(agent.Q[2]).toBeCloseTo(2 + 0.5 * (1 - 2), 12);
  });

  it("the model remembers the last outcome and the order states and actions were first seen", () => {
    const agent = makeDynaQ(4, 2, { planningSteps: 0 });
    modelUpdate(agent, 2, 1, 0, 3, false);
    modelUpdate(agent, 0, 0, 0, 0, false);
    modelUpdate(agent, 2, 0, 0, 1, false);
    modelUpdate(agent, 2, 1, 5, 0, true);
    expect(agent.model.observedStates).toEqual([2, 0]);
    expect(agent.model.actionsTaken[2]).toEqual([1, 0]);
    expect(agent.model.reward[2 * 2 + 1]).toBe(5);
    expect(agent.model.next[2 * 2 + 1]).toBe(0);
    expect(agent.model.done[2 * 2 + 1]).toBe(1);
  });

  it("planning replays only modelled pairs and reproduces a hand-computed table", () => {
    const agent = makeDynaQ(3, 2, { planningSteps: 0, alpha: 0.5, gamma: 0.9 });
    modelUpdate(agent, 0, 1, 0, 1, false);
    modelUpdate(agent, 1, 1, 1, 2, true);
    const rng = makeRng(7);
    // Replay the same random draws by hand.
    const twin = makeRng(7);
    const Q = [0, 0, 0, 0, 0, 0];
    for (let k = 0; k < 20; k++) {
      const s = [0, 1][twin.int(2)];
      twin.int(1); // one action taken in each state
      if (s === 0) Q[1] += 0.5 * (0 + 0.9 * Math.max(Q[2], Q[3]) - Q[1]);
      else Q[3] += 0.5 * (1 - Q[3]);
    }
    planningUpdates(agent, 20, rng);
    for (let i = 0; i < 6; i++) expect(agent.Q[i]).toBeCloseTo(Q[i], 12);
    expect(agent.Q[0]).toBe(0); // never-tried actions are not planned with in plain Dyna-Q
  });

  it("with enough planning the values of a corridor approach gamma^(distance - 1)", () => {
    const task = corridor(6);
    const { agent } = dynaQRun(task, { planningSteps: 200, epsilon: 0.1 }, { episodes: 20, seed: 3 });
    for (let s = 0; s < 5; s++) {
      expect(agent.Q[s * 2 + 1]).toBeCloseTo(0.95 ** (4 - s), 2);
    }
    expect(greedyActions(qRows(agent)).slice(0, 5)).toEqual([[1], [1], [1], [1], [1]]);
  });

  it("planning speeds learning up: fewer steps in episode 2 with n = 50 than n = 0", () => {
    const task = corridor(30);
    let s0 = 0;
    let s50 = 0;
    for (let seed = 0; seed < 10; seed++) {
      s0 += dynaQRun(task, { planningSteps: 0 }, { episodes: 2, seed }).stepsPerEpisode[1];
      s50 += dynaQRun(task, { planningSteps: 50 }, { episodes: 2, seed }).stepsPerEpisode[1];
    }
    expect(s50).toBeLessThan(0.5 * s0);
  });

  it("is reproducible: the same seed gives the same run", () => {
    const a = dynaQRun(corridor(8), { planningSteps: 5 }, { episodes: 5, seed: 11 });
    const b = dynaQRun(corridor(8), { planningSteps: 5 }, { episodes: 5, seed: 11 });
    expect(a.stepsPerEpisode).toEqual(b.stepsPerEpisode);
    expect(Array.from(a.agent.Q)).toEqual(Array.from(b.agent.Q));
  });

  it("rejects bad settings and a task of another size", () => {
    expect(() => makeDynaQ(3, 2, { planningSteps: -1 })).toThrow(/planningSteps/);
    expect(() => makeDynaQ(3, 2, { planningSteps: 1, alpha: 2 })).toThrow(/alpha/);
    expect(() => dynaQContinuing(corridor(4), { planningSteps: 0 }, { steps: 0, seed: 0 })).toThrow(/steps/);
    const agent = makeDynaQ(3, 2, { planningSteps: 0 });
    expect(() => dynaQEpisode(agent, corridor(5), makeRng(0))).toThrow(/5 states/);
  });
});

describe("Dyna-Q+", () => {
  it("plans with untried actions as 'stay, reward 0' plus the bonus kappa sqrt(tau)", () => {
    const agent = makeDynaQ(2, 2, { planningSteps: 0, alpha: 1, gamma: 0.5, kappa: 0.1 });
    agent.time = 16;
    modelUpdate(agent, 0, 1, 0, 1, false); // lastTried = 16
    agent.time = 25;
    const rng = makeRng(0);
    const twin = makeRng(0);
    twin.int(1);
    const a = twin.int(2);
    planningUpdates(agent, 1, rng);
    if (a === 0)
      expect(agent.Q[0]).toBeCloseTo(0.1 * Math.sqrt(25) + 0.5 * 0, 12); // untried: tau = 25
    else expect(agent.Q[1]).toBeCloseTo(0.1 * Math.sqrt(9), 12); // tried 9 steps ago
  });

  it("finds the shortcut of Example 8.3 that plain Dyna-Q keeps ignoring", () => {
    // Reward collected in the 3000 steps after the shortcut opens (at step 3000), summed over runs.
    let plus = 0;
    let plain = 0;
    for (let seed = 0; seed < 5; seed++) {
      const cfg = { planningSteps: 10, alpha: 1 };
      const p = dynaQContinuing(makeShortcutMaze(), { ...cfg, kappa: 1e-3 }, { steps: 6000, seed }).cumulativeReward;
      const q = dynaQContinuing(makeShortcutMaze(), cfg, { steps: 6000, seed }).cumulativeReward;
      plus += p[5999] - p[2999];
      plain += q[5999] - q[2999];
    }
    expect(plus).toBeGreaterThan(1.3 * plain);
  });
});

/** Expected steps of a uniform random walk from the start to the goal: solve (I - P) t = 1 over non-goal states. */
function randomWalkSteps(maze: ReturnType<typeof makeDynaMaze>): number {
  const states = maze.freeStates().filter((s) => s !== maze.goalState);
  const idx = new Map(states.map((s, i) => [s, i]));
  const A = states.map(() => new Array(states.length).fill(0));
  for (const s of states) {
    const i = idx.get(s)!;
    A[i][i] += 1;
    for (let a = 0; a < 4; a++) {
      const { next } = maze.transition(s, a);
      if (next !== maze.goalState) A[i][idx.get(next)!] -= 0.25;
    }
  }
  const t = solve(A, new Float64Array(states.length).fill(1));
  return t[idx.get(maze.startState)!];
}

describe("Dyna-Q on the Dyna maze (Example 8.1)", () => {
  it("walks at random in the first episode whatever n (Q stays 0 until the goal is first reached)", () => {
    const maze = makeDynaMaze();
    const expected = randomWalkSteps(maze); // about 869
    for (const n of [0, 50]) {
      const runs = n === 0 ? 400 : 100;
      let first = 0;
      for (let seed = 0; seed < runs; seed++) {
        first += dynaQRun(maze, { planningSteps: n }, { episodes: 1, seed }).stepsPerEpisode[0] / runs;
      }
      expect(Math.abs(first / expected - 1)).toBeLessThan(n === 0 ? 0.12 : 0.25);
    }
  });

  it("epsilonGreedyOptimalSteps: 14 without exploration, and matches a Monte Carlo estimate with epsilon 0.1", () => {
    const maze = makeDynaMaze();
    expect(epsilonGreedyOptimalSteps(maze, 0)).toBeCloseTo(14, 9);
    const exact = epsilonGreedyOptimalSteps(maze, 0.1);
    const dist = (s: number) => (s === maze.goalState ? 0 : maze.shortestPath(s));
    const rng = makeRng(5);
    let total = 0;
    const episodes = 4000;
    for (let e = 0; e < episodes; e++) {
      let s = maze.reset();
      for (;;) {
        const d = [0, 1, 2, 3].map((a) => dist(maze.transition(s, a).next));
        const best = [0, 1, 2, 3].filter((a) => d[a] === Math.min(...d));
        const a = rng.uniform() < 0.1 ? rng.int(4) : rng.choice(best);
        const out = maze.step(a);
        total++;
        s = out.observation;
        if (out.terminated) break;
      }
    }
    expect(Math.abs(total / episodes / exact - 1)).toBeLessThan(0.02);
    expect(exact).toBeGreaterThan(15);
  });

  it("with n = 50 is near the 14-step optimum by episode 5", () => {
    const maze = makeDynaMaze();
    let fifth = 0;
    const runs = 20;
    for (let seed = 0; seed < runs; seed++) {
      fifth += dynaQRun(maze, { planningSteps: 50 }, { episodes: 5, seed }).stepsPerEpisode[4] / runs;
    }
    expect(maze.shortestPath()).toBe(14);
    expect(fifth).toBeLessThan(20);
  });
});

describe("episodesToOptimal", () => {
  it("returns the first 1-based episode after which the curve stays within the tolerance", () => {
    expect(episodesToOptimal([100, 16, 30, 16, 15, 14], 14, 0.2)).toBe(4);
    expect(episodesToOptimal([100, 50, 17], 14, 0.2)).toBeNull();
    expect(episodesToOptimal([14, 14], 14, 0.2)).toBe(1);
  });
});
