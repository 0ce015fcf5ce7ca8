/**
 * The course library. Notebooks import its parts by path, for example
 * `import { makeRng } from "mbrl/core"`; this entry re-exports the core for convenience.
 */
export * from "./core";
