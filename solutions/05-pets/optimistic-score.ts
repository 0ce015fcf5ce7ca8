/** Reference solution of exercise optimistic-score (notebook 05): mean_b J_b + beta std_b J_b over the members. */
export function optimisticScore(returns: number[][], members: number[][], beta: number): number[] {
  // BEGIN SOLUTION
  return returns.map((row, n) => {
    // Each member's opinion: the mean return of the particles that followed it.
    const sums = new Map<number, { total: number; count: number }>();
    row.forEach((r, p) => {
      const e = sums.get(members[n][p]) ?? { total: 0, count: 0 };
      e.total += r;
      e.count += 1;
      sums.set(members[n][p], e);
    });
    const J = [...sums.values()].map((e) => e.total / e.count);
    const mean = J.reduce((a, b) => a + b, 0) / J.length;
    const variance = J.reduce((a, b) => a + (b - mean) ** 2, 0) / J.length;
    return mean + beta * Math.sqrt(variance);
  });
  // END SOLUTION
}
