/**
 * Input checks that fail loudly with a message naming the problem, instead of letting a wrong shape
 * or a NaN turn into a silently wrong answer three functions later.
 */

/** Thrown for a wrong shape or length. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

/** Thrown for a value that is NaN, infinite or out of its allowed range. */
export class ValueError extends Error {
  override name = "ValueError";
}

type NumericArray = ArrayLike<number>;

/** Checks that `values` has exactly `length` entries. `what` names the thing for the message. */
export function checkLength(what: string, values: { length: number }, length: number): void {
  if (values.length !== length) {
    throw new ShapeError(`${what}: expected length ${length}, got ${values.length}`);
  }
}

/** Checks every entry is a finite number; names the first bad index. */
export function checkFinite(what: string, values: NumericArray): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ValueError(`${what}: entry ${i} is ${String(v)}, expected a finite number`);
    }
  }
}

/** Checks a single finite number, optionally within [min, max]. */
export function checkNumber(what: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ValueError(`${what}: expected a finite number, got ${String(v)}`);
  }
  if (v < min || v > max) throw new ValueError(`${what}: ${v} is outside [${min}, ${max}]`);
  return v;
}

/** Checks a positive integer (or non-negative with allowZero). */
export function checkInt(what: string, v: unknown, { allowZero = false } = {}): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ValueError(`${what}: expected a ${allowZero ? "non-negative" : "positive"} integer, got ${String(v)}`);
  }
  return v;
}

/** Checks a rectangular matrix given as an array of rows; returns [rows, cols]. */
export function checkMatrix(what: string, rows: readonly NumericArray[], cols?: number): [number, number] {
  if (!Array.isArray(rows)) throw new ShapeError(`${what}: expected an array of rows`);
  const n = rows.length;
  const m = cols ?? (n > 0 ? rows[0].length : 0);
  for (let i = 0; i < n; i++) {
    if (rows[i] == null || rows[i].length !== m) {
      throw new ShapeError(`${what}: row ${i} has length ${rows[i]?.length}, expected ${m}`);
    }
  }
  return [n, m];
}

/** Formats a shape like [3, 4] for messages. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
