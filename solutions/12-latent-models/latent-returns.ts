/**
 * Reference solution of exercise latent-returns (notebook 12): the score CEM gives each candidate
 * action sequence, its discounted return predicted entirely in latent space.
 */
export function latentReturns(
  z0: number[],
  sequences: number[][][],
  A: number[][],
  B: number[][],
  zGoal: number[],
  actionCost: number,
  gamma: number,
): number[] {
  // BEGIN SOLUTION
  return sequences.map((seq) => {
    let z = z0.slice(); // every candidate starts from the same encoded observation
    let ret = 0;
    let discount = 1;
    for (const a of seq) {
      // the reward head scores the latent where the action is taken
      const r = -z.reduce((s, zi, i) => s + (zi - zGoal[i]) ** 2, 0) - actionCost * a.reduce((s, ai) => s + ai * ai, 0);
      ret += discount * r;
      discount *= gamma;
      z = A.map((row, i) => row.reduce((s, Aik, k) => s + Aik * z[k], 0) + B[i].reduce((s, Bil, l) => s + Bil * a[l], 0));
    }
    return ret;
  });
  // END SOLUTION
}
