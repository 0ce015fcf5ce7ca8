/**
 * An ensemble network as an ONNX model, run by ONNX Runtime (the onnxruntime-node package, CPU):
 * the planners' inference path. At planning batch sizes (hundreds to thousands of rows per member)
 * ONNX Runtime's native matrix products run several times faster than the tfjs wasm backend
 * (`npm run bench -- kernels` measures both), and a session runs synchronously, as a planner needs.
 *
 * The model is written here directly in the ONNX protobuf format (a few message types suffice:
 * model, graph, node, tensor, value info), one sub-graph per member: x_b -> Gemm -> SiLU ... -> Gemm.
 * Input normalisation and the head stay in JavaScript (inference.ts), so the model is the plain MLP.
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

/**
 * The ONNX model of B member MLPs: input `x<b>` [rows, in], output `y<b>` [rows, out] for member b,
 * hidden layers followed by the activation, the last layer linear (opset 13).
 */
export function ensembleOnnxModel(members: readonly (readonly OnnxLayer[])[], activation: Activation): Uint8Array {
  const g = new ProtoWriter();
  g.str(2, "ensemble");
  members.forEach((layers, m) => {
    let h = `x${m}`;
    layers.forEach((l, i) => {
      const W = `W${m}_${i}`,
        Bn = `B${m}_${i}`,
        z = i === layers.length - 1 ? `y${m}` : `z${m}_${i}`;
      g.msg(5, initializer(W, [l.inSize, l.outSize], l.w));
      g.msg(5, initializer(Bn, [l.outSize], l.b));
      g.msg(1, node("Gemm", [h, W, Bn], [z]));
      h = z;
      if (i === layers.length - 1 || activation === "linear") return;
      const a = `h${m}_${i}`;
      if (activation === "relu") g.msg(1, node("Relu", [z], [a]));
      else if (activation === "tanh") g.msg(1, node("Tanh", [z], [a]));
      else {
        g.msg(1, node("Sigmoid", [z], [`s${m}_${i}`]));
        g.msg(1, node("Mul", [z, `s${m}_${i}`], [a]));
      }
      h = a;
    });
    g.msg(11, valueInfo(`x${m}`, [`rows${m}`, layers[0].inSize]));
    g.msg(12, valueInfo(`y${m}`, [`rows${m}`, layers[layers.length - 1].outSize]));
  });
  return modelBytes(g);
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

/** A loaded ensemble model: run(xs) gives each member's raw outputs on its own rows, synchronously. */
export class OnnxEnsemble {
  private constructor(
    private readonly ort: OrtModules,
    private readonly session: OrtBindingSession,
    readonly members: number,
    readonly inSize: number,
    readonly outSize: number,
  ) {}

  /** Builds and loads the model; null where ONNX Runtime is unavailable. */
  static async create(
    members: readonly (readonly OnnxLayer[])[],
    activation: Activation,
    threads = onnxThreads(),
  ): Promise<OnnxEnsemble | null> {
    const ort = onnxRuntime();
    if (!ort) return null;
    const bytes = ensembleOnnxModel(members, activation);
    const session = ort.newSession();
    await session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions(threads));
    const last = members[0][members[0].length - 1];
    return new OnnxEnsemble(ort, session, members.length, members[0][0].inSize, last.outSize);
  }

  /** Member b on rows xs[b] (rows x inSize, flat; zero rows allowed). */
  run(xs: readonly Float32Array[]): Float32Array[] {
    const feeds: Record<string, OrtTensor> = {};
    const fetches: Record<string, null> = {};
    for (let b = 0; b < this.members; b++) {
      feeds[`x${b}`] = new this.ort.Tensor("float32", xs[b], [xs[b].length / this.inSize, this.inSize]);
      fetches[`y${b}`] = null;
    }
    const out = this.session.run(feeds, fetches, {});
    return xs.map((_, b) => out[`y${b}`].data);
  }

  dispose(): void {
    this.session.dispose();
  }
}
