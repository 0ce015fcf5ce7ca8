/**
 * The tensor backend. tfjs-node (native TensorFlow) when it loads; otherwise tfjs's WebAssembly
 * backend with SIMD, loading its .wasm files from node_modules (no network); the plain JavaScript
 * "cpu" backend only as a last resort, because it is some 30x slower here.
 *
 * Call `await initBackend()` once before any tensor work; it is idempotent. `backendInfo()` says what runs.
 */
import * as path from "path";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { onnxMessage } from "./onnx-runtime";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  /** The tfjs backend in use. */
  name: BackendName;
  /** Whether WebAssembly SIMD is on (wasm backend only). */
  simd: boolean;
  /** Whether the wasm backend runs multi-threaded (it does not in Node). */
  threads: boolean;
  /** A sentence for students: what runs (tensor backend, and the engine of training and planning) and how to get something faster. */
  message: string;
}

/** The tfjs namespace every module of the course uses (one instance, one backend); usable in types too (tf.Tensor2D). */
export { tf };

let info: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

function tryTfjsNode(): boolean {
  try {
    // Optional dependency: absent when libtensorflow could not be downloaded at install time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

function wasmDir(): string {
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  // main is .../tfjs-backend-wasm/dist/tf-backend-wasm.node.js; the .wasm files sit beside it.
  const dir = path.dirname(main);
  if (!fs.existsSync(path.join(dir, "tfjs-backend-wasm-simd.wasm"))) {
    throw new Error(`tfjs wasm binaries not found in ${dir}; run npm install`);
  }
  return dir + path.sep;
}

/**
 * Picks and initialises the fastest backend available. `prefer` forces one (for benchmarks and tests);
 * the environment variable MBRL_BACKEND does the same for a whole process.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  const wanted = prefer ?? (process.env.MBRL_BACKEND as BackendName | undefined);
  if (info && (!wanted || wanted === info.name)) return info;
  if (pending && !wanted) return pending;
  pending = (async () => {
    if ((!wanted || wanted === "tensorflow") && tryTfjsNode() && (await tf.setBackend("tensorflow"))) {
      await tf.ready();
      info = {
        name: "tensorflow",
        simd: false,
        threads: true,
        message: `tensor backend: tfjs-node (native TensorFlow, all cores). ${onnxMessage()}`,
      };
      return info;
    }
    if (!wanted || wanted === "wasm") {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      wasm.setWasmPaths(wasmDir());
      // Node's worker threads are not used by tfjs-wasm; the single-threaded SIMD build is the fast one.
      wasm.setThreadsCount(1);
      if (await tf.setBackend("wasm")) {
        await tf.ready();
        const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
        info = {
          name: "wasm",
          simd,
          threads: false,
          message:
            `tensor backend: WebAssembly${simd ? " with SIMD" : " (no SIMD)"}, one thread. ` +
            `${onnxMessage()} tfjs-node (native TensorFlow) speeds up the rest where it installs: npm install @tensorflow/tfjs-node`,
        };
        return info;
      }
    }
    await tf.setBackend("cpu");
    await tf.ready();
    info = {
      name: "cpu",
      simd: false,
      threads: false,
      message: `tensor backend: plain JavaScript cpu (slow); neither tfjs-node nor the wasm backend loaded. ${onnxMessage()}`,
    };
    return info;
  })();
  try {
    return await pending;
  } finally {
    pending = null;
  }
}

/** What backend runs, or throws if `initBackend()` has not been awaited yet. */
export function backendInfo(): BackendInfo {
  if (!info) throw new Error("backendInfo: call `await initBackend()` first");
  return info;
}

/** The parts of tfjs-backend-wasm's backend object that heapView reads. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array } | null;
  dataIdMap?: { get(id: object): { memoryOffset: number | null } | undefined };
}

/**
 * A Float32Array over a float32 tensor's own storage on the wasm heap (no copy), or null on any
 * other backend. For reading without dataSync's copy, and for writing into a tensor just created
 * for that purpose (tf.fill). Never write into a tensor that a matMul has already used as its
 * right-hand side: XNNPACK keeps a packed copy of those, looked up by tensor id, and would go on
 * using the old values. The view is valid only until the next tfjs call, which may grow the heap.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== "float32" || t.isDisposed || tf.getBackend() !== "wasm") return null;
  const b = tf.backend() as unknown as WasmBackendLike;
  const d = b.dataIdMap?.get(t.dataId);
  if (!b.wasm || !d || d.memoryOffset == null) return null;
  return new Float32Array(b.wasm.HEAPU8.buffer, d.memoryOffset, t.size);
}

/**
 * A new float32 tensor of `shape` (zeros) on the wasm heap and a view to write it through, or null on
 * any other backend (then nothing is allocated). Take views of other tensors after this call: the
 * allocation may have grown the heap and detached older views.
 */
export function heapTensor(shape: readonly number[]): { tensor: tf.Tensor; view: Float32Array } | null {
  if (tf.getBackend() !== "wasm") return null;
  const tensor = tf.fill(shape.slice(), 0, "float32");
  const view = heapView(tensor);
  if (!view) {
    tensor.dispose();
    return null;
  }
  return { tensor, view };
}
