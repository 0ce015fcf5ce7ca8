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
import type { Activation } from "./ops";

/** One member's layers: W is in x out row-major, b has out entries. */
export interface OnnxLayer {
  w: Float32Array;
  b: Float32Array;
  inSize: number;
  outSize: number;
}

// ---- a minimal protobuf writer ---------------------------------------------------------------

class ProtoWriter {
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

function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
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

function initializer(name: string, dims: number[], data: Float32Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT);
  t.str(8, name);
  t.raw(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // raw_data, little-endian
  return t;
}

function node(op: string, inputs: string[], outputs: string[]): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(4, op);
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
  const opset = new ProtoWriter();
  opset.str(1, "");
  opset.int(2, 13);
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.str(2, "mbrl-course");
  model.msg(7, g);
  model.msg(8, opset);
  return model.bytes();
}

// ---- the runtime ------------------------------------------------------------------------------

interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
interface OrtBindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): Promise<void>;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}
interface OrtModules {
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTensor;
  newSession: () => OrtBindingSession;
}

let ortCache: OrtModules | null | undefined;

/**
 * ONNX Runtime, or null where the package or its native library cannot load (MBRL_ONNX=0 also turns
 * it off). Uses the binding's synchronous run (the package's public run() only wraps it in a Promise).
 */
export function onnxRuntime(): OrtModules | null {
  if (ortCache !== undefined) return ortCache;
  ortCache = null;
  if (process.env.MBRL_ONNX === "0") return null;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const ort = require("onnxruntime-node") as { Tensor: OrtModules["Tensor"] };
    const b = require("onnxruntime-node/dist/binding") as {
      binding: { InferenceSession: new () => OrtBindingSession };
      initOrt: () => void;
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    b.initOrt();
    ortCache = { Tensor: ort.Tensor, newSession: () => new b.binding.InferenceSession() };
  } catch {
    ortCache = null;
  }
  return ortCache;
}

/** Threads ONNX Runtime uses inside one product: MBRL_ONNX_THREADS, else 2 where there are 2 cores. */
export function onnxThreads(): number {
  const env = Number(process.env.MBRL_ONNX_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require("os") as typeof import("os");
  return Math.min(2, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
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
    await session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      // Idle threads sleep instead of spinning: on a shared machine spinning burns the CPU time the
      // other thread (and other processes) need.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
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
