/**
 * Neural networks on tfjs: the ensemble MLP every neural model of the course is built from, and the
 * ops it is made of (a dense layer with a fast gradient, activations, soft log-variance bounds, NLL).
 *   ops.ts        dense layer, MLP op with its backward pass, activations, soft bounds, Gaussian NLL
 *   adam.ts       Adam as one fused loop
 *   config.ts     EnsembleConfig and its defaults
 *   normalizer.ts the input normaliser
 *   ensemble.ts   EnsembleMLP: the network and its loss
 *   training.ts   the training loop (minibatches, bootstrap)
 *   weights.ts    weights as arrays, Polyak averaging
 *   inference.ts  the planners' forward pass on arrays (ONNX Runtime, else tfjs)
 *   onnx.ts       the network as an ONNX model, and the runtime that runs it
 */
export * from "./ops";
export * from "./adam";
export * from "./config";
export * from "./normalizer";
export * from "./ensemble";
export * from "./training";
export * from "./weights";
export * from "./onnx";
export * from "./onnx-train";
export * from "./inference";
