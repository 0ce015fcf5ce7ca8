/**
 * Feedback a student can read: one self-contained HTML page per student and notebook, written by
 * `npm run grade` next to each grade record (OUT/<submission>/feedback.html, listed in
 * OUT/feedback.json), and `npm run feedback` to hand the pages back: next to each submission, or into a
 * return folder (RETURN/<submission>.feedback.html).
 */
import * as fs from "fs";
import * as path from "path";
import type { ExerciseResult, SubmissionResult } from "./grade";
import { mistakeLine, testsPassed } from "./report";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** What happened to an exercise, in a student's words. */
export function exerciseVerdict(e: ExerciseResult): string {
  if (e.status === "missing") return "not attempted: no exercise cell with this id in the submission (deleted or renamed)";
  if (e.reason === "not implemented yet") return 'not attempted: the exercise still throws "not implemented yet"';
  if (e.status !== "ok") return `${e.status.replace(/-/g, " ")}${e.reason ? `: ${e.reason}` : ""}`;
  return e.passed === e.total ? `all ${e.total} hidden tests passed` : testsPassed(e);
}

export interface FeedbackExtras {
  /** Set when the submission came after the deadline. */
  late?: string;
}

/** The feedback page of one graded notebook. */
export function feedbackHtml(r: SubmissionResult, extras: FeedbackExtras = {}): string {
  const rows = r.exercises
    .map((e) => {
      const cls = e.status === "ok" && e.passed === e.total ? "pass" : e.score > 0 ? "part" : "fail";
      const f = e.firstFailure;
      const detail = f
        ? `<div class="case"><div>first failing test: <b>${esc(f.check)}</b></div>` +
          `<table><tr><th>input</th><td><code>${esc(f.input)}</code></td></tr>` +
          (f.mismatch ? `<tr><th>differs</th><td><code>${esc(f.mismatch)}</code></td></tr>` : "") +
          `<tr><th>expected</th><td><code>${esc(f.expected)}</code></td></tr>` +
          `<tr><th>received</th><td><code>${esc(f.got)}</code></td></tr></table>` +
          (f.mistake ? `<p class="mistake">${esc(mistakeLine(f.mistake))}</p>` : "") +
          `</div>`
        : "";
      const message = e.status !== "ok" && e.reason && e.reason.includes("\n") ? `<pre>${esc(e.reason)}</pre>` : "";
      return (
        `<tr class="${cls}"><td><code>${esc(e.id)}</code></td><td class="num">${fmt(e.score)} / ${fmt(e.maxScore)}</td>` +
        `<td>${esc(exerciseVerdict(e))}${message}${detail}</td></tr>`
      );
    })
    .join("\n");
  const notes = [
    ...(extras.late ? [`Late: ${extras.late}`] : []),
    ...(r.error ? [`Not graded: ${r.error}`] : []),
    ...r.lockedChanges.map((c) => `${c} (grading used the original cell)`),
    ...r.notes,
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: ${esc(r.notebook ?? r.submission)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table.ex{border-collapse:collapse;width:100%}table.ex td,table.ex th{border-bottom:1px solid #ddd;padding:.5em;vertical-align:top;text-align:left}
td.num{white-space:nowrap}tr.pass td:first-child{border-left:4px solid #3a3}tr.part td:first-child{border-left:4px solid #e90}
tr.fail td:first-child{border-left:4px solid #c33}.case{margin-top:.4em;font-size:.92em}.case th{padding-right:1em;color:#555}
code,pre{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}.note{background:#fff4e0;padding:.5em;border-radius:4px}
.mistake{margin:.4em 0 0;font-weight:600;color:#8a4b00}
</style></head><body>
<h1>Feedback: ${esc(r.notebook ?? r.submission)}</h1>
<p>Submission <code>${esc(r.submission)}</code>, graded ${esc(r.gradedAt.replace("T", " ").replace(/\.\d+Z$/, " UTC"))}.</p>
<p><b>Score: ${fmt(r.score)} of ${fmt(r.maxScore)} points.</b> Each exercise's points are shared among its hidden tests.</p>
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join("\n")}
<table class="ex"><tr><th>exercise</th><th>points</th><th>result</th></tr>
${rows}
</table>
</body></html>
`;
}

export interface FeedbackEntry {
  submission: string;
  /** The submitted notebook. */
  file: string;
  /** The feedback page. */
  page: string;
}

/** Writes every result's page (OUT/<submission>/feedback.html) and OUT/feedback.json; returns the entries. */
export function writeFeedback(
  out: string,
  results: SubmissionResult[],
  recordDir: (out: string, submission: string) => string,
  late: (r: SubmissionResult) => string | undefined = () => undefined,
): FeedbackEntry[] {
  const entries: FeedbackEntry[] = [];
  for (const r of results) {
    const page = path.join(recordDir(out, r.submission), "feedback.html");
    fs.mkdirSync(path.dirname(page), { recursive: true });
    fs.writeFileSync(page, feedbackHtml(r, { late: late(r) }));
    entries.push({ submission: r.submission, file: r.file, page });
  }
  fs.writeFileSync(path.join(out, "feedback.json"), JSON.stringify(entries, null, 1) + "\n");
  return entries;
}

/**
 * `npm run feedback -- GRADES [--return DIR]`: copies each page next to its submission
 * (<notebook>.feedback.html) or, with a return folder, to RETURN/<submission>.feedback.html.
 */
export function returnFeedback(gradesDir: string, returnDir?: string): string[] {
  const index = path.join(gradesDir, "feedback.json");
  if (!fs.existsSync(index)) throw new Error(`${index} is missing: run \`npm run grade -- SUBMISSIONS --out ${gradesDir}\` first`);
  const entries = JSON.parse(fs.readFileSync(index, "utf8")) as FeedbackEntry[];
  const written: string[] = [];
  for (const e of entries) {
    const dest = returnDir
      ? path.join(returnDir, ...e.submission.split("/").map((p) => p.replace(/[^\w.@+-]/g, "_").replace(/^\.+/, "_"))) + ".feedback.html"
      : e.file.replace(/\.ipynb$/, "") + ".feedback.html";
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(e.page, dest);
    written.push(dest);
  }
  return written;
}
