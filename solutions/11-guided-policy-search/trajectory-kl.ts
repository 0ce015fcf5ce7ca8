/** Reference solution of exercise trajectory-kl (notebook 11): KL(p(tau) || p-bar(tau)) of two linear-Gaussian controllers. */

export interface LgController {
  K: number[][][];
  k: number[][];
  Sigma: number[][][];
}

export function trajectoryKlLG(
  p: LgController,
  pBar: LgController,
  xMean: number[][],
  xCov: number[][][],
): { total: number; perStep: number[] } {
  // BEGIN SOLUTION
  // Cholesky factor of a symmetric positive-definite matrix.
  const chol = (A: number[][]) => {
    const d = A.length;
    const L = A.map(() => new Array<number>(d).fill(0));
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = A[i][j];
        for (let q = 0; q < j; q++) s -= L[i][q] * L[j][q];
        L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
      }
    }
    return L;
  };
  const logDet = (A: number[][]) => chol(A).reduce((s, row, i) => s + 2 * Math.log(row[i]), 0);
  const inverse = (A: number[][]) => {
    const L = chol(A),
      d = A.length;
    return A.map((_, c) => {
      const z = A.map((_, i) => (i === c ? 1 : 0));
      for (let i = 0; i < d; i++) {
        for (let q = 0; q < i; q++) z[i] -= L[i][q] * z[q];
        z[i] /= L[i][i];
      }
      for (let i = d - 1; i >= 0; i--) {
        for (let q = i + 1; q < d; q++) z[i] -= L[q][i] * z[q];
        z[i] /= L[i][i];
      }
      return z; // column c of A^-1 (A^-1 is symmetric, so also row c)
    });
  };
  const perStep: number[] = [];
  for (let t = 0; t < p.K.length; t++) {
    const m = p.k[t].length,
      n = xMean[t].length;
    const P = inverse(pBar.Sigma[t]); // precision of the OLD controller
    const dK = p.K[t].map((row, i) => row.map((v, j) => v - pBar.K[t][i][j]));
    // Mean difference at the mean state: dK mu + dk.
    const dmu = dK.map((row, i) => row.reduce((s, v, j) => s + v * xMean[t][j], 0) + p.k[t][i] - pBar.k[t][i]);
    let trSigma = 0,
      quad = 0,
      trState = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        trSigma += P[i][j] * p.Sigma[t][j][i];
        quad += dmu[i] * P[i][j] * dmu[j];
        // tr(P dK S dK^T): the mean difference also varies with x ~ N(mu, S).
        let dKSdKt = 0;
        for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) dKSdKt += dK[j][a] * xCov[t][a][b] * dK[i][b];
        trState += P[i][j] * dKSdKt;
      }
    }
    perStep.push(0.5 * (trSigma - m + logDet(pBar.Sigma[t]) - logDet(p.Sigma[t]) + quad + trState));
  }
  return { total: perStep.reduce((a, b) => a + b, 0), perStep };
  // END SOLUTION
}
