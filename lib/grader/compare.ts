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

/** Strips terminal control sequences and caps the length of text that came from student code. */
export function cleanText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
  return t.length > max ? t.slice(0, max) + "..." : t;
}

export function sanitize(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined || typeof v === "boolean" || typeof v === "number") return v;
  if (typeof v === "string") return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
  if (typeof v === "bigint") return new Unsupported("bigint");
  if (typeof v !== "object") return new Unsupported(typeof v);
  if (depth >= MAX_DEPTH) return new Unsupported("too deeply nested value");
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    if (a.length > MAX_ITEMS) return new Unsupported("too long array");
    return Array.from(a, (x) => (typeof x === "bigint" ? new Unsupported("bigint") : x));
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_ITEMS) return new Unsupported("too long array");
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = sanitize(v[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    return new Unsupported(Object.prototype.toString.call(v).slice(8, -1));
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(v as object)) out[k] = sanitize((v as Record<string, unknown>)[k], depth + 1);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Unsupported);
}

/** Deep comparison with a numeric tolerance |got - expected| <= atol + rtol |expected|. */
export function closeTo(tol: Tolerance = {}): CompareFn {
  const rtol = tol.rtol ?? 1e-6;
  const atol = tol.atol ?? 1e-9;
  const walk = (g: unknown, e: unknown, at: string): string | null => {
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
        const r = walk(g[i], e[i], `${at}[${i}] `);
        if (r) return r;
      }
      return null;
    }
    if (isPlainObject(e)) {
      if (!isPlainObject(g)) return `${at}expected an object, got ${describeType(g)}`;
      for (const k of Object.keys(e)) {
        if (!(k in g)) return `${at}missing key "${cleanText(k, 40)}"`;
        const r = walk(g[k], e[k], `${at}.${k} `);
        if (r) return r;
      }
      return null;
    }
    if (e instanceof Unsupported) return `${at}reference returned an unsupported ${e.what}`;
    return Object.is(g, e) || g === e ? null : `${at}expected ${formatValue(e, 60)}, got ${formatValue(g, 60)}`;
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
