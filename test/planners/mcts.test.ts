import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, makeRng } from "../../lib/core";
import { mctsPlan, planReturn, uctScores } from "../../lib/planners";
import { OPTIMAL_RETURN, toyProblem } from "./toy";

beforeAll(async () => {
  await initBackend();
});

const LEVELS = [[-1], [0], [1]];

/** The best return over all 3^H sequences of the levels, by brute force. */
function exhaustiveBest(H: number): number {
  const p = toyProblem(H);
  let best = -Infinity;
  for (let code = 0; code < 3 ** H; code++) {
    const seq: number[][] = [];
    for (let t = 0, c = code; t < H; t++, c = Math.floor(c / 3)) seq.push(LEVELS[c % 3]);
    best = Math.max(best, planReturn(p, [0], seq));
  }
  return best;
}

describe("UCT selection", () => {
  it("scores Qbar + c sqrt(ln N / n), untried actions first", () => {
    const s = uctScores(10, [0, 4, 6], [0, -2, -1], 1, -2, -1);
    expect(s[0]).toBe(Infinity);
    expect(s[1]).toBeCloseTo(0 + Math.sqrt(Math.log(10) / 4), 12);
    expect(s[2]).toBeCloseTo(1 + Math.sqrt(Math.log(10) / 6), 12);
    // All values equal: Qbar is 0.5 and only the bonus separates the actions (the less tried wins).
    const t = uctScores(9, [3, 6], [5, 5], 2, 5, 5);
    expect(t[0]).toBeGreaterThan(t[1]);
    expect(() => uctScores(3, [1, 2], [0], 1, 0, 1)).toThrow(/2 visit counts but 1 values/);
  });
});

describe("mctsPlan", () => {
  it("finds the optimal sequence of the toy problem (checked by brute force over 3^5 sequences)", () => {
    expect(exhaustiveBest(5)).toBe(OPTIMAL_RETURN);
    const p = toyProblem(5);
    const plan = mctsPlan(p, [0], { actions: LEVELS, simulations: 3000 }, makeRng(1));
    expect(plan.actions.map((a) => a[0])).toEqual([1, 1, 1, 0, 0]);
    expect(planReturn(p, [0], plan.actions)).toBe(OPTIMAL_RETURN);
    expect(plan.actionIndex).toBe(2);
    // The root's visits add up to the simulations, and the chosen action has the most.
    expect(plan.rootVisits.reduce((s, n) => s + n, 0)).toBe(3000);
    expect(Math.max(...plan.rootVisits)).toBe(plan.rootVisits[2]);
    // The tree never exceeds the complete tree (1 + 3 + ... + 3^5 = 364 nodes), and UCT leaves poor branches unexpanded.
    expect(plan.nodes).toBeLessThan(364);
  });

  it("with a few simulations, already prefers the right first action", () => {
    const p = toyProblem(5);
    const plan = mctsPlan(p, [0], { actions: LEVELS, simulations: 60 }, makeRng(2));
    expect(plan.actionIndex).toBe(2);
    // Early on every simulation adds one node.
    expect(plan.nodes).toBe(61);
    // One model row per expansion plus one per rollout step.
    expect(plan.modelRows).toBeGreaterThan(60);
    expect(plan.modelRows).toBeLessThanOrEqual(60 * 5);
  });

  it("is reproducible with the same seed", () => {
    const p = toyProblem(6);
    const a = mctsPlan(p, [0], { actions: LEVELS, simulations: 200 }, makeRng(5));
    const b = mctsPlan(p, [0], { actions: LEVELS, simulations: 200 }, makeRng(5));
    expect(b.rootQ).toEqual(a.rootQ);
    expect(b.rootVisits).toEqual(a.rootVisits);
  });

  it("uses a terminal value at the leaves when asked", () => {
    // Horizon 1 with V(s) = -(s - 3)^2 * 10: the leaf value must steer towards +1 even though the reward alone also does.
    const p = { ...toyProblem(1), terminalValue: (S: { data: Float64Array }) => Float64Array.from(S.data, (x) => -10 * (x - 3) ** 2) };
    const plan = mctsPlan(p, [0], { actions: LEVELS, simulations: 30, leaf: "value" }, makeRng(3));
    expect(plan.actions[0][0]).toBe(1);
    expect(plan.rootQ[2]).toBeCloseTo(-4 - 10 * 4, 10);
  });

  it("names bad settings", () => {
    const p = toyProblem(3);
    expect(() => mctsPlan(p, [0], { actions: [[0]], simulations: 5 }, makeRng(0))).toThrow(/at least 2 actions/);
    expect(() => mctsPlan(p, [0], { actions: [[0], [2]], simulations: 5 }, makeRng(0))).toThrow(
      /action 1 = \[2\] is outside the action box/,
    );
    expect(() => mctsPlan(p, [0], { actions: [[0], [1, 1]], simulations: 5 }, makeRng(0))).toThrow(/action 1 has length 2/);
    expect(() => mctsPlan(p, [0], { actions: LEVELS, simulations: 5, leaf: "value" }, makeRng(0))).toThrow(
      /needs the problem's terminalValue/,
    );
    expect(() => mctsPlan(p, [0, 1], { actions: LEVELS, simulations: 5 }, makeRng(0))).toThrow(/s0 has length 2/);
  });
});
