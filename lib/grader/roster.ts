/**
 * Late and missing submissions: the roster (every student of the course, one per line or the first
 * column of a CSV), the deadline (`--deadline 2026-12-01T23:59:00Z`) against each submission's time
 * (a manifest CSV `submission,submitted_at` from the collection system, else the file's modification
 * time), and who each submission belongs to (the first folder of its path, else its file name).
 */
import * as fs from "fs";
import type { SubmissionResult } from "./grade";

/** The student a submission belongs to: "alice/05-pets" -> "alice", "alice" -> "alice". */
export function studentOf(submission: string): string {
  return submission.split("/")[0];
}

/** The cells of one CSV line (RFC 4180 quoting: "a, b" is one cell, "" inside quotes is a quote), trimmed. */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/** Students of a roster file (first column; a header "student"/"id"/"name" and # comments are skipped). */
export function readRoster(file: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    const first = csvCells(line)[0];
    if (out.length === 0 && /^(student|id|name|login|username)$/i.test(first)) continue;
    if (first && !out.includes(first)) out.push(first);
  }
  if (!out.length) throw new Error(`the roster ${file} lists no students`);
  return out;
}

/** submission or student -> submission time, from a manifest CSV (header optional). */
export function readManifest(file: string): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const [n, line] of fs.readFileSync(file, "utf8").split(/\r?\n/).entries()) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    const [who, when] = csvCells(line);
    const t = new Date(when ?? "");
    if (Number.isNaN(t.getTime())) {
      if (n === 0) continue; // a header
      throw new Error(`${file} line ${n + 1}: "${when}" is not a date (expected e.g. 2026-12-01T23:59:00Z)`);
    }
    out.set(who, t);
  }
  return out;
}

export function parseDeadline(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`--deadline: "${s}" is not a date (e.g. 2026-12-01T23:59:00Z)`);
  return d;
}

function duration(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** "submitted 2026-12-02 01:10 UTC, 1 h 11 min after the deadline", or undefined when on time. */
export function lateness(
  r: Pick<SubmissionResult, "submission" | "file">,
  deadline: Date | undefined,
  manifest?: Map<string, Date>,
): string | undefined {
  if (!deadline) return undefined;
  let when = manifest?.get(r.submission) ?? manifest?.get(studentOf(r.submission));
  if (!when) {
    try {
      when = fs.statSync(r.file).mtime;
    } catch {
      return undefined;
    }
  }
  if (when.getTime() <= deadline.getTime()) return undefined;
  const iso = when
    .toISOString()
    .replace("T", " ")
    .replace(/:\d\d\.\d+Z$/, " UTC");
  return `submitted ${iso}, ${duration(when.getTime() - deadline.getTime())} after the deadline`;
}
