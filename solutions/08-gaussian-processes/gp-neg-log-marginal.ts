/** Reference solution of exercise gp-neg-log-marginal (notebook 08): -log p(y | X) and its gradient in log hyper-parameters. */

export function gpNegLogLik(X: number[], y: number[], logEll: number, logSf: number, logSn: number): { nlml: number; grad: number[] } {
  // BEGIN SOLUTION
  const n = X.length;
  const ell2 = Math.exp(2 * logEll),
    sf2 = Math.exp(2 * logSf),
    sn2 = Math.exp(2 * logSn);
  const kern = (a: number, b: number) => sf2 * Math.exp((-0.5 * (a - b) ** 2) / ell2);
  // Ky = K + sn^2 I and its Cholesky factor L (Ky = L L^T).
  const Ky = X.map((a, i) => X.map((b, j) => kern(a, b) + (i === j ? sn2 : 0)));
  const L = Ky.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = Ky[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  const solveL = (b: number[]) => {
    const z = b.slice();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < i; k++) z[i] -= L[i][k] * z[k];
      z[i] /= L[i][i];
    }
    return z;
  };
  const solveLt = (b: number[]) => {
    const z = b.slice();
    for (let i = n - 1; i >= 0; i--) {
      for (let k = i + 1; k < n; k++) z[i] -= L[k][i] * z[k];
      z[i] /= L[i][i];
    }
    return z;
  };
  const beta = solveLt(solveL(y));
  // 1/2 y^T Ky^-1 y + 1/2 log|Ky| + n/2 log(2 pi); log|Ky| = 2 sum log L_ii.
  let nlml = 0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) nlml += 0.5 * y[i] * beta[i] + Math.log(L[i][i]);
  // Ky^-1, column by column.
  const inv = X.map((_, j) => solveLt(solveL(X.map((_, i) => (i === j ? 1 : 0)))));
  // d(-log p)/d(log theta) = 1/2 tr((Ky^-1 - beta beta^T) dKy/d(log theta)).
  const grad = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const W = 0.5 * (inv[i][j] - beta[i] * beta[j]);
      const k = kern(X[i], X[j]);
      grad[0] += W * k * ((X[i] - X[j]) ** 2 / ell2); // dK/dlog ell = K r^2 / ell^2
      grad[1] += W * 2 * k; // dK/dlog sf = 2 K
      if (i === j) grad[2] += W * 2 * sn2; // dKy/dlog sn = 2 sn^2 I
    }
  }
  return { nlml, grad };
  // END SOLUTION
}
