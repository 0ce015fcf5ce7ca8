import { defineExercise } from "../../../../lib/grader/spec";
import type { Rng } from "../../../../lib/core";

const round = (x: number) => Math.round(x * 1000) / 1000;

function randomRewards(rng: Rng, N: number, P: number, H: number): number[][][] {
  return Array.from({ length: N }, () => Array.from({ length: P }, () => Array.from({ length: H }, () => round(rng.normal(0.3, 1)))));
}

const body = (inner: string, combine = "total / candidate.length", init = "0", acc = "total += ret;") =>
  "return rewards.map((candidate) => {\n" +
  `  let total = ${init};\n` +
  "  for (const particle of candidate) {\n    let ret = 0;\n    let discount = 1;\n" +
  `    for (const r of particle) {\n${inner}\n    }\n    ${acc}\n  }\n  return ${combine};\n});`;

const correct = "      ret += discount * r;\n      discount *= gamma;";

/** Hidden test of notebook 05: the particle-averaged (discounted) return of each candidate. */
export default defineExercise({
  notebook: "05-pets",
  id: "particle-averaged-return",
  entry: "particleAveragedReturn",
  cases: (rng) => [
    { args: [[[[1, 1]]], 1], label: "one candidate, one particle, gamma 1" },
    { args: [[[[1, 2], [3, 4]], [[0, 0], [10, -10]]], 1], label: "two candidates, two particles" },
    { args: [[[[1, 1, 1]], [[2, 0, 0], [0, 0, 2]]], 0.5], label: "discounting: the first reward counts fully" },
    { args: [[[[5, -1], [-3, 2], [0, 0]]], 0.9], label: "three particles" },
    ...Array.from({ length: 6 }, (_, k) => ({
      args: [randomRewards(rng, 1 + k, 1 + ((3 * k) % 7), 2 + k), [1, 0.99, 0.9][k % 3]],
      label: `random rewards ${k + 1}`,
    })),
  ],
  compare: { rtol: 1e-9, atol: 1e-12 },
  mutants: [
    { name: "no discount", body: body("      ret += r;") },
    { name: "discount starts at gamma (gamma^(t+1))", body: body("      discount *= gamma;\n      ret += discount * r;") },
    { name: "sums the particles instead of averaging", body: body(correct, "total") },
    { name: "best particle instead of the average", body: body(correct, "total", "-Infinity", "total = Math.max(total, ret);") },
    { name: "worst particle instead of the average", body: body(correct, "total", "Infinity", "total = Math.min(total, ret);") },
  ],
});
