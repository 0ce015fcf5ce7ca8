/**
 * Exact moment matching through Gaussian processes with SE-ARD kernels at a Gaussian input
 * x ~ N(m, s) (Deisenroth's thesis, sec. 2.3; Quinonero-Candela et al. 2003; the reference code's
 * gp0 and gp2). For E independent GPs on shared training inputs X (n x D) it returns
 *
 *   M  (E)      the predictive mean E[f(x)],
 *   S  (E x E)  the full predictive covariance (with cross-covariances between outputs),
 *   V  (D x E)  s^{-1} cov(x, f(x)), so cov(z, f(x)) = cov(z, x) V for anything z jointly Gaussian with x.
 *
 * With `iK` per output (a GP with model uncertainty, "gp0") the variance includes the posterior
 * variance of f; without (a deterministic GP, "gp2": PILCO's RBF policy) only the spread of the mean.
 *
 * Derivatives: reverse mode. The forward pass already reduces all n^2 work into small sums
 * (D-vectors and D x D matrices per output pair), so the backward pass from adjoints (Mbar, Sbar,
 * Vbar) to (mbar, sbar) costs O(E^2 D^2 + E D^3). With `wantPoint` it also keeps per-point terms to
 * give the adjoints of the training inputs X and of beta (the policy's parameters).
 *
 * Notation (per output a): Lambda_a = diag(ell_a^2), nu_i = X_i - m, beta_a = (K_a + sn_a^2 I)^{-1} y_a,
 * q_i = exp(-1/2 nu_i^T (s + Lambda_a)^{-1} nu_i), c_a = sf_a^2 det(s Lambda_a^{-1} + I)^{-1/2},
 * M_a = c_a sum_i beta_ai q_i; for a pair (a, b): R = s (Lambda_a^{-1} + Lambda_b^{-1}) + I,
 * Q_ij = k_a(X_i, m) k_b(X_j, m) det(R)^{-1/2} exp(1/2 z_ij^T R^{-1} s z_ij), z_ij = Lambda_a^{-1} nu_i + Lambda_b^{-1} nu_j.
 */
import { ShapeError } from "../core/checks";
import { det, inv, mat } from "../linalg";
import type { Gp, MultiGp, SparseGpView } from "../models/gp";
import { gpInverse } from "../models/gp";

/** The numbers moment matching needs from E GPs on shared inputs. */
export interface MmModel {
  n: number;
  D: number;
  E: number;
  /** Training inputs, n x D row-major. */
  X: Float64Array;
  /** 1 / ell^2 per output, E x D. */
  iell2: Float64Array;
  /** Signal variances sf^2, length E. */
  sf2: Float64Array;
  /** beta per output, E x n. */
  beta: Float64Array;
  /** (K + sn^2 I)^{-1} per output (n x n), or null for a deterministic GP (no model uncertainty). */
  iK: (Float64Array | null)[];
}

/** Builds the moment-matching view of trained GPs (with model uncertainty). */
export function mmModelFromGps(model: MultiGp | Gp[]): MmModel {
  const gps = Array.isArray(model) ? model : model.gps;
  if (gps.length === 0) throw new ShapeError("mmModelFromGps: no GPs");
  const { n, D } = gps[0];
  const E = gps.length;
  const iell2 = new Float64Array(E * D);
  const sf2 = new Float64Array(E);
  const beta = new Float64Array(E * n);
  const iK: Float64Array[] = [];
  for (let e = 0; e < E; e++) {
    const g = gps[e];
    if (g.n !== n || g.D !== D || g.X.data !== gps[0].X.data && !sameData(g.X.data, gps[0].X.data)) {
      throw new ShapeError("mmModelFromGps: all GPs must share the same training inputs");
    }
    for (let d = 0; d < D; d++) iell2[e * D + d] = Math.exp(-2 * g.hyp[d]);
    sf2[e] = Math.exp(2 * g.hyp[D]);
    beta.set(g.beta, e * n);
    iK.push(gpInverse(g).data);
  }
  return { n, D, E, X: gps[0].X.data, iell2, sf2, beta, iK };
}

/** The moment-matching view of a sparse (FITC) GP: an exact-GP form on the M inducing inputs. */
export function mmModelFromSparse(view: SparseGpView): MmModel {
  const { Z, hyps, betas, iKs } = view;
  const n = Z.rows, D = Z.cols, E = hyps.length;
  const iell2 = new Float64Array(E * D);
  const sf2 = new Float64Array(E);
  const beta = new Float64Array(E * n);
  for (let e = 0; e < E; e++) {
    for (let d = 0; d < D; d++) iell2[e * D + d] = Math.exp(-2 * hyps[e][d]);
    sf2[e] = Math.exp(2 * hyps[e][D]);
    beta.set(betas[e], e * n);
  }
  return { n, D, E, X: Z.data, iell2, sf2, beta, iK: iKs.slice() };
}

function sameData(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface MmOut {
  M: Float64Array;
  /** E x E row-major. */
  S: Float64Array;
  /** D x E row-major: s^{-1} cov(x, f(x)). */
  V: Float64Array;
}

interface OutputCache {
  M: number;
  V: Float64Array; // D
  A: Float64Array; // (s + Lambda)^{-1}, D x D
  Mtt: Float64Array; // sum_i w_i tau_i tau_i^T
  T3: Float64Array; // sum_i w_i tau_i (x) tau_i (x) tau_i, D^3
  // per point (wantPoint only)
  w?: Float64Array; // c beta_i q_i
  cq?: Float64Array; // c q_i
  tau?: Float64Array; // n x D
}

interface PairCache {
  a: number;
  b: number;
  Gm: Float64Array; // d S_ab / d m
  Gs: Float64Array; // d S_ab / d s (D x D)
  // per point (wantPoint only)
  t?: number;
  T?: Float64Array; // R^{-1} s
  r?: Float64Array; // row sums of W o Q
  c?: Float64Array; // column sums
  Zb?: Float64Array; // (W o Q) zeta_b, n x D
  Za?: Float64Array; // (W o Q)^T zeta_a, n x D
  Qbb?: Float64Array; // Q beta_b
  QTba?: Float64Array; // Q^T beta_a
}

export interface MmCache {
  model: MmModel;
  outputs: OutputCache[];
  pairs: PairCache[];
  M: Float64Array;
  wantPoint: boolean;
  zeta: Float64Array[]; // per output, n x D (wantPoint only)
}

/**
 * Moment matching: the exact mean, covariance and input-output covariance of f(x), x ~ N(m, s).
 * Returns the outputs and a cache for `momentMatchBackward`.
 */
export function momentMatch(model: MmModel, m: ArrayLike<number>, s: ArrayLike<number>, wantPoint = false): { out: MmOut; cache: MmCache } {
  const { n, D, E, X, iell2, sf2, beta, iK } = model;
  if (m.length !== D) throw new ShapeError(`momentMatch: input mean has length ${m.length}, the GP has ${D} inputs`);
  if (s.length !== D * D) throw new ShapeError(`momentMatch: input covariance has ${s.length} entries, expected ${D * D}`);
  const nu = new Float64Array(n * D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) nu[i * D + d] = X[i * D + d] - m[d];

  const M = new Float64Array(E);
  const V = new Float64Array(D * E);
  const S = new Float64Array(E * E);
  const outputs: OutputCache[] = [];
  const zeta: Float64Array[] = [];
  const logk: Float64Array[] = [];
  const tau = new Float64Array(n * D);
  const sm = mat(D, D);

  // 1) Mean and input-output covariance, output by output.
  for (let a = 0; a < E; a++) {
    const il = iell2.subarray(a * D, (a + 1) * D);
    for (let k = 0; k < D * D; k++) sm.data[k] = s[k];
    for (let d = 0; d < D; d++) sm.data[d * D + d] += 1 / il[d];
    const A = inv(sm).data;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) sm.data[i * D + j] = s[i * D + j] * il[j] + (i === j ? 1 : 0);
    const c = sf2[a] / Math.sqrt(det(sm));
    const Vd = new Float64Array(D);
    const Mtt = new Float64Array(D * D);
    const T3 = new Float64Array(D * D * D);
    const w = new Float64Array(n);
    const cq = new Float64Array(n);
    const ba = beta.subarray(a * n, (a + 1) * n);
    let Ma = 0;
    const z = new Float64Array(n * D);
    const lk = new Float64Array(n);
    const lsf = Math.log(sf2[a]);
    for (let i = 0; i < n; i++) {
      let quad = 0;
      let quadL = 0;
      for (let d = 0; d < D; d++) {
        let v = 0;
        for (let e = 0; e < D; e++) v += A[d * D + e] * nu[i * D + e];
        tau[i * D + d] = v;
        quad += v * nu[i * D + d];
        const zz = nu[i * D + d] * il[d];
        z[i * D + d] = zz;
        quadL += zz * nu[i * D + d];
      }
      lk[i] = lsf - 0.5 * quadL;
      const qi = Math.exp(-0.5 * quad);
      cq[i] = c * qi;
      const wi = cq[i] * ba[i];
      w[i] = wi;
      Ma += wi;
      for (let d = 0; d < D; d++) {
        const td = wi * tau[i * D + d];
        Vd[d] += td;
        for (let e = 0; e < D; e++) {
          const tde = td * tau[i * D + e];
          Mtt[d * D + e] += tde;
          for (let f = 0; f < D; f++) T3[(d * D + e) * D + f] += tde * tau[i * D + f];
        }
      }
    }
    M[a] = Ma;
    for (let d = 0; d < D; d++) V[d * E + a] = Vd[d];
    const oc: OutputCache = { M: Ma, V: Vd, A, Mtt, T3 };
    if (wantPoint) { oc.w = w; oc.cq = cq; oc.tau = tau.slice(); }
    outputs.push(oc);
    zeta.push(z);
    logk.push(lk);
  }

  // 2) Predictive covariance, pair by pair (non-central second moments, then centred).
  const pairs: PairCache[] = [];
  const R = mat(D, D);
  const P = new Float64Array(D);
  const T = new Float64Array(D * D);
  const U = new Float64Array(n * D);
  const ea = new Float64Array(n);
  const eb = new Float64Array(n);
  const bufX = new Float64Array(n);
  const bufW = new Float64Array(n);
  const zbT = new Float64Array(D * n);
  const zaT = new Float64Array(D * n);
  for (let a = 0; a < E; a++) {
    for (let b = 0; b <= a; b++) {
      for (let d = 0; d < D; d++) P[d] = iell2[a * D + d] + iell2[b * D + d];
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) R.data[i * D + j] = s[i * D + j] * P[j] + (i === j ? 1 : 0);
      const t = 1 / Math.sqrt(det(R));
      const Ri = inv(R).data;
      // T = R^{-1} s (symmetric in exact arithmetic; symmetrised here).
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
        let v = 0;
        for (let k = 0; k < D; k++) v += Ri[i * D + k] * s[k * D + j];
        T[i * D + j] = v;
      }
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) {
        const v = 0.5 * (T[i * D + j] + T[j * D + i]);
        T[i * D + j] = v; T[j * D + i] = v;
      }
      const za = zeta[a], zb = zeta[b];
      for (let i = 0; i < n; i++) {
        let qa = 0;
        for (let d = 0; d < D; d++) {
          let v = 0;
          for (let e = 0; e < D; e++) v += za[i * D + e] * T[e * D + d];
          U[i * D + d] = v;
          qa += v * za[i * D + d];
        }
        ea[i] = logk[a][i] + 0.5 * qa;
        if (a !== b) {
          let qb = 0;
          for (let d = 0; d < D; d++) {
            let v = 0;
            for (let e = 0; e < D; e++) v += zb[i * D + e] * T[e * D + d];
            qb += v * zb[i * D + d];
          }
          eb[i] = logk[b][i] + 0.5 * qb;
        }
      }
      const ba = beta.subarray(a * n, (a + 1) * n);
      const bb = beta.subarray(b * n, (b + 1) * n);
      const iKa = a === b ? iK[a] : null;
      const sym = a === b;
      const ebv = sym ? ea : eb;
      // Transposed copies (D x n) so that the inner loops over j run over contiguous memory.
      for (let j = 0; j < n; j++) for (let d = 0; d < D; d++) zbT[d * n + j] = zb[j * D + d];
      if (!sym && wantPoint) for (let j = 0; j < n; j++) for (let d = 0; d < D; d++) zaT[d * n + j] = za[j * D + d];
      const r = new Float64Array(n);
      const c = sym ? r : new Float64Array(n);
      const ZbT = new Float64Array(D * n);
      const ZaT = sym ? ZbT : wantPoint ? new Float64Array(D * n) : null;
      const Qbb = wantPoint ? new Float64Array(n) : null;
      const QTba = wantPoint ? (sym ? Qbb : new Float64Array(n)) : null;
      let sumWQ = 0;
      for (let i = 0; i < n; i++) {
        // Row i of Q and W o Q, over j < n (j <= i when Q and W are symmetric).
        const len = sym ? i + 1 : n;
        const eai = ea[i];
        for (let j = 0; j < len; j++) bufX[j] = eai + ebv[j];
        for (let d = 0; d < D; d++) {
          const u = U[i * D + d];
          const off = d * n;
          for (let j = 0; j < len; j++) bufX[j] += u * zbT[off + j];
        }
        const bai = ba[i];
        let ri = 0;
        if (iKa) {
          const row = i * n;
          for (let j = 0; j < len; j++) {
            const q = Math.exp(bufX[j]);
            bufX[j] = q;
            const wq = (bai * bb[j] - iKa[row + j]) * q;
            bufW[j] = wq;
            ri += wq;
          }
        } else {
          for (let j = 0; j < len; j++) {
            const q = Math.exp(bufX[j]);
            bufX[j] = q;
            const wq = bai * bb[j] * q;
            bufW[j] = wq;
            ri += wq;
          }
        }
        if (Qbb && QTba) {
          let qb = 0;
          for (let j = 0; j < len; j++) { qb += bufX[j] * bb[j]; }
          Qbb[i] += qb;
          if (sym) { for (let j = 0; j < i; j++) Qbb[j] += bufX[j] * bai; }
          else { for (let j = 0; j < n; j++) QTba[j] += bufX[j] * bai; }
        }
        // Zb_i += sum_j WQ_ij zb_j.
        for (let d = 0; d < D; d++) {
          const off = d * n;
          let acc = 0;
          for (let j = 0; j < len; j++) acc += bufW[j] * zbT[off + j];
          ZbT[off + i] += acc;
        }
        if (sym) {
          // The mirrored entries (j, i) for j < i.
          const wii = bufW[i];
          r[i] += ri;
          sumWQ += 2 * ri - wii;
          for (let j = 0; j < i; j++) r[j] += bufW[j];
          for (let d = 0; d < D; d++) {
            const off = d * n;
            const zi = za[i * D + d];
            for (let j = 0; j < i; j++) ZbT[off + j] += bufW[j] * zi;
          }
        } else {
          r[i] = ri;
          sumWQ += ri;
          for (let j = 0; j < n; j++) c[j] += bufW[j];
          if (ZaT) {
            for (let d = 0; d < D; d++) {
              const off = d * n;
              const zi = za[i * D + d];
              for (let j = 0; j < n; j++) ZaT[off + j] += bufW[j] * zi;
            }
          }
        }
      }
      const Zb = new Float64Array(n * D);
      for (let j = 0; j < n; j++) for (let d = 0; d < D; d++) Zb[j * D + d] = ZbT[d * n + j];
      let Za: Float64Array | null = null;
      if (ZaT) {
        Za = sym ? Zb : new Float64Array(n * D);
        if (!sym) for (let j = 0; j < n; j++) for (let d = 0; d < D; d++) Za[j * D + d] = ZaT[d * n + j];
      }
      const Sab = t * sumWQ + (a === b && iK[a] ? sf2[a] : 0) - M[a] * M[b];
      S[a * E + b] = Sab;
      S[b * E + a] = Sab;

      // Derivative pieces: dS_ab/dm = t R^{-T} (sum_i r_i za_i + sum_j c_j zb_j);
      // dS_ab/ds = -1/2 t sumWQ R^{-T} P + 1/2 t R^{-T} C R^{-1}, C = sum_ij WQ_ij z_ij z_ij^T.
      const rc = new Float64Array(D);
      const C = new Float64Array(D * D);
      for (let i = 0; i < n; i++) {
        const ri = r[i], ci = c[i];
        for (let d = 0; d < D; d++) {
          const zad = za[i * D + d], zbd = zb[i * D + d];
          rc[d] += ri * zad + (a === b ? 0 : ci * zbd);
          for (let e = 0; e < D; e++) {
            // Caa + Cbb + Cab + Cab^T with Cab = za^T Zb.
            C[d * D + e] += ri * zad * za[i * D + e] + zad * Zb[i * D + e] + Zb[i * D + d] * za[i * D + e];
            if (a !== b) C[d * D + e] += ci * zbd * zb[i * D + e];
          }
        }
      }
      if (a === b) {
        // For a = b: Caa + Cbb = 2 Caa; the loop added Caa once, add it again.
        for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) for (let e = 0; e < D; e++) C[d * D + e] += r[i] * za[i * D + d] * za[i * D + e];
        for (let d = 0; d < D; d++) rc[d] *= 2;
      }
      const Gm = new Float64Array(D);
      for (let d = 0; d < D; d++) {
        let v = 0;
        for (let e = 0; e < D; e++) v += Ri[e * D + d] * rc[e]; // R^{-T} rc
        Gm[d] = t * v;
      }
      const RtC = new Float64Array(D * D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
        let v = 0;
        for (let k = 0; k < D; k++) v += Ri[k * D + i] * C[k * D + j];
        RtC[i * D + j] = v;
      }
      const Gs = new Float64Array(D * D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
        let v = 0;
        for (let k = 0; k < D; k++) v += RtC[i * D + k] * Ri[k * D + j];
        Gs[i * D + j] = 0.5 * t * v - 0.5 * t * sumWQ * Ri[j * D + i] * P[j];
      }
      const pc: PairCache = { a, b, Gm, Gs };
      if (wantPoint) {
        pc.t = t; pc.T = T.slice(); pc.r = r; pc.c = c; pc.Zb = Zb; pc.Za = Za ?? undefined;
        pc.Qbb = Qbb ?? undefined; pc.QTba = QTba ?? undefined;
      }
      pairs.push(pc);
    }
  }
  return { out: { M, S, V }, cache: { model, outputs, pairs, M, wantPoint, zeta: wantPoint ? zeta : [] } };
}

export interface MmGrad {
  /** d/dm (D). */
  m: Float64Array;
  /** d/ds (D x D), symmetrised. */
  s: Float64Array;
  /** d/dX (n x D), with wantPoint. */
  X?: Float64Array;
  /** d/dbeta (E x n), with wantPoint (only for deterministic GPs: no trace term is differentiated). */
  beta?: Float64Array;
}

/** Reverse-mode derivative of `momentMatch`: from adjoints of (M, S, V) to adjoints of (m, s[, X, beta]). */
export function momentMatchBackward(cache: MmCache, Mbar: ArrayLike<number>, Sbar: ArrayLike<number>, Vbar: ArrayLike<number>): MmGrad {
  const { model, outputs, pairs, M, wantPoint } = cache;
  const { n, D, E, iell2 } = model;
  const gm = new Float64Array(D);
  const gs = new Float64Array(D * D);
  const gX = wantPoint ? new Float64Array(n * D) : undefined;
  const gb = wantPoint ? new Float64Array(E * n) : undefined;
  // S = Sraw - M M^T.
  const Mb = Float64Array.from(Mbar);
  for (let a = 0; a < E; a++) for (let b = 0; b < E; b++) Mb[a] -= (Sbar[a * E + b] + Sbar[b * E + a]) * M[b];

  // Pairs.
  const tmp = new Float64Array(D);
  for (const pc of pairs) {
    const { a, b } = pc;
    const g = a === b ? Sbar[a * E + a] : Sbar[a * E + b] + Sbar[b * E + a];
    if (g === 0) continue;
    for (let d = 0; d < D; d++) gm[d] += g * pc.Gm[d];
    for (let k = 0; k < D * D; k++) gs[k] += g * pc.Gs[k];
    if (wantPoint && gX && gb) {
      const t = pc.t!, T = pc.T!, za = cache.zeta[a], zb = cache.zeta[b];
      const ila = iell2.subarray(a * D, (a + 1) * D), ilb = iell2.subarray(b * D, (b + 1) * D);
      const gt = g * t;
      // As point "i" of output a and as point "j" of output b.
      const roles: [Float64Array, Float64Array, Float64Array, Float64Array][] =
        a === b ? [[pc.r!, za, ila, pc.Zb!]] : [[pc.r!, za, ila, pc.Zb!], [pc.c!, zb, ilb, pc.Za!]];
      const mult = a === b ? 2 : 1; // for a = b both roles coincide
      for (const [rr, zz, il, Z] of roles) {
        for (let i = 0; i < n; i++) {
          // nubar_i += gt [ r_i (-z_i + L^{-1} T z_i) + L^{-1} T Z_i ]
          for (let d = 0; d < D; d++) {
            let v1 = 0, v2 = 0;
            for (let e = 0; e < D; e++) { v1 += T[d * D + e] * zz[i * D + e]; v2 += T[d * D + e] * Z[i * D + e]; }
            tmp[d] = rr[i] * (-zz[i * D + d] + il[d] * v1) + il[d] * v2;
          }
          for (let d = 0; d < D; d++) gX[i * D + d] += mult * gt * tmp[d];
        }
      }
      // beta adjoints (W = beta_a beta_b^T; the deterministic GP has no trace term).
      if (a === b) {
        for (let i = 0; i < n; i++) gb[a * n + i] += 2 * gt * pc.Qbb![i];
      } else {
        for (let i = 0; i < n; i++) { gb[a * n + i] += gt * pc.Qbb![i]; gb[b * n + i] += gt * pc.QTba![i]; }
      }
    }
  }

  // Means and input-output covariances.
  for (let a = 0; a < E; a++) {
    const oc = outputs[a];
    const { A, Mtt, T3, V } = oc;
    const mb = Mb[a];
    const vb = new Float64Array(D);
    for (let d = 0; d < D; d++) vb[d] = Vbar[d * E + a];
    const Avb = new Float64Array(D);
    let vbV = 0;
    for (let d = 0; d < D; d++) {
      let v = 0;
      for (let e = 0; e < D; e++) v += A[d * D + e] * vb[e];
      Avb[d] = v;
      vbV += vb[d] * V[d];
    }
    for (let d = 0; d < D; d++) {
      let v = mb * V[d] - oc.M * Avb[d];
      for (let e = 0; e < D; e++) v += Mtt[d * D + e] * vb[e];
      gm[d] += v;
    }
    const sw = mb * oc.M + vbV; // sum_i w_i h_i
    for (let d = 0; d < D; d++) for (let e = 0; e < D; e++) {
      let t3 = 0;
      for (let f = 0; f < D; f++) t3 += T3[(f * D + d) * D + e] * vb[f];
      gs[d * D + e] += -0.5 * A[d * D + e] * sw + 0.5 * (mb * Mtt[d * D + e] + t3) - Avb[d] * V[e];
    }
    if (wantPoint && gX && gb) {
      const w = oc.w!, cq = oc.cq!, tau = oc.tau!;
      for (let i = 0; i < n; i++) {
        let h = mb;
        for (let d = 0; d < D; d++) h += vb[d] * tau[i * D + d];
        for (let d = 0; d < D; d++) gX[i * D + d] += -w[i] * h * tau[i * D + d] + w[i] * Avb[d];
        gb[a * n + i] += cq[i] * h;
      }
    }
  }
  // Symmetrise the covariance adjoint (only symmetric perturbations are meaningful).
  for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) {
    const v = 0.5 * (gs[i * D + j] + gs[j * D + i]);
    gs[i * D + j] = v; gs[j * D + i] = v;
  }
  const res: MmGrad = { m: gm, s: gs };
  if (gX) res.X = gX;
  if (gb) res.beta = gb;
  return res;
}
