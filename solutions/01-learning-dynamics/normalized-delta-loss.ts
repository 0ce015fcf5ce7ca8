/** Reference solution of exercise normalized-delta-loss (notebook 01): the loss of a normalised delta model. */
export function normalizedDeltaLoss(out: number[][], states: number[][], nextStates: number[][], mu: number[], sigma: number[]): number {
  // BEGIN SOLUTION
  const n = out.length;
  const d = mu.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const target = (nextStates[i][j] - states[i][j] - mu[j]) / sigma[j];
      sum += (out[i][j] - target) ** 2;
    }
  }
  return sum / (n * d);
  // END SOLUTION
}
