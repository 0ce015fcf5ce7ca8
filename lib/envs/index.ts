/**
 * The simulated systems of the course (see types.ts for the one interface they share).
 * Continuous: Pendulum, CartPole, TwoLinkArm, Hill. Tabular: the Dyna, blocking and shortcut mazes.
 */
export * from "./types";
export { box, discrete, wrapAngle, toFlat, toRows, ContinuousSystem } from "./common";
export * from "./pendulum";
export * from "./cartpole";
export * from "./arm";
export * from "./hill";
export * from "./maze";
export * from "./rollout";
export * from "./episode";
export * from "./dataset";
export * from "./tour";
