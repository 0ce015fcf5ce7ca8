/** Reference solution of exercise cem-refit (notebook 02): CEM's smoothed refit with a floor on the std. */
export function cemRefit(
  elites: number[][],
  mean: number[],
  std: number[],
  alpha: number,
  minStd: number,
): { mean: number[]; std: number[] } {
  // BEGIN SOLUTION
  const K = elites.length;
  const d = mean.length;
  const newMean: number[] = [];
  const newStd: number[] = [];
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (const e of elites) m += e[j] / K;
    let v = 0;
    for (const e of elites) v += (e[j] - m) ** 2 / K;
    newMean.push(alpha * mean[j] + (1 - alpha) * m);
    newStd.push(Math.max(Math.sqrt(alpha * std[j] ** 2 + (1 - alpha) * v), minStd));
  }
  return { mean: newMean, std: newStd };
  // END SOLUTION
}
