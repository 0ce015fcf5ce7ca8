/**
 * Grid mazes of Sutton and Barto, Reinforcement Learning: An Introduction (2nd ed., 2018), chapter 8:
 *  - the Dyna maze of Example 8.1 (6 x 9, start (2, 0), goal (0, 8), 7 wall cells, 47 free cells);
 *  - the blocking maze of Example 8.2 (the short path on the right closes after 1000 steps and a
 *    longer one opens on the left);
 *  - the shortcut maze of Example 8.3 (a shorter path opens on the right after 3000 steps).
 * Rows are counted from the top, columns from the left; state = row * cols + col.
 * Actions 0..3 = up, right, down, left; moves are deterministic; a move into a wall or off the grid
 * leaves the state unchanged; reward 1 on entering the goal, 0 otherwise; reaching the goal
 * terminates the episode (call reset() to go back to the start).
 * The changing mazes switch layout after a number of TOTAL steps counted across episodes (the book's
 * time axis is cumulative steps), so `reset()` does not rewind the switch; `restart()` does.
 */
import { ValueError } from "../core";
import { discrete } from "./common";
import { f, line, rect, svgFrame, text } from "./svg";
import type { DiscreteSpace, StepResult, TabularEnv, TabularTransition } from "./types";

export type Cell = readonly [row: number, col: number];

export interface MazeLayout {
  rows: number;
  cols: number;
  start: Cell;
  goal: Cell;
  walls: readonly Cell[];
}

/** Action names in index order, and their (row, col) moves. */
export const MAZE_ACTIONS = Object.freeze(["up", "right", "down", "left"] as const);
const MOVES: readonly Cell[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

/** Sutton and Barto, Example 8.1. */
export const DYNA_MAZE: MazeLayout = Object.freeze({
  rows: 6,
  cols: 9,
  start: [2, 0] as Cell,
  goal: [0, 8] as Cell,
  walls: Object.freeze([
    [1, 2],
    [2, 2],
    [3, 2],
    [0, 7],
    [1, 7],
    [2, 7],
    [4, 5],
  ] as Cell[]),
});

const row3 = (cols: number[]): Cell[] => cols.map((c) => [3, c] as Cell);

/** Example 8.2, first 1000 steps: a wall across row 3 with the gap at the right end. */
export const BLOCKING_MAZE_BEFORE: MazeLayout = Object.freeze({
  rows: 6,
  cols: 9,
  start: [5, 3] as Cell,
  goal: [0, 8] as Cell,
  walls: Object.freeze(row3([0, 1, 2, 3, 4, 5, 6, 7])),
});
/** Example 8.2, after 1000 steps: the right gap closes, a gap opens at the left end. */
export const BLOCKING_MAZE_AFTER: MazeLayout = Object.freeze({
  ...BLOCKING_MAZE_BEFORE,
  walls: Object.freeze(row3([1, 2, 3, 4, 5, 6, 7, 8])),
});
/** Example 8.3, first 3000 steps: the only gap is at the left end. */
export const SHORTCUT_MAZE_BEFORE: MazeLayout = Object.freeze({
  rows: 6,
  cols: 9,
  start: [5, 3] as Cell,
  goal: [0, 8] as Cell,
  walls: Object.freeze(row3([1, 2, 3, 4, 5, 6, 7, 8])),
});
/** Example 8.3, after 3000 steps: a second, shorter gap opens at the right end. */
export const SHORTCUT_MAZE_AFTER: MazeLayout = Object.freeze({
  ...SHORTCUT_MAZE_BEFORE,
  walls: Object.freeze(row3([1, 2, 3, 4, 5, 6, 7])),
});

export interface MazeOptions {
  /** Episode length limit (truncated when reached). Default Infinity (episodes end at the goal). */
  maxSteps?: number;
  /** Layout changes: layout `phases[i].layout` applies from total step `phases[i].from` on. */
  phases?: readonly { from: number; layout: MazeLayout }[];
  name?: string;
}

export class Maze implements TabularEnv {
  readonly name: string;
  readonly version = "1.0.0";
  readonly dt = 1;
  readonly maxSteps: number;
  readonly rows: number;
  readonly cols: number;
  readonly nStates: number;
  readonly nActions = 4;
  readonly observationSpace: DiscreteSpace;
  readonly actionSpace: DiscreteSpace;
  /** Layouts with the total step from which each applies (sorted). */
  readonly phases: readonly { from: number; layout: MazeLayout }[];
  private current = -1;
  private steps = 0;
  private total = 0;
  private wallMask: Uint8Array = new Uint8Array(0);
  private layoutIndex = 0;

  constructor(layout: MazeLayout, options: MazeOptions = {}) {
    this.phases = [{ from: 0, layout }, ...(options.phases ?? [])].sort((a, b) => a.from - b.from);
    for (const p of this.phases) checkLayout(p.layout, layout);
    this.name = options.name ?? "maze";
    this.rows = layout.rows;
    this.cols = layout.cols;
    this.nStates = layout.rows * layout.cols;
    this.maxSteps = options.maxSteps ?? Infinity;
    this.observationSpace = discrete(Array.from({ length: this.nStates }, (_, s) => `(${Math.floor(s / this.cols)},${s % this.cols})`));
    this.actionSpace = discrete(MAZE_ACTIONS);
    this.applyLayout(0);
  }

  /** The layout in force now. */
  get layout(): MazeLayout {
    return this.phases[this.layoutIndex].layout;
  }
  get t(): number {
    return this.steps;
  }
  /** Steps taken since construction or restart(), across episodes (drives the layout switch). */
  get totalSteps(): number {
    return this.total;
  }
  get startState(): number {
    return this.stateOf(this.layout.start[0], this.layout.start[1]);
  }
  get goalState(): number {
    return this.stateOf(this.layout.goal[0], this.layout.goal[1]);
  }

  stateOf(row: number, col: number): number {
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || row >= this.rows || col < 0 || col >= this.cols) {
      throw new ValueError(`${this.name}: cell (${row}, ${col}) is outside the ${this.rows} x ${this.cols} grid`);
    }
    return row * this.cols + col;
  }

  cellOf(s: number): [number, number] {
    this.checkStateIndex(s);
    return [Math.floor(s / this.cols), s % this.cols];
  }

  isWall(row: number, col: number): boolean {
    return this.wallMask[this.stateOf(row, col)] === 1;
  }

  /** The free (non-wall) states of the current layout. */
  freeStates(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.nStates; s++) if (!this.wallMask[s]) out.push(s);
    return out;
  }

  transition(s: number, a: number): TabularTransition {
    this.checkStateIndex(s);
    this.checkActionIndex(a);
    const r = Math.floor(s / this.cols),
      c = s % this.cols;
    const nr = r + MOVES[a][0],
      nc = c + MOVES[a][1];
    let next = s;
    if (nr >= 0 && nr < this.rows && nc >= 0 && nc < this.cols && !this.wallMask[nr * this.cols + nc]) next = nr * this.cols + nc;
    const atGoal = next === this.goalState;
    return { next, reward: atGoal ? 1 : 0, terminated: atGoal };
  }

  reset(_seed?: number): number {
    this.current = this.startState;
    this.steps = 0;
    return this.current;
  }

  /** Back to the first layout and zero total steps (a fresh run of the book's experiment). */
  restart(): number {
    this.total = 0;
    this.applyLayout(0);
    return this.reset();
  }

  step(action: number): StepResult<number> {
    if (this.current < 0) throw new ValueError(`${this.name}: call reset() before step()`);
    if (this.current === this.goalState) throw new ValueError(`${this.name}: the episode reached the goal; call reset()`);
    if (this.steps >= this.maxSteps) throw new ValueError(`${this.name}: the episode is over (${this.maxSteps} steps); call reset()`);
    const tr = this.transition(this.current, action);
    this.current = tr.next;
    this.steps++;
    this.total++;
    let switched = false;
    const idx = this.phaseAt(this.total);
    if (idx !== this.layoutIndex) {
      this.applyLayout(idx);
      switched = true;
    }
    return {
      observation: tr.next,
      reward: tr.reward,
      terminated: tr.terminated,
      truncated: !tr.terminated && this.steps >= this.maxSteps,
      info: { t: this.steps, totalSteps: this.total, switched },
    };
  }

  getState(): number {
    return this.current < 0 ? this.startState : this.current;
  }

  /** Number of steps of the shortest path from `from` (default start) to the goal, by breadth-first search; Infinity if none. */
  shortestPath(from = this.startState): number {
    this.checkStateIndex(from);
    const dist = new Int32Array(this.nStates).fill(-1);
    const queue = [from];
    dist[from] = 0;
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      if (s === this.goalState) return dist[s];
      for (let a = 0; a < 4; a++) {
        const { next } = this.transition(s, a);
        if (dist[next] < 0) {
          dist[next] = dist[s] + 1;
          queue.push(next);
        }
      }
    }
    return Infinity;
  }

  /** The grid with the agent (or `state`) as a 24-px-per-cell SVG frame. */
  render(state?: number, options: MazeRenderOptions = {}): string {
    return renderMaze(this, { ...options, agent: state ?? (this.current < 0 ? this.startState : this.current) });
  }

  private phaseAt(total: number): number {
    let idx = 0;
    for (let i = 0; i < this.phases.length; i++) if (total >= this.phases[i].from) idx = i;
    return idx;
  }

  private applyLayout(idx: number): void {
    this.layoutIndex = idx;
    const mask = new Uint8Array(this.nStates);
    for (const [r, c] of this.layout.walls) mask[r * this.cols + c] = 1;
    this.wallMask = mask;
  }

  private checkStateIndex(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s >= this.nStates) {
      throw new ValueError(`${this.name}: state ${String(s)} is not an integer in [0, ${this.nStates})`);
    }
  }

  private checkActionIndex(a: number): void {
    if (!Number.isInteger(a) || a < 0 || a >= 4) {
      throw new ValueError(`${this.name}: action ${String(a)} is not one of 0..3 (${MAZE_ACTIONS.join(", ")})`);
    }
  }
}

function checkLayout(l: MazeLayout, first: MazeLayout): void {
  if (l.rows !== first.rows || l.cols !== first.cols) throw new ValueError("maze: every phase must have the same grid size");
  const inside = ([r, c]: Cell) => Number.isInteger(r) && Number.isInteger(c) && r >= 0 && r < l.rows && c >= 0 && c < l.cols;
  for (const cell of [l.start, l.goal, ...l.walls]) {
    if (!inside(cell)) throw new ValueError(`maze: cell (${cell[0]}, ${cell[1]}) is outside the ${l.rows} x ${l.cols} grid`);
  }
  for (const [r, c] of l.walls) {
    if ((r === l.start[0] && c === l.start[1]) || (r === l.goal[0] && c === l.goal[1])) {
      throw new ValueError(`maze: wall at (${r}, ${c}) covers the start or the goal`);
    }
  }
}

/** The Dyna maze of Example 8.1. */
export function makeDynaMaze(options: Omit<MazeOptions, "phases"> = {}): Maze {
  return new Maze(DYNA_MAZE, { name: "dynamaze", ...options });
}

/** The blocking maze of Example 8.2: switches after `switchAt` total steps (book: 1000). */
export function makeBlockingMaze(options: Omit<MazeOptions, "phases"> & { switchAt?: number } = {}): Maze {
  return new Maze(BLOCKING_MAZE_BEFORE, {
    name: "blockingmaze",
    ...options,
    phases: [{ from: options.switchAt ?? 1000, layout: BLOCKING_MAZE_AFTER }],
  });
}

/** The shortcut maze of Example 8.3: opens the shortcut after `switchAt` total steps (book: 3000). */
export function makeShortcutMaze(options: Omit<MazeOptions, "phases"> & { switchAt?: number } = {}): Maze {
  return new Maze(SHORTCUT_MAZE_BEFORE, {
    name: "shortcutmaze",
    ...options,
    phases: [{ from: options.switchAt ?? 3000, layout: SHORTCUT_MAZE_AFTER }],
  });
}

export interface MazeRenderOptions {
  /** State where the agent is drawn (omit for none). */
  agent?: number;
  /** Action values Q[s][a] (nStates rows of 4): draws arrows for the greedy action(s) of each free cell. */
  q?: readonly ArrayLike<number>[];
  /** Or the greedy actions directly: one action index (or list of tied actions, or -1 for none) per state. */
  policy?: readonly (number | readonly number[])[];
  /** Per-state values to shade the cells (e.g. max_a Q); scaled to the largest. */
  values?: ArrayLike<number>;
  /** Cell size in pixels. Default 24. */
  cell?: number;
  title?: string;
}

/** The greedy action(s) of each state: all actions within 1e-12 of the max; none when all are equal. */
export function greedyActions(q: readonly ArrayLike<number>[]): number[][] {
  return q.map((row) => {
    let best = -Infinity,
      worst = Infinity;
    for (let a = 0; a < row.length; a++) {
      best = Math.max(best, row[a]);
      worst = Math.min(worst, row[a]);
    }
    if (!(best > worst)) return [];
    const out: number[] = [];
    for (let a = 0; a < row.length; a++) if (row[a] >= best - 1e-12) out.push(a);
    return out;
  });
}

/**
 * Draws a maze: walls dark, start "S", goal "G", optional value shading, greedy-policy arrows and the agent.
 * Use `renderMaze(maze, { q })` for the Dyna-Q figure of the book (arrows of the greedy policy).
 */
export function renderMaze(maze: Maze, options: MazeRenderOptions = {}): string {
  const cs = options.cell ?? 24;
  const { rows, cols } = maze;
  const pad = 4;
  const w = cols * cs + 2 * pad,
    h = rows * cs + 2 * pad;
  if (options.q && options.q.length !== maze.nStates)
    throw new ValueError(`renderMaze: q has ${options.q.length} rows, expected ${maze.nStates}`);
  if (options.policy && options.policy.length !== maze.nStates)
    throw new ValueError(`renderMaze: policy has ${options.policy.length} entries, expected ${maze.nStates}`);
  const arrows: number[][] | null = options.q
    ? greedyActions(options.q)
    : options.policy
      ? options.policy.map((p) => (typeof p === "number" ? (p >= 0 ? [p] : []) : [...p]))
      : null;
  let vmax = 0;
  if (options.values) for (let s = 0; s < maze.nStates; s++) vmax = Math.max(vmax, Math.abs(options.values[s]));
  let body = "";
  const layout = maze.layout;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = r * cols + c;
      const x = pad + c * cs,
        y = pad + r * cs;
      let fill = "#ffffff";
      if (maze.isWall(r, c)) fill = "#444444";
      else if (options.values && vmax > 0) {
        const k = Math.abs(options.values[s]) / vmax;
        fill = `rgb(${Math.round(255 - 180 * k)},${Math.round(255 - 90 * k)},255)`;
      }
      body += rect(x, y, cs, cs, fill, ' stroke="#bbbbbb" stroke-width="1"');
      if (arrows && !maze.isWall(r, c) && s !== maze.goalState) {
        for (const a of arrows[s] ?? []) body += arrow(x + cs / 2, y + cs / 2, a, cs * 0.36);
      }
    }
  }
  const label = (cell: Cell, s: string) =>
    text(pad + cell[1] * cs + cs * 0.3, pad + cell[0] * cs + cs * 0.72, s, Math.round(cs * 0.55), ' font-weight="bold" fill="#2ca02c"');
  body += label(layout.start, "S") + label(layout.goal, "G");
  if (options.agent !== undefined) {
    const [r, c] = maze.cellOf(options.agent);
    body += `<circle cx="${f(pad + c * cs + cs / 2)}" cy="${f(pad + r * cs + cs / 2)}" r="${f(cs * 0.3)}" fill="#d62728" fill-opacity="0.85"/>`;
  }
  return svgFrame(w, h, body, options.title ?? maze.name);
}

function arrow(cx: number, cy: number, a: number, len: number): string {
  const [dr, dc] = MOVES[a];
  const x2 = cx + dc * len,
    y2 = cy + dr * len;
  // Arrow head: two short strokes back from the tip.
  const hx = -dc * len * 0.4,
    hy = -dr * len * 0.4;
  const px = -dr * len * 0.3,
    py = dc * len * 0.3;
  return (
    line(cx, cy, x2, y2, "#1f77b4", 1.5) +
    line(x2, y2, x2 + hx + px, y2 + hy + py, "#1f77b4", 1.5) +
    line(x2, y2, x2 + hx - px, y2 + hy - py, "#1f77b4", 1.5)
  );
}
