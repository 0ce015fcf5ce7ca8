/**
 * An ensemble network as an ONNX model, run by ONNX Runtime (the onnxruntime-node package, CPU):
 * the planners' inference path. At planning batch sizes (hundreds to thousands of rows per member)
 * ONNX Runtime's native matrix products run several times faster than the tfjs wasm backend
 * (`npm run bench -- kernels` measures both), and a session runs synchronously, as a planner needs.
 *
 * The model is written here directly in the ONNX protobuf format (a few message types suffice:
 * model, graph, node, tensor, value info), one sub-graph per member: x_b -> Gemm -> SiLU ... -> Gemm,
 * with the input normalisation before it and the Gaussian head's soft bounds after it (OnnxHead), so
 * a planner's thousands of rows per step need no per-number work in JavaScript.
 * ONNX Runtime is loaded lazily; where it cannot load, `onnxRuntime()` returns null and callers use tfjs.
 */
import { type OrtBindingSession, type OrtModules, type OrtTensor, onnxRuntime, onnxThreads } from "../core/onnx-runtime";
import type { Activation } from "./ops";

/** One member's layers: W is in x out row-major, b has out entries. */
export interface OnnxLayer {
  w: Float32Array;
  b: Float32Array;
  inSize: number;
  outSize: number;
}

// ---- a minimal protobuf writer ---------------------------------------------------------------

export class ProtoWriter {
  /** The message so far as chunks (weights are copied once, at the end, not byte by byte). */
  private readonly chunks: Uint8Array[] = [];
  length = 0;
  private push(c: Uint8Array): void {
    this.chunks.push(c);
    this.length += c.length;
  }
  varint(v: number): void {
    const out: number[] = [];
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    while (x >= 0x80n) {
      out.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }
  int(field: number, v: number): void {
    this.varint(field << 3); // wire type 0
    this.varint(v);
  }
  raw(field: number, data: Uint8Array): void {
    this.varint((field << 3) | 2); // wire type 2: length-delimited
    this.varint(data.length);
    this.push(data);
  }
  str(field: number, s: string): void {
    this.raw(field, Buffer.from(s, "utf8"));
  }
  msg(field: number, w: ProtoWriter): void {
    this.varint((field << 3) | 2);
    this.varint(w.length);
    for (const c of w.chunks) this.push(c);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64

export function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === "number")
      dim.int(1, d); // dim_value
    else dim.str(2, d); // dim_param
    shape.msg(1, dim);
  }
  const tensorType = new ProtoWriter();
  tensorType.int(1, FLOAT);
  tensorType.msg(2, shape);
  const type = new ProtoWriter();
  type.msg(1, tensorType);
  const v = new ProtoWriter();
  v.str(1, name);
  v.msg(2, type);
  return v;
}

export function initializer(name: string, dims: number[], data: Float32Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT);
  t.str(8, name);
  t.raw(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // raw_data, little-endian
  return t;
}

/** A 1-D int64 constant (axes, slice bounds). */
export function int64Initializer(name: string, values: readonly number[]): ProtoWriter {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  const t = new ProtoWriter();
  t.int(1, values.length);
  t.int(2, INT64);
  t.str(8, name);
  t.raw(9, new Uint8Array(data.buffer));
  return t;
}

/** A node attribute: an int, or a list of ints. */
export type NodeAttributes = Record<string, number | readonly number[]>;

export function node(op: string, inputs: string[], outputs: string[], attributes: NodeAttributes = {}): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(4, op);
  for (const [name, v] of Object.entries(attributes)) {
    const a = new ProtoWriter();
    a.str(1, name);
    if (typeof v === "number") {
      a.int(3, v); // i
      a.int(20, 2); // type INT
    } else {
      for (const x of v) a.int(8, x); // ints
      a.int(20, 7); // type INTS
    }
    n.msg(5, a);
  }
  return n;
}

/** Hidden activations ONNX has a node for (tanh as Tanh; SiLU as x * Sigmoid(x)). */
export const ONNX_ACTIVATIONS: readonly Activation[] = ["silu", "swish", "relu", "tanh", "linear"];

/** Builds a graph as a node list with generated names for the intermediate values. */
export class GraphBuilder {
  readonly g = new ProtoWriter();
  private n = 0;
  constructor(name: string) {
    this.g.str(2, name);
  }
  /** Adds a node; its output is `out` or a fresh name. */
  op(type: string, inputs: string[], attrs: NodeAttributes = {}, out?: string): string {
    const o = out ?? `_t${this.n++}`;
    this.g.msg(1, node(type, inputs, [o], attrs));
    return o;
  }
  input(name: string, dims: (number | string)[]): string {
    this.g.msg(11, valueInfo(name, dims));
    return name;
  }
  output(name: string, dims: (number | string)[]): void {
    this.g.msg(12, valueInfo(name, dims));
  }
  /** A float tensor constant (weights, normaliser statistics). */
  tensor(name: string, dims: number[], data: Float32Array): string {
    this.g.msg(5, initializer(name, dims, data));
    return name;
  }
  private readonly consts = new Set<string>();
  /** A float scalar constant, added to the graph on first use (ONNX Runtime warns of unused ones). */
  float(v: number): string {
    const name = `f${v}`;
    if (!this.consts.has(name)) this.g.msg(5, initializer(name, [], Float32Array.of(v)));
    this.consts.add(name);
    return name;
  }
  /** A 1-D int64 constant (axes, slice bounds), added on first use. */
  ints(v: number[]): string {
    const name = `i${v.join("_")}`;
    if (!this.consts.has(name)) this.g.msg(5, int64Initializer(name, v));
    this.consts.add(name);
    return name;
  }
}

/**
 * A hidden layer's activation as nodes (tanh as Tanh; SiLU as z * Sigmoid(z)): its output and, for
 * SiLU, the sigmoid (the training graph's backward pass reuses it).
 */
export function activationNodes(b: GraphBuilder, z: string, act: Activation): { h: string; sigmoid?: string } {
  if (act === "linear") return { h: z };
  if (act === "relu") return { h: b.op("Relu", [z]) };
  if (act === "tanh") return { h: b.op("Tanh", [z]) };
  const sigmoid = b.op("Sigmoid", [z]);
  return { h: b.op("Mul", [z, sigmoid]), sigmoid };
}

/**
 * A Gaussian head as nodes: `out` [..., 2d] split along `axis` into the mean and the raw
 * log-variance, bounded softly as ops.ts's softBoundLogVar does (lecture 003):
 *   logVar = min + softplus(c),  c = upper - min,  upper = max - softplus(a),  a = max - raw.
 * Returns the node names, a and c included (the training graph's backward pass needs them);
 * `names` gives the mean and the log-variance fixed names (graph outputs).
 */
export function gaussianHeadNodes(
  b: GraphBuilder,
  out: string,
  d: number,
  axis: number,
  minLV: string,
  maxLV: string,
  names: { mean?: string; logVar?: string } = {},
): { mean: string; a: string; c: string; logVar: string } {
  const mean = b.op("Slice", [out, b.ints([0]), b.ints([d]), b.ints([axis])], {}, names.mean);
  const raw = b.op("Slice", [out, b.ints([d]), b.ints([2 * d]), b.ints([axis])]);
  const a = b.op("Sub", [maxLV, raw]);
  const upper = b.op("Sub", [maxLV, b.op("Softplus", [a])]);
  const c = b.op("Sub", [upper, minLV]);
  const logVar = b.op("Add", [minLV, b.op("Softplus", [c])], {}, names.logVar);
  return { mean, a, c, logVar };
}

/**
 * What the inference model computes around the member MLPs, so that a planner's rows need no
 * per-number JavaScript: the input normalisation (x - mean) * invStd, and for a Gaussian head the
 * split of the output into the mean and the soft-bounded log-variance (lecture 003's bounds,
 * exactly as ops.ts's softBoundLogVar and the training graph write them).
 */
export interface OnnxHead {
  /** The input normaliser (invStd = 1 / std, as the network's normaliser holds it). */
  normalise?: { mean: Float32Array; invStd: Float32Array };
  /** A Gaussian head: the network's output is [mean (d), raw log-variance (d)] with these bounds. */
  gaussian?: { minLogVar: Float32Array; maxLogVar: Float32Array };
}

/**
 * The ONNX model of B member MLPs: input `x<b>` [rows, in], output `y<b>` [rows, out] for member b,
 * hidden layers followed by the activation, the last layer linear (opset 13). With `head.normalise`
 * the inputs are raw and normalised inside; with `head.gaussian`, `y<b>` is the mean [rows, d] and
 * `v<b>` the bounded log-variance [rows, d].
 */
export function ensembleOnnxModel(members: readonly (readonly OnnxLayer[])[], activation: Activation, head: OnnxHead = {}): Uint8Array {
  const b = new GraphBuilder("ensemble");
  const inSize = members[0][0].inSize;
  const norm = head.normalise
    ? { mean: b.tensor("inMean", [inSize], head.normalise.mean), inv: b.tensor("inInvStd", [inSize], head.normalise.invStd) }
    : null;
  const out = members[0][members[0].length - 1].outSize;
  const d = out / 2;
  const bounds = head.gaussian
    ? { min: b.tensor("minLV", [d], head.gaussian.minLogVar), max: b.tensor("maxLV", [d], head.gaussian.maxLogVar) }
    : null;
  members.forEach((layers, m) => {
    let h = b.input(`x${m}`, [`rows${m}`, inSize]);
    if (norm) h = b.op("Mul", [b.op("Sub", [h, norm.mean]), norm.inv]);
    layers.forEach((l, i) => {
      const last = i === layers.length - 1;
      const z = b.op(
        "Gemm",
        [h, b.tensor(`W${m}_${i}`, [l.inSize, l.outSize], l.w), b.tensor(`B${m}_${i}`, [l.outSize], l.b)],
        {},
        last && !bounds ? `y${m}` : undefined,
      );
      h = last ? z : activationNodes(b, z, activation).h;
    });
    if (bounds) {
      gaussianHeadNodes(b, h, d, 1, bounds.min, bounds.max, { mean: `y${m}`, logVar: `v${m}` });
      b.output(`y${m}`, [`rows${m}`, d]);
      b.output(`v${m}`, [`rows${m}`, d]);
    } else b.output(`y${m}`, [`rows${m}`, out]);
  });
  return modelBytes(b.g);
}

/** A graph wrapped as a model of the default domain, opset 13. */
export function modelBytes(graph: ProtoWriter): Uint8Array {
  const opset = new ProtoWriter();
  opset.str(1, "");
  opset.int(2, 13);
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.str(2, "mbrl-course");
  model.msg(7, graph);
  model.msg(8, opset);
  return model.bytes();
}

// ---- the runtime (lib/core/onnx-runtime.ts) -----------------------------------------------------

export { onnxRuntime, onnxThreads, type OrtBindingSession, type OrtModules, type OrtTensor } from "../core/onnx-runtime";

/** How every session of the course runs: `threads` threads inside an op, one op at a time. */
export function sessionOptions(threads: number): object {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    // Errors only: ONNX Runtime's warnings would land in a notebook's output as stray stderr.
    logSeverityLevel: 3,
    // Idle threads sleep instead of spinning: on a shared machine spinning burns the CPU time the
    // other thread (and other processes) need.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

/**
 * A session with this model loaded, or null if ONNX Runtime is missing or rejects the model. The
 * binding loads synchronously and settles its promise before returning it, so whether the load
 * worked is known at once: an unloaded session refuses to report its inputs. (A session that failed
 * to load and were kept would make every run throw instead of falling back to tfjs.)
 */
export function loadSession(bytes: Uint8Array, threads: number): OrtBindingSession | null {
  const ort = onnxRuntime();
  if (!ort) return null;
  const session = ort.newSession();
  try {
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions(threads)).catch(() => undefined);
    void session.inputMetadata;
  } catch {
    return null;
  }
  return session;
}

/** One member's outputs from an OnnxEnsemble: `y` (the mean for a Gaussian head) and the bounded log-variance `v`. */
export interface OnnxMemberOutput {
  y: Float32Array;
  v: Float32Array | null;
}

/** A loaded ensemble model: run(xs) gives each member's outputs on its own rows, synchronously. */
export class OnnxEnsemble {
  private constructor(
    private readonly ort: OrtModules,
    private readonly session: OrtBindingSession,
    readonly members: number,
    readonly inSize: number,
    private readonly gaussian: boolean,
  ) {}

  /** Builds and loads the model (ensembleOnnxModel's graph); null where ONNX Runtime is unavailable. */
  static async create(
    members: readonly (readonly OnnxLayer[])[],
    activation: Activation,
    threads = onnxThreads(),
    head: OnnxHead = {},
  ): Promise<OnnxEnsemble | null> {
    const ort = onnxRuntime();
    const session = ort && loadSession(ensembleOnnxModel(members, activation, head), threads);
    if (!ort || !session) return null;
    return new OnnxEnsemble(ort, session, members.length, members[0][0].inSize, head.gaussian !== undefined);
  }

  /** Member b on rows xs[b] (rows x inSize, flat; zero rows allowed). */
  run(xs: readonly Float32Array[]): OnnxMemberOutput[] {
    const feeds: Record<string, OrtTensor> = {};
    const fetches: Record<string, null> = {};
    for (let b = 0; b < this.members; b++) {
      feeds[`x${b}`] = new this.ort.Tensor("float32", xs[b], [xs[b].length / this.inSize, this.inSize]);
      fetches[`y${b}`] = null;
      if (this.gaussian) fetches[`v${b}`] = null;
    }
    const out = this.session.run(feeds, fetches, {});
    return xs.map((_, b) => ({ y: out[`y${b}`].data, v: this.gaussian ? out[`v${b}`].data : null }));
  }

  dispose(): void {
    this.session.dispose();
  }
}
