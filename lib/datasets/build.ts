/**
 * How the committed datasets are made: random-policy transitions of the hill, pendulum and cart-pole.
 * `npm run datasets` (generate.ts) writes them; the test suite rebuilds them in memory and compares
 * bytes, so the files in datasets/ are exactly reproducible from this code and the seeds below.
 *
 * Numbers are written with 9 significant digits (compact, and immune to last-bit differences of
 * Math.sin and friends between platforms). Rows are transitions in episode order, so consecutive rows
 * of one episode form a trajectory (for k-step rollouts): next-state columns of row t equal the state
 * columns of row t + 1 (after rounding; for the pendulum, up to the wrapping of theta).
 */
import * as crypto from "crypto";
import { makeRng, trialSeed } from "../core";
import { CartPole, Hill, Pendulum, wrapAngle, type ContinuousSystem } from "../envs";

/** What a column holds: bookkeeping (index), a state entry, an action entry, the reward, a next-state entry. */
export type ColumnRole = "index" | "state" | "action" | "reward" | "nextState";

export interface ColumnSpec {
  name: string;
  unit: string;
  role: ColumnRole;
  description: string;
}

export interface DatasetManifest {
  /** Dataset name; the data file is `<name>.csv` beside `<name>.json`. */
  name: string;
  file: string;
  description: string;
  system: string;
  systemVersion: string;
  policy: string;
  seed: number;
  episodes: number;
  episodeLength: number;
  /** Number of transitions (data rows). */
  n: number;
  columns: ColumnSpec[];
  format: string;
  bytes: number;
  sha256: string;
  generator: string;
}

export interface BuiltDataset {
  manifest: DatasetManifest;
  csv: string;
}

/** Formats a number with 9 significant digits, shortest form. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`datasets: cannot write ${v}`);
  const r = Number(v.toPrecision(9));
  return Object.is(r, -0) ? "0" : String(r);
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

interface Recipe {
  name: string;
  description: string;
  make: () => ContinuousSystem;
  seed: number;
  episodes: number;
  episodeLength: number;
  policy: string;
  columns: ColumnSpec[];
  /** One data row from (episode, t, state, clipped action, reward, next state). */
  row: (ep: number, t: number, s: number[], a: number[], r: number, s2: number[]) => number[];
}

const epCols: ColumnSpec[] = [
  { name: "episode", unit: "1", role: "index", description: "episode index (0-based)" },
  { name: "t", unit: "step", role: "index", description: "step within the episode (0-based)" },
];

const RECIPES: Recipe[] = [
  {
    name: "hill-random",
    description: "Hill: a base policy of random walking speeds that stays near the start (x about -1.5..1.5).",
    make: () => new Hill(),
    seed: 101,
    episodes: 100,
    episodeLength: 30,
    policy: "speed ~ Uniform[-1, 1] each step; episodes start at x ~ N(0, 0.1^2)",
    columns: [
      ...epCols,
      { name: "x", unit: "m", role: "state", description: "position" },
      { name: "u", unit: "m/s", role: "action", description: "commanded walking speed (action)" },
      { name: "reward", unit: "m", role: "reward", description: "height h(x_next)" },
      { name: "x_next", unit: "m", role: "nextState", description: "position after one step (dt = 0.1 s)" },
    ],
    row: (ep, t, s, a, r, s2) => [ep, t, s[0], a[0], r, s2[0]],
  },
  {
    name: "pendulum-random",
    description: "Pendulum (Gym Pendulum-v1 constants): uniformly random torques from Gym's random start states.",
    make: () => new Pendulum(),
    seed: 202,
    episodes: 15,
    episodeLength: 200,
    policy: "torque ~ Uniform[-2, 2] each step; episodes start at theta ~ U[-pi, pi), thetadot ~ U[-1, 1]",
    columns: [
      ...epCols,
      { name: "theta", unit: "rad", role: "state", description: "angle from upright, wrapped to [-pi, pi)" },
      { name: "thetadot", unit: "rad/s", role: "state", description: "angular velocity" },
      { name: "u", unit: "N m", role: "action", description: "torque (action)" },
      { name: "reward", unit: "1", role: "reward", description: "-(theta^2 + 0.1 thetadot^2 + 0.001 u^2) at the pre-step state" },
      { name: "theta_next", unit: "rad", role: "nextState", description: "theta + the true change over one step (NOT wrapped, so theta_next - theta is the change)" },
      { name: "thetadot_next", unit: "rad/s", role: "nextState", description: "angular velocity after one step (dt = 0.05 s)" },
    ],
    row: (ep, t, s, a, r, s2) => {
      const th = wrapAngle(s[0]);
      return [ep, t, th, s[1], a[0], r, th + (s2[0] - s[0]), s2[1]];
    },
  },
  {
    name: "cartpole-random",
    description: "Cart-pole swing-up (PILCO constants): uniformly random forces from the hanging start.",
    make: () => new CartPole(),
    seed: 303,
    episodes: 75,
    episodeLength: 40,
    policy: "force ~ Uniform[-10, 10] each step; episodes start at N(0, 0.1^2 I) around hanging down at rest",
    columns: [
      ...epCols,
      { name: "x", unit: "m", role: "state", description: "cart position" },
      { name: "xdot", unit: "m/s", role: "state", description: "cart velocity" },
      { name: "theta", unit: "rad", role: "state", description: "pole angle, 0 hanging down, pi upright (not wrapped)" },
      { name: "thetadot", unit: "rad/s", role: "state", description: "pole angular velocity" },
      { name: "u", unit: "N", role: "action", description: "force on the cart (action)" },
      { name: "reward", unit: "1", role: "reward", description: "-(1 - exp(-d^2 / (2 * 0.25^2))) at the next state, d = tip distance to upright" },
      { name: "x_next", unit: "m", role: "nextState", description: "after one step (dt = 0.1 s)" },
      { name: "xdot_next", unit: "m/s", role: "nextState", description: "after one step" },
      { name: "theta_next", unit: "rad", role: "nextState", description: "after one step" },
      { name: "thetadot_next", unit: "rad/s", role: "nextState", description: "after one step" },
    ],
    row: (ep, t, s, a, r, s2) => [ep, t, ...s, a[0], r, ...s2],
  },
];

/** Names of the datasets this module builds. */
export const DATASET_NAMES: readonly string[] = RECIPES.map((r) => r.name);

/** Builds one dataset in memory: its CSV text and manifest. Deterministic. */
export function buildDataset(name: string): BuiltDataset {
  const recipe = RECIPES.find((r) => r.name === name);
  if (!recipe) throw new Error(`buildDataset: unknown dataset "${name}"; known: ${DATASET_NAMES.join(", ")}`);
  const env = recipe.make();
  const rng = makeRng(recipe.seed);
  const lines = [recipe.columns.map((c) => c.name).join(",")];
  let n = 0;
  for (let ep = 0; ep < recipe.episodes; ep++) {
    let s = (env.reset(trialSeed(recipe.seed, ep)), env.getState());
    for (let t = 0; t < recipe.episodeLength; t++) {
      const a = env.actionSpace.low.map((lo, j) => rng.uniform(lo, env.actionSpace.high[j]));
      const r = env.step(a);
      const s2 = env.getState();
      lines.push(recipe.row(ep, t, s, r.info.action as number[], r.reward, s2).map(formatNumber).join(","));
      n++;
      s = s2;
    }
  }
  const csv = lines.join("\n") + "\n";
  const manifest: DatasetManifest = {
    name: recipe.name,
    file: `${recipe.name}.csv`,
    description: recipe.description,
    system: env.name,
    systemVersion: env.version,
    policy: recipe.policy,
    seed: recipe.seed,
    episodes: recipe.episodes,
    episodeLength: recipe.episodeLength,
    n,
    columns: recipe.columns,
    format: "CSV, comma-separated, one header row of column names, 9 significant digits, LF line ends",
    bytes: Buffer.byteLength(csv, "utf8"),
    sha256: sha256(csv),
    generator: "npm run datasets (lib/datasets/generate.ts, recipes in lib/datasets/build.ts)",
  };
  return { manifest, csv };
}

/** The manifest file's exact text (2-space JSON, trailing newline). */
export function manifestText(manifest: DatasetManifest): string {
  return JSON.stringify(manifest, null, 2) + "\n";
}
