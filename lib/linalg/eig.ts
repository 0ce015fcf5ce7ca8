/**
 * Symmetric eigendecomposition A = V diag(values) V^T by the cyclic Jacobi method: slow for large
 * matrices (about 10 n^3 per sweep, a handful of sweeps) but simple, accurate to machine precision
 * and robust; the course needs it for covariance checks and projections of small matrices.
 */
import { ValueError } from "../core/checks";
import { Mat, MatLike, asMat, checkSquare, mat } from "./mat";

export interface EigSym {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as the COLUMNS of this matrix, in the order of `values`. */
  vectors: Mat;
}

/** Eigenvalues and eigenvectors of a symmetric matrix (reads the whole matrix, symmetrising it first). */
export function eigSym(A: MatLike, { maxSweeps = 60 } = {}): EigSym {
  const a0 = asMat(A);
  checkSquare("eigSym", a0);
  const n = a0.rows;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = 0.5 * (a0.data[i * n + j] + a0.data[j * n + i]);
      if (!Number.isFinite(v)) throw new ValueError(`eigSym: entry (${i}, ${j}) of the ${n} x ${n} matrix is not finite`);
      a[i * n + j] = v;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  let converged = n <= 1;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) off += a[i * n + j] * a[i * n + j];
    if (off <= 1e-30 * total || off === 0) {
      converged = true;
      break;
    }
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // Rotation angle that zeroes a_pq (Golub and Van Loan, Algorithm 8.5.1).
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        // A <- J^T A J: rows p, q then columns p, q.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  if (!converged) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) off += a[i * n + j] * a[i * n + j];
    if (off > 1e-20 * total) throw new ValueError(`eigSym: Jacobi did not converge for the ${n} x ${n} matrix in ${maxSweeps} sweeps`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  const values = new Float64Array(n);
  const vectors = mat(n, n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors.data[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

/**
 * The nearest positive semi-definite matrix to a symmetric A in the Frobenius norm: V max(Lambda, 0) V^T
 * (negative eigenvalues clipped to zero; Higham 1988). Used to make an indefinite cost Hessian a
 * usable curvature (iLQR).
 */
export function projectPsd(A: MatLike): Mat {
  const { values, vectors } = eigSym(A);
  const n = values.length;
  const V = vectors.data;
  const out = mat(n, n);
  for (let k = 0; k < n; k++) {
    const lk = values[k];
    if (!(lk > 0)) continue;
    for (let i = 0; i < n; i++) {
      const vik = lk * V[i * n + k];
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out.data[i * n + j] += vik * V[j * n + k];
    }
  }
  return out;
}
