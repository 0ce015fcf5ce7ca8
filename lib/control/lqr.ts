/**
 * Finite-horizon, time-varying LQR (lecture 004, "LQR gives us a linear feedback controller").
 *
 * Dynamics x_{t+1} = F_t [x_t; u_t] + f_t for t = 0..T-1, cost
 *   sum_t ( 1/2 z_t^T C_t z_t + c_t^T z_t )  +  1/2 x_T^T C_T x_T + c_T^T x_T,   z_t = [x_t; u_t].
 * C_t holds the state, action and cross terms; c_t the linear terms. The backward Riccati recursion
 * gives u_t = K_t x_t + k_t and the quadratic value V_t(x) = 1/2 x^T V_t x + v_t^T x + const.
 *
 * The same recursion is the inner step of iLQR (in deviation coordinates) and of the KL-constrained
 * trajectory optimisation of guided policy search (with a surrogate cost), so it also returns Q_uu,
 * whose inverse is the covariance of the maximum-entropy linear-Gaussian controller.
 */
import { ShapeError, ValueError, checkInt } from "../core/checks";
import {
  Mat,
  NotPositiveDefiniteError,
  add,
  addDiag,
  cholInverse,
  cholSolve,
  cholesky,
  checkFiniteMat,
  mat,
  matmul,
  matmulTN,
  matvec,
  symmetrize,
  transpose,
} from "../linalg";

/** A time-varying linear-quadratic problem; see the file comment for the equations. */
export interface LqrProblem {
  /** State dimension n. */
  n: number;
  /** Action dimension m. */
  m: number;
  /** T matrices n x (n + m): x_{t+1} = F_t [x_t; u_t] + f_t. */
  F: Mat[];
  /** T offsets of length n. */
  f: Float64Array[];
  /** T cost Hessians (n + m) x (n + m) over z = [x; u] (symmetric). */
  C: Mat[];
  /** T cost gradients of length n + m. */
  c: Float64Array[];
  /** Terminal cost Hessian n x n on x_T (zeros when absent). */
  CT?: Mat;
  /** Terminal cost gradient on x_T (zeros when absent). */
  cT?: Float64Array;
}

export interface LqrOptions {
  /** Levenberg regularisation added to Q_uu before it is factorised (default 0). */
  mu?: number;
}

/** The output of the backward pass. */
export interface LqrSolution {
  /** Feedback gains K_t (m x n): u_t = K_t x_t + k_t. */
  K: Mat[];
  /** Feed-forward terms k_t. */
  k: Float64Array[];
  /** Q_uu at each step (without the regularisation): its inverse is the max-entropy covariance. */
  Quu: Mat[];
  /** Q_u at each step (the gradient of the Q function in u at x = 0, u = 0). */
  Qu: Float64Array[];
  /** Value Hessians V_t, t = 0..T (V_T is the terminal cost). */
  V: Mat[];
  /** Value gradients v_t, t = 0..T. */
  v: Float64Array[];
  /**
   * Predicted change of cost when the feed-forward terms are scaled by alpha:
   * dJ(alpha) = alpha * dJ[0] + alpha^2 * dJ[1] (used by the iLQR line search).
   */
  dJ: [number, number];
}

/** Checks the shapes of an LQR problem; returns T. */
export function checkLqrProblem(p: LqrProblem): number {
  checkInt("lqr: n", p.n);
  checkInt("lqr: m", p.m, { allowZero: false });
  const T = p.F.length;
  const nz = p.n + p.m;
  if (p.f.length !== T || p.C.length !== T || p.c.length !== T) {
    throw new ShapeError(`lqr: F, f, C and c need one entry per step, got ${T}, ${p.f.length}, ${p.C.length}, ${p.c.length}`);
  }
  for (let t = 0; t < T; t++) {
    if (p.F[t].rows !== p.n || p.F[t].cols !== nz) {
      throw new ShapeError(`lqr: F[${t}] is ${p.F[t].rows} x ${p.F[t].cols}, expected ${p.n} x ${nz}`);
    }
    if (p.f[t].length !== p.n) throw new ShapeError(`lqr: f[${t}] has length ${p.f[t].length}, expected ${p.n}`);
    if (p.C[t].rows !== nz || p.C[t].cols !== nz) {
      throw new ShapeError(`lqr: C[${t}] is ${p.C[t].rows} x ${p.C[t].cols}, expected ${nz} x ${nz}`);
    }
    if (p.c[t].length !== nz) throw new ShapeError(`lqr: c[${t}] has length ${p.c[t].length}, expected ${nz}`);
  }
  if (p.CT && (p.CT.rows !== p.n || p.CT.cols !== p.n)) {
    throw new ShapeError(`lqr: CT is ${p.CT.rows} x ${p.CT.cols}, expected ${p.n} x ${p.n}`);
  }
  if (p.cT && p.cT.length !== p.n) throw new ShapeError(`lqr: cT has length ${p.cT.length}, expected ${p.n}`);
  return T;
}

/** The rows r0..r1-1 and columns c0..c1-1 of A, as a new matrix. */
export function block(A: Mat, r0: number, r1: number, c0: number, c1: number): Mat {
  const out = mat(r1 - r0, c1 - c0);
  for (let i = r0; i < r1; i++) {
    for (let j = c0; j < c1; j++) out.data[(i - r0) * out.cols + (j - c0)] = A.data[i * A.cols + j];
  }
  return out;
}

/**
 * The backward Riccati recursion. For t = T-1 down to 0:
 *   Q_t = C_t + F_t^T V_{t+1} F_t,   q_t = c_t + F_t^T (V_{t+1} f_t + v_{t+1})
 *   K_t = -Q_uu^-1 Q_ux,  k_t = -Q_uu^-1 q_u
 *   V_t = Q_xx + Q_xu K + K^T Q_ux + K^T Q_uu K,  v_t = q_x + Q_xu k + K^T q_u + K^T Q_uu k
 * (the expanded form of V stays correct when Q_uu was regularised to get K). Throws
 * NotPositiveDefiniteError, naming the step, when Q_uu + mu I is not positive definite.
 */
export function lqrBackward(p: LqrProblem, opts: LqrOptions = {}): LqrSolution {
  const T = checkLqrProblem(p);
  const { n, m } = p;
  const mu = opts.mu ?? 0;
  if (!(mu >= 0)) throw new ValueError(`lqr: mu must be >= 0, got ${mu}`);
  const K: Mat[] = new Array(T),
    k: Float64Array[] = new Array(T);
  const Quus: Mat[] = new Array(T),
    Qus: Float64Array[] = new Array(T);
  const V: Mat[] = new Array(T + 1),
    v: Float64Array[] = new Array(T + 1);
  V[T] = p.CT ? symmetrize(p.CT) : mat(n, n);
  v[T] = p.cT ? Float64Array.from(p.cT) : new Float64Array(n);
  let dJ1 = 0,
    dJ2 = 0;
  for (let t = T - 1; t >= 0; t--) {
    const F = p.F[t];
    const VF = matmul(V[t + 1], F);
    const Q = symmetrize(add(p.C[t], matmulTN(F, VF)));
    const Vf = matvec(V[t + 1], p.f[t]);
    for (let i = 0; i < n; i++) Vf[i] += v[t + 1][i];
    const q = matvec(transpose(F), Vf);
    for (let i = 0; i < n + m; i++) q[i] += p.c[t][i];
    checkFiniteMat(`lqr: Q at step ${t}`, Q);

    const Qxx = block(Q, 0, n, 0, n);
    const Qux = block(Q, n, n + m, 0, n);
    const Quu = block(Q, n, n + m, n, n + m);
    const qx = q.subarray(0, n),
      qu = q.slice(n);
    let L: Mat;
    try {
      L = cholesky(mu > 0 ? addDiag(Quu, mu) : Quu, { maxTries: 0, name: `Q_uu at step ${t}` });
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) {
        throw new NotPositiveDefiniteError(`lqr: Q_uu + ${mu} I is not positive definite at step ${t}`);
      }
      throw e;
    }
    const Kt = cholSolve(L, Qux);
    for (let i = 0; i < Kt.data.length; i++) Kt.data[i] = -Kt.data[i];
    const kt = cholSolve(L, qu);
    for (let i = 0; i < m; i++) kt[i] = -kt[i];

    // V = Qxx + Qxu K + K^T Qux + K^T Quu K
    const QuuK = matmul(Quu, Kt);
    const KtQux = matmulTN(Kt, Qux);
    const Vt = add(add(Qxx, KtQux), add(transpose(KtQux), matmulTN(Kt, QuuK)));
    V[t] = symmetrize(Vt);
    // v = qx + Qxu k + K^T qu + K^T Quu k
    const Quuk = matvec(Quu, kt);
    const vt = Float64Array.from(qx);
    const Qxuk = matvec(transpose(Qux), kt);
    const Ktqu = matvec(transpose(Kt), qu);
    const KtQuuk = matvec(transpose(Kt), Quuk);
    for (let i = 0; i < n; i++) vt[i] += Qxuk[i] + Ktqu[i] + KtQuuk[i];
    v[t] = vt;
    for (let i = 0; i < m; i++) {
      dJ1 += kt[i] * qu[i];
      dJ2 += 0.5 * kt[i] * Quuk[i];
    }
    K[t] = Kt;
    k[t] = kt;
    Quus[t] = Quu;
    Qus[t] = qu;
  }
  return { K, k, Quu: Quus, Qu: Qus, V, v, dJ: [dJ1, dJ2] };
}

/** Q_uu^-1 for every step: the covariance of the maximum-entropy linear-Gaussian controller. */
export function maxEntropyCovariances(sol: LqrSolution): Mat[] {
  return sol.Quu.map((Q, t) => cholInverse(cholesky(Q, { maxTries: 0, name: `Q_uu at step ${t}` })));
}

/** The cost of one (x_t, u_t) pair under the quadratic cost term (C, c). */
export function quadraticValue(C: Mat, c: ArrayLike<number>, z: ArrayLike<number>): number {
  const Cz = matvec(C, z);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += 0.5 * z[i] * Cz[i] + c[i] * z[i];
  return s;
}

/** The deterministic closed-loop rollout of u_t = K_t x_t + k_t from x0, with its total cost. */
export function lqrRollout(
  p: LqrProblem,
  sol: Pick<LqrSolution, "K" | "k">,
  x0: ArrayLike<number>,
): {
  xs: Float64Array[];
  us: Float64Array[];
  cost: number;
} {
  const T = checkLqrProblem(p);
  if (x0.length !== p.n) throw new ShapeError(`lqrRollout: x0 has length ${x0.length}, expected ${p.n}`);
  const xs: Float64Array[] = [Float64Array.from(x0)];
  const us: Float64Array[] = [];
  let cost = 0;
  for (let t = 0; t < T; t++) {
    const x = xs[t];
    const u = matvec(sol.K[t], x);
    for (let i = 0; i < p.m; i++) u[i] += sol.k[t][i];
    const z = concat(x, u);
    cost += quadraticValue(p.C[t], p.c[t], z);
    const xn = matvec(p.F[t], z);
    for (let i = 0; i < p.n; i++) xn[i] += p.f[t][i];
    xs.push(xn);
    us.push(u);
  }
  if (p.CT) cost += quadraticValue(p.CT, p.cT ?? new Float64Array(p.n), xs[T]);
  else if (p.cT) cost += quadraticValue(mat(p.n, p.n), p.cT, xs[T]);
  return { xs, us, cost };
}

/** [a; b] as a new Float64Array. */
export function concat(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a as ArrayLike<number>, 0);
  out.set(b as ArrayLike<number>, a.length);
  return out;
}
