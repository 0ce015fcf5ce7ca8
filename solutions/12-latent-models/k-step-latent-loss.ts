/**
 * Reference solution of exercise k-step-latent-loss (notebook 12): the open-loop k-step latent loss
 * of a linear latent transition z' = A z + B a, weighted rho^(j-1) and normalised by the weights.
 */
export function kStepLatentLoss(z0: number[], actions: number[][], targets: number[][], A: number[][], B: number[][], rho: number): number {
  // BEGIN SOLUTION
  let z = z0.slice();
  let loss = 0;
  let norm = 0;
  for (let j = 1; j <= actions.length; j++) {
    const a = actions[j - 1];
    // open loop: the model's own previous guess, never the encoding of the real observation
    z = A.map((row, i) => row.reduce((s, Aik, k) => s + Aik * z[k], 0) + B[i].reduce((s, Bil, l) => s + Bil * a[l], 0));
    const w = rho ** (j - 1);
    loss += w * z.reduce((s, zi, i) => s + (zi - targets[j - 1][i]) ** 2, 0);
    norm += w;
  }
  return loss / norm;
  // END SOLUTION
}
