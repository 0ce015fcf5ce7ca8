/** Reference solution of exercise ensemble-disagreement (notebook 04): largest distance between two members' means. */
export function ensembleDisagreement(means: number[][][]): number[] {
  // BEGIN SOLUTION
  const B = means.length;
  const n = B > 0 ? means[0].length : 0;
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let a = 0; a < B; a++) {
      for (let b = a + 1; b < B; b++) {
        let s = 0;
        for (let k = 0; k < means[a][i].length; k++) s += (means[a][i][k] - means[b][i][k]) ** 2;
        best = Math.max(best, Math.sqrt(s));
      }
    }
    d.push(best);
  }
  return d;
  // END SOLUTION
}
