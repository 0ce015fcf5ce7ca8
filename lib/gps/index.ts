/** Local-model trajectory optimisation with KL trust regions and guided policy search (lecture 004). */
export * from "./trajectory";
export * from "./trajOpt";
export * from "./gps";
