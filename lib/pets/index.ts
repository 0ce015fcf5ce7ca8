/**
 * PETS: probabilistic ensembles with trajectory sampling (lectures 001 to 003). Trajectory sampling
 * (TS1, TSinf, expectation), CEM-MPC over particles, the PETS loop and the greedy / posterior
 * sampling / optimism decision rules. The ensemble model itself is lib/models/ensemble.ts.
 */
export * from "./propagation";
export * from "./planner";
export * from "./pets";
