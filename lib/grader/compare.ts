/**
 * Values crossing from the sandbox are untrusted: `sanitize` turns them into plain data (numbers, strings,
 * booleans, null, undefined, arrays, plain objects) or a marker saying what they were, before anything
 * compares or prints them. Comparison and formatting run only in the trusted grader.
 */
import type { CompareFn, Tolerance } from "./spec";

const MAX_DEPTH = 8;
const MAX_ITEMS = 1_000_000;
const MAX_STRING = 10_000;

/** A value the grader cannot compare (a function, a Map, a class instance, ...): compared by its tag only. */
export class Unsupported {
  constructor(readonly what: string) {}
}

/**
 * Makes text that came from student code (or from file names) safe for a terminal, a report or a CSV:
 * ANSI escape sequences are removed, and every other control character (C0, DEL, C1 such as U+009B, the
 * bidirectional overrides and isolates such as U+202E, line and paragraph separators) is shown as a visible
 * \u{...} escape. Tabs and newlines are kept only when `keepNewlines`. Linear in the length; cut at `max`.
 */
export function cleanText(s: string, max = 300, keepNewlines = false): string {
  // Cut first (with room for escapes removed below), so a huge string costs no more than a short one.
  const head = s.length > 4 * max + 64 ? s.slice(0, 4 * max + 64) : s;
  let out = "";
  for (let i = 0; i < head.length && out.length <= max; i++) {
    const c = head.charCodeAt(i);
    if (c === 0x1b && head[i + 1] === "[") {
      // CSI: ESC [ parameters intermediates final (skip the whole sequence)
      let j = i + 2;
      while (j < head.length && j - i < 64 && /[0-9;?:<=>]/.test(head[j])) j++;
      if (j < head.length && /[@-~]/.test(head[j])) {
        i = j;
        continue;
      }
    }
    if ((c === 0x0a || c === 0x09) && keepNewlines) out += head[i];
    else if (
      c < 0x20 ||
      c === 0x7f ||
      (c >= 0x80 && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x200e ||
      c === 0x200f ||
      c === 0x061c ||
      c === 0xfeff
    ) {
      out += `\\u{${c.toString(16)}}`;
    } else out += head[i];
  }
  const cut = out.length > max || head.length < s.length;
  return cut ? out.slice(0, max) + "..." : out;
}

/** Most nodes (values, array items, keys) one sanitized value may have, counting shared references each time. */
export const MAX_NODES = 2_000_000;
/** Most characters of strings in one sanitized value. */
export const MAX_CHARS = 4_000_000;

/**
 * Turns an untrusted value into plain data. The walk has a node and a character budget: a value built from
 * shared references (32 copies of 32 copies of ...) is tiny to send but expands exponentially, so it is cut
 * off (marked as a too large value) instead of walked.
 */
export function sanitize(v: unknown, depth = 0, budget = { nodes: MAX_NODES, chars: MAX_CHARS }): unknown {
  if (--budget.nodes < 0) return new Unsupported("too large value");
  if (v === null || v === undefined || typeof v === "boolean" || typeof v === "number") return v;
  if (typeof v === "string") {
    const t = v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
    budget.chars -= t.length;
    return budget.chars < 0 ? new Unsupported("too large value") : t;
  }
  if (typeof v === "bigint") return new Unsupported("bigint");
  if (typeof v !== "object") return new Unsupported(typeof v);
  if (depth >= MAX_DEPTH) return new Unsupported("too deeply nested value");
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    if (a.length > MAX_ITEMS) return new Unsupported("too long array");
    budget.nodes -= a.length;
    if (budget.nodes < 0) return new Unsupported("too large value");
    return Array.from(a, (x) => (typeof x === "bigint" ? new Unsupported("bigint") : x));
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_ITEMS) return new Unsupported("too long array");
    if (v.length > budget.nodes) return new Unsupported("too large value");
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      out[i] = sanitize(v[i], depth + 1, budget);
      if (budget.nodes < 0 || budget.chars < 0) return new Unsupported("too large value");
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    return new Unsupported(Object.prototype.toString.call(v).slice(8, -1));
  }
  const keys = Object.keys(v as object);
  if (keys.length > budget.nodes) return new Unsupported("too large value");
  const out: Record<string, unknown> = Object.create(null);
  for (const k of keys) {
    budget.chars -= k.length;
    out[k] = sanitize((v as Record<string, unknown>)[k], depth + 1, budget);
    if (budget.nodes < 0 || budget.chars < 0) return new Unsupported("too large value");
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Unsupported);
}

/** A path into a value as code would write it: `states[2][3][0]`, `mean`, `stats["a b"]`. */
function keyPath(at: string, k: string): string {
  const key = cleanText(k, 40);
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (at ? `${at}.${key}` : key) : `${at}[${JSON.stringify(key)}]`;
}

/**
 * Deep comparison with a numeric tolerance |got - expected| <= atol + rtol |expected|. A mismatch inside a
 * value names the first differing path and both values there in full ("states[2][3][0]: expected 0.41, got
 * 0.37"), so a student need not find the difference in two long values cut off by "...".
 */
export function closeTo(tol: Tolerance = {}): CompareFn {
  const rtol = tol.rtol ?? 1e-6;
  const atol = tol.atol ?? 1e-9;
  const walk = (g: unknown, e: unknown, path: string): string | null => {
    const at = path ? `${path}: ` : "";
    if (typeof e === "number") {
      if (typeof g !== "number") return `${at}expected a number, got ${describeType(g)}`;
      if (Number.isNaN(e)) return Number.isNaN(g) ? null : `${at}expected NaN, got ${fmtNum(g)}`;
      if (!Number.isFinite(e)) return g === e ? null : `${at}expected ${fmtNum(e)}, got ${fmtNum(g)}`;
      if (!Number.isFinite(g)) return `${at}expected ${fmtNum(e)}, got ${fmtNum(g)}`;
      return Math.abs(g - e) <= atol + rtol * Math.abs(e) ? null : `${at}expected ${fmtNum(e)}, got ${fmtNum(g)}`;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(g)) return `${at}expected an array, got ${describeType(g)}`;
      if (g.length !== e.length) return `${at}expected length ${e.length}, got length ${g.length}`;
      for (let i = 0; i < e.length; i++) {
        const r = walk(g[i], e[i], `${path}[${i}]`);
        if (r) return r;
      }
      return null;
    }
    if (isPlainObject(e)) {
      if (!isPlainObject(g)) return `${at}expected an object, got ${describeType(g)}`;
      for (const k of Object.keys(e)) {
        if (!(k in g)) return `${at}missing key "${cleanText(k, 40)}"`;
        const r = walk(g[k], e[k], keyPath(path, k));
        if (r) return r;
      }
      return null;
    }
    if (e instanceof Unsupported) return `${at}reference returned an unsupported ${e.what}`;
    return Object.is(g, e) || g === e ? null : `${at}expected ${formatValue(e, 200)}, got ${formatValue(g, 200)}`;
  };
  return (got, expected) => walk(got, expected, "");
}

function fmtNum(x: number): string {
  if (Object.is(x, -0)) return "-0";
  return Number.isInteger(x) || !Number.isFinite(x) ? String(x) : String(+x.toPrecision(10));
}

function describeType(v: unknown): string {
  if (v instanceof Unsupported) return `a ${v.what}`;
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${formatValue(v, 40)}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${formatValue(v, 40)}`;
}

/** Compact one-line rendering of a sanitized value, cut at `max` characters. */
export function formatValue(v: unknown, max = 160): string {
  const parts: string[] = [];
  let len = 0;
  const push = (s: string) => {
    parts.push(s);
    len += s.length;
  };
  const walk = (x: unknown): void => {
    if (len > max) return;
    if (typeof x === "number") push(fmtNum(x));
    else if (typeof x === "string") push(JSON.stringify(cleanText(x, 80)));
    else if (x === undefined) push("undefined");
    else if (x === null || typeof x === "boolean") push(String(x));
    else if (x instanceof Unsupported) push(`<${x.what}>`);
    else if (Array.isArray(x)) {
      push("[");
      x.forEach((y, i) => {
        if (i) push(", ");
        walk(y);
      });
      push("]");
    } else if (typeof x === "object") {
      push("{");
      Object.keys(x).forEach((k, i) => {
        if (i) push(", ");
        push(`${cleanText(k, 40)}: `);
        walk((x as Record<string, unknown>)[k]);
      });
      push("}");
    } else push(`<${typeof x}>`);
  };
  walk(v);
  const s = parts.join("");
  return s.length > max ? s.slice(0, max) + "..." : s;
}

/** The comparison a spec asks for: its function, or closeTo with its tolerance. */
export function comparator(c: CompareFn | Tolerance | undefined): CompareFn {
  return typeof c === "function" ? c : closeTo(c);
}
