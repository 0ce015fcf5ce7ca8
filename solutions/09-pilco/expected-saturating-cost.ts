/** Reference solution of exercise expected-saturating-cost (notebook 09), diagonal state covariance. */
export function expectedSaturatingCost(m: number[], v: number[], target: number[], width: number): number {
  // BEGIN SOLUTION
  const w2 = width * width;
  let e = 1;
  for (let d = 0; d < m.length; d++) {
    const s = w2 + v[d];
    e *= Math.sqrt(w2 / s) * Math.exp((-0.5 * (m[d] - target[d]) ** 2) / s);
  }
  return 1 - e;
  // END SOLUTION
}
