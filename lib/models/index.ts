/**
 * Models of the dynamics (and of the reward) behind one interface (types.ts): linear least squares,
 * the normalised delta MLP, a learned reward, and the true dynamics as an oracle.
 * Other model files (gp, gmm, localLinear, ...) are imported by path, e.g. "mbrl/models/gp",
 * unless their owners add them here.
 */
export * from "./types";
export * from "./linear";
export * from "./features";
export * from "./mlp";
export * from "./reward";
export * from "./oracle";
export * from "./ensemble";
export * from "./adapters";
export * from "./latent";
