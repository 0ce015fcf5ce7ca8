/**
 * Reading and rewriting Jupyter notebooks (nbformat 4) the way the grader needs: exercise, check and locked
 * cells by their nbgrader metadata, and the `// BEGIN SOLUTION` / `// END SOLUTION` regions inside them.
 */
import * as crypto from "crypto";

export interface NbCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
  [key: string]: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NbCell[];
}

/** nbgrader's per-cell metadata (schema 3) as the course's converter writes it. */
export interface NbgraderMeta {
  schema_version?: number;
  grade_id?: string;
  solution?: boolean;
  grade?: boolean;
  locked?: boolean;
  points?: number;
  task?: boolean;
  checksum?: string;
}

export const BEGIN_SOLUTION = "BEGIN SOLUTION";
export const END_SOLUTION = "END SOLUTION";

/** The line that replaces a solution in the student copy. */
export function stubLine(id: string): string {
  return `throw new Error(${JSON.stringify(`not implemented yet: ${id}`)});`;
}

/** Parses notebook JSON, throwing an error that says what is wrong with it. */
export function parseNotebook(text: string): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof nb !== "object" || nb === null || Array.isArray(nb)) throw new Error("not a notebook (top level is not an object)");
  const o = nb as Record<string, unknown>;
  if (o.nbformat !== 4) throw new Error(`not an nbformat 4 notebook (nbformat = ${JSON.stringify(o.nbformat)})`);
  if (!Array.isArray(o.cells)) throw new Error("not a notebook (no cells list)");
  o.cells.forEach((c, i) => {
    if (typeof c !== "object" || c === null) throw new Error(`cell ${i} is not an object`);
    const cell = c as Record<string, unknown>;
    if (!["code", "markdown", "raw"].includes(cell.cell_type as string)) throw new Error(`cell ${i} has an unknown cell_type`);
    const s = cell.source;
    if (!(typeof s === "string" || (Array.isArray(s) && s.every((l) => typeof l === "string")))) {
      throw new Error(`cell ${i} has a malformed source`);
    }
    if (cell.metadata === undefined) cell.metadata = {};
    if (typeof cell.metadata !== "object" || cell.metadata === null) throw new Error(`cell ${i} has malformed metadata`);
  });
  if (typeof o.metadata !== "object" || o.metadata === null) o.metadata = {};
  return nb as Notebook;
}

export function cellSource(cell: NbCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Splits text into nbformat's list-of-lines form (each line keeps its "\n" except the last). */
export function toSourceLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l)).filter((l) => l !== "");
}

export function nbgraderMeta(cell: NbCell): NbgraderMeta | undefined {
  const m = cell.metadata.nbgrader;
  return typeof m === "object" && m !== null ? (m as NbgraderMeta) : undefined;
}

/** The exercise id of a solution (exercise) cell, or undefined. */
export function exerciseId(cell: NbCell): string | undefined {
  const m = nbgraderMeta(cell);
  if (cell.cell_type !== "code" || !m || m.solution !== true || typeof m.grade_id !== "string") return undefined;
  return m.grade_id;
}

/** Points of an exercise cell (mbrl.points, written by the converter from `points=N`). */
export function exercisePoints(cell: NbCell): number {
  const mbrl = cell.metadata.mbrl as { points?: unknown } | undefined;
  const p = mbrl?.points ?? nbgraderMeta(cell)?.points;
  return typeof p === "number" && Number.isFinite(p) && p >= 0 ? p : 0;
}

/** True for cells the student must not change: nbgrader's `locked`, or a graded test (check) cell. */
export function isLocked(cell: NbCell): boolean {
  const m = nbgraderMeta(cell);
  if (!m || m.solution === true) return false;
  return m.grade === true || m.locked === true;
}

/** Normalises a source for comparing locked cells: trailing spaces and final newlines do not count. */
export function normaliseSource(s: string): string {
  // Linear-time only: a backtracking /\s+$/ takes minutes on a line of 50,000 spaces followed by a letter.
  return s.split("\r\n").join("\n").split("\n").map((l) => l.trimEnd()).join("\n").trimEnd();
}

/** nbgrader's cell checksum (md5 over source, type, flags, grade id and points), set at release time. */
export function nbgraderChecksum(cell: NbCell): string {
  const m = nbgraderMeta(cell) ?? {};
  const py = (b: unknown) => (b ? "True" : "False");
  const h = crypto.createHash("md5");
  h.update(cellSource(cell));
  h.update(cell.cell_type);
  h.update(py(m.grade));
  h.update(py(m.solution));
  h.update(py(isLocked(cell)));
  h.update(m.grade_id ?? "");
  if (m.grade) {
    const p = Number(m.points ?? 0);
    h.update(Number.isInteger(p) ? p.toFixed(1) : String(p));
  }
  return h.digest("hex");
}

/** A `BEGIN SOLUTION` ... `END SOLUTION` region: line indices of the two marker lines. */
export interface SolutionRegion {
  begin: number;
  end: number;
  indent: string;
}

/** Finds the solution regions of a source; throws on unbalanced or nested markers. */
export function solutionRegions(source: string): SolutionRegion[] {
  const lines = source.split("\n");
  const out: SolutionRegion[] = [];
  let open: { begin: number; indent: string } | null = null;
  lines.forEach((line, i) => {
    if (line.includes(BEGIN_SOLUTION)) {
      if (open) throw new Error(`nested ${BEGIN_SOLUTION} at line ${i + 1}`);
      open = { begin: i, indent: /^\s*/.exec(line)![0] };
    } else if (line.includes(END_SOLUTION)) {
      if (!open) throw new Error(`${END_SOLUTION} without ${BEGIN_SOLUTION} at line ${i + 1}`);
      const o: { begin: number; indent: string } = open;
      out.push({ begin: o.begin, end: i, indent: o.indent });
      open = null;
    }
  });
  if (open) throw new Error(`${BEGIN_SOLUTION} without ${END_SOLUTION}`);
  return out;
}

/** The text strictly between the markers of each region, dedented by the marker's indentation. */
export function regionBodies(source: string): string[] {
  const lines = source.split("\n");
  return solutionRegions(source).map((r) =>
    lines
      .slice(r.begin + 1, r.end)
      .map((l) => (l.startsWith(r.indent) ? l.slice(r.indent.length) : l.replace(/^\s+/, "")))
      .join("\n"),
  );
}

/**
 * Replaces the body of every region (in order) with `bodies[i]`, re-indented to the region's markers.
 * With `keepMarkers` false the marker lines go too (the student copy).
 */
export function replaceRegions(source: string, bodies: string[], keepMarkers: boolean): string {
  const regions = solutionRegions(source);
  if (regions.length !== bodies.length) {
    throw new Error(`expected ${regions.length} solution region(s), got ${bodies.length} replacement(s)`);
  }
  const lines = source.split("\n");
  const out: string[] = [];
  let at = 0;
  regions.forEach((r, k) => {
    out.push(...lines.slice(at, r.begin));
    if (keepMarkers) out.push(lines[r.begin]);
    for (const l of bodies[k].replace(/\n+$/, "").split("\n")) out.push(l === "" ? "" : r.indent + l);
    if (keepMarkers) out.push(lines[r.end]);
    at = r.end + 1;
  });
  out.push(...lines.slice(at));
  return out.join("\n");
}

/** Sets a cell's source from text in nbformat's list-of-lines form. */
export function setCellSource(cell: NbCell, text: string): void {
  cell.source = toSourceLines(text);
}

export function sha256(data: string | Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}
