/** Reference solution of exercise cmaes-rank-mu (notebook 13): CMA-ES's recombination and rank-mu covariance update. */
export function cmaesRankMu(
  mean: number[],
  sigma: number,
  C: number[][],
  samples: number[][],
  returns: number[],
  mu: number,
  cMu: number,
): { mean: number[]; C: number[][] } {
  // BEGIN SOLUTION
  const n = mean.length;
  // Recombination weights w_i = ln(mu + 1/2) - ln(i), i = 1..mu, normalised to sum to 1.
  const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
  const total = raw.reduce((s, w) => s + w, 0);
  const w = raw.map((x) => x / total);
  // Best (highest return) first.
  const order = returns.map((_, i) => i).sort((a, b) => returns[b] - returns[a]);
  // Selected steps, from the OLD mean, in units of sigma.
  const ys = order.slice(0, mu).map((k) => samples[k].map((x, j) => (x - mean[j]) / sigma));
  const newMean = mean.map((m, j) => m + sigma * ys.reduce((s, y, i) => s + w[i] * y[j], 0));
  const newC = C.map((row, a) => row.map((cab, b) => (1 - cMu) * cab + cMu * ys.reduce((s, y, i) => s + w[i] * y[a] * y[b], 0)));
  return { mean: newMean, C: newC };
  // END SOLUTION
}
