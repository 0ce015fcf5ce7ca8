/** Reference solution of exercise gaussian-nll (notebook 04): Gaussian NLL with soft-bounded log-variance. */
export function gaussianNll(
  mean: number[],
  rawLogVar: number[],
  y: number[],
  minLogVar: number,
  maxLogVar: number,
): { logVar: number[]; loss: number } {
  // BEGIN SOLUTION
  const softplus = (z: number) => Math.log1p(Math.exp(z));
  const logVar = rawLogVar.map((raw) => {
    const upper = maxLogVar - softplus(maxLogVar - raw);
    return minLogVar + softplus(upper - minLogVar);
  });
  let sum = 0;
  for (let i = 0; i < mean.length; i++) sum += (y[i] - mean[i]) ** 2 * Math.exp(-logVar[i]) + logVar[i];
  return { logVar, loss: sum / mean.length };
  // END SOLUTION
}
