/**
 * Trajectory sampling (lecture 002; Chua et al. 2018, PETS): how a probabilistic ensemble turns one
 * action sequence into a cloud of P predicted trajectories, the "particles".
 *
 * Each particle starts at the current state s0. At every step particle p moves to a sample of ONE
 * member's Gaussian, s_{t+1}^p ~ N(mu_b(s_t^p, a_t), Sigma_b(s_t^p, a_t)). Which member:
 *  - TS1:   a fresh uniformly random member b for every particle at every step. The particle mixes
 *           the members' opinions along its path.
 *  - TSinf: a member fixed per particle for the whole trajectory (the particles split evenly over the
 *           members). Each particle is then one plausible "world", which separates epistemic
 *           uncertainty (spread between members) from aleatoric (spread within one member).
 *  - expectation: no sampling at all: the next state is the mean over members of their means.
 *           Every particle is the same, so one particle suffices; it ignores all uncertainty.
 *
 * Everything works on flat row-major batches (lib/envs convention) through `ParticleDynamics`, which
 * wraps a learned ensemble (lib/models/ensemble.ts) or any other DynamicsModel (the true dynamics,
 * the oracle, as a single deterministic member).
 */
import { type Rng, ShapeError, ValueError, checkInt } from "../core";
import { type ParticleDynamics } from "../models/adapters";

// The particle view of a model is one of the models' adapters (lib/models/adapters.ts); re-exported here.
export { type ParticleDynamics, particleDynamics } from "../models/adapters";

export type Propagation = "TS1" | "TSinf" | "expectation";

export const PROPAGATIONS: readonly Propagation[] = ["TS1", "TSinf", "expectation"];

/** TS1's assignment for one step: a uniformly random member (from memberIds) for each of P particles. */
export function ts1Assignment(particles: number, memberIds: readonly number[], rng: Rng): Int32Array {
  checkInt("ts1Assignment: particles", particles);
  if (memberIds.length === 0) throw new ValueError("ts1Assignment: no members");
  const out = new Int32Array(particles);
  for (let p = 0; p < particles; p++) out[p] = memberIds[rng.int(memberIds.length)];
  return out;
}

/**
 * TSinf's assignment, drawn once per trajectory: the particles split as evenly as possible over the
 * members (P / M each, the remainder to random members), in random order.
 */
export function tsInfAssignment(particles: number, memberIds: readonly number[], rng: Rng): Int32Array {
  checkInt("tsInfAssignment: particles", particles);
  const M = memberIds.length;
  if (M === 0) throw new ValueError("tsInfAssignment: no members");
  const offset = rng.int(M);
  const order = rng.permutation(particles);
  const out = new Int32Array(particles);
  for (let p = 0; p < particles; p++) out[order[p]] = memberIds[(p + offset) % M];
  return out;
}

/**
 * One propagation step of n = N * P particles (flat, n x stateDim) under actions A (n x actionDim).
 * `fixed` holds each particle's member for TSinf (ignored otherwise). Returns the next states and the
 * member each particle used (-1 for expectation).
 */
export function propagateStep(
  dyn: ParticleDynamics,
  kind: Propagation,
  S: Float64Array,
  A: Float64Array,
  fixed: Int32Array | null,
  rng: Rng,
): { next: Float64Array; member: Int32Array } {
  const n = S.length / dyn.stateDim;
  if (!Number.isInteger(n) || A.length !== n * dyn.actionDim) {
    throw new ShapeError(`propagateStep: ${S.length} state numbers and ${A.length} action numbers do not make matching rows`);
  }
  if (kind === "expectation") return { next: dyn.expected(S, A), member: new Int32Array(n).fill(-1) };
  let member: Int32Array;
  if (kind === "TS1") member = ts1Assignment(n, dyn.memberIds, rng);
  else if (kind === "TSinf") {
    if (!fixed || fixed.length !== n) throw new ShapeError(`propagateStep: TSinf needs a member for each of the ${n} particles`);
    member = fixed;
  } else throw new ValueError(`propagateStep: unknown propagation "${String(kind)}" (use ${PROPAGATIONS.join(", ")})`);
  return { next: dyn.step(S, A, member, rng), member };
}

/**
 * Propagates P particles from s0 through one action sequence (H rows): returns the particles'
 * states [P][H + 1][stateDim] and the members used [H][P]. For pictures (the particle fan) and
 * tests; the planner propagates whole populations at once (planner.ts).
 */
export function propagateParticles(
  dyn: ParticleDynamics,
  kind: Propagation,
  s0: ArrayLike<number>,
  actions: readonly ArrayLike<number>[],
  particles: number,
  rng: Rng,
): { states: number[][][]; members: number[][] } {
  const P = checkInt("propagateParticles: particles", particles);
  const ds = dyn.stateDim,
    da = dyn.actionDim;
  if (s0.length !== ds) throw new ShapeError(`propagateParticles: s0 has length ${s0.length}, expected ${ds}`);
  let S = new Float64Array(P * ds);
  for (let p = 0; p < P; p++) for (let j = 0; j < ds; j++) S[p * ds + j] = s0[j];
  const fixed = kind === "TSinf" ? tsInfAssignment(P, dyn.memberIds, rng) : null;
  const states: number[][][] = Array.from({ length: P }, () => [Array.from(s0)]);
  const members: number[][] = [];
  for (const a of actions) {
    if (a.length !== da) throw new ShapeError(`propagateParticles: action of length ${a.length}, expected ${da}`);
    const A = new Float64Array(P * da);
    for (let p = 0; p < P; p++) for (let k = 0; k < da; k++) A[p * da + k] = a[k];
    const { next, member } = propagateStep(dyn, kind, S, A, fixed, rng);
    S = Float64Array.from(next);
    for (let p = 0; p < P; p++) states[p].push(Array.from(S.subarray(p * ds, (p + 1) * ds)));
    members.push(Array.from(member));
  }
  return { states, members };
}
