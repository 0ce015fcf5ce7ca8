/** Core utilities every part of the course uses: seeded randomness, input checks, the tensor backend. */
import { assertFreshBuild } from "./fresh";

assertFreshBuild();

export { makeRng, type Rng, freshSeed, trialSeed, refitSeed, componentSeed, REFIT_SEED_STRIDE } from "./random";
export * from "./checks";
export { initBackend, backendInfo, tf, type BackendInfo, type BackendName } from "./backend";
export { onnxRuntime, onnxThreads, onnxMessage } from "./onnx-runtime";
export { checkInterrupt, interruptRequested, Interrupted } from "./interrupt";
