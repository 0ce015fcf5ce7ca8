/** Reference solution of exercise linear-regression-fit (notebook 11): one time step of the local dynamics fit. */
export function fitLinearDynamics(
  X: number[][],
  U: number[][],
  Xnext: number[][],
  ridge: number,
): { A: number[][]; B: number[][]; c: number[] } {
  // BEGIN SOLUTION
  const N = X.length,
    n = X[0].length,
    m = U[0].length,
    p = n + m + 1;
  const Z = X.map((x, i) => [...x, ...U[i], 1]);
  // Normal equations (Z^T Z + ridge I') W = Z^T Y, no ridge on the constant column.
  const G = Array.from({ length: p }, (_, a) =>
    Array.from({ length: p }, (_, b) => {
      let s = 0;
      for (let i = 0; i < N; i++) s += Z[i][a] * Z[i][b];
      return s + (a === b && a < p - 1 ? ridge : 0);
    }),
  );
  const ZtY = Array.from({ length: p }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      let s = 0;
      for (let i = 0; i < N; i++) s += Z[i][a] * Xnext[i][b];
      return s;
    }),
  );
  const aug = G.map((r, i) => [...r, ...ZtY[i]]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(aug[r][c]) > Math.abs(aug[piv][c])) piv = r;
    [aug[c], aug[piv]] = [aug[piv], aug[c]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = aug[r][c] / aug[c][c];
      for (let j = c; j < p + n; j++) aug[r][j] -= f * aug[c][j];
    }
  }
  const W = aug.map((r, i) => r.slice(p).map((v) => v / aug[i][i])); // p x n
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => W[j][i]));
  const B = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => W[n + j][i]));
  const c = Array.from({ length: n }, (_, i) => W[n + m][i]);
  return { A, B, c };
  // END SOLUTION
}
