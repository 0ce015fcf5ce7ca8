/**
 * Numerical optimisers shared by the models and the algorithms: L-BFGS for smooth deterministic
 * objectives (GP marginal likelihood, PILCO's policy search). Adam, which trains the networks on
 * minibatches, lives with them in lib/nn.
 */
export * from "./lbfgs";
