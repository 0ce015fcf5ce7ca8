import { describe, expect, it } from "vitest";
import { greedyActions, makeBlockingMaze, makeDynaMaze, makeShortcutMaze, MAZE_ACTIONS, renderMaze, rollout } from "../../lib/envs";

// Sutton and Barto, Figure 8.2 (Example 8.1): S start, G goal, # wall; rows from the top.
const BOOK = [".......#G", "..#....#.", "S.#....#.", "..#......", ".....#...", "........."];

describe("Dyna maze (Example 8.1)", () => {
  it("matches the book's layout cell by cell", () => {
    const m = makeDynaMaze();
    expect([m.rows, m.cols]).toEqual([6, 9]);
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 9; c++) {
        const ch = BOOK[r][c];
        expect(m.isWall(r, c), `cell (${r}, ${c})`).toBe(ch === "#");
        if (ch === "S") expect(m.startState).toBe(m.stateOf(r, c));
        if (ch === "G") expect(m.goalState).toBe(m.stateOf(r, c));
      }
    }
    expect(m.freeStates().length).toBe(47);
    expect(m.nStates).toBe(54);
    expect(MAZE_ACTIONS).toEqual(["up", "right", "down", "left"]);
  });

  it("has a 14-step shortest path from start to goal", () => {
    expect(makeDynaMaze().shortestPath()).toBe(14);
  });

  it("moves deterministically; walls and edges leave the state unchanged; reward 1 only on entering the goal", () => {
    const m = makeDynaMaze();
    const s = m.stateOf(2, 1);
    expect(m.transition(s, 1)).toEqual({ next: s, reward: 0, terminated: false }); // wall at (2,2)
    expect(m.transition(m.stateOf(0, 0), 0).next).toBe(m.stateOf(0, 0)); // off the top
    expect(m.transition(m.stateOf(0, 0), 3).next).toBe(m.stateOf(0, 0)); // off the left
    expect(m.transition(m.stateOf(5, 8), 2).next).toBe(m.stateOf(5, 8));
    expect(m.transition(s, 0).next).toBe(m.stateOf(1, 1));
    expect(m.transition(m.stateOf(1, 8), 0)).toEqual({ next: m.goalState, reward: 1, terminated: true });
  });

  it("episodes end at the goal and step() then refuses until reset()", () => {
    const m = makeDynaMaze();
    m.reset();
    // A bad route first: must bump into the wall at (2,2) from (2,1).
    const r = rollout(m, (_o, t) => [1, 1, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 0, 0, 0, 0][t] ?? 0, { steps: 40 });
    expect(r.terminated).toBe(true);
    expect(r.rewards[r.rewards.length - 1]).toBe(1);
    expect(r.rewards.slice(0, -1).every((x) => x === 0)).toBe(true);
    expect(() => m.step(0)).toThrow(/reached the goal/);
    expect(m.reset()).toBe(m.startState);
    expect(() => m.step(4)).toThrow(/not one of 0..3/);
    expect(() => m.step(0.5)).toThrow(/not one of 0..3/);
  });
});

describe("changing mazes (Examples 8.2 and 8.3)", () => {
  it("blocking maze: the right gap closes after 1000 total steps, a longer path opens on the left", () => {
    const m = makeBlockingMaze();
    const before = m.shortestPath();
    expect(m.isWall(3, 8)).toBe(false);
    expect(m.isWall(3, 0)).toBe(true);
    m.reset();
    let switched = 0;
    for (let t = 0; t < 1000; t++) {
      const r = m.step(t % 2 === 0 ? 3 : 1); // wander left/right on the bottom row, never reaching the goal
      if (r.info.switched) switched = t + 1;
    }
    expect(switched).toBe(1000);
    expect(m.totalSteps).toBe(1000);
    expect(m.isWall(3, 8)).toBe(true);
    expect(m.isWall(3, 0)).toBe(false);
    expect(m.shortestPath()).toBeGreaterThan(before);
    m.reset(); // does not rewind the switch
    expect(m.isWall(3, 8)).toBe(true);
    m.restart();
    expect(m.isWall(3, 8)).toBe(false);
  });

  it("shortcut maze: a shorter path opens on the right after 3000 total steps", () => {
    const m = makeShortcutMaze({ switchAt: 10 });
    const before = m.shortestPath();
    m.reset();
    for (let t = 0; t < 10; t++) m.step(2);
    expect(m.isWall(3, 8)).toBe(false);
    expect(m.shortestPath()).toBeLessThan(before);
    expect(makeShortcutMaze().phases[1].from).toBe(3000);
    expect(makeBlockingMaze().phases[1].from).toBe(1000);
  });
});

describe("rendering", () => {
  it("draws the grid, S and G, the agent, and one arrow per greedy action", () => {
    const m = makeDynaMaze();
    const plain = m.render();
    expect(plain).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(plain).toContain(">S<");
    expect(plain).toContain(">G<");
    const q = Array.from({ length: m.nStates }, () => [0, 0, 0, 0]);
    q[m.startState] = [0, 0.5, 0, 0]; // right
    q[m.stateOf(5, 5)] = [1, 1, 0, 0]; // tie: up and right
    expect(greedyActions(q)[m.startState]).toEqual([1]);
    expect(greedyActions(q)[m.stateOf(5, 5)]).toEqual([0, 1]);
    expect(greedyActions(q)[0]).toEqual([]);
    const withArrows = renderMaze(m, { q });
    const arrowLines = (withArrows.match(/stroke="#1f77b4"/g) ?? []).length;
    expect(arrowLines).toBe(3 * 3); // three arrows of three strokes each
    expect(() => renderMaze(m, { q: q.slice(1) })).toThrow(/53 rows, expected 54/);
  });
});
