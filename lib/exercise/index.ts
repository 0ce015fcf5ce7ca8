/**
 * Helpers for the visible check cells that follow each exercise. A check that passes prints one
 * line to stdout ("ok: ..."); one that fails throws an error that says what was expected and what
 * came back, so the student sees it at once. Nothing is written to stderr on success (nbgrader counts
 * any stderr output as a failure).
 */

export class CheckFailed extends Error {
  override name = "CheckFailed";
}

function show(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(8);
  if (ArrayBuffer.isView(v)) return show(Array.from(v as unknown as ArrayLike<number>));
  if (Array.isArray(v)) {
    const items = v.slice(0, 8).map(show).join(", ");
    return `[${items}${v.length > 8 ? `, ... (${v.length} items)` : ""}]`;
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Passes when `condition` holds. */
export function check(what: string, condition: boolean, detail = ""): void {
  if (!condition) throw new CheckFailed(`check failed: ${what}${detail ? ` (${detail})` : ""}`);
  console.log(`ok: ${what}`);
}

function close(a: number, b: number, tol: number): boolean {
  return Number.isFinite(a) && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/**
 * Passes when `got` equals `expected` within a relative tolerance (absolute below magnitude 1).
 * Works on numbers and on (nested) arrays of numbers of the same shape. `mistakes` names what a known
 * slip returns (e.g. {"sf instead of sf^2 in front of the sum": value}): a result matching one says so.
 */
export function checkClose(what: string, got: unknown, expected: unknown, tol = 1e-6, mistakes: Record<string, unknown> = {}): void {
  const fail = (why: string) => {
    const known = Object.entries(mistakes).find(([, v]) => sameWithin(got, v, tol));
    const hint = known ? `\n  this is what you get with a known mistake: ${known[0]}` : "";
    throw new CheckFailed(`check failed: ${what}: ${why}\n  expected ${show(expected)}\n  got      ${show(got)}${hint}`);
  };
  const walk = (g: unknown, e: unknown, where: string): void => {
    if (typeof e === "number") {
      if (typeof g !== "number") return fail(`${where || "value"} is ${typeof g}, expected a number`);
      if (!close(g, e, tol)) return fail(`${where || "value"} differs (tolerance ${tol})`);
      return;
    }
    const ea = e as ArrayLike<unknown>;
    const ga = g as ArrayLike<unknown> | null | undefined;
    if (ga == null || typeof ga !== "object" || typeof ga.length !== "number") return fail(`${where || "value"} is not an array`);
    if (ga.length !== ea.length) return fail(`${where || "value"} has length ${ga.length}, expected ${ea.length}`);
    for (let i = 0; i < ea.length; i++) walk(ga[i], ea[i], `${where}[${i}]`);
  };
  walk(got, expected, "");
  console.log(`ok: ${what}`);
}

function sameWithin(a: unknown, b: unknown, tol: number): boolean {
  if (typeof b === "number") return typeof a === "number" && close(a, b, tol);
  const aa = a as ArrayLike<unknown> | null | undefined;
  const bb = b as ArrayLike<unknown> | null | undefined;
  if (aa == null || bb == null || typeof aa !== "object" || typeof bb !== "object" || aa.length !== bb.length) return false;
  for (let i = 0; i < bb.length; i++) if (!sameWithin(aa[i], bb[i], tol)) return false;
  return true;
}

/** The error an unsolved exercise throws: names the exercise so the student knows what to fill in. */
export function notImplemented(exerciseId: string): Error {
  return new Error(`not implemented yet: ${exerciseId}`);
}
