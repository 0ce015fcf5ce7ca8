/**
 * Monte-Carlo tree search with a model, over a small set of discrete actions (lecture 001: AlphaGo,
 * AlphaGo Zero and MuZero plan this way; lecture 004: offline UCT search distilled into a network).
 * UCT (Kocsis and Szepesvari 2006) grows a search tree one simulation at a time:
 *
 *   1. select    from the root, follow a = argmax_a  Qbar(s, a) + c sqrt(ln N(s) / N(s, a))
 *                while every action of the node has been tried
 *   2. expand    try one untried action: s' = f(s, a) through the model, a new node
 *   3. simulate  estimate the new node's value: a rollout with random actions to the horizon
 *                (plus the terminal value V(s_H) when the problem has one), or V(s') alone
 *   4. backup    walk back to the root: G <- r(s, a, s') + gamma G, and at every edge
 *                N(s, a) += 1,  Q(s, a) += (G - Q(s, a)) / N(s, a)
 *
 * The decision is the root action tried most often (more robust than the highest Q, which one lucky
 * rollout can inflate). Qbar is Q rescaled to [0, 1] by the smallest and largest Q in the tree (as
 * MuZero does), so the exploration constant c means the same whatever the scale of the rewards.
 *
 * What AlphaZero and MuZero add: a learned policy prior P(s, a) in the selection rule
 * (PUCT: Qbar + c P(s, a) sqrt(N(s)) / (1 + N(s, a))) and a learned value network instead of random
 * rollouts, both trained on the search's own results; MuZero also replaces the true simulator with a
 * learned model in a latent space (notebook 12 builds such a model).
 *
 * The tree treats the model as deterministic: a stochastic model is sampled once per new node. A
 * continuous system is searched over a few fixed action levels (e.g. torque -2, 0, 2), optionally held
 * for several steps each (`withActionRepeat`), which keeps the tree's branching and depth small.
 */
import { type Rng, ShapeError, ValueError, checkInt, checkNumber } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";
import { type Plan, type PlanProblem, type Planner, checkProblem } from "./problem";

/** Settings of one search; the defaults are the usual UCT choices. */
export interface MctsConfig {
  /** The discrete action set (each of length actionDim, inside the problem's box). */
  actions: readonly (readonly number[])[];
  /** Simulations per decision (each adds one node). */
  simulations: number;
  /** Exploration constant c on [0, 1]-scaled values (default sqrt(2)). */
  exploration?: number;
  /** "rollout" (default): random actions to the horizon; "value": the problem's terminalValue at the new node. */
  leaf?: "rollout" | "value";
}

/** One action of a node: how often it was tried, its mean return, and the child it leads to. */
interface Edge {
  n: number;
  q: number;
  reward: number;
  child: MctsNode | null;
}

/** A node of the search tree: a predicted state and its edges (one per action in the set). */
export interface MctsNode {
  state: Float64Array;
  depth: number;
  visits: number;
  edges: Edge[];
  /** Indices of the actions not tried yet, in the (random) order they will be tried. */
  untried: number[];
}

export interface MctsPlan extends Plan {
  /** Index (into cfg.actions) of the root action chosen. */
  actionIndex: number;
  /** Visit count and mean return of each root action. */
  rootVisits: number[];
  rootQ: number[];
  /** Model rows evaluated in this search (one per predicted transition), to compare planners at equal cost. */
  modelRows: number;
  /** Nodes in the tree. */
  nodes: number;
}

/**
 * UCT's selection score of every action of a node: Qbar + c sqrt(ln N(s) / N(s, a)), with
 * Qbar = (Q - qMin) / (qMax - qMin) (0.5 when all values seen are equal). An untried action scores +Infinity.
 */
export function uctScores(visits: number, n: readonly number[], q: readonly number[], c: number, qMin: number, qMax: number): number[] {
  if (n.length !== q.length) throw new ShapeError(`uctScores: ${n.length} visit counts but ${q.length} values`);
  const span = qMax - qMin;
  return n.map((na, a) => {
    if (na === 0) return Infinity;
    const qBar = span > 0 ? (q[a] - qMin) / span : 0.5;
    return qBar + c * Math.sqrt(Math.log(visits) / na);
  });
}

function newNode(state: Float64Array, depth: number, k: number, rng: Rng): MctsNode {
  const edges = Array.from({ length: k }, () => ({ n: 0, q: 0, reward: 0, child: null }));
  return { state, depth, visits: 0, edges, untried: rng.permutation(k) };
}

/** Plans one decision from s0 by UCT. */
export function mctsPlan(p: PlanProblem, s0: VecLike, cfg: MctsConfig, rng: Rng): MctsPlan {
  const { H, da, ds, gamma } = checkProblem(p);
  const sims = checkInt("mctsPlan: simulations", cfg.simulations);
  const c = checkNumber("mctsPlan: exploration", cfg.exploration ?? Math.SQRT2, 0, Infinity);
  const K = cfg.actions.length;
  if (K < 2) throw new ValueError(`mctsPlan: need at least 2 actions to choose from, got ${K}`);
  cfg.actions.forEach((a, i) => {
    if (a.length !== da) throw new ShapeError(`mctsPlan: action ${i} has length ${a.length}, expected ${da}`);
    for (let k = 0; k < da; k++) {
      if (!(a[k] >= p.actionLow[k] && a[k] <= p.actionHigh[k])) {
        throw new ValueError(`mctsPlan: action ${i} = [${a.join(", ")}] is outside the action box`);
      }
    }
  });
  const leaf = cfg.leaf ?? "rollout";
  if (leaf === "value" && !p.terminalValue) throw new ValueError('mctsPlan: leaf "value" needs the problem\'s terminalValue');
  if (s0.length !== ds) throw new ShapeError(`mctsPlan: s0 has length ${s0.length}, expected ${ds}`);

  let modelRows = 0;
  let nodes = 1;
  const S = mat(1, ds);
  const A = mat(1, da);
  /** One model step and its reward, for a single state and action. */
  const step = (s: Float64Array, a: readonly number[]): { next: Float64Array; r: number } => {
    S.data.set(s);
    for (let k = 0; k < da; k++) A.data[k] = a[k];
    const S2: Mat = p.model.predictBatch(S, A, rng);
    modelRows++;
    const r = p.reward.batch(S, A, S2)[0];
    return { next: Float64Array.from(S2.data), r: Number.isNaN(r) ? -Infinity : r };
  };
  const value = (s: Float64Array) => p.terminalValue!(mat(1, ds, s))[0];
  /** 3. the value of a new node at depth d: random rollout to the horizon (+ V(s_H)), or V alone. */
  const simulate = (s: Float64Array, d: number): number => {
    if (leaf === "value") return value(s);
    let g = 0;
    let discount = 1;
    let x = s;
    for (let t = d; t < H; t++) {
      const { next, r } = step(x, cfg.actions[rng.int(K)]);
      g += discount * r;
      discount *= gamma;
      x = next;
    }
    return p.terminalValue ? g + discount * value(x) : g;
  };

  const root = newNode(Float64Array.from(s0), 0, K, rng);
  let qMin = Infinity;
  let qMax = -Infinity;
  const path: { node: MctsNode; a: number }[] = [];
  for (let sim = 0; sim < sims; sim++) {
    path.length = 0;
    let node = root;
    let g: number;
    // 1. select, then 2. expand
    for (;;) {
      if (node.depth >= H) {
        g = p.terminalValue ? value(node.state) : 0;
        break;
      }
      if (node.untried.length > 0) {
        const a = node.untried.pop()!;
        const { next, r } = step(node.state, cfg.actions[a]);
        const child = newNode(next, node.depth + 1, K, rng);
        nodes++;
        node.edges[a].reward = r;
        node.edges[a].child = child;
        path.push({ node, a });
        node = child;
        // 3. simulate from the new node
        g = child.depth >= H ? (p.terminalValue ? value(child.state) : 0) : simulate(child.state, child.depth);
        break;
      }
      const scores = uctScores(
        node.visits,
        node.edges.map((e) => e.n),
        node.edges.map((e) => e.q),
        c,
        qMin,
        qMax,
      );
      let a = 0;
      for (let i = 1; i < K; i++) if (scores[i] > scores[a]) a = i;
      path.push({ node, a });
      node = node.edges[a].child!;
    }
    // 4. backup
    node.visits++;
    for (let i = path.length - 1; i >= 0; i--) {
      const { node: parent, a } = path[i];
      const e = parent.edges[a];
      g = e.reward + gamma * g;
      e.n++;
      e.q += (g - e.q) / e.n;
      if (e.q < qMin) qMin = e.q;
      if (e.q > qMax) qMax = e.q;
      parent.visits++;
    }
  }

  // The decision: the most visited root action; the plan follows the most visited path and then
  // repeats its last action, so MPC's warm start and plots have H rows.
  const mostVisited = (node: MctsNode) => {
    let best = 0;
    for (let i = 1; i < K; i++) {
      const [ei, eb] = [node.edges[i], node.edges[best]];
      if (ei.n > eb.n || (ei.n === eb.n && ei.q > eb.q)) best = i;
    }
    return best;
  };
  const actionIndex = mostVisited(root);
  const actions: number[][] = [];
  let node: MctsNode | null = root;
  while (node && node.visits > 0 && actions.length < H) {
    const a = mostVisited(node);
    if (node.edges[a].n === 0) break;
    actions.push(cfg.actions[a].slice());
    node = node.edges[a].child;
  }
  while (actions.length < H) actions.push(actions[actions.length - 1].slice());
  return {
    actions,
    predictedReturn: root.edges[actionIndex].q,
    actionIndex,
    rootVisits: root.edges.map((e) => e.n),
    rootQ: root.edges.map((e) => e.q),
    modelRows,
    nodes,
  };
}

/** UCT as a `Planner` for MPC (a fresh tree every decision; warm starts do not apply). */
export function mctsPlanner(p: PlanProblem, cfg: MctsConfig): Planner {
  return (s0, rng) => mctsPlan(p, s0, cfg, rng);
}
