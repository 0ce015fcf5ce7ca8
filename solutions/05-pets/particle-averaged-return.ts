/** Reference solution of exercise particle-averaged-return (notebook 05): the PETS score of each candidate. */
export function particleAveragedReturn(rewards: number[][][], gamma: number): number[] {
  // BEGIN SOLUTION
  return rewards.map((candidate) => {
    let total = 0;
    for (const particle of candidate) {
      let ret = 0;
      let discount = 1;
      for (const r of particle) {
        ret += discount * r;
        discount *= gamma;
      }
      total += ret;
    }
    return total / candidate.length;
  });
  // END SOLUTION
}
