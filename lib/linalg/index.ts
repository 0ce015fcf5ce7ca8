/**
 * Float64 linear algebra on row-major typed arrays: matrices, products, Cholesky with jitter,
 * triangular solves, LU, inverse, log-determinant and the symmetric eigendecomposition.
 * See mat.ts for the Mat type; every function also accepts plain arrays of rows.
 */
export * from "./mat";
export * from "./cholesky";
export * from "./lu";
export * from "./eig";
