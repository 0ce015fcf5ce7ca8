import { describe } from "vitest";
import { executeNotebooks } from "./run";

describe("notebooks 06-11", () => {
  executeNotebooks("b", (stem) => Number(stem.slice(0, 2)) >= 6);
});
