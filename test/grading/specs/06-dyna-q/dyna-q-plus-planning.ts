import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";
import { makeShortcutMaze } from "../../../../lib/envs";
import { dynaModelTable, dynaQContinuing, qRows } from "../../../../lib/dyna/dynaQ";

/** A random tabular model with some actions untried and random last-tried times before `now`. */
function randomTable(rng: Rng, nS: number, nA: number, now: number) {
  const observed = rng.permutation(nS).slice(0, 1 + rng.int(nS));
  const actionsTaken: number[][] = Array.from({ length: nS }, () => []);
  // Leave at least one action untried in most states, so the bonus of untried actions matters.
  for (const s of observed) actionsTaken[s] = rng.permutation(nA).slice(0, 1 + rng.int(Math.max(1, nA - 1)));
  const grid = <T>(f: (s: number, a: number) => T) => Array.from({ length: nS }, (_, s) => Array.from({ length: nA }, (_, a) => f(s, a)));
  return {
    Q: grid(() => Math.round(rng.normal(0, 1) * 1000) / 1000),
    model: {
      observedStates: observed,
      actionsTaken,
      reward: grid(() => (rng.uniform() < 0.3 ? Math.round(rng.normal(0, 2) * 100) / 100 : 0)),
      next: grid(() => rng.int(nS)),
      done: grid(() => rng.uniform() < 0.2),
      lastTried: grid((s, a) => (actionsTaken[s].includes(a) ? 1 + rng.int(now) : 0)),
    },
  };
}

/** A real Dyna-Q+ agent on the shortcut maze after `steps` real steps (fixed seed). */
function mazeAgent(steps: number, seed: number) {
  const { agent } = dynaQContinuing(makeShortcutMaze(), { planningSteps: 5, alpha: 0.5, kappa: 1e-3 }, { steps, seed });
  const nA = agent.nActions;
  const lastTried = Array.from({ length: agent.nStates }, (_, s) =>
    Array.from({ length: nA }, (_, a) => agent.model.lastTried[s * nA + a]),
  );
  return { Q: qRows(agent), model: { ...dynaModelTable(agent), lastTried }, now: agent.time };
}

const LOOP_HEAD =
  "const q = Q.map((row) => row.slice());\nconst rng = makeRng(seed);\nconst states = model.observedStates;\n" +
  "for (let k = 0; k < n && states.length > 0; k++) {\n  const s = states[rng.int(states.length)];\n";
const LOOP_TAIL =
  "  const target = reward + (done ? 0 : gamma * Math.max(...q[next]));\n  q[s][a] += alpha * (target - q[s][a]);\n}\nreturn q;";

/** Hidden test of notebook 06's Dyna-Q+ planning: untried actions in, bonus kappa sqrt(now - lastTried). */
export default defineExercise({
  notebook: "06-dyna-q",
  id: "dyna-q-plus-planning",
  entry: "dynaQPlusPlanning",
  cases: (rng) => {
    // One state, action 0 tried one step ago, action 1 never: gamma = 0 and alpha = 1 expose the bonuses.
    const stale = {
      observedStates: [0],
      actionsTaken: [[0]],
      reward: [[0, 0]],
      next: [[0, 0]],
      done: [[false, false]],
      lastTried: [[99, 0]],
    };
    const cases: { args: unknown[]; label: string }[] = [
      { args: [[[0, 0]], stale, 100, 40, 1, 0, 0.01, 1], label: "an untried action earns the bonus of 100 untried steps" },
      {
        args: [[[0, 0]], { ...stale, actionsTaken: [[0, 1]], lastTried: [[99, 64]] }, 100, 40, 1, 0, 0.01, 2],
        label: "the bonus counts steps since the LAST try",
      },
      { args: [[[1, 2]], stale, 100, 0, 0.5, 0.9, 0.01, 0], label: "n = 0 returns the same table" },
    ];
    for (const [steps, seed] of [
      [400, 21],
      [2500, 22],
    ]) {
      const m = mazeAgent(steps, seed);
      cases.push({
        args: [m.Q, m.model, m.now, 200, 0.5, 0.95, 1e-3, seed],
        label: `shortcut maze after ${steps} real steps, 200 planning updates`,
      });
    }
    for (let k = 0; k < 6; k++) {
      const now = 50 + 100 * k;
      const { Q, model } = randomTable(rng, 3 + k, 2 + (k % 3), now);
      cases.push({
        args: [Q, model, now, 5 + 11 * k, 0.1 + 0.15 * k, 0.8 + 0.03 * k, 0.01 + 0.02 * k, rng.int(1000)],
        label: `random model ${k + 1}`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "plans only with tried actions (Dyna-Q's rule), so untried actions are never re-checked",
      body:
        LOOP_HEAD +
        "  const tried = model.actionsTaken[s];\n  const a = tried[rng.int(tried.length)];\n" +
        "  const next = model.next[s][a];\n  const done = model.done[s][a];\n" +
        "  const reward = model.reward[s][a] + kappa * Math.sqrt(now - model.lastTried[s][a]);\n" +
        LOOP_TAIL,
    },
    {
      name: "bonus grows with the time since the start, not since the last try",
      body:
        LOOP_HEAD +
        "  const a = rng.int(q[s].length);\n  const tried = model.actionsTaken[s].includes(a);\n" +
        "  const next = tried ? model.next[s][a] : s;\n  const done = tried ? model.done[s][a] : false;\n" +
        "  const reward = (tried ? model.reward[s][a] : 0) + kappa * Math.sqrt(now);\n" +
        LOOP_TAIL,
    },
    {
      name: "no bonus for untried actions (only remembered transitions get it)",
      body:
        LOOP_HEAD +
        "  const a = rng.int(q[s].length);\n  const tried = model.actionsTaken[s].includes(a);\n" +
        "  const next = tried ? model.next[s][a] : s;\n  const done = tried ? model.done[s][a] : false;\n" +
        "  const reward = tried ? model.reward[s][a] + kappa * Math.sqrt(now - model.lastTried[s][a]) : 0;\n" +
        LOOP_TAIL,
    },
  ],
});
