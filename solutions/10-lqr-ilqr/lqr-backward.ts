/** Reference solution of exercise lqr-backward (notebook 10): the backward Riccati recursion. */
export function riccatiGains(A: number[][], B: number[][], Q: number[][], R: number[][], Qf: number[][], T: number): number[][][] {
  // BEGIN SOLUTION
  const mul = (X: number[][], Y: number[][]) => X.map((r) => Y[0].map((_, j) => r.reduce((s, v, k) => s + v * Y[k][j], 0)));
  const tr = (X: number[][]) => X[0].map((_, j) => X.map((r) => r[j]));
  const plus = (X: number[][], Y: number[][]) => X.map((r, i) => r.map((v, j) => v + Y[i][j]));
  // Solves M X = Y for square M by Gauss-Jordan elimination with partial pivoting.
  const solveSq = (M: number[][], Y: number[][]) => {
    const k = M.length;
    const a = M.map((r, i) => [...r, ...Y[i]]);
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
      [a[c], a[p]] = [a[p], a[c]];
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const f = a[r][c] / a[c][c];
        for (let j = c; j < a[r].length; j++) a[r][j] -= f * a[c][j];
      }
    }
    return a.map((r, i) => r.slice(k).map((v) => v / a[i][i]));
  };
  let P = Qf.map((r) => r.slice());
  const K: number[][][] = new Array(T);
  for (let t = T - 1; t >= 0; t--) {
    const BtP = mul(tr(B), P);
    const Quu = plus(R, mul(BtP, B)); // m x m
    const Qux = mul(BtP, A); // m x n
    const Kt = solveSq(Quu, Qux).map((r) => r.map((v) => -v));
    K[t] = Kt;
    // P <- Q + A^T P A + A^T P B K  (= Q + A^T P A - Qux^T Quu^-1 Qux)
    P = plus(plus(Q, mul(mul(tr(A), P), A)), mul(tr(Qux), Kt));
    P = P.map((r, i) => r.map((v, j) => 0.5 * (v + P[j][i])));
  }
  return K;
  // END SOLUTION
}
