/** Renderings of grading results: a table for people, Gradescope's results.json, and the CSV gradebook. */
import type { FirstFailure, SubmissionResult } from "./grade";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** Partial credit in words: "2 of 3 hidden tests passed" rather than a bare 0.67. */
export function testsPassed(e: { passed: number; total: number }): string {
  return `${e.passed} of ${e.total} hidden test${e.total === 1 ? "" : "s"} passed`;
}

/** The line a failure report shows for a recognised mistake (a mutant's name). */
export function mistakeLine(name: string): string {
  return `this is what a known mistake gives: ${name}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/**
 * The failing case's lines, each indented by `indent`: input, where the values differ, expected, received,
 * and the known mistake they show when one is recognised.
 */
export function failureLines(f: FirstFailure, indent: string): string[] {
  return [
    `${indent}input:    ${f.input}`,
    ...(f.mismatch ? [`${indent}differs:  ${f.mismatch}`] : []),
    `${indent}expected: ${f.expected}`,
    `${indent}got:      ${f.got}`,
    ...(f.mistake ? [`${indent}${mistakeLine(f.mistake)}`] : []),
  ];
}

/** One line per exercise, then the first failing check of each, then locked-cell changes and notes. */
export function formatTable(r: SubmissionResult): string {
  const lines: string[] = [];
  lines.push(`${r.submission}  (notebook ${r.notebook ?? "?"})  score ${fmt(r.score)} / ${fmt(r.maxScore)}`);
  if (r.error) lines.push(`  NOT GRADED: ${r.error}`);
  if (r.exercises.length) {
    const w = Math.max(8, ...r.exercises.map((e) => e.id.length)) + 2;
    lines.push(`  ${pad("exercise", w)}${pad("points", 8)}${pad("max", 6)}${pad("checks", 8)}result`);
    for (const e of r.exercises) {
      const result =
        e.status !== "ok"
          ? `${e.status}: ${e.reason ?? ""}`
          : e.passed === e.total
            ? "all checks pass"
            : (e.reason ?? `${e.total - e.passed} check(s) fail`);
      lines.push(`  ${pad(e.id, w)}${pad(fmt(e.score), 8)}${pad(fmt(e.maxScore), 6)}${pad(`${e.passed}/${e.total}`, 8)}${result}`);
    }
    for (const e of r.exercises) {
      if (!e.firstFailure) continue;
      const f = e.firstFailure;
      lines.push(`  ${e.id}: first failing check "${f.check}"`, ...failureLines(f, "    "));
    }
  }
  for (const c of r.lockedChanges) lines.push(`  WARNING: ${c} (grading used the original)`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

function exerciseOutput(e: SubmissionResult["exercises"][number]): string {
  const parts: string[] = [];
  if (e.status !== "ok") parts.push(`${e.status}: ${e.reason ?? ""}`);
  else parts.push(`${testsPassed(e)}${e.reason ? ` (${e.reason})` : ""}`);
  if (e.firstFailure) {
    const f = e.firstFailure;
    parts.push([`First failing check "${f.check}":`, ...failureLines(f, "  ")].join("\n"));
  }
  return parts.join("\n");
}

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  output: string;
  visibility: "visible" | "hidden" | "after_due_date" | "after_published";
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  visibility: "visible";
  stdout_visibility: "hidden";
  tests: GradescopeTest[];
}

/** Gradescope's results.json for one student's submission (one or more notebooks). */
export function gradescopeResults(results: SubmissionResult[], executionSeconds?: number): GradescopeResults {
  const tests: GradescopeTest[] = [];
  const output: string[] = [];
  for (const r of results) {
    const prefix = results.length > 1 || !r.notebook ? `${r.submission}: ` : `${r.notebook}: `;
    if (r.error) output.push(`${r.submission}: not graded: ${r.error}`);
    for (const c of r.lockedChanges) output.push(`${r.submission}: ${c}; grading used the original.`);
    for (const n of r.notes) output.push(`${r.submission}: ${n}`);
    for (const e of r.exercises) {
      tests.push({ name: `${prefix}${e.id}`, score: e.score, max_score: e.maxScore, output: exerciseOutput(e), visibility: "visible" });
    }
  }
  if (!results.length) output.push("No notebook (.ipynb) found in the submission.");
  const score = Math.round(tests.reduce((s, t) => s + t.score, 0) * 100) / 100;
  const time = executionSeconds ?? results.reduce((s, r) => s + r.durationMs, 0) / 1000;
  return {
    score,
    execution_time: Math.round(time * 1000) / 1000,
    output: output.join("\n"),
    visibility: "visible",
    stdout_visibility: "hidden",
    tests,
  };
}

function csvField(v: string | number): string {
  const s = String(v);
  // A leading =, +, - or @ would be a formula in spreadsheets: quote it away.
  const safe = /^[=+\-@]/.test(s) && typeof v === "string" ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface GradebookOptions {
  /** Every student of the course: one without a submission still gets a row ("no submission", 0). */
  roster?: string[];
  /** Who a submission belongs to (default: the first folder of its name, else the name). */
  student?: (submission: string) => string;
  /** Why a submission is late, or undefined when on time. */
  late?: (r: SubmissionResult) => string | undefined;
}

/**
 * The gradebook: one row per submission, one column per exercise (all notebooks met, in order). With a
 * roster or a deadline it also has the student and late columns, and a row for each student of the
 * roster without a submission. A missing exercise counts as not attempted (0).
 */
export function gradebookCsv(results: SubmissionResult[], opts?: GradebookOptions): string {
  if (opts) return rosterGradebook(results, opts);
  const ids: string[] = [];
  for (const r of results) for (const e of r.exercises) if (!ids.includes(e.id)) ids.push(e.id);
  const header = [
    "submission",
    "notebook",
    "score",
    "max_score",
    ...ids,
    "status",
    "reason",
    "locked_cells_changed",
    "graded_at",
    "sha256",
  ];
  const rows = [...results]
    .sort((a, b) => (a.submission < b.submission ? -1 : a.submission > b.submission ? 1 : 0))
    .map((r) => {
      const per = ids.map((id) => {
        const e = r.exercises.find((x) => x.id === id);
        return e ? fmt(e.score) : "";
      });
      const reasons = r.error
        ? [r.error]
        : r.exercises.filter((e) => e.status !== "ok").map((e) => `${e.id}: ${e.status}: ${e.reason ?? ""}`);
      return [
        r.submission,
        r.notebook ?? "",
        fmt(r.score),
        fmt(r.maxScore),
        ...per,
        r.error ? "error" : "graded",
        reasons.join("; "),
        r.lockedChanges.join("; "),
        r.gradedAt,
        r.sha256,
      ];
    });
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

function rosterGradebook(results: SubmissionResult[], opts: GradebookOptions): string {
  const student = opts.student ?? ((s: string) => s.split("/")[0]);
  const ids: string[] = [];
  for (const r of results) for (const e of r.exercises) if (!ids.includes(e.id)) ids.push(e.id);
  const header = ["student", "submission", "notebook", "score", "max_score", ...ids, "status", "late", "reason", "graded_at"];
  const rows: (string | number)[][] = [...results]
    .sort((a, b) => (a.submission < b.submission ? -1 : a.submission > b.submission ? 1 : 0))
    .map((r) => [
      student(r.submission),
      r.submission,
      r.notebook ?? "",
      fmt(r.score),
      fmt(r.maxScore),
      ...ids.map((id) => {
        const e = r.exercises.find((x) => x.id === id);
        return e ? fmt(e.score) : "";
      }),
      r.error ? "error" : "graded",
      opts.late?.(r) ?? "",
      r.error ??
        r.exercises
          .filter((e) => e.status !== "ok" || e.reason)
          .map(
            (e) =>
              `${e.id}: ${e.status === "missing" || e.reason === "not implemented yet" ? "not attempted" : `${e.status}${e.reason ? `: ${e.reason}` : ""}`}`,
          )
          .join("; "),
      r.gradedAt,
    ]);
  const seen = new Set(results.map((r) => student(r.submission)));
  for (const s of opts.roster ?? []) {
    if (!seen.has(s)) rows.push([s, "", "", 0, "", ...ids.map(() => 0), "no submission", "", "no submission found", ""]);
  }
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}
