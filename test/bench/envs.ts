/**
 * `npm run bench -- envs [--quick]`: speed of each system's `step` and of its batched `dynamics`
 * (and of the tfjs `dynamicsTf` where there is one), the relative energy drift over a long
 * frictionless, torque-free rollout, and the Dyna maze's shortest path. Last line: one JSON object.
 */
import { backendInfo, initBackend, makeRng, tf } from "../../lib/core";
import { CartPole, Hill, makeDynaMaze, Pendulum, TwoLinkArm, type ContinuousSystem } from "../../lib/envs";

const quick = process.argv.includes("--quick");
const budget = quick ? 0.4 : 2; // seconds per timing

/** Repeats fn until `budget` seconds pass; returns work units per second. */
function rate(fn: () => number): number {
  let units = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budget * 1000) units += fn();
  return units / ((performance.now() - t0) / 1000);
}

function stepsPerSecond(env: ContinuousSystem): number {
  const rng = makeRng(1);
  const { low, high } = env.actionSpace;
  const actions = Array.from({ length: 256 }, () => low.map((lo, j) => rng.uniform(lo, high[j])));
  env.reset(0);
  let k = 0;
  return rate(() => {
    for (let i = 0; i < 1000; i++) {
      if (env.t >= env.maxSteps) env.reset();
      env.step(actions[k++ & 255]);
    }
    return 1000;
  });
}

function batchedRowsPerSecond(env: ContinuousSystem, rows: number): number {
  const rng = makeRng(2);
  env.reset(0);
  const s0 = env.getState();
  const S = new Float64Array(rows * s0.length);
  const A = new Float64Array(rows * env.actionSpace.dim);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < s0.length; j++) S[i * s0.length + j] = s0[j] + rng.normal(0, 0.3);
    for (let j = 0; j < env.actionSpace.dim; j++)
      A[i * env.actionSpace.dim + j] = rng.uniform(env.actionSpace.low[j], env.actionSpace.high[j]);
  }
  const out = new Float64Array(S.length);
  return rate(() => {
    env.dynamics(S, A, out);
    return rows;
  });
}

function tfRowsPerSecond(env: ContinuousSystem, rows: number): number | null {
  if (!env.dynamicsTf) return null;
  const s = tf.randomNormal([rows, env.stateSpace.dim], 0, 0.3, "float32", 3) as tf.Tensor2D;
  const a = tf.zeros([rows, env.actionSpace.dim]) as tf.Tensor2D;
  const r = rate(() => {
    tf.tidy(() => env.dynamicsTf!(s, a).dataSync());
    return rows;
  });
  s.dispose();
  a.dispose();
  return r;
}

function energyDrift(env: ContinuousSystem, s0: number[], steps: number): number {
  const zero = env.actionSpace.low.map(() => 0);
  const e0 = env.energy!(s0);
  let s = s0,
    worst = 0;
  for (let i = 0; i < steps; i++) {
    s = env.nextState(s, zero);
    worst = Math.max(worst, Math.abs(env.energy!(s) - e0));
  }
  return worst / Math.abs(e0);
}

(async () => {
  await initBackend();
  const rows = quick ? 2000 : 10000;
  const cases: [string, ContinuousSystem, ContinuousSystem | null, number[], number][] = [
    ["pendulum", new Pendulum(), new Pendulum(), [0.3, 0], 4000],
    ["cartpole", new CartPole(), new CartPole({ params: { b: 0 } }), [0, 0.5, 2.5, 0], 2000],
    ["arm", new TwoLinkArm(), new TwoLinkArm({ friction: false }), [0.3, 1, 2, -3], 10000],
    ["hill", new Hill(), null, [0], 0],
  ];
  const systems: Record<string, Record<string, number | null>> = {};
  for (const [name, env, frictionless, s0, n] of cases) {
    const sps = stepsPerSecond(env);
    const bps = batchedRowsPerSecond(env, rows);
    const tps = tfRowsPerSecond(env, rows);
    const drift = frictionless ? energyDrift(frictionless, s0, n) : null;
    systems[name] = {
      stepsPerSecond: Math.round(sps),
      batchedRowsPerSecond: Math.round(bps),
      tfRowsPerSecond: tps === null ? null : Math.round(tps),
      energyDrift: drift,
      energyDriftSeconds: frictionless ? n * frictionless.dt : null,
    };
    console.log(
      `${name}: step ${sps.toFixed(0)}/s, batched ${bps.toFixed(0)} rows/s, tfjs ${tps === null ? "-" : tps.toFixed(0)} rows/s, energy drift ${drift === null ? "-" : drift.toExponential(2)}`,
    );
  }
  const maze = makeDynaMaze();
  const rng = makeRng(4);
  maze.reset();
  const mazeSps = rate(() => {
    for (let i = 0; i < 10000; i++) if (maze.step(rng.int(4)).terminated) maze.reset();
    return 10000;
  });
  systems.dynamaze = { stepsPerSecond: Math.round(mazeSps), batchedRowsPerSecond: null, energyDrift: null };
  const mazeShortestPath = makeDynaMaze().shortestPath();
  console.log(`dynamaze: step ${mazeSps.toFixed(0)}/s, shortest path ${mazeShortestPath}`);
  console.log(JSON.stringify({ bench: "envs", quick, systems, mazeShortestPath, batchRows: rows, backend: backendInfo().name }));
})();
