/**
 * Neural networks on tfjs: the ensemble MLP every neural model of the course is built from, and the
 * ops it is made of (a dense layer with a fast gradient, activations, soft log-variance bounds, NLL).
 */
export * from "./ops";
export * from "./ensemble";
export * from "./adam";
export * from "./parallel";
