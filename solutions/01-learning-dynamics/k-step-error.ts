/** Reference solution of exercise k-step-error (notebook 01): mean squared k-step open-loop error of s' = A s + B a. */
export function kStepError(A: number[][], B: number[][], states: number[][], actions: number[][], k: number): number {
  // BEGIN SOLUTION
  const T = actions.length;
  const ds = states[0].length;
  const da = actions[0].length;
  let sum = 0;
  let count = 0;
  for (let t = 0; t + k <= T; t++) {
    let s = states[t].slice();
    for (let j = 0; j < k; j++) {
      const a = actions[t + j];
      const next = new Array<number>(ds).fill(0);
      for (let r = 0; r < ds; r++) {
        for (let c = 0; c < ds; c++) next[r] += A[r][c] * s[c];
        for (let c = 0; c < da; c++) next[r] += B[r][c] * a[c];
      }
      s = next;
    }
    let e = 0;
    for (let r = 0; r < ds; r++) e += (s[r] - states[t + k][r]) ** 2;
    sum += e;
    count++;
  }
  return sum / count;
  // END SOLUTION
}
