/**
 * The trainer worker of ParallelTrainer (parallel-trainer.ts): holds a copy of the network and its
 * Adam state, and takes its part of every step: members [lo, hi) whole (their gradients and Adam
 * update here; their weights stay here until a pull), and the last rows of the shared member, whose
 * gradient goes back to the main thread. The log-variance bounds belong to the main thread, which
 * sends their values with each step. Started by link.ts's startWorker.
 */
import { tf } from "../../core/backend";
import { EnsembleMLP } from "../ensemble";
import { serveRequests } from "./link";
import { type StepRequest, type TrainerRequest, type WorkerReply, addGradients, buffersOf } from "./protocol";

let net: EnsembleMLP | null = null;

function step(n: EnsembleMLP, msg: StepRequest): { reply: Omit<WorkerReply, "id">; transfer: ArrayBuffer[] } {
  const t0 = performance.now();
  const c = n.config;
  if (msg.bounds) {
    const [lo, hi] = msg.bounds;
    tf.tidy(() => {
      n.minLogVar!.assign(tf.tensor1d(lo));
      n.maxLogVar!.assign(tf.tensor1d(hi));
    });
  }
  let loss = 0;
  let sharedGrads: (Float32Array | null)[] | null = null;
  const boundGrads: (Float32Array | null)[] = new Array(n.variables().length - msg.B * msg.per).fill(null);
  if (msg.hi > msg.lo) {
    const k = msg.hi - msg.lo;
    const xt = tf.tensor3d(msg.x, [k, msg.rows, c.inputSize]), yt = tf.tensor3d(msg.y, [k, msg.rows, c.outputSize]);
    try {
      const r = n.memberStep(xt, yt, msg.kind, [msg.lo, msg.hi], { scale: k / msg.B, penalty: false });
      loss += r.loss;
      addGradients(boundGrads, r.boundGrads);
    } finally {
      tf.dispose([xt, yt]);
    }
  }
  if (msg.sharedRows > 0 && msg.shared !== null) {
    const k = msg.shared, rows = msg.sharedRows;
    const xt = tf.tensor3d(msg.xs, [1, rows, c.inputSize]), yt = tf.tensor3d(msg.ys, [1, rows, c.outputSize]);
    try {
      const r = n.memberLossGradients(xt, yt, msg.kind, [k, k + 1], { scale: rows / msg.rows / msg.B, penalty: false });
      loss += r.loss;
      sharedGrads = r.grads.slice(k * msg.per, (k + 1) * msg.per);
      addGradients(boundGrads, r.grads.slice(msg.B * msg.per));
    } finally {
      tf.dispose([xt, yt]);
    }
  }
  const transfer = [...buffersOf(boundGrads), ...buffersOf(sharedGrads ?? [])];
  return { reply: { loss, boundGrads, sharedGrads, ms: performance.now() - t0 }, transfer };
}

serveRequests<TrainerRequest>((msg) => {
  if (msg.type === "init") {
    net?.dispose();
    net = new EnsembleMLP(msg.config);
    net.setWeights(msg.weights);
    net.setOptimizerState(msg.opt);
    return { reply: {} };
  }
  if (!net) throw new Error(`"${msg.type}" before "init"`);
  if (msg.type === "step") return step(net, msg);
  if (msg.type === "apply") {
    // The shared member's summed gradient: the same Adam step as on the main thread keeps this copy equal.
    net.applyGradientArrays(msg.grads, { tick: msg.tick });
    return null;
  }
  const n = net;
  const vars = n.variables().slice(msg.first, msg.last);
  const values = vars.map((v) => v.dataSync().slice() as Float32Array);
  const moments = vars.map((_, k) => n.optimizerMoments(msg.first + k));
  const transfer = buffersOf([...values, ...moments.flatMap((m) => [m.m, m.v])]);
  return { reply: { values, moments }, transfer };
});
