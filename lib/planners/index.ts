/**
 * Planning through a model: random shooting, CEM, gradient-based shooting, collocation, and MPC that
 * replans with any of them. All take any DynamicsModel (learned or the true dynamics as an oracle).
 */
export * from "./problem";
export * from "./randomShooting";
export * from "./cem";
export * from "./cmaes";
export * from "./mcts";
export * from "./gradient";
export * from "./collocation";
export * from "./mpc";
