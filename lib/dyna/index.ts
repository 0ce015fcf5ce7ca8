/**
 * Dyna: tabular Dyna-Q and Dyna-Q+ (notebook 06), and the Dyna loop with a learned ensemble model,
 * branched short rollouts and a soft actor-critic learner (notebook 07).
 */
export * from "./dynaQ";
export * from "./buffer";
export * from "./rollouts";
export * from "./sac";
export * from "./dyna";
