/**
 * ONNX Runtime (the onnxruntime-node package: native CPU kernels), the engine of the course's network
 * training steps and of the planners' forward passes (lib/nn/onnx.ts, onnx-train.ts). Loaded lazily;
 * where the package or its native library cannot load, `onnxRuntime()` is null and those fall back
 * to the tensor backend. It sits here, beside the tensor backend, so that one message says what runs.
 */
export interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
export interface OrtBindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): Promise<void>;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
  /** The inputs' names and types; throws "Session is not initialized" if the model did not load. */
  readonly inputMetadata: unknown;
}
export interface OrtModules {
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

/** A sentence for students on the engine of training and planning. */
export function onnxMessage(): string {
  return onnxRuntime()
    ? `Dynamics-model training and planning: ONNX Runtime (native, ${onnxThreads()} thread${onnxThreads() > 1 ? "s" : ""}).`
    : "ONNX Runtime did not load: dynamics-model training and planning run on the tensor backend (several times slower).";
}
