/**
 * A progress bar for long loops. In a notebook it is one output that updates in place; elsewhere it
 * prints a plain line now and then. Both show the count, elapsed time and an ETA.
 */
import { checkInterrupt, Interrupted } from "../core/interrupt";
import { inNotebook, newDisplayId, publish } from "./jupyter";

export interface ProgressBar {
  /** Sets the number of finished steps (and optional figures shown beside the bar, e.g. {loss: 0.12}). */
  update(done: number, info?: Record<string, number | string>): void;
  /** One more step done. */
  tick(info?: Record<string, number | string>): void;
  /**
   * Marks the bar finished and shows it at once. A loop that stopped early (e.g. on success) ends at
   * its real count, marked done: "6/6 done (stopped early; 7 planned)", not "6/7 86%".
   */
  close(): void;
}

export interface ProgressOptions {
  label?: string;
  /** Minimum milliseconds between two notebook updates. */
  intervalMs?: number;
  /** Minimum milliseconds between two plain lines outside a notebook. */
  textIntervalMs?: number;
  /** Injected clock, for tests. */
  now?: () => number;
  /** Force the plain-text mode (tests); by default chosen by where the code runs. */
  plain?: boolean;
  /** Where plain lines go (default console.log). */
  write?: (line: string) => void;
}

/** "75 ms", "4.2 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Creates a progress bar over `total` steps. */
export function progress(total: number, opts: ProgressOptions = {}): ProgressBar {
  if (!Number.isInteger(total) || total <= 0) throw new RangeError(`progress: total must be a positive integer, got ${total}`);
  const now = opts.now ?? (() => Date.now());
  const label = opts.label ?? "progress";
  const plain = opts.plain ?? !inNotebook();
  const write = opts.write ?? ((line: string) => console.log(line));
  const interval = plain ? (opts.textIntervalMs ?? 2000) : (opts.intervalMs ?? 200);
  const id = newDisplayId();
  const start = now();
  let done = 0;
  let info: Record<string, number | string> = {};
  let lastShown = -Infinity;
  let shownOnce = false;
  let closed = false;
  /** How the bar ended: running, "done" (close()), or "interrupted" (Kernel > Interrupt). */
  let ending: "" | "done" | "interrupted" = "";

  function text(): string {
    if (ending) {
      const planned = done < total ? ` (${ending === "done" ? "stopped early; " : ""}${total} planned)` : "";
      const filled = ending === "done" || done >= total ? 24 : Math.round((done / total) * 24);
      const extra = Object.entries(info)
        .map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`)
        .join(", ");
      const count = ending === "done" ? `${done}/${done}` : `${done}/${total}`;
      return (
        `${label} [${"#".repeat(filled)}${"-".repeat(24 - filled)}] ${count} ${ending}${planned}` +
        ` | elapsed ${formatDuration((now() - start) / 1000)}` +
        (extra ? ` | ${extra}` : "")
      );
    }
    const frac = Math.min(1, done / total);
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (now() - start) / 1000;
    const eta = done > 0 && done < total ? (elapsed / done) * (total - done) : done >= total ? 0 : NaN;
    const extra = Object.entries(info)
      .map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`)
      .join(", ");
    return (
      `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${(frac * 100).toFixed(0)}%` +
      ` | elapsed ${formatDuration(elapsed)}, eta ${formatDuration(eta)}` +
      (extra ? ` | ${extra}` : "")
    );
  }

  function html(): string {
    const finished = ending === "done" || done >= total;
    const pct = finished ? 100 : Math.min(100, (100 * done) / total);
    const colour = ending === "interrupted" ? "#c84" : finished ? "#3a3" : "#48c";
    return (
      `<div style="font-family:monospace;font-size:12px">` +
      `<div style="display:inline-block;width:240px;height:10px;border:1px solid #888;vertical-align:middle">` +
      `<div style="width:${pct.toFixed(1)}%;height:100%;background:${colour}"></div></div> ` +
      `${escapeHtml(text().replace(/\[[#-]+\] /, ""))}</div>`
    );
  }

  function show(force: boolean): void {
    const t = now();
    if (!force && t - lastShown < interval) return;
    lastShown = t;
    if (plain) {
      write(text());
    } else {
      publish({ "text/html": html(), "text/plain": text() }, { displayId: id, update: shownOnce });
    }
    shownOnce = true;
  }

  const bar: ProgressBar = {
    update(n, newInfo) {
      if (closed) return;
      if (!Number.isFinite(n) || n < 0) throw new RangeError(`progress.update: step count must be >= 0, got ${n}`);
      try {
        checkInterrupt(); // a loop that only draws its bar stops too on Kernel > Interrupt
      } catch (e) {
        if (e instanceof Interrupted) {
          ending = "interrupted";
          show(true);
          closed = true;
        }
        throw e;
      }
      done = Math.min(n, total);
      if (newInfo) info = newInfo;
      show(done >= total);
      if (done >= total) closed = true;
    },
    tick(newInfo) {
      bar.update(done + 1, newInfo);
    },
    close() {
      if (closed) return;
      if (done < total) ending = "done";
      show(true);
      closed = true;
    },
  };
  if (!plain) show(true); // the empty bar appears at once in a notebook
  return bar;
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toPrecision(4);
}
