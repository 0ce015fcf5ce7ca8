/** L-BFGS moved to lib/optim (it serves the GP hyper-parameters too); re-exported here for old imports. */
export * from "../optim/lbfgs";
