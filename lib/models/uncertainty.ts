/**
 * Small pure helpers for the 1-D uncertainty pictures of notebook 04 (lectures 000, 002, 003):
 *
 * - `gapRegressionData`: a seeded 1-D regression set with heteroscedastic noise (aleatoric
 *   uncertainty that varies with x) and a gap without data (where epistemic uncertainty should grow);
 * - `ensembleMoments`: the mean and variance of an ensemble of Gaussian predictions, viewed as a
 *   uniform mixture, split by the law of total variance into
 *     aleatoric = mean over members of their predicted variances,
 *     epistemic = variance over members of their predicted means.
 *
 * - `disagreement`: d(s, a) = max_{i,j} ||mu_i(s, a) - mu_j(s, a)||, the members' largest disagreement,
 *   which Dyna's rollouts penalise or stop on (lib/dyna/rollouts.ts) and the ensemble model reports.
 *
 * Ensembles themselves are EnsembleMLP (lib/nn: bootstrap or same-data training, Gaussian head).
 */
import { ShapeError, ValueError, checkFinite, checkInt, checkNumber, makeRng } from "../core";

export interface GapDataOptions {
  /** Seed of the inputs and the noise. */
  seed: number;
  /** Number of points. Default 150. */
  n?: number;
  /** Inputs are drawn uniformly from range minus the gap. Default [-4, 4]. */
  range?: [number, number];
  /** The interval left without data. Default [-0.75, 1.75]. */
  gap?: [number, number];
}

export interface GapData {
  x: number[];
  y: number[];
  range: [number, number];
  gap: [number, number];
  /** The noise-free function. */
  truth: (x: number) => number;
  /** The standard deviation of the noise at x (grows from left to right). */
  noiseStd: (x: number) => number;
}

/** The noise-free function of the gap data set: a wave on a slope. */
export function gapTruth(x: number): number {
  return Math.sin(1.5 * x) + 0.25 * x;
}

/** The noise standard deviation of the gap data set on `range`: 0.04 at the left end, 0.34 at the right. */
export function gapNoiseStd(x: number, range: [number, number] = [-4, 4]): number {
  const u = Math.min(1, Math.max(0, (x - range[0]) / (range[1] - range[0])));
  return 0.04 + 0.3 * u * u;
}

/**
 * n points (x_i, y_i) with x_i uniform on range without the gap (sorted), y_i = truth(x_i) + noise of
 * standard deviation noiseStd(x_i). Deterministic given the seed.
 */
export function gapRegressionData(opts: GapDataOptions): GapData {
  const n = checkInt("gapRegressionData n", opts.n ?? 150);
  const range: [number, number] = opts.range ?? [-4, 4];
  const gap: [number, number] = opts.gap ?? [-0.75, 1.75];
  for (const v of [...range, ...gap]) checkNumber("gapRegressionData range/gap", v);
  if (!(range[0] < range[1]) || !(gap[0] < gap[1]) || gap[0] < range[0] || gap[1] > range[1]) {
    throw new ValueError(`gapRegressionData: need range[0] < gap[0] < gap[1] < range[1], got range ${range} and gap ${gap}`);
  }
  const rng = makeRng(opts.seed);
  const width = range[1] - range[0] - (gap[1] - gap[0]);
  if (!(width > 0)) throw new ValueError("gapRegressionData: the gap covers the whole range");
  const x: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform(range[0], range[0] + width);
    x.push(u < gap[0] ? u : u + (gap[1] - gap[0]));
  }
  x.sort((a, b) => a - b);
  const noiseStd = (v: number) => gapNoiseStd(v, range);
  const y = x.map((v) => gapTruth(v) + rng.normal(0, noiseStd(v)));
  return { x, y, range, gap, truth: gapTruth, noiseStd };
}

export interface EnsembleMoments {
  /** Mean of the members' means. */
  mean: number[];
  /** Mean of the members' predicted variances (zeros for deterministic members). */
  aleatoric: number[];
  /** Variance (over members, divided by B) of the members' means. */
  epistemic: number[];
  /** aleatoric + epistemic: the variance of the uniform mixture of the members' Gaussians. */
  total: number[];
}

/**
 * Moments of an ensemble's predictions at some points. means[b][i] is member b's predicted mean at
 * point i; variances[b][i] its predicted variance (omit it, or pass null, for deterministic members).
 */
export function ensembleMoments(means: readonly ArrayLike<number>[], variances: readonly ArrayLike<number>[] | null = null): EnsembleMoments {
  const B = means.length;
  if (B === 0) throw new ShapeError("ensembleMoments: no members");
  const n = means[0].length;
  means.forEach((m, b) => {
    if (m.length !== n) throw new ShapeError(`ensembleMoments: member ${b} has ${m.length} means, member 0 has ${n}`);
    checkFinite(`ensembleMoments means[${b}]`, m);
  });
  if (variances) {
    if (variances.length !== B) throw new ShapeError(`ensembleMoments: ${B} members of means but ${variances.length} of variances`);
    variances.forEach((v, b) => {
      if (v.length !== n) throw new ShapeError(`ensembleMoments: member ${b} has ${v.length} variances, expected ${n}`);
      checkFinite(`ensembleMoments variances[${b}]`, v);
    });
  }
  const mean: number[] = [], aleatoric: number[] = [], epistemic: number[] = [], total: number[] = [];
  for (let i = 0; i < n; i++) {
    let mu = 0, ale = 0;
    for (let b = 0; b < B; b++) {
      mu += means[b][i] / B;
      if (variances) ale += variances[b][i] / B;
    }
    let epi = 0;
    for (let b = 0; b < B; b++) epi += (means[b][i] - mu) ** 2 / B;
    mean.push(mu);
    aleatoric.push(ale);
    epistemic.push(epi);
    total.push(ale + epi);
  }
  return { mean, aleatoric, epistemic, total };
}

/** d(s, a) per row: the largest Euclidean distance between two members' predicted means. */
export function disagreement(means: readonly Float64Array[], n: number, stateDim: number): Float64Array {
  const d = new Float64Array(n);
  const E = means.length;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let i = 0; i < E; i++) {
      for (let j = i + 1; j < E; j++) {
        let s = 0;
        for (let c = 0; c < stateDim; c++) {
          const diff = means[i][r * stateDim + c] - means[j][r * stateDim + c];
          s += diff * diff;
        }
        if (s > best) best = s;
      }
    }
    d[r] = Math.sqrt(best);
  }
  return d;
}
