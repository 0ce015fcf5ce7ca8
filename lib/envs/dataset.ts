/**
 * Transitions (s, a, r, s') as a system produces them and the models learn from them: a `Dataset`
 * holds them as arrays of rows so that algorithms can append as they collect (lecture 004, "append
 * (s, a, s') to D"). lib/models/types.ts re-exports everything here.
 */
import { type Rng, ShapeError } from "../core";
import { type Mat, type VecLike, mat } from "../linalg/mat";

/** Transitions (s_i, a_i, r_i, s'_i); the four arrays always have the same length. */
export interface Dataset {
  states: number[][];
  actions: number[][];
  rewards: number[];
  nextStates: number[][];
}

/** An empty dataset. */
export function emptyDataset(): Dataset {
  return { states: [], actions: [], rewards: [], nextStates: [] };
}

/** Number of transitions, after checking the four arrays agree. */
export function datasetSize(D: Dataset): number {
  const n = D.states.length;
  if (D.actions.length !== n || D.rewards.length !== n || D.nextStates.length !== n) {
    throw new ShapeError(
      `dataset: states, actions, rewards and nextStates must have the same length, got ` +
        `${n}, ${D.actions.length}, ${D.rewards.length}, ${D.nextStates.length}`,
    );
  }
  return n;
}

/** Appends one transition to D (copies the vectors so later mutation of the caller's arrays is harmless). */
export function addTransition(D: Dataset, s: VecLike, a: VecLike, r: number, s2: VecLike): void {
  D.states.push(Array.from(s));
  D.actions.push(Array.from(a));
  D.rewards.push(r);
  D.nextStates.push(Array.from(s2));
}

/** A new dataset holding the transitions of all the given datasets, in order (data aggregation). */
export function concatDatasets(...parts: Dataset[]): Dataset {
  const out = emptyDataset();
  for (const p of parts) {
    datasetSize(p);
    out.states.push(...p.states);
    out.actions.push(...p.actions);
    out.rewards.push(...p.rewards);
    out.nextStates.push(...p.nextStates);
  }
  return out;
}

/** The transitions at the given indices, as a new dataset (rows are shared, not copied). */
export function subsetDataset(D: Dataset, idx: readonly number[]): Dataset {
  return {
    states: idx.map((i) => D.states[i]),
    actions: idx.map((i) => D.actions[i]),
    rewards: idx.map((i) => D.rewards[i]),
    nextStates: idx.map((i) => D.nextStates[i]),
  };
}

/**
 * A random train / held-out split. `validFraction` of the transitions (at least one when the
 * fraction is positive and there are two or more transitions) go to `valid`.
 */
export function splitDataset(D: Dataset, validFraction: number, rng: Rng): { train: Dataset; valid: Dataset } {
  const n = datasetSize(D);
  const perm = rng.permutation(n);
  let nValid = Math.round(n * validFraction);
  if (validFraction > 0 && n >= 2) nValid = Math.min(Math.max(nValid, 1), n - 1);
  return { valid: subsetDataset(D, perm.slice(0, nValid)), train: subsetDataset(D, perm.slice(nValid)) };
}

/** Rows to a Mat with `cols` columns (checked). */
export function rowsToMat(what: string, rows: readonly (readonly number[])[], cols: number): Mat {
  const M = mat(rows.length, cols);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== cols) throw new ShapeError(`${what}: row ${i} has length ${r.length}, expected ${cols}`);
    for (let j = 0; j < cols; j++) M.data[i * cols + j] = r[j];
  }
  return M;
}
