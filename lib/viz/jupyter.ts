/**
 * Publishing rich outputs to the notebook. tslab's public `display` sends one MIME type per message;
 * the course needs bundles (a plot as Vega-Lite for JupyterLab plus SVG for everything else), so this
 * talks to the kernel's own message writer when it runs inside the tslab kernel, and falls back to
 * plain text on stdout elsewhere (scripts, tests, benchmarks).
 */
import * as path from "path";

export type MimeBundle = Record<string, unknown>;

interface TslabJupyter {
  lastWriteDisplayData: ((data: unknown, update: boolean) => void) | null;
}

/** The kernel's jupyter module if this process is a tslab kernel (found in the module cache, never loaded here). */
function kernelModule(): TslabJupyter | null {
  const suffix = path.join("tslab", "dist", "jupyter.js");
  for (const key of Object.keys(require.cache)) {
    if (key.endsWith(suffix)) {
      const mod = require.cache[key]?.exports as TslabJupyter | undefined;
      if (mod && typeof mod.lastWriteDisplayData === "function") return mod;
    }
  }
  return null;
}

/** True when running inside a Jupyter kernel that can show rich output. */
export function inNotebook(): boolean {
  return kernelModule() !== null;
}

let counter = 0;
/** A fresh display id for outputs that are updated in place (progress bars). */
export function newDisplayId(): string {
  counter += 1;
  return `mbrl-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Shows a MIME bundle as one display entry. With `displayId`, a later call with `update: true`
 * replaces the entry in place. Outside a notebook, prints the text/plain part.
 */
export function publish(bundle: MimeBundle, opts: { displayId?: string; update?: boolean } = {}): void {
  const k = kernelModule();
  if (!k || !k.lastWriteDisplayData) {
    const text = bundle["text/plain"];
    if (typeof text === "string") console.log(text);
    return;
  }
  k.lastWriteDisplayData(
    { data: bundle, metadata: {}, transient: opts.displayId ? { display_id: opts.displayId } : {} },
    Boolean(opts.update),
  );
}
