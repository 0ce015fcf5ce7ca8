import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The notebook execution tests start first (they are the longest) and the browser tests last: the
 * browser's chart check measures the notebooks those tests executed (test/.output/solved-*), and only
 * executes a notebook itself when no fresh copy is there, so this order keeps CI from running every
 * notebook twice.
 */
class NotebooksFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => (/test\/notebooks\/execute-/.test(f.moduleId) ? 0 : /test\/e2e\//.test(f.moduleId) ? 2 : 1);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Notebook and kernel tests start real processes; keep them from starving each other on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 180_000, // a guard against hangs on a loaded 2-core machine, not a speed goal (those live in benchmarks)
    hookTimeout: 120_000,
    sequence: { sequencer: NotebooksFirst },
  },
});
