/**
 * KL-constrained trajectory optimisation with local models (lecture 004, "DGD with iterative LQR"):
 *
 *   min_p E_p[ sum_t c(x_t, u_t) ]  s.t.  D_KL(p(tau) || p_bar(tau)) <= epsilon.
 *
 * For a fixed dual variable eta the Lagrangian is minimised by the maximum-entropy LQR solution of the
 * surrogate cost  c~ = c / eta - log p_bar(u | x)  (Sigma = Q~_uu^-1). Dual gradient ascent then
 * moves eta by the constraint violation D_KL - epsilon until the KL is within 10 % of epsilon.
 */
import { ValueError } from "../core/checks";
import { Mat, NotPositiveDefiniteError, cholInverse, cholesky, mat, matvec } from "../linalg";
import { LinearGaussianController, linearGaussianController } from "../control/linearGaussian";
import { LqrProblem, lqrBackward } from "../control/lqr";
import type { LinearGaussianDynamics } from "../models/localLinear";
import { QuadraticTrajectoryCost, expectedCost, forwardMarginals, trajectoryKl } from "./trajectory";

/**
 * -log p_bar(u | x) as a quadratic in z = [x; u] (dropping the constant):
 * 1/2 (u - K x - k)^T P (u - K x - k)  ->  Hessian M^T P M, gradient -M^T P k, with M = [-K, I].
 */
export function negLogPolicyQuadratic(pBar: LinearGaussianController, t: number): { C: Mat; c: Float64Array } {
  const { n, m } = pBar;
  const nz = n + m;
  const M = mat(m, nz);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) M.data[i * nz + j] = -pBar.K[t].data[i * n + j];
    M.data[i * nz + n + i] = 1;
  }
  const P = pBar.precision[t];
  const PM = mat(m, nz);
  for (let i = 0; i < m; i++)
    for (let a = 0; a < m; a++) {
      const pia = P.data[i * m + a];
      for (let j = 0; j < nz; j++) PM.data[i * nz + j] += pia * M.data[a * nz + j];
    }
  const C = mat(nz, nz);
  for (let a = 0; a < m; a++)
    for (let i = 0; i < nz; i++) {
      const mai = M.data[a * nz + i];
      if (mai === 0) continue;
      for (let j = 0; j < nz; j++) C.data[i * nz + j] += mai * PM.data[a * nz + j];
    }
  const Pk = matvec(P, pBar.k[t]);
  const c = new Float64Array(nz);
  for (let a = 0; a < m; a++) for (let i = 0; i < nz; i++) c[i] -= M.data[a * nz + i] * Pk[a];
  return { C, c };
}

/**
 * The maximum-entropy controller for the surrogate cost c / eta - log p_bar(u | x) under the fitted
 * dynamics: LQR on the surrogate, Sigma_t = Q~_uu^-1. Throws NotPositiveDefiniteError when eta is so
 * small that the surrogate is not convex in u.
 */
export function surrogateController(
  dyn: LinearGaussianDynamics,
  cost: QuadraticTrajectoryCost,
  pBar: LinearGaussianController,
  eta: number,
): LinearGaussianController {
  const { T, n, m } = dyn;
  const C: Mat[] = [],
    c: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const kl = negLogPolicyQuadratic(pBar, t);
    const Ct = mat(n + m, n + m),
      ct = new Float64Array(n + m);
    for (let i = 0; i < Ct.data.length; i++) Ct.data[i] = cost.C[t].data[i] / eta + kl.C.data[i];
    for (let i = 0; i < n + m; i++) ct[i] = cost.c[t][i] / eta + kl.c[i];
    C.push(Ct);
    c.push(ct);
  }
  const CT = mat(
    n,
    n,
    cost.CT.data.map((v) => v / eta),
  );
  const cT = cost.cT.map((v) => v / eta);
  const problem: LqrProblem = { n, m, F: dyn.F, f: dyn.f, C, c, CT, cT };
  const sol = lqrBackward(problem);
  const cov = sol.Quu.map((Q, t) => cholInverse(cholesky(Q, { maxTries: 0, name: `surrogate Q_uu at step ${t}` })));
  return linearGaussianController(sol.K, sol.k, cov);
}

/**
 * One dual gradient ascent step on eta, taken in log eta (eta spans many orders of magnitude):
 *   log eta <- log eta + stepSize (KL - epsilon) / epsilon,
 * clipped to [etaMin, etaMax]. A KL above the bound raises eta (stay closer to p_bar).
 */
export function dualStep(eta: number, kl: number, epsilon: number, stepSize = 1, etaMin = 1e-6, etaMax = 1e16): number {
  const g = Math.max(-20, Math.min(20, (stepSize * (kl - epsilon)) / epsilon));
  return Math.min(etaMax, Math.max(etaMin, eta * Math.exp(g)));
}

export interface KlStepOptions {
  /** Starting eta (e.g. the last iteration's). Default 1. */
  eta0?: number;
  etaMin?: number;
  etaMax?: number;
  /** Dual step size of `dualStep`. Default 1. */
  stepSize?: number;
  /** Dual iterations at most. Default 50. */
  maxIter?: number;
  /** Accept |KL - epsilon| <= tolFraction * epsilon. Default 0.1. */
  tolFraction?: number;
}

export interface KlStepResult {
  controller: LinearGaussianController;
  eta: number;
  kl: number;
  epsilon: number;
  /** "converged" (KL within 10 %), "etaMin" (the bound is slack even at the smallest eta),
   * "etaMax" (eta hit its upper limit), or "maxIter". */
  status: "converged" | "etaMin" | "etaMax" | "maxIter";
  /** The (eta, KL) of every dual iteration, for plots. */
  history: { eta: number; kl: number }[];
  /** The expected cost of the new controller under the fitted dynamics and the quadratic cost. */
  predictedCost: number;
}

/**
 * Finds the controller minimising the expected cost under the fitted dynamics subject to
 * KL(p || p_bar) <= epsilon, by dual gradient ascent on eta. The steps of `dualStep` are kept inside
 * the bracket [lo, hi] that the signs of KL - epsilon have established so far (the dual is concave,
 * so the sign tells on which side of the optimum eta is); a step leaving it bisects the bracket in
 * log space instead.
 */
export function klConstrainedUpdate(
  dyn: LinearGaussianDynamics,
  cost: QuadraticTrajectoryCost,
  pBar: LinearGaussianController,
  x0Mean: ArrayLike<number>,
  x0Cov: Mat,
  epsilon: number,
  opts: KlStepOptions = {},
): KlStepResult {
  if (!(epsilon > 0)) throw new ValueError(`klConstrainedUpdate: epsilon must be > 0, got ${epsilon}`);
  const etaMin = opts.etaMin ?? 1e-6,
    etaMax = opts.etaMax ?? 1e16;
  const tol = opts.tolFraction ?? 0.1;
  const maxIter = opts.maxIter ?? 50;
  let eta = Math.min(etaMax, Math.max(etaMin, opts.eta0 ?? 1));
  let lo = etaMin,
    hi = etaMax;
  const history: { eta: number; kl: number }[] = [];
  type Candidate = { controller: LinearGaussianController; eta: number; kl: number };
  let feasible: Candidate | null = null,
    infeasible: Candidate | null = null;
  let status: KlStepResult["status"] = "maxIter";
  for (let it = 0; it < maxIter; it++) {
    let ctrl: LinearGaussianController;
    try {
      ctrl = surrogateController(dyn, cost, pBar, eta);
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      // Too small an eta: the cost term dominates and is not convex in u. Move up.
      lo = eta;
      if (eta >= etaMax) {
        status = "etaMax";
        break;
      }
      eta = hi < etaMax ? Math.sqrt(lo * hi) : Math.min(etaMax, eta * 10);
      continue;
    }
    const marg = forwardMarginals(dyn, ctrl, x0Mean, x0Cov);
    const kl = trajectoryKl(ctrl, pBar, marg).total;
    history.push({ eta, kl });
    // Keep the feasible answer with the smallest eta (the biggest step), else the smallest KL seen.
    if (kl <= (1 + tol) * epsilon) {
      if (feasible === null || eta < feasible.eta) feasible = { controller: ctrl, eta, kl };
    } else if (infeasible === null || kl < infeasible.kl) infeasible = { controller: ctrl, eta, kl };
    if (Math.abs(kl - epsilon) <= tol * epsilon) {
      status = "converged";
      feasible = { controller: ctrl, eta, kl };
      break;
    }
    if (kl > epsilon) lo = eta;
    else hi = eta;
    if (kl < epsilon && eta <= etaMin) {
      status = "etaMin";
      break;
    }
    if (kl > epsilon && eta >= etaMax) {
      status = "etaMax";
      break;
    }
    let next = dualStep(eta, kl, epsilon, opts.stepSize ?? 1, etaMin, etaMax);
    if (!(next > lo && next < hi)) next = Math.sqrt(lo * hi);
    eta = next;
  }
  const best = feasible ?? infeasible;
  if (best === null) throw new ValueError("klConstrainedUpdate: no eta gave a valid controller");
  const marg = forwardMarginals(dyn, best.controller, x0Mean, x0Cov);
  return { controller: best.controller, eta: best.eta, kl: best.kl, epsilon, status, history, predictedCost: expectedCost(cost, marg) };
}

/**
 * Step-size adaptation of epsilon from predicted vs actual improvement (Levine and Abbeel 2014):
 * if the new controller improved the cost as much as the old local model predicted, the model can be
 * trusted further (grow the step); if it improved much less, shrink. The multiplier
 *   predicted / (2 max(predicted - actual, 1e-4 |predicted|))
 * is clipped to [0.1, 10] per iteration, and the running multiplier to [minMult, maxMult].
 */
export function adaptStepMultiplier(
  stepMult: number,
  previousCost: number,
  predictedNewCost: number,
  actualNewCost: number,
  { minMult = 0.1, maxMult = 10 } = {},
): number {
  const predicted = previousCost - predictedNewCost;
  const actual = previousCost - actualNewCost;
  let factor: number;
  if (!(predicted > 0)) factor = actual > 0 ? 1 : 0.5;
  else factor = predicted / (2 * Math.max(predicted - actual, 1e-4 * Math.abs(predicted)));
  factor = Math.min(10, Math.max(0.1, factor));
  return Math.min(maxMult, Math.max(minMult, stepMult * factor));
}
