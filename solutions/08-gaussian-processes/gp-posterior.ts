/** Reference solution of exercise gp-posterior (notebook 08): GP posterior mean and variance, 1-D inputs. */
export function gpPosterior(
  X: number[],
  y: number[],
  Xs: number[],
  ell: number,
  sf: number,
  sn: number,
): { mean: number[]; variance: number[] } {
  // BEGIN SOLUTION
  const n = X.length;
  const k = (a: number, b: number) => sf * sf * Math.exp(-0.5 * ((a - b) / ell) ** 2);
  // Cholesky factor L of K + sn^2 I.
  const L: number[][] = X.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = k(X[i], X[j]) + (i === j ? sn * sn : 0);
      for (let p = 0; p < j; p++) v -= L[i][p] * L[j][p];
      L[i][j] = i === j ? Math.sqrt(v) : v / L[j][j];
    }
  }
  const forward = (b: number[]) => {
    const z = b.slice();
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < i; p++) z[i] -= L[i][p] * z[p];
      z[i] /= L[i][i];
    }
    return z;
  };
  const backward = (z: number[]) => {
    const x = z.slice();
    for (let i = n - 1; i >= 0; i--) {
      for (let p = i + 1; p < n; p++) x[i] -= L[p][i] * x[p];
      x[i] /= L[i][i];
    }
    return x;
  };
  const beta = backward(forward(y));
  const mean: number[] = [];
  const variance: number[] = [];
  for (const xs of Xs) {
    const ks = X.map((xi) => k(xi, xs));
    mean.push(ks.reduce((s, v, i) => s + v * beta[i], 0));
    const w = forward(ks);
    variance.push(sf * sf - w.reduce((s, v) => s + v * v, 0));
  }
  return { mean, variance };
  // END SOLUTION
}
