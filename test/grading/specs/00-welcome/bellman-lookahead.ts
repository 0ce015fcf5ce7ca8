import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 00: Q(s, a) = sum over outcomes of p (r + gamma [not done] V(s')). */
type Outcome = { prob: number; next: number; reward: number; done: boolean };

function randomModel(
  rng: { uniform: () => number; int: (n: number) => number; normal: () => number },
  states: number,
  actions: number,
): Outcome[][][] {
  return Array.from({ length: states }, () =>
    Array.from({ length: actions }, () => {
      const k = rng.int(4); // 0 outcomes: an action not available / a terminal state
      const w = Array.from({ length: k }, () => 0.1 + rng.uniform());
      const total = w.reduce((a, b) => a + b, 0);
      return w.map((x) => ({
        prob: x / total,
        next: rng.int(states),
        reward: Math.round(rng.normal() * 100) / 100,
        done: rng.uniform() < 0.3,
      }));
    }),
  );
}

export default defineExercise({
  notebook: "00-welcome",
  id: "bellman-lookahead",
  entry: "lookAhead",
  cases: (rng) => [
    {
      args: [
        [
          [
            [
              { prob: 0.8, next: 1, reward: 1, done: false },
              { prob: 0.2, next: 2, reward: 0, done: false },
            ],
          ],
          [[]],
          [[]],
        ],
        [0, 10, 0],
        0.9,
      ],
      label: "a stochastic outcome: expectation weighted by probabilities",
    },
    { args: [[[[{ prob: 1, next: 1, reward: 5, done: true }]], [[]]], [0, 100], 0.9], label: "a terminal outcome has no future value" },
    { args: [[[[{ prob: 1, next: 1, reward: 5, done: false }]], [[]]], [0, 2], 0.5], label: "the immediate reward is not discounted" },
    {
      args: [
        [
          [
            [
              { prob: 0.5, next: 0, reward: 1, done: false },
              { prob: 0.5, next: 1, reward: -1, done: true },
            ],
            [],
          ],
          [[], []],
        ],
        [3, 7],
        0.9,
      ],
      label: "two actions, one unavailable",
    },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: [
        randomModel(rng, 3 + k, 1 + (k % 3)),
        Array.from({ length: 3 + k }, () => Math.round(rng.normal() * 300) / 100),
        [0.9, 0.5, 0.99][k % 3],
      ],
      label: `random model ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-9 },
  mutants: [
    {
      name: "ignores the probabilities: a plain average over outcomes",
      body: "return model.map((acts) => acts.map((outs) => outs.length === 0 ? 0 : outs.reduce((q, o) => q + (o.reward + (o.done ? 0 : gamma * V[o.next])), 0) / outs.length));",
    },
    {
      name: "bootstraps past the end of the episode (ignores done)",
      body: "return model.map((acts) => acts.map((outs) => outs.reduce((q, o) => q + o.prob * (o.reward + gamma * V[o.next]), 0)));",
    },
    {
      name: "discounts the immediate reward too: gamma (r + V)",
      body: "return model.map((acts) => acts.map((outs) => outs.reduce((q, o) => q + o.prob * gamma * (o.reward + (o.done ? 0 : V[o.next])), 0)));",
    },
    {
      name: "plans for the most likely outcome only",
      body: "return model.map((acts) => acts.map((outs) => { if (outs.length === 0) return 0; const o = outs.reduce((b, x) => (x.prob > b.prob ? x : b)); return o.reward + (o.done ? 0 : gamma * V[o.next]); }));",
    },
  ],
});
