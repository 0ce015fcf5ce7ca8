/**
 * The loss and gradient of an ensemble network on one minibatch, as one ONNX Runtime session: the
 * forward pass, the loss (Gaussian NLL with the soft log-variance bounds, or squared error) and the
 * gradient with respect to every weight, bias and bound, written out as a graph. The backward pass
 * is written by hand, node by node, exactly as ops.ts's `mlp` writes it for tfjs. Adam stays in
 * JavaScript (adam.ts's stepArrays), so both engines share one optimiser and one set of moments.
 *
 * Why a second engine: a training step of the PETS ensemble (5 members of 6-200-200-200-8, 256 rows
 * each) is about 0.63 GFLOP of matrix products. The tfjs wasm backend runs them on one thread at about
 * 11 GFLOP/s; ONNX Runtime's native kernels use both cores and the CPU's fused multiply-add
 * (`npm run bench -- kernels` measures both engines on the same step). Where ONNX Runtime cannot load,
 * fitEnsemble trains with tfjs (training.ts), and says so in its result.
 *
 * Shapes: members are stacked along the first axis, so one batched MatMul runs all members:
 *   inputs   x [E, R, in]  y [E, R, d]  W<l> [E, in_l, out_l]  B<l> [E, 1, out_l]
 *            minLV, maxLV [d] (Gaussian head with the NLL loss)   scale [] = 1 / (E R d)
 *   outputs  loss []  gW<l>  gB<l>  (and gMinLV, gMaxLV [d] with the NLL loss)
 * The loss is the mean over all E R d entries, as EnsembleMLP.loss computes it, without the bound
 * penalty (a constant gradient, added by the caller).
 */
import type { LossKind } from "./config";
import {
  type OrtBindingSession,
  type OrtModules,
  type OrtTensor,
  GraphBuilder,
  activationNodes,
  gaussianHeadNodes,
  loadSession,
  modelBytes,
  onnxRuntime,
  onnxThreads,
} from "./onnx";
import type { Activation } from "./ops";

/** The architecture and loss a training graph is built for. */
export interface TrainGraphSpec {
  members: number;
  /** Layer widths: input, hidden..., head output (2 d for a Gaussian head). */
  sizes: readonly number[];
  activation: Activation;
  head: "gaussian" | "deterministic";
  /** The target width d. */
  outputSize: number;
  kind: LossKind;
}

/** The ONNX model of one training step's loss and gradients (see the file's header for its signature). */
export function trainingOnnxModel(spec: TrainGraphSpec): Uint8Array {
  const { members: E, sizes, activation: act, head, outputSize: d, kind } = spec;
  const L = sizes.length - 1;
  const gaussian = head === "gaussian";
  const nll = kind === "nll";
  const b = new GraphBuilder("ensemble-train-step");
  const x = b.input("x", [E, "R", sizes[0]]);
  const y = b.input("y", [E, "R", d]);
  const scale = b.input("scale", []);
  const W: string[] = [],
    B: string[] = [];
  for (let l = 0; l < L; l++) {
    W.push(b.input(`W${l}`, [E, sizes[l], sizes[l + 1]]));
    B.push(b.input(`B${l}`, [E, 1, sizes[l + 1]]));
  }

  // Forward. H[l] is layer l's input; S[l] the sigmoid of a SiLU layer l (saved for its derivative).
  const H: string[] = [];
  const S: string[] = [];
  let h = x;
  for (let l = 0; l < L; l++) {
    H.push(h);
    const z = b.op("Add", [b.op("MatMul", [h, W[l]]), B[l]]);
    if (l === L - 1) h = z;
    else {
      const a = activationNodes(b, z, act);
      h = a.h;
      if (a.sigmoid) S[l] = a.sigmoid;
    }
  }
  const out = h;

  // The head and the loss; dOut is the loss's gradient w.r.t. the raw network output.
  // With the NLL loss the whole Gaussian head (the bounds are inputs); with squared error only its mean half.
  const nllHead = nll ? gaussianHeadNodes(b, out, d, 2, b.input("minLV", [d]), b.input("maxLV", [d])) : null;
  const mean = nllHead ? nllHead.mean : gaussian ? b.op("Slice", [out, b.ints([0]), b.ints([d]), b.ints([2])]) : out;
  const diff = b.op("Sub", [mean, y]);
  const sq = b.op("Mul", [diff, diff]);
  const scale2 = b.op("Mul", [scale, b.float(2)]);
  let dOut: string;
  if (nllHead) {
    const { a, c, logVar: lv } = nllHead;
    const inv = b.op("Exp", [b.op("Neg", [lv])]);
    const e2 = b.op("Mul", [sq, inv]);
    b.op("Mul", [b.op("ReduceSum", [b.op("Add", [e2, lv])], { keepdims: 0 }), scale], {}, "loss");
    // d/dmean = 2 (mean - y) exp(-lv) / N;  d/dlv = (1 - (mean - y)^2 exp(-lv)) / N
    const gMean = b.op("Mul", [b.op("Mul", [diff, inv]), scale2]);
    const gLv = b.op("Mul", [b.op("Sub", [b.float(1), e2]), scale]);
    // softplus' = sigmoid: dlv/dupper = sigmoid(c), dlv/dminLV = 1 - sigmoid(c) = sigmoid(-c);
    // dupper/draw = sigmoid(a), dupper/dmaxLV = sigmoid(-a). Written as sigmoid(-c), not 1 - sigmoid(c):
    // far inside the bounds c is large and the difference would cancel to float32 noise.
    const gUpper = b.op("Mul", [gLv, b.op("Sigmoid", [c])]);
    b.op("ReduceSum", [b.op("Mul", [gLv, b.op("Sigmoid", [b.op("Neg", [c])])]), b.ints([0, 1])], { keepdims: 0 }, "gMinLV");
    const gRaw = b.op("Mul", [gUpper, b.op("Sigmoid", [a])]);
    b.op("ReduceSum", [b.op("Mul", [gUpper, b.op("Sigmoid", [b.op("Neg", [a])])]), b.ints([0, 1])], { keepdims: 0 }, "gMaxLV");
    dOut = b.op("Concat", [gMean, gRaw], { axis: 2 });
  } else {
    b.op("Mul", [b.op("ReduceSum", [sq], { keepdims: 0 }), scale], {}, "loss");
    const gMean = b.op("Mul", [diff, scale2]);
    // A Gaussian head trained on squared error: its log-variance half gets no gradient.
    dOut = gaussian ? b.op("Concat", [gMean, b.op("ConstantOfShape", [b.op("Shape", [gMean])])], { axis: 2 }) : gMean;
  }

  // Backward, layer by layer (ops.ts's mlp): dW = H^T dz, dB = column sums of dz, dH = dz W^T,
  // then through the activation of the layer below, whose output is H[l].
  let dz = dOut;
  for (let l = L - 1; l >= 0; l--) {
    b.op("MatMul", [b.op("Transpose", [H[l]], { perm: [0, 2, 1] }), dz], {}, `gW${l}`);
    b.op("ReduceSum", [dz, b.ints([1])], { keepdims: 1 }, `gB${l}`);
    if (l === 0) break;
    const dh = b.op("MatMul", [dz, b.op("Transpose", [W[l]], { perm: [0, 2, 1] })]);
    const yl = H[l];
    if (act === "linear") dz = dh;
    else if (act === "relu")
      dz = b.op("Mul", [dh, b.op("Sign", [yl])]); // y >= 0, so sign(y) is the step
    else if (act === "tanh") dz = b.op("Mul", [dh, b.op("Sub", [b.float(1), b.op("Mul", [yl, yl])])]);
    else {
      const s = S[l - 1]; // silu'(z) = s + y - y s, y = z s
      dz = b.op("Mul", [dh, b.op("Add", [s, b.op("Sub", [yl, b.op("Mul", [yl, s])])])]);
    }
  }

  b.output("loss", []);
  for (let l = 0; l < L; l++) {
    b.output(`gW${l}`, [E, sizes[l], sizes[l + 1]]);
    b.output(`gB${l}`, [E, 1, sizes[l + 1]]);
  }
  if (nll) {
    b.output("gMinLV", [d]);
    b.output("gMaxLV", [d]);
  }
  return modelBytes(b.g);
}

/** A network's parameters as the graph takes them: per layer, all members stacked. */
export interface StackedParams {
  W: Float32Array[];
  B: Float32Array[];
  minLV: Float32Array | null;
  maxLV: Float32Array | null;
}

/** One step's loss (mean over entries, no bound penalty) and gradients, stacked like the parameters. */
export interface StackedGrads {
  loss: number;
  W: Float32Array[];
  B: Float32Array[];
  minLV: Float32Array | null;
  maxLV: Float32Array | null;
}

const sessions = new Map<string, OrtBindingSession>();

/** The loss and gradient of one architecture, run by ONNX Runtime. */
export class OnnxTrainStep {
  private constructor(
    private readonly ort: OrtModules,
    private readonly session: OrtBindingSession,
    readonly spec: TrainGraphSpec,
  ) {}

  /**
   * The step for this architecture and loss, or null where ONNX Runtime cannot load. Sessions are
   * cached per architecture and thread count (the graph holds no weights, so one serves every fit);
   * a model ONNX Runtime rejects gives null and is not cached.
   */
  static create(spec: TrainGraphSpec, threads = onnxThreads()): OnnxTrainStep | null {
    const ort = onnxRuntime();
    if (!ort) return null;
    const key = JSON.stringify([spec, threads]);
    let session = sessions.get(key);
    if (!session) {
      const loaded = loadSession(trainingOnnxModel(spec), threads);
      if (!loaded) return null; // not cached: fitEnsemble falls back to tfjs
      session = loaded;
      sessions.set(key, session);
    }
    return new OnnxTrainStep(ort, session, spec);
  }

  /** Loss and gradients on a batch: x [E, rows, in] and y [E, rows, d], flat, inputs already normalised. */
  run(x: Float32Array, y: Float32Array, rows: number, p: StackedParams): StackedGrads {
    const { members: E, sizes, outputSize: d, kind } = this.spec;
    const L = sizes.length - 1;
    const T = this.ort.Tensor;
    const feeds: Record<string, OrtTensor> = {
      x: new T("float32", x, [E, rows, sizes[0]]),
      y: new T("float32", y, [E, rows, d]),
      scale: new T("float32", Float32Array.of(1 / (E * rows * d)), []),
    };
    const fetches: Record<string, null> = { loss: null };
    for (let l = 0; l < L; l++) {
      feeds[`W${l}`] = new T("float32", p.W[l], [E, sizes[l], sizes[l + 1]]);
      feeds[`B${l}`] = new T("float32", p.B[l], [E, 1, sizes[l + 1]]);
      fetches[`gW${l}`] = null;
      fetches[`gB${l}`] = null;
    }
    const nll = kind === "nll";
    if (nll) {
      feeds.minLV = new T("float32", p.minLV!, [d]);
      feeds.maxLV = new T("float32", p.maxLV!, [d]);
      fetches.gMinLV = null;
      fetches.gMaxLV = null;
    }
    const o = this.session.run(feeds, fetches, {});
    const grads: StackedGrads = {
      loss: o.loss.data[0],
      W: [],
      B: [],
      minLV: nll ? o.gMinLV.data : null,
      maxLV: nll ? o.gMaxLV.data : null,
    };
    for (let l = 0; l < L; l++) {
      grads.W.push(o[`gW${l}`].data);
      grads.B.push(o[`gB${l}`].data);
    }
    return grads;
  }
}
