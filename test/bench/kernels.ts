/**
 * `npm run bench -- kernels [--quick] [--no-python]`: speed of the numerics core, side by side with
 * PyTorch / numpy on the same machine (see /work/shared/refbench/README.md).
 *   A  ensemble forward: 5 MLPs 6 -> 200 -> 200 -> 200 -> 8 (SiLU) over 5 x 2,000 rows, as the
 *      planners run it (forwardArrays, lib/nn/inference.ts): ONNX Runtime on both cores, the path
 *      PETS takes after every fit; beside it ONNX Runtime on one thread and the tfjs wasm path
 *      (the fallback where ONNX Runtime cannot load)
 *   B  one training step: Gaussian NLL with soft log-variance bounds, Adam, 5 x 256 rows, timed
 *      inside `fit` (minibatch assembly, normalisation, loss and gradient, Adam: the path of every
 *      dynamics-model fit: EnsembleMLP.fit for PETS's and Dyna's ensembles, and the MLP model's
 *      one-step fit): the loss and gradient on ONNX Runtime (lib/nn/onnx-train.ts, 2 threads) where
 *      it loads, beside the tfjs path (the fallback)
 *   C  300 x 300 float64 Cholesky plus solve (GP-sized), and LU solve
 *   D  moment-matching-sized work: 20,000 products A S A^T of 6 x 6 float64 matrices
 * GFLOP/s count matrix-product FLOPs only (2 m n k per product), as the Python reference does.
 * The shared host's speed drifts, so each figure is the best of three windows spread over the run
 * (rounds of all workloads, each followed by one PyTorch/numpy process, whose best counts likewise).
 * Ratios use the paths the algorithms take (A: ONNX Runtime, 2 threads, where it loads). The last line is one JSON object.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { initBackend, makeRng, tf } from "../../lib/core";
import { cholesky, cholSolve, mat, matmulBatch, matvec, solve } from "../../lib/linalg";
import { EnsembleMLP, OnnxEnsemble, forwardArrays, onnxRuntime, onnxThreads } from "../../lib/nn";

const quick = process.argv.includes("--quick");
const noPython = process.argv.includes("--no-python") || quick;
const STORED = { A: 30, B: 7.8, C: 0.78 }; // ms, the README's figures of 2026-11-22

const E = 5,
  IN = 6,
  H = 200,
  OUT = 8,
  ROWS_FWD = 2000,
  ROWS_TRAIN = 256,
  N = 300;
const DIMS = [IN, H, H, H, OUT];
let FPR = 0;
for (let l = 0; l < 4; l++) FPR += 2 * DIMS[l] * DIMS[l + 1];
const FWD_FLOP = FPR * E * ROWS_FWD;
const TRAIN_FLOP = (3 * FPR - 2 * IN * H) * E * ROWS_TRAIN;
const CHOL_FLOP = N ** 3 / 3 + 2 * N ** 2;
const MM_COUNT = 20_000,
  MM_D = 6;
const MM_FLOP = MM_COUNT * 2 * (2 * MM_D ** 3);

interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  /** CPU time per call of the main thread, of all other threads (workers, GC and JIT helpers), and of the busiest other thread (the worker, when there is one), from /proc. */
  cpuMainMs: number | null;
  cpuOtherMs: number | null;
  cpuBusiestOtherMs: number | null;
}

/** CPU milliseconds used so far by each thread of this process (Linux /proc; empty elsewhere). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const tick = 10; // ms per clock tick (CLK_TCK = 100 on Linux)
    for (const tid of fs.readdirSync("/proc/self/task")) {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, (Number(f[11]) + Number(f[12])) * tick);
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/**
 * On a shared, overloaded machine wall-clock times mostly measure the other processes. The CPU time
 * each thread actually got is a steadier figure: for one thread it is the idle-machine time, and for
 * the main thread plus a worker, max(main, worker) estimates the idle-machine time of the pair.
 */
function cpuSplit(before: Map<string, number>, after: Map<string, number>, calls: number): [number | null, number | null, number | null] {
  if (!after.size) return [null, null, null];
  const main = String(process.pid);
  let m = 0,
    o = 0,
    busiest = 0;
  for (const [tid, t] of after) {
    const d = t - (before.get(tid) ?? 0);
    if (tid === main) m += d;
    else {
      o += d;
      busiest = Math.max(busiest, d);
    }
  }
  return [m / calls, o / calls, busiest / calls];
}

async function bench(fn: () => unknown | Promise<unknown>, targetS: number, warmup = 3, maxRuns = 500): Promise<Timing> {
  let t = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await fn();
    t = performance.now() - t0;
  }
  const runs = Math.max(5, Math.min(maxRuns, Math.round((targetS * 1000) / Math.max(t, 1e-3))));
  const ts: number[] = [];
  const c0 = threadCpu();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  const [cpuMainMs, cpuOtherMs, cpuBusiestOtherMs] = cpuSplit(c0, threadCpu(), runs);
  ts.sort((a, b) => a - b);
  return { medianMs: ts[Math.floor(runs / 2)], minMs: ts[0], runs, cpuMainMs, cpuOtherMs, cpuBusiestOtherMs };
}

function line(name: string, t: Timing, flop: number, extra = ""): void {
  const cpu =
    t.cpuMainMs === null
      ? ""
      : `  cpu/call: main ${t.cpuMainMs.toFixed(1)} ms, other threads ${t.cpuOtherMs!.toFixed(1)} ms (busiest ${t.cpuBusiestOtherMs!.toFixed(1)})`;
  console.log(
    `${name.padEnd(44)} median ${t.medianMs.toFixed(2).padStart(8)} ms  min ${t.minMs.toFixed(2).padStart(8)} ms  ` +
      `${(flop / t.medianMs / 1e6).toFixed(2).padStart(7)} GFLOP/s  (${t.runs} runs)${cpu}${extra}`,
  );
}

/** A timing of calls that each run `steps` steps, as a timing per step. */
function perStep(t: Timing, steps: number): Timing {
  const per = (x: number | null) => (x === null ? null : x / steps);
  return {
    medianMs: t.medianMs / steps,
    minMs: t.minMs / steps,
    runs: t.runs * steps,
    cpuMainMs: per(t.cpuMainMs),
    cpuOtherMs: per(t.cpuOtherMs),
    cpuBusiestOtherMs: per(t.cpuBusiestOtherMs),
  };
}

function randTensor(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from(makeRng(seed).normals(n)), shape);
}

interface Reference {
  A?: number;
  B?: number;
  C?: number;
  D?: number;
}

/** One process of the reference: PyTorch/numpy run now on this machine, or null when Python or its packages are missing. */
function pythonRun(): Reference | null {
  const script = "/work/shared/refbench/bench_py.py";
  if (!fs.existsSync(script) || !fs.existsSync("/usr/bin/python3")) return null;
  const ob = "/usr/lib/x86_64-linux-gnu/openblas-pthread";
  const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", LD_LIBRARY_PATH: ob, OMP_NUM_THREADS: "2", OPENBLAS_NUM_THREADS: "2" };
  const r = spawnSync("/usr/bin/python3", [script, "openblas", "2"], { env: { ...env, PARTS: "A,B,C" }, encoding: "utf8" });
  if (r.status !== 0) return null;
  const rs = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("RESULT "))
    .map((l) => JSON.parse(l.slice(7)) as { op?: string; backend?: string; median_ms?: number });
  const find = (op: string, backendPart?: string) =>
    rs.find((q) => q.op === op && (!backendPart || (q.backend ?? "").includes(backendPart)))?.median_ms;
  // D with numpy's batched matmul (not part of bench_py.py).
  const d = spawnSync(
    "/usr/bin/python3",
    [
      "-c",
      `import numpy as np, time, statistics
rs = np.random.default_rng(0); A = rs.standard_normal((${MM_COUNT},${MM_D},${MM_D})); S = rs.standard_normal((${MM_COUNT},${MM_D},${MM_D}))
ts = []
for i in range(60):
    t0 = time.perf_counter(); R = A @ S @ A.transpose(0, 2, 1); ts.append(time.perf_counter() - t0)
print(statistics.median(ts[10:]) * 1e3)`,
    ],
    { env, encoding: "utf8" },
  );
  const D = d.status === 0 ? Number(d.stdout.trim()) : undefined;
  return { A: find("A fwd"), B: find("B train"), C: find("C chol+solve", "np.linalg.cholesky"), D: Number.isFinite(D) ? D : undefined };
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(info.message);
  const load0 = os.loadavg()[0];
  console.log(`machine: ${os.cpus().length} cores, load average ${load0.toFixed(1)} (timings are noisy when it exceeds the core count)`);
  const t0 = Date.now();
  const tS = quick ? 1.5 : 6; // seconds per figure, over all rounds
  // The shared host's speed drifts over tens of seconds: every figure is measured in R short windows
  // spread over the whole run (rounds of all workloads, each followed by one PyTorch/numpy process),
  // and the best window counts, for ours and for the reference alike.
  const R = quick ? 1 : 3;

  // ---- set-up of every workload ----
  // A: the planners' forward pass on arrays, through tfjs (wasm) and ONNX Runtime (1 and 2 threads).
  const fwdNet = new EnsembleMLP({ inputSize: IN, outputSize: OUT, hiddenSizes: [H, H, H], members: E, activation: "silu", seed: 0 });
  const xA = randTensor([E, ROWS_FWD, IN], 1) as tf.Tensor3D;
  const xArr = xA.dataSync() as Float32Array;
  const xMembers = Array.from({ length: E }, (_, b) => xArr.slice(b * ROWS_FWD * IN, (b + 1) * ROWS_FWD * IN));
  const layers = fwdNet.getWeights().layers.map((ls) => ls.map((l, i) => ({ w: l.w, b: l.b, inSize: DIMS[i], outSize: DIMS[i + 1] })));
  const onnx1 = onnxRuntime() ? await OnnxEnsemble.create(layers, "silu", 1) : null;
  const onnx2 = onnxRuntime() ? await OnnxEnsemble.create(layers, "silu", 2) : null;
  let onnxErr = NaN;
  if (onnx2) {
    const a = forwardArrays(fwdNet, xMembers),
      o = onnx2.run(xMembers);
    onnxErr = Math.max(...a.map((m, b) => Math.max(...Array.from(m.mean, (v, i) => Math.abs(v - o[b].y[i])))));
  } else console.log("ONNX Runtime unavailable: A reports the tfjs path only");
  // B: one training step.
  const trainCfg = {
    inputSize: IN,
    outputSize: 4,
    hiddenSizes: [H, H, H],
    members: E,
    head: "gaussian" as const,
    minLogVar: -10,
    maxLogVar: 0.5,
    learningRate: 1e-3,
    seed: 0,
  };
  const trainNet = new EnsembleMLP(trainCfg),
    tfjsNet = new EnsembleMLP(trainCfg);
  // A fit of one epoch of STEPS minibatches of 256 rows per member, timed and divided by STEPS. No
  // bootstrap (it only changes which rows are drawn, not the work), so the loss printed before and
  // after is on each member's own training data and shows the steps learning.
  const STEPS = 8;
  const dataRng = makeRng(2);
  const xFit = { rows: STEPS * ROWS_TRAIN, cols: IN, data: Float64Array.from(dataRng.normals(STEPS * ROWS_TRAIN * IN)) };
  const yFit = { rows: STEPS * ROWS_TRAIN, cols: 4, data: Float64Array.from(dataRng.normals(STEPS * ROWS_TRAIN * 4)) };
  const fitEpoch = (net: EnsembleMLP, engine: "onnx" | "tfjs") =>
    net.fit(xFit, yFit, { epochs: 1, batchSize: ROWS_TRAIN, engine, normalizeInputs: false, bootstrap: false });
  const trainEngine = fitEpoch(trainNet, onnxRuntime() ? "onnx" : "tfjs").engine;
  const loss0 = trainNet.evaluate(xFit, yFit);
  // C: a GP-like kernel matrix.
  const rng = makeRng(99);
  const X = rng.normals(N * 5);
  const K = mat(N, N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let d2 = 0;
      for (let k = 0; k < 5; k++) d2 += (X[i * 5 + k] - X[j * 5 + k]) ** 2;
      K.data[i * N + j] = Math.exp((-0.5 * d2) / 1.5 ** 2) + (i === j ? 1e-2 : 0);
    }
  }
  const y = rng.normals(N);
  let v: ArrayLike<number> = new Float64Array(N);
  // D: stacks of 6 x 6 matrices.
  const r2 = makeRng(5);
  const As = Float64Array.from(r2.normals(MM_COUNT * MM_D * MM_D)),
    Ss = Float64Array.from(r2.normals(MM_COUNT * MM_D * MM_D));
  const AS = new Float64Array(MM_COUNT * MM_D * MM_D),
    ASAt = new Float64Array(MM_COUNT * MM_D * MM_D);

  const workloads: { key: string; fn: () => unknown; warmup?: number; maxRuns?: number; seconds?: number }[] = [
    { key: "Awasm", fn: () => forwardArrays(fwdNet, xMembers) },
    ...(onnx1 ? [{ key: "Aonnx1", fn: () => onnx1.run(xMembers) }] : []),
    ...(onnx2 ? [{ key: "Aonnx2", fn: () => onnx2.run(xMembers) }] : []),
    { key: "B", fn: () => fitEpoch(trainNet, trainEngine) },
    ...(trainEngine === "onnx" ? [{ key: "Btfjs", fn: () => fitEpoch(tfjsNet, "tfjs") }] : []),
    { key: "C", fn: () => (v = cholSolve(cholesky(K), y)), warmup: 5, maxRuns: 3000 },
    { key: "CL", fn: () => (v = solve(K, y)), maxRuns: 1000, seconds: quick ? 0.5 : 2 },
    {
      key: "D",
      fn: () => {
        matmulBatch(As, Ss, MM_COUNT, MM_D, MM_D, MM_D, { out: AS });
        matmulBatch(AS, As, MM_COUNT, MM_D, MM_D, MM_D, { transB: true, out: ASAt });
      },
      seconds: quick ? 1 : 3,
    },
  ];
  const best = new Map<string, Timing>();
  const refRuns: Reference[] = [];
  for (let round = 0; round < R; round++) {
    console.log(
      `round ${round + 1} of ${R}: our kernels${noPython ? "" : ", then one PyTorch/numpy process (bench_py.py, OpenBLAS, 2 threads)"}`,
    );
    for (const w of workloads) {
      const t = await bench(w.fn, (w.seconds ?? tS) / R, round === 0 ? (w.warmup ?? 3) : 1, w.maxRuns ?? 500);
      const prev = best.get(w.key);
      if (!prev || t.medianMs < prev.medianMs) best.set(w.key, t);
    }
    if (!noPython) {
      const r = pythonRun();
      if (r) refRuns.push(r);
    }
  }
  const loss1 = trainNet.evaluate(xFit, yFit);
  onnx1?.dispose();
  onnx2?.dispose();
  const Awasm = best.get("Awasm")!,
    Aonnx1 = best.get("Aonnx1") ?? null,
    Aonnx2 = best.get("Aonnx2") ?? null,
    B = perStep(best.get("B")!, STEPS),
    Btfjs = best.has("Btfjs") ? perStep(best.get("Btfjs")!, STEPS) : null;
  // The path the planners take: ONNX Runtime with 2 threads where it loads.
  const A = Aonnx2 ?? Awasm;
  const C = best.get("C")!,
    CL = best.get("CL")!,
    D = best.get("D")!;
  const resid = (u: ArrayLike<number>) => Math.max(...Array.from(matvec(K, u), (r, i) => Math.abs(r - y[i])));
  line("A  forward 5 x 2000, tfjs wasm (1 thread)", Awasm, FWD_FLOP);
  if (Aonnx1) line("A  forward 5 x 2000, ONNX Runtime 1 thread", Aonnx1, FWD_FLOP);
  if (Aonnx2) line("A  forward 5 x 2000, ONNX Runtime 2 threads", Aonnx2, FWD_FLOP, `  max |diff| vs tfjs ${onnxErr.toExponential(1)}`);
  line(
    `B  train step NLL+Adam 5 x 256, ${trainEngine === "onnx" ? "ONNX Runtime" : "tfjs"}`,
    B,
    TRAIN_FLOP,
    `  loss ${loss0.toFixed(3)} -> ${loss1.toFixed(3)}`,
  );
  if (Btfjs) line("B  train step NLL+Adam 5 x 256, tfjs (fallback)", Btfjs, TRAIN_FLOP);
  line("C  Cholesky + solve 300 x 300 (float64)", C, CHOL_FLOP, `  residual ${resid(cholSolve(cholesky(K), y)).toExponential(1)}`);
  line("C' LU solve 300 x 300 (float64)", CL, (2 * N ** 3) / 3 + 2 * N ** 2, `  residual ${resid(v).toExponential(1)}`);
  line("D  20,000 x (A S A^T), 6 x 6 float64", D, MM_FLOP, "  (matmulBatch)");
  tf.dispose([xA]);
  fwdNet.dispose();
  trainNet.dispose();
  tfjsNet.dispose();

  // ---- the reference ----
  const bestRef = (key: keyof Reference) => {
    const xs = refRuns.map((r) => r[key]).filter((x): x is number => typeof x === "number");
    return xs.length ? Math.min(...xs) : undefined;
  };
  const refA0 = bestRef("A"),
    refB0 = bestRef("B"),
    refC0 = bestRef("C"),
    refD = bestRef("D");
  const ref = refA0 !== undefined && refB0 !== undefined && refC0 !== undefined ? { A: refA0, B: refB0, C: refC0, D: refD ?? null } : null;
  const refA = ref?.A ?? STORED.A,
    refB = ref?.B ?? STORED.B,
    refC = ref?.C ?? STORED.C;
  const source = ref
    ? "PyTorch/numpy measured now on this machine"
    : "stored figures from /work/shared/refbench/README.md (Python not run)";
  console.log(
    `reference (${source}): A ${refA.toFixed(2)} ms, B ${refB.toFixed(2)} ms, C ${refC.toFixed(3)} ms` +
      (ref?.D ? `, D ${ref.D.toFixed(2)} ms` : ""),
  );
  const bestA = A,
    bestB = B;
  const ratio = (ours: number, theirs: number) => +(ours / theirs).toFixed(2);
  console.log(
    `ours / reference (time ratio, < 1 is faster): forward ${ratio(bestA.medianMs, refA)} (goal <= 1), ` +
      `train ${ratio(bestB.medianMs, refB)} (goal <= 2.5), cholesky ${ratio(C.medianMs, refC)} (goal <= 3)` +
      (ref?.D ? `, batched 6x6 ${ratio(D.medianMs, ref.D)}` : ""),
  );
  const round = (x: number, d = 3) => +x.toFixed(d);
  console.log(
    JSON.stringify({
      bench: "kernels",
      backend: info.name,
      simd: info.simd,
      quick,
      rounds: R,
      forwardEngine: Aonnx2 ? "onnxruntime, 2 threads" : "tfjs wasm",
      ensembleForwardMs: round(A.medianMs),
      ensembleForwardGflops: round(FWD_FLOP / A.medianMs / 1e6),
      ensembleForwardWasmMs: round(Awasm.medianMs),
      ensembleForwardOnnx1ThreadMs: Aonnx1 ? round(Aonnx1.medianMs) : null,
      ensembleForwardOnnx2ThreadsMs: Aonnx2 ? round(Aonnx2.medianMs) : null,
      trainEngine: trainEngine === "onnx" ? `onnxruntime, ${onnxThreads()} threads` : `tfjs ${info.name}`,
      trainStepMs: round(B.medianMs),
      trainStepTfjsMs: Btfjs ? round(Btfjs.medianMs) : round(B.medianMs),
      trainStepGflops: round(TRAIN_FLOP / B.medianMs / 1e6),
      trainStepCpuMs: B.cpuMainMs === null ? null : round(B.cpuMainMs + (B.cpuOtherMs ?? 0), 1),
      cholesky300Ms: round(C.medianMs),
      cholesky300Gflops: round(CHOL_FLOP / C.medianMs / 1e6),
      luSolve300Ms: round(CL.medianMs),
      batched6x6Ms: round(D.medianMs),
      reference: {
        source,
        forwardMs: round(refA),
        trainStepMs: round(refB),
        cholesky300Ms: round(refC),
        batched6x6Ms: ref?.D ? round(ref.D) : null,
      },
      ratios: {
        forward: ratio(bestA.medianMs, refA),
        trainStep: ratio(bestB.medianMs, refB),
        cholesky300: ratio(C.medianMs, refC),
        batched6x6: ref?.D ? ratio(D.medianMs, ref.D) : null,
      },
      loadAverage: [round(load0, 1), round(os.loadavg()[0], 1)],
      seconds: round((Date.now() - t0) / 1000, 1),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
