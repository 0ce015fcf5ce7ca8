/**
 * Kernel > Interrupt for library loops. The course kernel (patches/, dist/interrupt.js of tslab) keeps
 * a flag in shared memory that it sets when the running cell is interrupted, also while the main
 * thread is busy. Long loops call checkInterrupt() once per iteration, trial or epoch, so they stop
 * within one step and the cell ends with one clear "Interrupted" message. Outside the kernel (tests,
 * the grader, scripts) there is no flag and checkInterrupt() does nothing.
 */

const FLAG_KEY = Symbol.for("tslab.interruptFlag");

/** Thrown by checkInterrupt(); the kernel reports it as "Interrupted", without a stack. */
export class Interrupted extends Error {
  override name = "Interrupted";
}

function flag(): Int32Array | undefined {
  const f = (globalThis as Record<symbol, unknown>)[FLAG_KEY];
  return f instanceof Int32Array ? f : undefined;
}

/** True once the running cell was interrupted (Kernel > Interrupt). */
export function interruptRequested(): boolean {
  const f = flag();
  return f !== undefined && Atomics.load(f, 0) !== 0;
}

/** Throws `Interrupted` when the running cell was interrupted; call it once per loop step. */
export function checkInterrupt(): void {
  if (interruptRequested()) throw new Interrupted("the cell was stopped (Kernel > Interrupt)");
}
