import { defineExercise } from "../../../../lib/grader/spec";

/** Hidden test of notebook 13: which action UCT tries next (the index), on telling cases first. */
export default defineExercise({
  notebook: "13-search-and-hybrids",
  id: "uct-select",
  entry: "uctSelect",
  cases: (rng) => {
    const cases = [
      { args: [10, [3, 0, 7], [-1, 0, -2], 1.4, -2, -1], label: "an action never tried is tried first" },
      { args: [100, [90, 10], [-1, -1.5], 1.4, -2, -1], label: "the bonus sends the search to a rarely tried action with a worse mean" },
      {
        args: [1000, [900, 100], [-1, -1.5], 1.4, -2, -1],
        label: "with many visits the better mean wins (the bonus grows only with ln N)",
      },
      {
        args: [50, [45, 5], [-300, -310], 1.4, -320, -300],
        label: "returns of a few hundred are rescaled to [0, 1] before the bonus is added",
      },
      { args: [9, [3, 6], [5, 5], 2, 5, 5], label: "all values equal: only the bonus decides" },
      { args: [30, [10, 10, 10], [-4, -2, -3], 1, -4, -2], label: "equal visits: the best mean wins" },
    ];
    for (let k = 0; k < 10; k++) {
      const K = 2 + (k % 4);
      const n = Array.from({ length: K }, () => 1 + rng.int(60));
      const visits = n.reduce((s, x) => s + x, 0);
      const scale = [1, 10, 300][k % 3];
      const q = Array.from({ length: K }, () => -scale * rng.uniform(0, 1));
      const qMin = Math.min(...q) - scale * rng.uniform(0, 0.5);
      const qMax = Math.max(...q) + scale * rng.uniform(0, 0.5);
      cases.push({ args: [visits, n, q, [0.5, 1, Math.SQRT2, 2][k % 4], qMin, qMax], label: `random node ${k + 1} (${K} actions)` });
    }
    return cases;
  },
  compare: { rtol: 0, atol: 0 },
  mutants: [
    {
      name: "greedy: no exploration bonus",
      body:
        "let best = 0;\nfor (let a = 0; a < n.length; a++) if (n[a] === 0) return a;\n" +
        "for (let a = 1; a < n.length; a++) if (q[a] > q[best]) best = a;\nreturn best;",
    },
    {
      name: "values not rescaled to [0, 1]",
      body:
        "for (let a = 0; a < n.length; a++) if (n[a] === 0) return a;\nlet best = 0;\nlet bestScore = -Infinity;\n" +
        "for (let a = 0; a < n.length; a++) {\n  const score = q[a] + c * Math.sqrt(Math.log(visits) / n[a]);\n" +
        "  if (score > bestScore) { bestScore = score; best = a; }\n}\nreturn best;",
    },
    {
      name: "bonus sqrt(N / n) without the logarithm",
      body:
        "for (let a = 0; a < n.length; a++) if (n[a] === 0) return a;\nlet best = 0;\nlet bestScore = -Infinity;\n" +
        "for (let a = 0; a < n.length; a++) {\n  const qBar = qMax > qMin ? (q[a] - qMin) / (qMax - qMin) : 0.5;\n" +
        "  const score = qBar + c * Math.sqrt(visits / n[a]);\n  if (score > bestScore) { bestScore = score; best = a; }\n}\nreturn best;",
    },
  ],
});
