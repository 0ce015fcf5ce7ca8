/**
 * Rendering Vega-Lite specs: to SVG in Node with vega (no browser, no network), and to a display
 * bundle carrying both the interactive spec (JupyterLab) and the SVG (classic Notebook, nbconvert
 * HTML, GitHub), so a saved notebook shows its plots without re-running.
 */
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { publish, type MimeBundle } from "./jupyter";
import type { VegaLiteSpec } from "./specs";

export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/** Renders a Vega-Lite spec to an SVG string. */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  let compiled: vega.Spec;
  try {
    // Vega-Lite's warnings (e.g. a dropped scale option) would land on stderr, which the notebook
    // checks and nbgrader count as failures; only errors are reported.
    compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec, { logger: vega.logger(vega.Error) }).spec;
  } catch (e) {
    throw new Error(`toSvg: the Vega-Lite spec does not compile: ${(e as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function describe(spec: VegaLiteSpec): string {
  const title = typeof spec.title === "string" ? `: ${spec.title}` : "";
  return `<Vega-Lite plot${title}>`;
}

/** The display bundle of a spec: Vega-Lite JSON, SVG and a one-line text/plain. */
export async function plotBundle(spec: VegaLiteSpec): Promise<MimeBundle> {
  return {
    [VEGALITE_MIME]: JSON.parse(JSON.stringify(spec)),
    "image/svg+xml": await toSvg(spec),
    "text/plain": describe(spec),
  };
}

/**
 * Gives a spec a (non-enumerable) `__mimebundle__` method, so the course kernel shows it as a plot
 * when it is the value of a cell. JSON serialisation ignores the method.
 */
export function withBundle<T extends VegaLiteSpec>(spec: T): T {
  Object.defineProperty(spec, "__mimebundle__", { value: () => plotBundle(spec), enumerable: false, configurable: true });
  return spec;
}

/** Shows a plot in the notebook (both Vega-Lite and SVG in one output); prints a line elsewhere. */
export async function display(spec: VegaLiteSpec): Promise<void> {
  publish(await plotBundle(spec));
}

/** Shows arbitrary HTML (with a text/plain fallback). */
export function displayHtml(html: string, text = "<html output>"): void {
  publish({ "text/html": html, "text/plain": text });
}

/** Shows Markdown (with the source as text/plain). */
export function displayMarkdown(md: string): void {
  publish({ "text/markdown": md, "text/plain": md });
}
