/** Reference solution of exercise bellman-lookahead (notebook 00): Q(s, a) from a tabular model and V. */

/** The notebook's locked cell: one possible result of taking an action. */
export interface Outcome {
  prob: number;
  next: number;
  reward: number;
  done: boolean;
}

export function lookAhead(model: Outcome[][][], V: number[], gamma: number): number[][] {
  // BEGIN SOLUTION
  return model.map((actions) =>
    actions.map((outcomes) => outcomes.reduce((q, o) => q + o.prob * (o.reward + (o.done ? 0 : gamma * V[o.next])), 0)),
  );
  // END SOLUTION
}
