/** Reference solution of exercise moment-matched-mean (notebook 09): E[f(x)] for a 1-D GP and x ~ N(m, v). */
export function momentMatchedMean(X: number[], beta: number[], ell: number, sf: number, m: number, v: number): number {
  // BEGIN SOLUTION
  const ell2 = ell * ell;
  const c = (sf * sf) / Math.sqrt(1 + v / ell2);
  let s = 0;
  for (let i = 0; i < X.length; i++) s += beta[i] * Math.exp((-0.5 * (X[i] - m) ** 2) / (ell2 + v));
  return c * s;
  // END SOLUTION
}
