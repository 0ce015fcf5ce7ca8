/** Reference solution of exercise pessimistic-rewards (notebook 07): MOPO's soft and MOReL's hard penalty on ensemble disagreement. */

export type PessimismRule = { kind: "mopo"; lambda: number } | { kind: "morel"; kappa: number; alpha: number };

export function pessimisticRewards(
  memberMeans: number[][][],
  rewards: number[],
  rule: PessimismRule,
): { d: number[]; r: number[]; halt: boolean[] } {
  // BEGIN SOLUTION
  const E = memberMeans.length;
  // d(s, a): the largest Euclidean distance between two members' predictions, per branch.
  const d = rewards.map((_, b) => {
    let best = 0;
    for (let i = 0; i < E; i++) {
      for (let j = i + 1; j < E; j++) {
        const dist2 = memberMeans[i][b].reduce((s, v, c) => s + (v - memberMeans[j][b][c]) ** 2, 0);
        best = Math.max(best, dist2);
      }
    }
    return Math.sqrt(best);
  });
  if (rule.kind === "mopo") {
    // Soft: every transition pays in proportion to the uncertainty; rollouts never stop.
    return { d, r: rewards.map((r, b) => r - rule.lambda * d[b]), halt: rewards.map(() => false) };
  }
  // Hard: beyond the threshold the transition goes to the absorbing HALT state with reward -kappa.
  const halt = d.map((v) => v > rule.alpha);
  return { d, r: rewards.map((r, b) => (halt[b] ? -rule.kappa : r)), halt };
  // END SOLUTION
}
