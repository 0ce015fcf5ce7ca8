/**
 * The two-core versions of an ensemble network (threads/): ParallelEnsemble splits a forward pass by
 * rows, ParallelTrainer splits training steps by members. Kept under this name for its importers.
 */
export * from "./threads/parallel-forward";
export * from "./threads/parallel-trainer";
export { addGradients } from "./threads/protocol";
