import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";
import { makeDynaMaze } from "../../../../lib/envs";
import { dynaModelTable, dynaQRun, qRows } from "../../../../lib/dyna/dynaQ";

/** A random tabular model: some states observed, some actions tried in each, random outcomes. */
function randomTable(rng: Rng, nS: number, nA: number) {
  const observed = rng.permutation(nS).slice(0, 1 + rng.int(nS));
  const actionsTaken: number[][] = Array.from({ length: nS }, () => []);
  for (const s of observed) actionsTaken[s] = rng.permutation(nA).slice(0, 1 + rng.int(nA));
  const grid = <T>(f: () => T) => Array.from({ length: nS }, () => Array.from({ length: nA }, f));
  return {
    Q: grid(() => Math.round(rng.normal(0, 1) * 1000) / 1000),
    model: {
      observedStates: observed,
      actionsTaken,
      reward: grid(() => (rng.uniform() < 0.3 ? Math.round(rng.normal(0, 2) * 100) / 100 : 0)),
      next: grid(() => rng.int(nS)),
      done: grid(() => rng.uniform() < 0.2),
    },
  };
}

/** Q and model of a real Dyna-Q agent after scripted episodes on the Dyna maze (fixed seed). */
function mazeAgent(episodes: number, n: number, seed: number) {
  const { agent } = dynaQRun(makeDynaMaze(), { planningSteps: n }, { episodes, seed });
  return { Q: qRows(agent), model: dynaModelTable(agent) };
}

/** Hidden test of notebook 06: the exact Q table after n planning updates drawn with makeRng(seed). */
export default defineExercise({
  notebook: "06-dyna-q",
  id: "dyna-q-planning",
  entry: "dynaQPlanning",
  cases: (rng) => {
    const chain = {
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
    // A terminal transition into a state with large values: bootstrapping from it would be wrong.
    const terminal = {
      observedStates: [0],
      actionsTaken: [[0]],
      reward: [[2], [0]],
      next: [[1], [1]],
      done: [[true], [false]],
    };
    const cases = [
      {
        args: [
          [
            [0, 0],
            [0, 0],
            [0, 0],
          ],
          chain,
          1,
          0.5,
          0.9,
          1,
        ],
        label: "one update on a two-step chain",
      },
      {
        args: [
          [
            [0, 0],
            [0, 0],
            [0, 0],
          ],
          chain,
          40,
          0.1,
          0.95,
          3,
        ],
        label: "forty updates on a two-step chain",
      },
      { args: [[[0], [100]], terminal, 5, 0.5, 0.9, 0], label: "no bootstrap after a terminal transition" },
      {
        args: [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          chain,
          0,
          0.5,
          0.9,
          0,
        ],
        label: "n = 0 returns the same table",
      },
    ];
    const maze1 = mazeAgent(1, 0, 11);
    const maze3 = mazeAgent(3, 5, 12);
    cases.push({ args: [maze1.Q, maze1.model, 50, 0.1, 0.95, 5], label: "Dyna maze after episode 1 (Q-learning), 50 planning updates" });
    cases.push({ args: [maze3.Q, maze3.model, 500, 0.1, 0.95, 6], label: "Dyna maze after 3 episodes of Dyna-Q, 500 planning updates" });
    for (let k = 0; k < 6; k++) {
      const { Q, model } = randomTable(rng, 4 + k, 2 + (k % 3));
      cases.push({
        args: [Q, model, 1 + 13 * k, 0.05 + 0.15 * k, 0.8 + 0.03 * k, rng.int(1000)],
        label: `random model ${k + 1}`,
      });
    }
    return cases;
  },
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    {
      name: "bootstraps through terminal transitions",
      body:
        "const q = Q.map((row) => row.slice());\nconst rng = makeRng(seed);\nconst states = model.observedStates;\n" +
        "for (let k = 0; k < n && states.length > 0; k++) {\n  const s = states[rng.int(states.length)];\n" +
        "  const tried = model.actionsTaken[s];\n  const a = tried[rng.int(tried.length)];\n" +
        "  const target = model.reward[s][a] + gamma * Math.max(...q[model.next[s][a]]);\n  q[s][a] += alpha * (target - q[s][a]);\n}\nreturn q;",
    },
    {
      name: "plans with any action, not only the tried ones",
      body:
        "const q = Q.map((row) => row.slice());\nconst rng = makeRng(seed);\nconst states = model.observedStates;\n" +
        "for (let k = 0; k < n && states.length > 0; k++) {\n  const s = states[rng.int(states.length)];\n" +
        "  const a = rng.int(q[s].length);\n" +
        "  const target = model.reward[s][a] + (model.done[s][a] ? 0 : gamma * Math.max(...q[model.next[s][a]]));\n  q[s][a] += alpha * (target - q[s][a]);\n}\nreturn q;",
    },
    {
      name: "bootstraps from the original table (batched, not sequential updates)",
      body:
        "const q = Q.map((row) => row.slice());\nconst rng = makeRng(seed);\nconst states = model.observedStates;\n" +
        "for (let k = 0; k < n && states.length > 0; k++) {\n  const s = states[rng.int(states.length)];\n" +
        "  const tried = model.actionsTaken[s];\n  const a = tried[rng.int(tried.length)];\n" +
        "  const target = model.reward[s][a] + (model.done[s][a] ? 0 : gamma * Math.max(...Q[model.next[s][a]]));\n  q[s][a] += alpha * (target - q[s][a]);\n}\nreturn q;",
    },
    {
      name: "forgets the step size (replaces Q by the target)",
      body:
        "const q = Q.map((row) => row.slice());\nconst rng = makeRng(seed);\nconst states = model.observedStates;\n" +
        "for (let k = 0; k < n && states.length > 0; k++) {\n  const s = states[rng.int(states.length)];\n" +
        "  const tried = model.actionsTaken[s];\n  const a = tried[rng.int(tried.length)];\n" +
        "  q[s][a] = model.reward[s][a] + (model.done[s][a] ? 0 : gamma * Math.max(...q[model.next[s][a]]));\n}\nreturn q;",
    },
    {
      name: "re-seeds the generator at every update",
      body:
        "const q = Q.map((row) => row.slice());\nconst states = model.observedStates;\n" +
        "for (let k = 0; k < n && states.length > 0; k++) {\n  const rng = makeRng(seed);\n  const s = states[rng.int(states.length)];\n" +
        "  const tried = model.actionsTaken[s];\n  const a = tried[rng.int(tried.length)];\n" +
        "  const target = model.reward[s][a] + (model.done[s][a] ? 0 : gamma * Math.max(...q[model.next[s][a]]));\n  q[s][a] += alpha * (target - q[s][a]);\n}\nreturn q;",
    },
  ],
});
