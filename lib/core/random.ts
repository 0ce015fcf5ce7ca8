/**
 * Seeded random numbers that give the same stream on every run and every machine.
 *
 * The generator is xoshiro128** (Blackman and Vigna) seeded through splitmix32. It works on 32-bit
 * integers only (Math.imul and unsigned shifts), so no platform float quirk can change the stream.
 */

export interface Rng {
  /** The seed this generator was created with. */
  readonly seed: number;
  /** A float in [low, high). */
  uniform(low?: number, high?: number): number;
  /** A normal sample with the given mean and standard deviation (Box-Muller). */
  normal(mean?: number, std?: number): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty array, uniformly. */
  choice<T>(items: readonly T[]): T;
  /** A new array with the items in random order (Fisher-Yates); the input is not changed. */
  shuffle<T>(items: readonly T[]): T[];
  /** A random permutation of 0..n-1. */
  permutation(n: number): number[];
  /** n uniform floats in [low, high) as a Float64Array. */
  uniforms(n: number, low?: number, high?: number): Float64Array;
  /** n normal samples as a Float64Array. */
  normals(n: number, mean?: number, std?: number): Float64Array;
  /** A raw 32-bit unsigned integer. */
  nextUint32(): number;
  /** An independent generator derived from this one's stream (for sub-tasks that must not share a stream). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`makeRng: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/** Creates a seeded generator. The same seed always gives the same numbers. */
export function makeRng(seed: number): Rng {
  checkSeed(seed);
  const sm = splitmix32(seed);
  let a = sm(),
    b = sm(),
    c = sm(),
    d = sm();
  if ((a | b | c | d) === 0) a = 1; // xoshiro's all-zero state is a fixed point

  function nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  }
  // 53 random bits give every double in [0, 1) on a 2^-53 grid.
  function next01(): number {
    const hi = nextUint32() >>> 5; // 27 bits
    const lo = nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  let spare: number | null = null;
  function standardNormal(): number {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = next01();
    const v = next01();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  function int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rng.int: n must be a positive integer, got ${n}`);
    // Rejection sampling removes modulo bias.
    const limit = Math.floor(0x100000000 / n) * n;
    let x = nextUint32();
    while (x >= limit) x = nextUint32();
    return x % n;
  }
  const rng: Rng = {
    seed,
    uniform: (low = 0, high = 1) => low + (high - low) * next01(),
    normal: (mean = 0, std = 1) => mean + std * standardNormal(),
    int,
    choice<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("rng.choice: the array is empty");
      return items[int(items.length)];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
      }
      return out;
    },
    permutation(n: number): number[] {
      return rng.shuffle(Array.from({ length: n }, (_, i) => i));
    },
    uniforms(n: number, low = 0, high = 1): Float64Array {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = low + (high - low) * next01();
      return out;
    },
    normals(n: number, mean = 0, std = 1): Float64Array {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = mean + std * standardNormal();
      return out;
    },
    nextUint32,
    fork: () => makeRng(nextUint32()),
  };
  return rng;
}

// -------------------------------------------------------------------------------------------------
// Named seeds: how a run seeded `seed` derives the seeds of its parts, so that each part has its own
// reproducible stream and the formulas live in one place.
// -------------------------------------------------------------------------------------------------

/** A fresh seed drawn from `rng` (uniform in [0, 2^31)), for handing a sub-computation its own stream. */
export function freshSeed(rng: Rng): number {
  return rng.int(2 ** 31);
}

/** The seed of trial (or episode) k of a run seeded `seed`: seed * 1000 + k (distinct for k < 1000). */
export function trialSeed(seed: number, k: number): number {
  return (seed * 1000 + k) >>> 0;
}

/** Stride between the seeds of successive refits of a model (a prime, so refits of nearby seeds differ). */
export const REFIT_SEED_STRIDE = 7919;

/** The seed of refit number `fit` (1, 2, ...) of a model seeded `seed`: seed + stride * fit. */
export function refitSeed(seed: number, fit: number, stride = REFIT_SEED_STRIDE): number {
  return (seed + stride * fit) >>> 0;
}

/** The seed of part `part` (0, 1, 2, ...) of a run seeded `seed` (learner, model, environment): seed * 7 + part. */
export function componentSeed(seed: number, part: number): number {
  return (seed * 7 + part) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
