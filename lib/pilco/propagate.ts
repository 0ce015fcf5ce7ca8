/**
 * PILCO's long-term prediction (the reference code's propagated.m / value.m) and the analytic
 * gradient of the summed expected cost with respect to the policy parameters.
 *
 * One step maps the state distribution N(m_t, S_t) to N(m_{t+1}, S_{t+1}):
 *   1. augment the state with [sin, cos] of every angle (gTrig),
 *   2. the policy on its inputs `poli` gives u~, the squashing gives u (moment matched),
 *   3. the dynamics GPs on `dyni` and u give the change Delta (moment matched, gp0),
 *   4. x_{t+1} = x_t + Delta, with cov(x_t, Delta) from the input-output covariance.
 * Every block appends its outputs to a joint Gaussian over [x, sin, cos, u~, u, Delta]; the
 * cross-covariance of the new entries with everything already there is cov(z, x_in) V, exact for
 * jointly Gaussian z (the reference code's fillIn). The gradient is reverse mode over a tape of
 * these appends, from the expected saturating cost of every predicted state back to the policy.
 */
import { ShapeError } from "../core/checks";
import { gSin, gSinBackward, gTrig, gTrigBackward, lossSat } from "./blocks";
import { momentMatch, momentMatchBackward, type MmModel, type MmOut } from "./momentMatch";
import { finishPolicyGradient, policyBackward, policyMoments, preparePolicy, type Policy, type PolicyCtx } from "./policy";

/** Which state entries are angles and which (augmented) entries feed the policy and the dynamics GP. */
export interface PilcoPlant {
  /** Dimension of the raw state. */
  stateDim: number;
  /** Indices of angles in the state (each gets [sin, cos] appended, in this order). */
  angi: number[];
  /** Policy inputs: indices into the augmented state [x, sin/cos of each angle]. */
  poli: number[];
  /** Dynamics-GP inputs (before the actions, which are appended): indices into the augmented state. */
  dyni: number[];
}

/** The saturating cost 1 - exp(-|Q^{1/2}(y - target)|^2 / (2 width^2)) on entries `idx` of the augmented state. */
export interface PilcoCost {
  idx: number[];
  /** |idx| x |idx| row-major. */
  Q: number[];
  target: number[];
  width: number;
}

/** A joint Gaussian over a growing vector. */
interface Joint {
  m: Float64Array;
  S: Float64Array;
  n: number;
}

type BlockBackward = (Mb: Float64Array, Sb: Float64Array, Vb: Float64Array) => { m: ArrayLike<number>; s: ArrayLike<number> };

interface TapeEntry {
  idx: number[];
  nz: number;
  e: number;
  V: Float64Array;
  /** Columns S[:, idx] of the joint before the append (nz x |idx|). */
  Scols: Float64Array;
  back: BlockBackward;
}

function joint(m: ArrayLike<number>, S: ArrayLike<number>): Joint {
  return { m: Float64Array.from(m), S: Float64Array.from(S), n: m.length };
}

function subMoments(z: Joint, idx: number[]): { m: Float64Array; s: Float64Array } {
  const k = idx.length;
  const m = new Float64Array(k);
  const s = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    m[i] = z.m[idx[i]];
    for (let j = 0; j < k; j++) s[i * k + j] = z.S[idx[i] * z.n + idx[j]];
  }
  return { m, s };
}

/** Appends a block's outputs (moments `out` of f(z[idx])) to the joint; records the tape entry. */
function append(z: Joint, idx: number[], out: MmOut, back: BlockBackward, tape: TapeEntry[] | null): Joint {
  const nz = z.n,
    k = idx.length,
    e = out.M.length,
    n = nz + e;
  const m = new Float64Array(n);
  const S = new Float64Array(n * n);
  m.set(z.m);
  m.set(out.M, nz);
  for (let i = 0; i < nz; i++) S.set(z.S.subarray(i * nz, (i + 1) * nz), i * n);
  const Scols = new Float64Array(nz * k);
  for (let i = 0; i < nz; i++) for (let j = 0; j < k; j++) Scols[i * k + j] = z.S[i * nz + idx[j]];
  for (let i = 0; i < nz; i++)
    for (let a = 0; a < e; a++) {
      let v = 0;
      for (let j = 0; j < k; j++) v += Scols[i * k + j] * out.V[j * e + a];
      S[i * n + nz + a] = v;
      S[(nz + a) * n + i] = v;
    }
  for (let a = 0; a < e; a++) for (let b = 0; b < e; b++) S[(nz + a) * n + nz + b] = 0.5 * (out.S[a * e + b] + out.S[b * e + a]);
  tape?.push({ idx, nz, e, V: out.V, Scols, back });
  return { m, S, n };
}

/** Reverse of `append`: adjoints of the bigger joint -> adjoints of the smaller one (block backward included). */
function appendBackward(t: TapeEntry, mb: Float64Array, Sb: Float64Array): { mb: Float64Array; Sb: Float64Array } {
  const { idx, nz, e, V, Scols } = t;
  const k = idx.length,
    n = nz + e;
  const mbo = mb.slice(0, nz);
  const Sbo = new Float64Array(nz * nz);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nz; j++) Sbo[i * nz + j] = Sb[i * n + j];
  const Mb = mb.slice(nz);
  const SbB = new Float64Array(e * e);
  for (let a = 0; a < e; a++) for (let b = 0; b < e; b++) SbB[a * e + b] = Sb[(nz + a) * n + nz + b];
  // Cross block X = Scols V (nz x e), used in both off-diagonal blocks.
  const Xb = new Float64Array(nz * e);
  for (let i = 0; i < nz; i++) for (let a = 0; a < e; a++) Xb[i * e + a] = Sb[i * n + nz + a] + Sb[(nz + a) * n + i];
  const Vb = new Float64Array(k * e);
  for (let j = 0; j < k; j++)
    for (let a = 0; a < e; a++) {
      let v = 0;
      for (let i = 0; i < nz; i++) v += Scols[i * k + j] * Xb[i * e + a];
      Vb[j * e + a] = v;
    }
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < k; j++) {
      let v = 0;
      for (let a = 0; a < e; a++) v += Xb[i * e + a] * V[j * e + a];
      Sbo[i * nz + idx[j]] += v;
    }
  const g = t.back(Mb, SbB, Vb);
  for (let i = 0; i < k; i++) {
    mbo[idx[i]] += g.m[i];
    for (let j = 0; j < k; j++) Sbo[idx[i] * nz + idx[j]] += g.s[i * k + j];
  }
  return { mb: mbo, Sb: Sbo };
}

/** Appends [sin, cos] of every angle in `angi` (trig moment matching, one angle at a time). */
function augmentTrig(z: Joint, angi: number[], tape: TapeEntry[] | null): Joint {
  for (const a of angi) {
    const mu = z.m[a],
      v = z.S[a * z.n + a];
    z = append(
      z,
      [a],
      gTrig(mu, v),
      (Mb, Sb, Vb) => {
        const [dmu, dv] = gTrigBackward(mu, v, Mb, Sb, Vb);
        return { m: [dmu], s: [dv] };
      },
      tape,
    );
  }
  return z;
}

export interface PilcoModel {
  plant: PilcoPlant;
  /** Moment-matching view of the dynamics GPs (inputs: dyni then actions; outputs: state changes). */
  dyn: MmModel;
}

/** One prediction step; with a tape, records what the backward pass needs. Returns the next state. */
function stepForward(
  model: PilcoModel,
  pctx: PolicyCtx,
  m: Float64Array,
  S: Float64Array,
  tape: TapeEntry[] | null,
): { m: Float64Array; S: Float64Array; nz: number } {
  const { plant, dyn } = model;
  const D0 = plant.stateDim;
  let z = joint(m, S);
  z = augmentTrig(z, plant.angi, tape);
  // Policy (unsquashed), then the squashing of each action.
  const pin = subMoments(z, plant.poli);
  const pol = policyMoments(pctx, pin.m, pin.s);
  z = append(z, plant.poli, pol.out, (Mb, Sb, Vb) => policyBackward(pctx, pol.cache, Mb, Sb, Vb), tape);
  const E = pctx.policy.actionDim;
  const uIdx: number[] = [];
  const uTilde0 = z.n - E;
  for (let a = 0; a < E; a++) {
    const j = uTilde0 + a;
    const mu = z.m[j],
      v = z.S[j * z.n + j];
    const q = pctx.policy.squash[a];
    z = append(
      z,
      [j],
      gSin(q, mu, v),
      (Mb, Sb, Vb) => {
        const [dmu, dv] = gSinBackward(q, mu, v, Mb[0], Sb[0], Vb[0]);
        return { m: [dmu], s: [dv] };
      },
      tape,
    );
    uIdx.push(z.n - 1);
  }
  // Dynamics GPs on [dyni, u].
  const din = plant.dyni.concat(uIdx);
  if (din.length !== dyn.D) throw new ShapeError(`propagate: the dynamics GP has ${dyn.D} inputs, the plant gives ${din.length}`);
  const dm = subMoments(z, din);
  const mmr = momentMatch(dyn, dm.m, dm.s);
  z = append(z, din, mmr.out, (Mb, Sb, Vb) => momentMatchBackward(mmr.cache, Mb, Sb, Vb), tape);
  // x_{t+1} = x_t + Delta.
  const base = z.n - D0;
  const mn = new Float64Array(D0);
  const Sn = new Float64Array(D0 * D0);
  for (let i = 0; i < D0; i++) {
    mn[i] = z.m[i] + z.m[base + i];
    for (let j = 0; j < D0; j++) {
      Sn[i * D0 + j] = z.S[i * z.n + j] + z.S[(base + i) * z.n + base + j] + z.S[i * z.n + base + j] + z.S[(base + i) * z.n + j];
    }
  }
  for (let i = 0; i < D0; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (Sn[i * D0 + j] + Sn[j * D0 + i]);
      Sn[i * D0 + j] = v;
      Sn[j * D0 + i] = v;
    }
  return { m: mn, S: Sn, nz: z.n };
}

/** Reverse of one step: adjoints of (m_{t+1}, S_{t+1}) -> adjoints of (m_t, S_t); policy adjoints accumulate. */
function stepBackward(
  D0: number,
  nz: number,
  tape: TapeEntry[],
  mb: Float64Array,
  Sb: Float64Array,
): { mb: Float64Array; Sb: Float64Array } {
  const base = nz - D0;
  let zmb: Float64Array = new Float64Array(nz);
  let zSb: Float64Array = new Float64Array(nz * nz);
  for (let i = 0; i < D0; i++) {
    zmb[i] += mb[i];
    zmb[base + i] += mb[i];
    for (let j = 0; j < D0; j++) {
      const g = Sb[i * D0 + j];
      zSb[i * nz + j] += g;
      zSb[(base + i) * nz + base + j] += g;
      zSb[i * nz + base + j] += g;
      zSb[(base + i) * nz + j] += g;
    }
  }
  for (let k = tape.length - 1; k >= 0; k--) {
    const r = appendBackward(tape[k], zmb, zSb);
    zmb = r.mb;
    zSb = r.Sb;
  }
  return { mb: zmb, Sb: zSb };
}

/** Expected cost of a state distribution and its derivatives (trig augmentation included). */
export function expectedCost(
  plant: PilcoPlant,
  cost: PilcoCost,
  m: ArrayLike<number>,
  S: ArrayLike<number>,
): { L: number; dm: Float64Array; dS: Float64Array } {
  const tape: TapeEntry[] = [];
  const z = augmentTrig(joint(m, S), plant.angi, tape);
  const k = cost.idx.length;
  const sub = subMoments(z, cost.idx);
  const w2 = cost.width * cost.width;
  const W = cost.Q.map((q) => q / w2);
  const ls = lossSat(sub.m, sub.s, W, cost.target);
  let mb: Float64Array = new Float64Array(z.n);
  let Sb: Float64Array = new Float64Array(z.n * z.n);
  for (let i = 0; i < k; i++) {
    mb[cost.idx[i]] += ls.dm[i];
    for (let j = 0; j < k; j++) Sb[cost.idx[i] * z.n + cost.idx[j]] += ls.dS[i * k + j];
  }
  for (let t = tape.length - 1; t >= 0; t--) {
    const r = appendBackward(tape[t], mb, Sb);
    mb = r.mb;
    Sb = r.Sb;
  }
  return { L: ls.L, dm: mb, dS: symmetrise(Sb, plant.stateDim) };
}

function symmetrise(S: Float64Array, D: number): Float64Array {
  for (let i = 0; i < D; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (S[i * D + j] + S[j * D + i]);
      S[i * D + j] = v;
      S[j * D + i] = v;
    }
  return S;
}

export interface Prediction {
  /** Means m_0..m_H (H + 1 rows of stateDim). */
  means: Float64Array[];
  /** Covariances S_0..S_H (row-major). */
  covs: Float64Array[];
  /** Expected cost of m_1..m_H (H entries). */
  costs: number[];
  /** Sum of `costs`: the objective PILCO minimises. */
  total: number;
}

/** Long-term prediction over H steps from N(m0, S0) under `policy`; optional gradient of the summed expected cost. */
export function propagate(
  model: PilcoModel,
  policy: Policy,
  cost: PilcoCost,
  m0: ArrayLike<number>,
  S0: ArrayLike<number>,
  H: number,
  wantGrad = false,
): Prediction & { grad?: Float64Array } {
  const D0 = model.plant.stateDim;
  if (m0.length !== D0 || S0.length !== D0 * D0)
    throw new ShapeError(`propagate: initial state must have ${D0} entries and a ${D0}x${D0} covariance`);
  const pctx = preparePolicy(policy);
  const means: Float64Array[] = [Float64Array.from(m0)];
  const covs: Float64Array[] = [Float64Array.from(S0)];
  const costs: number[] = [];
  const tapes: { tape: TapeEntry[]; nz: number }[] = [];
  const costGrads: { dm: Float64Array; dS: Float64Array }[] = [];
  let m: Float64Array = means[0],
    S: Float64Array = covs[0];
  for (let t = 0; t < H; t++) {
    const tape: TapeEntry[] | null = wantGrad ? [] : null;
    const r = stepForward(model, pctx, m, S, tape);
    m = r.m;
    S = r.S;
    means.push(m);
    covs.push(S);
    const c = expectedCost(model.plant, cost, m, S);
    costs.push(c.L);
    if (wantGrad) {
      tapes.push({ tape: tape!, nz: r.nz });
      costGrads.push({ dm: c.dm, dS: c.dS });
    }
  }
  const total = costs.reduce((a, b) => a + b, 0);
  if (!wantGrad) return { means, covs, costs, total };
  let mb: Float64Array = new Float64Array(D0);
  let Sb: Float64Array = new Float64Array(D0 * D0);
  for (let t = H - 1; t >= 0; t--) {
    for (let i = 0; i < D0; i++) mb[i] += costGrads[t].dm[i];
    for (let i = 0; i < D0 * D0; i++) Sb[i] += costGrads[t].dS[i];
    const r = stepBackward(D0, tapes[t].nz, tapes[t].tape, mb, Sb);
    // After the whole tape the joint has shrunk back to x_t itself.
    mb = r.mb;
    Sb = r.Sb;
  }
  const grad = finishPolicyGradient(pctx).slice();
  return { means, covs, costs, total, grad };
}

/**
 * Moments of the (squashed) action for a state x ~ N(m, S): the mean and covariance of u and
 * cov(x, u) (stateDim x actionDim), through the trig augmentation, the policy and the squashing.
 */
export function controlMoments(
  plant: PilcoPlant,
  policy: Policy,
  m: ArrayLike<number>,
  S: ArrayLike<number>,
): { M: Float64Array; S: Float64Array; C: Float64Array } {
  const pctx = preparePolicy(policy);
  let z = augmentTrig(joint(m, S), plant.angi, null);
  const pin = subMoments(z, plant.poli);
  const none: BlockBackward = () => {
    throw new Error("controlMoments: no derivatives");
  };
  z = append(z, plant.poli, policyMoments(pctx, pin.m, pin.s).out, none, null);
  const E = policy.actionDim,
    start = z.n - E;
  for (let a = 0; a < E; a++) {
    const j = start + a;
    z = append(z, [j], gSin(policy.squash[a], z.m[j], z.S[j * z.n + j]), none, null);
  }
  const D0 = plant.stateDim,
    n = z.n,
    u0 = n - E;
  const M = z.m.slice(u0);
  const Su = new Float64Array(E * E);
  const C = new Float64Array(D0 * E);
  for (let a = 0; a < E; a++) {
    for (let b = 0; b < E; b++) Su[a * E + b] = z.S[(u0 + a) * n + u0 + b];
    for (let i = 0; i < D0; i++) C[i * E + a] = z.S[i * n + u0 + a];
  }
  return { M, S: Su, C };
}
