import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Notebook and kernel tests start real processes; keep them from starving each other on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 180_000, // a guard against hangs on a loaded 2-core machine, not a speed goal (those live in benchmarks)
    hookTimeout: 120_000,
  },
});
