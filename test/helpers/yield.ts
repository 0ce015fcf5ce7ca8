/**
 * Lets the test runner's messages through during a long synchronous loop in a test. Vitest's worker
 * answers its runner over IPC and gives up on a call after 60 s; a loop of hundreds of SAC steps on
 * a loaded 2-core machine can hold the event loop longer than that, which vitest then reports as an
 * unhandled "Timeout calling onTaskUpdate" although every test passed. Call it once per iteration.
 */
export async function yieldToRunner(iteration: number, every = 20): Promise<void> {
  if (iteration % every === every - 1) await new Promise((resolve) => setImmediate(resolve));
}
