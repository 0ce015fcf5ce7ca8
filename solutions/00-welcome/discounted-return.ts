/** Reference solution of exercise discounted-return (notebook 00). */
export function discountedReturn(rewards: number[], gamma: number): number {
  // BEGIN SOLUTION
  let g = 0;
  for (let k = rewards.length - 1; k >= 0; k--) g = rewards[k] + gamma * g;
  return g;
  // END SOLUTION
}
