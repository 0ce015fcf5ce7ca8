/** The benchmarks: every test/bench/NAME.ts except the runner, this list, helpers and tests. */
import * as fs from "fs";

export function benchmarkNames(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".ts") && !["run.ts", "list.ts", "phases.ts"].includes(f) && !f.endsWith(".test.ts"))
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
}
