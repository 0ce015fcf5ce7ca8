/** Optimal control: LQR, iLQR and time-varying linear-Gaussian controllers (lecture 004). */
export * from "./lqr";
export * from "./ilqr";
export * from "./linearGaussian";
export * from "./armReach";
