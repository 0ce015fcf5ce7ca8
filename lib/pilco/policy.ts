/**
 * PILCO's controllers, both usable on the real system (a deterministic function of the state) and
 * inside long-term prediction (moment matched, with derivatives w.r.t. their parameters):
 *
 *  - linear:  u~ = A x + b
 *  - RBF:     u~ = sum_i beta_i k(x, c_i), a deterministic GP ("gp2" in the reference code) whose
 *             parameters are the basis-function centres c_i (pseudo inputs), the pseudo targets y
 *             (beta = (K + sn^2 I)^{-1} y) and the log length-scales (shared by all action
 *             dimensions); sf = 1 and sn = 0.01 stay fixed, as in the reference code.
 *
 * Length-scale derivatives come from the scaling identity of the SE kernel: with x~ = x / ell,
 * k_ell(x, x') = k_1(x~, x~'), so the policy is moment matched in scaled coordinates (unit
 * length-scales) and d/d log ell follows from the adjoints of the scaled centres, mean and covariance.
 *
 * The action is the squashed output u = sum_k w_k sin(k u~) (see blocks.ts), so every action the
 * policy can produce lies within [-u_max, u_max].
 */
import { ShapeError, type Rng } from "../core";
import { choleskyWithJitter, cholSolve, mat, type Mat } from "../linalg";
import { seArd } from "../models/gp";
import { squashValue, type SinSquash } from "./blocks";
import { momentMatch, momentMatchBackward, type MmCache, type MmModel, type MmOut } from "./momentMatch";

export interface LinearPolicy {
  kind: "linear";
  /** Input dimension (the policy's view of the augmented state) and number of actions. */
  inputDim: number;
  actionDim: number;
  /** [A (actionDim x inputDim) row-major, b (actionDim)]. */
  params: Float64Array;
  squash: SinSquash[];
}

export interface RbfPolicy {
  kind: "rbf";
  inputDim: number;
  actionDim: number;
  /** Number of basis functions. */
  nBasis: number;
  /** [centres (nBasis x inputDim) row-major, targets (nBasis x actionDim) row-major, log length-scales (inputDim)]. */
  params: Float64Array;
  /** Fixed log signal std and log noise std of the deterministic GP (reference: sf = 1, sn = 0.01). */
  logSf: number;
  logSn: number;
  squash: SinSquash[];
}

export type Policy = LinearPolicy | RbfPolicy;

/** A linear policy with zero gains (u~ = 0) or with given ones. */
export function linearPolicy(inputDim: number, squash: SinSquash[], params?: ArrayLike<number>): LinearPolicy {
  const actionDim = squash.length;
  const p = new Float64Array(actionDim * inputDim + actionDim);
  if (params) {
    if (params.length !== p.length) throw new ShapeError(`linearPolicy: expected ${p.length} parameters, got ${params.length}`);
    p.set(params);
  }
  return { kind: "linear", inputDim, actionDim, params: p, squash };
}

export interface RbfInit {
  /** Basis functions. Default 10 (the reference cart-pole setting). */
  nBasis?: number;
  /** Length-scales (inputDim). Default 1 each. */
  lengthscales?: ArrayLike<number>;
  /** Mean and covariance (row-major) to draw the centres from. */
  centreMean: ArrayLike<number>;
  centreCov: ArrayLike<number>;
  /** Std of the initial pseudo targets (the reference: 0.1). */
  targetStd?: number;
  rng: Rng;
}

/** An RBF policy initialised as in the reference code: centres ~ N(mean, cov), targets ~ N(0, 0.1^2). */
export function rbfPolicy(inputDim: number, squash: SinSquash[], init: RbfInit): RbfPolicy {
  const actionDim = squash.length;
  const nBasis = init.nBasis ?? 10;
  const D = inputDim;
  const p = new Float64Array(nBasis * D + nBasis * actionDim + D);
  // Centres: mean + L z with L the Cholesky factor of the covariance.
  const { L } = choleskyWithJitter(mat(D, D, Float64Array.from(init.centreCov)), {
    name: "policy centre covariance",
    checkSymmetric: false,
  });
  for (let i = 0; i < nBasis; i++) {
    const z = Array.from({ length: D }, () => init.rng.normal());
    for (let d = 0; d < D; d++) {
      let v = init.centreMean[d];
      for (let k = 0; k <= d; k++) v += L.data[d * D + k] * z[k];
      p[i * D + d] = v;
    }
  }
  const ts = init.targetStd ?? 0.1;
  for (let k = 0; k < nBasis * actionDim; k++) p[nBasis * D + k] = ts * init.rng.normal();
  for (let d = 0; d < D; d++) p[nBasis * (D + actionDim) + d] = Math.log(init.lengthscales?.[d] ?? 1);
  return { kind: "rbf", inputDim, actionDim, nBasis, params: p, logSf: 0, logSn: Math.log(0.01), squash };
}

/** Everything a policy needs per rollout (for the RBF policy: beta and the Cholesky factors). */
export interface PolicyCtx {
  policy: Policy;
  /** RBF only: the deterministic GP in scaled coordinates (centres / ell, unit length-scales). */
  mm?: MmModel;
  /** RBF only: length-scales ell. */
  ell?: Float64Array;
  chol?: Mat[];
  K?: Mat[];
  /** Accumulated adjoints of beta (actionDim x nBasis) and of the centres, filled by backward passes. */
  gBeta?: Float64Array;
  gParams: Float64Array;
}

/** Prepares a policy for prediction (and resets its gradient accumulators). */
export function preparePolicy(policy: Policy): PolicyCtx {
  const gParams = new Float64Array(policy.params.length);
  if (policy.kind === "linear") return { policy, gParams };
  const { nBasis: n, inputDim: D, actionDim: E, params } = policy;
  const ell = new Float64Array(D);
  for (let d = 0; d < D; d++) ell[d] = Math.exp(params[n * (D + E) + d]);
  const Xs = new Float64Array(n * D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) Xs[i * D + d] = params[i * D + d] / ell[d];
  const X = mat(n, D, Xs);
  const beta = new Float64Array(E * n);
  const iell2 = new Float64Array(E * D).fill(1);
  const sf2 = new Float64Array(E).fill(Math.exp(2 * policy.logSf));
  const h = new Float64Array(D + 2);
  h[D] = policy.logSf;
  h[D + 1] = policy.logSn;
  const K = seArd(X, X, h);
  const sn2 = Math.exp(2 * policy.logSn);
  const Kn = mat(n, n, K.data.slice());
  for (let i = 0; i < n; i++) Kn.data[i * n + i] += sn2;
  const { L } = choleskyWithJitter(Kn, { name: "policy K + sn^2 I", checkSymmetric: false });
  const chol: Mat[] = [];
  const Ks: Mat[] = [];
  for (let a = 0; a < E; a++) {
    chol.push(L);
    Ks.push(K);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = params[n * D + i * E + a];
    beta.set(cholSolve(L, y), a * n);
  }
  const mm: MmModel = { n, D, E, X: X.data, iell2, sf2, beta, iK: Array.from({ length: E }, () => null) };
  return { policy, mm, ell, chol, K: Ks, gBeta: new Float64Array(E * n), gParams };
}

export interface PolicyCache {
  /** The input moments (for the RBF policy: in scaled coordinates). */
  m: Float64Array;
  s: Float64Array;
  mm?: MmCache;
  /** RBF: the returned V (in original coordinates). */
  V?: Float64Array;
}

/** Moments of the unsquashed policy output u~ for an input x ~ N(m, s). */
export function policyMoments(ctx: PolicyCtx, m: ArrayLike<number>, s: ArrayLike<number>): { out: MmOut; cache: PolicyCache } {
  const p = ctx.policy;
  const D = p.inputDim,
    E = p.actionDim;
  if (m.length !== D) throw new ShapeError(`policyMoments: input has length ${m.length}, the policy expects ${D}`);
  if (p.kind === "rbf") {
    // Scaled coordinates: m~ = m / ell, s~ = s / (ell ell^T); V = V~ / ell.
    const ell = ctx.ell!;
    const ms = new Float64Array(D);
    const ss = new Float64Array(D * D);
    for (let d = 0; d < D; d++) {
      ms[d] = m[d] / ell[d];
      for (let e = 0; e < D; e++) ss[d * D + e] = s[d * D + e] / (ell[d] * ell[e]);
    }
    const { out, cache } = momentMatch(ctx.mm!, ms, ss, true);
    for (let d = 0; d < D; d++) for (let a = 0; a < E; a++) out.V[d * E + a] /= ell[d];
    return { out, cache: { m: ms, s: ss, mm: cache, V: out.V.slice() } };
  }
  const A = p.params;
  const M = new Float64Array(E);
  const AS = new Float64Array(E * D);
  for (let a = 0; a < E; a++) {
    let v = A[E * D + a];
    for (let d = 0; d < D; d++) {
      v += A[a * D + d] * m[d];
      let w = 0;
      for (let k = 0; k < D; k++) w += A[a * D + k] * s[k * D + d];
      AS[a * D + d] = w;
    }
    M[a] = v;
  }
  const S = new Float64Array(E * E);
  for (let a = 0; a < E; a++)
    for (let b = 0; b < E; b++) {
      let v = 0;
      for (let d = 0; d < D; d++) v += AS[a * D + d] * A[b * D + d];
      S[a * E + b] = v;
    }
  const V = new Float64Array(D * E);
  for (let d = 0; d < D; d++) for (let a = 0; a < E; a++) V[d * E + a] = A[a * D + d];
  return { out: { M, S, V }, cache: { m: Float64Array.from(m), s: Float64Array.from(s) } };
}

/** Reverse mode through `policyMoments`: returns the input adjoints, accumulates parameter adjoints in ctx. */
export function policyBackward(
  ctx: PolicyCtx,
  cache: PolicyCache,
  Mb: ArrayLike<number>,
  Sb: ArrayLike<number>,
  Vb: ArrayLike<number>,
): { m: Float64Array; s: Float64Array } {
  const p = ctx.policy;
  const D = p.inputDim,
    E = p.actionDim;
  if (p.kind === "rbf") {
    const ell = ctx.ell!;
    const n = p.nBasis;
    const Vbs = new Float64Array(D * E);
    for (let d = 0; d < D; d++) for (let a = 0; a < E; a++) Vbs[d * E + a] = Vb[d * E + a] / ell[d];
    const g = momentMatchBackward(cache.mm!, Mb, Sb, Vbs);
    const gm = new Float64Array(D);
    const gs = new Float64Array(D * D);
    const gl = ctx.gParams.subarray(n * (D + E), n * (D + E) + D);
    for (let d = 0; d < D; d++) {
      gm[d] = g.m[d] / ell[d];
      gl[d] -= g.m[d] * cache.m[d];
      for (let e = 0; e < D; e++) {
        gs[d * D + e] = g.s[d * D + e] / (ell[d] * ell[e]);
        gl[d] -= g.s[d * D + e] * cache.s[d * D + e] + g.s[e * D + d] * cache.s[e * D + d];
      }
      for (let a = 0; a < E; a++) gl[d] -= Vb[d * E + a] * cache.V![d * E + a];
    }
    // Centre adjoints in scaled coordinates; finishPolicyGradient maps them to centres and length-scales.
    for (let k = 0; k < n * D; k++) ctx.gParams[k] += g.X![k];
    for (let k = 0; k < E * n; k++) ctx.gBeta![k] += g.beta![k];
    return { m: gm, s: gs };
  }
  const A = p.params,
    gA = ctx.gParams;
  const { m, s } = cache;
  const gm = new Float64Array(D);
  const gs = new Float64Array(D * D);
  for (let a = 0; a < E; a++) {
    gA[E * D + a] += Mb[a];
    for (let d = 0; d < D; d++) {
      gm[d] += A[a * D + d] * Mb[a];
      gA[a * D + d] += Mb[a] * m[d] + Vb[d * E + a];
    }
  }
  // S = A s A^T: gs = A^T Sb A, gA += (Sb + Sb^T) A s.
  for (let d = 0; d < D; d++)
    for (let e = 0; e < D; e++) {
      let v = 0;
      for (let a = 0; a < E; a++) for (let b = 0; b < E; b++) v += A[a * D + d] * Sb[a * E + b] * A[b * D + e];
      gs[d * D + e] = v;
    }
  for (let a = 0; a < E; a++)
    for (let d = 0; d < D; d++) {
      let v = 0;
      for (let b = 0; b < E; b++) {
        const sb = Sb[a * E + b] + Sb[b * E + a];
        for (let k = 0; k < D; k++) v += sb * A[b * D + k] * s[k * D + d];
      }
      gA[a * D + d] += v;
    }
  return { m: gm, s: gs };
}

/**
 * Finishes the parameter gradient of an RBF policy: carries the accumulated beta adjoints through
 * beta = (K + sn^2 I)^{-1} y to the targets y and (through K) to the centres. Returns ctx.gParams.
 */
export function finishPolicyGradient(ctx: PolicyCtx): Float64Array {
  const p = ctx.policy;
  if (p.kind === "linear") return ctx.gParams;
  const { nBasis: n, inputDim: D, actionDim: E } = p;
  const Xs = ctx.mm!.X; // scaled centres
  const ell = ctx.ell!;
  const g = ctx.gParams;
  // g[0 .. n D) holds adjoints of the scaled centres so far; add the path through beta and K.
  const K = ctx.K![0].data;
  for (let a = 0; a < E; a++) {
    const bb = ctx.gBeta!.subarray(a * n, (a + 1) * n);
    const ybar = cholSolve(ctx.chol![a], bb);
    for (let i = 0; i < n; i++) g[n * D + i * E + a] += ybar[i];
    // Kbar = -ybar beta^T; dK_ij/dx~_i = -K_ij (x~_i - x~_j) (unit length-scales).
    const beta = ctx.mm!.beta.subarray(a * n, (a + 1) * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const kb = -(ybar[i] * beta[j] + ybar[j] * beta[i]) * K[i * n + j];
        for (let d = 0; d < D; d++) g[i * D + d] -= kb * (Xs[i * D + d] - Xs[j * D + d]);
      }
  }
  // x~ = x / ell: dx~/dx = 1/ell, dx~/dlog ell = -x~.
  const gl = g.subarray(n * (D + E), n * (D + E) + D);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < D; d++) {
      const gx = g[i * D + d];
      gl[d] -= gx * Xs[i * D + d];
      g[i * D + d] = gx / ell[d];
    }
  ctx.gBeta!.fill(0);
  return g;
}

/** The unsquashed output u~(x) for one policy-input vector x. */
export function policyRaw(ctx: PolicyCtx, x: ArrayLike<number>): number[] {
  const p = ctx.policy;
  const D = p.inputDim,
    E = p.actionDim;
  const u: number[] = [];
  for (let a = 0; a < E; a++) {
    let v = 0;
    if (p.kind === "linear") {
      v = p.params[E * D + a];
      for (let d = 0; d < D; d++) v += p.params[a * D + d] * x[d];
    } else {
      const mm = ctx.mm!;
      const ell = ctx.ell!;
      for (let i = 0; i < mm.n; i++) {
        let q = 0;
        for (let d = 0; d < D; d++) {
          const r = x[d] / ell[d] - mm.X[i * D + d];
          q += r * r;
        }
        v += mm.sf2[a] * Math.exp(-0.5 * q) * mm.beta[a * mm.n + i];
      }
    }
    u.push(v);
  }
  return u;
}

/** The action for one policy-input vector x: squash(u~(x)), within [-u_max, u_max]. */
export function policyAction(ctx: PolicyCtx, x: ArrayLike<number>): number[] {
  return policyRaw(ctx, x).map((v, a) => squashValue(ctx.policy.squash[a], v));
}
