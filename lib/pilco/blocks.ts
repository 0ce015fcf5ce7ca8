/**
 * The small Gaussian blocks of PILCO's long-term prediction, each with its exact moments and a
 * reverse-mode derivative (adjoints of the outputs -> adjoints of the input mean and covariance):
 *
 *  - gTrig:  theta ~ N(mu, v)  ->  [sin theta, cos theta]   (angles into the plane)
 *  - gSin:   x ~ N(mu, v)      ->  sum_k w_k sin(k x)       (the squashing of the policy output:
 *            u_max sin x, or the reference code's u_max (9 sin x + sin 3x) / 8)
 *  - lossSat: x ~ N(m, S)      ->  E[1 - exp(-1/2 (x - z)^T W (x - z))]   (the saturating cost)
 *
 * All use E[sin(kx)] = exp(-k^2 v / 2) sin(k mu), E[cos(kx)] = exp(-k^2 v / 2) cos(k mu), and the
 * product formulas; the input-output covariance follows from Stein's lemma cov(x, f(x)) = v E[f'(x)].
 */
import { det, inv, mat } from "../linalg";
import type { MmOut } from "./momentMatch";

/** Moments of [sin theta, cos theta] for theta ~ N(mu, v). V = cov(theta, .)/v (1 x 2). */
export function gTrig(mu: number, v: number): MmOut {
  const e = Math.exp(-v / 2);
  const e4 = Math.exp(-2 * v);
  const sm = Math.sin(mu),
    cm = Math.cos(mu);
  const s2 = Math.sin(2 * mu),
    c2 = Math.cos(2 * mu);
  const M = Float64Array.of(e * sm, e * cm);
  const Ess = 0.5 * (1 - e4 * c2),
    Ecc = 0.5 * (1 + e4 * c2),
    Esc = 0.5 * e4 * s2;
  const S = Float64Array.of(Ess - M[0] * M[0], Esc - M[0] * M[1], Esc - M[0] * M[1], Ecc - M[1] * M[1]);
  const V = Float64Array.of(e * cm, -e * sm);
  return { M, S, V };
}

/** Adjoint of gTrig: returns [dmu, dv]. */
export function gTrigBackward(
  mu: number,
  v: number,
  Mb: ArrayLike<number>,
  Sb: ArrayLike<number>,
  Vb: ArrayLike<number>,
): [number, number] {
  const e = Math.exp(-v / 2);
  const e4 = Math.exp(-2 * v);
  const sm = Math.sin(mu),
    cm = Math.cos(mu);
  const s2 = Math.sin(2 * mu),
    c2 = Math.cos(2 * mu);
  const M0 = e * sm,
    M1 = e * cm;
  // S = E[yy^T] - M M^T.
  const m0b = Mb[0] - (2 * Sb[0] * M0 + (Sb[1] + Sb[2]) * M1);
  const m1b = Mb[1] - (2 * Sb[3] * M1 + (Sb[1] + Sb[2]) * M0);
  const escb = Sb[1] + Sb[2];
  let dmu = 0,
    dv = 0;
  // E[sin^2] = (1 - e4 c2)/2, E[cos^2] = (1 + e4 c2)/2, E[sc] = e4 s2 / 2.
  dmu += Sb[0] * e4 * s2 - Sb[3] * e4 * s2 + escb * e4 * c2;
  dv += Sb[0] * e4 * c2 - Sb[3] * e4 * c2 - escb * e4 * s2;
  // M = e [sin, cos].
  dmu += m0b * e * cm - m1b * e * sm;
  dv += -0.5 * (m0b * M0 + m1b * M1);
  // V = e [cos, -sin].
  dmu += Vb[0] * -e * sm + Vb[1] * -e * cm;
  dv += -0.5 * (Vb[0] * e * cm - Vb[1] * e * sm);
  return [dmu, dv];
}

/** Squashing sum_k w_k sin(k x): u_max sin x is {k: [1], w: [u_max]}. */
export interface SinSquash {
  k: readonly number[];
  w: readonly number[];
}

/** The reference code's squashing u_max (9 sin x + sin 3x) / 8 (flat near 0, saturating at +-u_max). */
export function squash93(uMax: number): SinSquash {
  return { k: [1, 3], w: [(9 * uMax) / 8, uMax / 8] };
}

/** The plain squashing u_max sin x. */
export function squashSin(uMax: number): SinSquash {
  return { k: [1], w: [uMax] };
}

/** Applies a squashing to a number (for running the policy on the real system). */
export function squashValue(q: SinSquash, x: number): number {
  let u = 0;
  for (let i = 0; i < q.k.length; i++) u += q.w[i] * Math.sin(q.k[i] * x);
  return u;
}

/** Moments of sum_k w_k sin(k x) for x ~ N(mu, v). V = cov(x, u)/v. */
export function gSin(q: SinSquash, mu: number, v: number): MmOut {
  const { k, w } = q;
  let M = 0,
    E2 = 0,
    V = 0;
  for (let i = 0; i < k.length; i++) {
    const ei = Math.exp((-k[i] * k[i] * v) / 2);
    M += w[i] * ei * Math.sin(k[i] * mu);
    V += w[i] * k[i] * ei * Math.cos(k[i] * mu);
    for (let j = 0; j < k.length; j++) {
      const dk = k[i] - k[j],
        sk = k[i] + k[j];
      E2 += 0.5 * w[i] * w[j] * (Math.exp((-dk * dk * v) / 2) * Math.cos(dk * mu) - Math.exp((-sk * sk * v) / 2) * Math.cos(sk * mu));
    }
  }
  return { M: Float64Array.of(M), S: Float64Array.of(E2 - M * M), V: Float64Array.of(V) };
}

/** Adjoint of gSin: returns [dmu, dv]. */
export function gSinBackward(q: SinSquash, mu: number, v: number, Mb: number, Sb: number, Vb: number): [number, number] {
  const { k, w } = q;
  let M = 0;
  for (let i = 0; i < k.length; i++) M += w[i] * Math.exp((-k[i] * k[i] * v) / 2) * Math.sin(k[i] * mu);
  const mb = Mb - 2 * Sb * M;
  let dmu = 0,
    dv = 0;
  for (let i = 0; i < k.length; i++) {
    const ki = k[i];
    const ei = Math.exp((-ki * ki * v) / 2);
    const s = Math.sin(ki * mu),
      c = Math.cos(ki * mu);
    dmu += mb * w[i] * ei * ki * c + Vb * w[i] * ki * ei * -ki * s;
    dv += mb * w[i] * ei * s * ((-ki * ki) / 2) + Vb * w[i] * ki * c * ei * ((-ki * ki) / 2);
    for (let j = 0; j < k.length; j++) {
      const dk = ki - k[j],
        sk = ki + k[j];
      const ed = Math.exp((-dk * dk * v) / 2),
        es = Math.exp((-sk * sk * v) / 2);
      const f = 0.5 * w[i] * w[j] * Sb;
      dmu += f * (-ed * dk * Math.sin(dk * mu) + es * sk * Math.sin(sk * mu));
      dv += f * (ed * ((-dk * dk) / 2) * Math.cos(dk * mu) - es * ((-sk * sk) / 2) * Math.cos(sk * mu));
    }
  }
  return [dmu, dv];
}

export interface LossSatResult {
  /** Expected cost. */
  L: number;
  /** dL/dm (d). */
  dm: Float64Array;
  /** dL/dS (d x d), symmetric. */
  dS: Float64Array;
}

/**
 * Expected saturating cost E[1 - exp(-1/2 (x - z)^T W (x - z))] for x ~ N(m, S) in closed form:
 * 1 - det(I + S W)^{-1/2} exp(-1/2 (m - z)^T W (I + S W)^{-1} (m - z)), with its derivatives.
 * W is d x d (PILCO: Q / width^2), all row-major.
 */
export function lossSat(m: ArrayLike<number>, S: ArrayLike<number>, W: ArrayLike<number>, z: ArrayLike<number>): LossSatResult {
  const d = m.length;
  const B = mat(d, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let v = i === j ? 1 : 0;
      for (let k = 0; k < d; k++) v += S[i * d + k] * W[k * d + j];
      B.data[i * d + j] = v;
    }
  const Bi = inv(B).data;
  // G = W (I + S W)^{-1}, symmetric in exact arithmetic.
  const G = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += W[i * d + k] * Bi[k * d + j];
      G[i * d + j] = v;
    }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (G[i * d + j] + G[j * d + i]);
      G[i * d + j] = v;
      G[j * d + i] = v;
    }
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = m[i] - z[i];
  const Gd = new Float64Array(d);
  let quad = 0;
  for (let i = 0; i < d; i++) {
    let v = 0;
    for (let k = 0; k < d; k++) v += G[i * d + k] * diff[k];
    Gd[i] = v;
    quad += v * diff[i];
  }
  const e = Math.exp(-0.5 * quad) / Math.sqrt(det(B));
  const dm = new Float64Array(d);
  const dS = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    dm[i] = e * Gd[i];
    for (let j = 0; j < d; j++) dS[i * d + j] = 0.5 * e * (G[i * d + j] - Gd[i] * Gd[j]);
  }
  return { L: 1 - e, dm, dS };
}
