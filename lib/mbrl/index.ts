/**
 * Model-based RL versions 0.5 to 2.0 (lecture 004) and DAgger distillation of MPC (lecture 003),
 * each in its own file, readable top to bottom with the lecture's step numbers.
 */
export * from "./collect";
export * from "./v05";
export * from "./v10";
export * from "./v15";
export * from "./policy";
export * from "./v20";
export * from "./dagger";
