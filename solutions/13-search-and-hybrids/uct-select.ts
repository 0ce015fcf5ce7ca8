/** Reference solution of exercise uct-select (notebook 13): the UCT selection rule with values rescaled to [0, 1]. */
export function uctSelect(visits: number, n: number[], q: number[], c: number, qMin: number, qMax: number): number {
  // BEGIN SOLUTION
  // An action never tried is tried first (its bonus is infinite).
  for (let a = 0; a < n.length; a++) if (n[a] === 0) return a;
  let best = 0;
  let bestScore = -Infinity;
  for (let a = 0; a < n.length; a++) {
    const qBar = qMax > qMin ? (q[a] - qMin) / (qMax - qMin) : 0.5;
    const score = qBar + c * Math.sqrt(Math.log(visits) / n[a]);
    if (score > bestScore) {
      bestScore = score;
      best = a;
    }
  }
  return best;
  // END SOLUTION
}
