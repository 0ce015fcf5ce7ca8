/**
 * PILCO (Deisenroth and Rasmussen 2011): GP dynamics, analytic moment matching through the GPs and
 * the policy, the expected saturating cost, analytic policy gradients and the learning loop.
 */
export * from "./lbfgs";
export * from "./momentMatch";
export * from "./blocks";
export * from "./policy";
export * from "./propagate";
export * from "./pilco";
export * from "./scenarios";
