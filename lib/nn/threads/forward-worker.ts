/**
 * The forward worker of ParallelEnsemble (parallel-forward.ts): holds a copy of the network and runs
 * the very same EnsembleMLP.forwardMembers as the main thread on its share of the rows, so both
 * sides cost the same per row and give the same numbers. Started by link.ts's startWorker.
 */
import { tf } from "../../core/backend";
import { EnsembleMLP } from "../ensemble";
import { serveRequests } from "./link";
import type { ForwardRequest } from "./protocol";

let net: EnsembleMLP | null = null;

/** Every member on the rows x (shared by all members, or [B, rows, in]); outputs stacked [B, rows, out]. */
function forward(n: EnsembleMLP, x: Float32Array, rows: number, shared: boolean): { mean: Float32Array; logVar: Float32Array | null } {
  const B = n.members, d = n.config.inputSize, o = n.config.outputSize;
  const mean = new Float32Array(B * rows * o);
  const logVar = n.config.head === "gaussian" ? new Float32Array(B * rows * o) : null;
  const xt = shared ? tf.tensor2d(x, [rows, d]) : tf.tensor3d(x, [B, rows, d]);
  const r = n.forwardMembers(xt);
  for (let b = 0; b < B; b++) {
    mean.set(r.mean[b].dataSync(), b * rows * o);
    if (logVar && r.logVar) logVar.set(r.logVar[b].dataSync(), b * rows * o);
  }
  tf.dispose([xt, ...r.mean, ...(r.logVar ?? [])]);
  return { mean, logVar };
}

serveRequests<ForwardRequest>((msg) => {
  if (msg.type === "weights") {
    net?.dispose();
    net = new EnsembleMLP(msg.config);
    net.setWeights(msg.weights);
    return { reply: {} };
  }
  if (!net) throw new Error("forward before weights");
  const r = forward(net, msg.x, msg.rows, msg.shared);
  const transfer = [r.mean.buffer as ArrayBuffer];
  if (r.logVar) transfer.push(r.logVar.buffer as ArrayBuffer);
  return { reply: { mean: r.mean, logVar: r.logVar }, transfer };
});
