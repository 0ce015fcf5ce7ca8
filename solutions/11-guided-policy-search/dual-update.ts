/** Reference solution of exercise dual-update (notebook 11): one dual gradient step on eta, in log space. */
export function dualUpdate(eta: number, kl: number, epsilon: number, stepSize: number, etaMin: number, etaMax: number): number {
  // BEGIN SOLUTION
  const next = eta * Math.exp((stepSize * (kl - epsilon)) / epsilon);
  return Math.min(etaMax, Math.max(etaMin, next));
  // END SOLUTION
}
