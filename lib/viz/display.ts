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

/** Width in px of a notebook's output area (classic Notebook in a 1280 px window, minus a margin). */
export const OUTPUT_WIDTH = 940;

/**
 * Settings every plot shares: legend labels are never cut short ("Monte Carlo estima..."); a chart
 * whose labels are long gets wider instead, and fitWidth narrows it back into the output area.
 */
const SHARED_CONFIG = { legend: { labelLimit: 0 }, concat: { spacing: 16 } };

function withConfig(spec: VegaLiteSpec): VegaLiteSpec {
  const own = (spec.config ?? {}) as Record<string, Record<string, unknown>>;
  const config: Record<string, unknown> = { ...own };
  for (const [k, v] of Object.entries(SHARED_CONFIG)) config[k] = { ...v, ...(own[k] ?? {}) };
  return { ...spec, config };
}

/** Sum of the plot widths along the widest row of a (possibly nested) concat spec. */
function plotWidth(spec: Record<string, unknown>): number {
  if (Array.isArray(spec.hconcat)) return (spec.hconcat as Record<string, unknown>[]).reduce((a, c) => a + plotWidth(c), 0);
  if (Array.isArray(spec.vconcat)) return Math.max(0, ...(spec.vconcat as Record<string, unknown>[]).map(plotWidth));
  return typeof spec.width === "number" ? spec.width : 0;
}

/** Width of a character of a chart title as Vega measures it without a browser (13 px bold, generous). */
const TITLE_CHAR_PX = 10;

/** A title wider than its plot (plus some margin) is broken into lines instead of widening the chart. */
function wrapTitle(title: unknown, width: number): unknown {
  const text = typeof title === "string" ? title : (title as { text?: unknown } | undefined)?.text;
  if (typeof text !== "string") return title;
  const perLine = Math.max(12, Math.floor((width + 40) / TITLE_CHAR_PX));
  if (text.length <= perLine) return title;
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= perLine) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return typeof title === "string" ? lines : { ...(title as object), text: lines };
}

function scaleWidths(spec: Record<string, unknown>, k: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  for (const key of ["hconcat", "vconcat"]) {
    if (Array.isArray(spec[key])) out[key] = (spec[key] as Record<string, unknown>[]).map((c) => scaleWidths(c, k));
  }
  if (typeof spec.width === "number") {
    out.width = Math.max(40, Math.floor(spec.width * k));
    if (spec.title !== undefined) out.title = wrapTitle(spec.title, out.width as number);
  }
  return out;
}

function svgWidth(svg: string): number {
  const m = /^<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  return m ? Number(m[1]) : 0;
}

/**
 * The spec with shared settings, and narrowed so its drawing fits `maxWidth` px: what does not
 * scale (axes, titles, legends, spacing) is measured on a first drawing and the plot widths share
 * what is left. Returns the fitted spec and its SVG.
 */
export async function fitWidth(spec: VegaLiteSpec, maxWidth = OUTPUT_WIDTH): Promise<{ spec: VegaLiteSpec; svg: string }> {
  // Titles of the charts in a row are wrapped to their plots' widths first (k = 1 changes no width).
  let base = withConfig(Array.isArray(spec.hconcat) ? scaleWidths(spec, 1) : spec);
  let svg = await render(base);
  const plots = plotWidth(base);
  if (svgWidth(svg) <= maxWidth || plots <= 0) return { spec: base, svg };
  const config = base.config as Record<string, Record<string, unknown>>;
  if (svgWidth(svg) - plots > 0.35 * maxWidth && config.legend.orient === undefined) {
    // Legends beside each chart of a row take the room the plots need: put them underneath.
    base = { ...base, config: { ...config, legend: { ...config.legend, orient: "bottom", direction: "vertical" } } };
    svg = await render(base);
    if (svgWidth(svg) <= maxWidth) return { spec: base, svg };
  }
  // The drawn width grows with the scale k of the plot widths, piecewise linearly (a legend wider than
  // its plot stops it shrinking): a few secant steps from k = 1 find the k that fills maxWidth.
  let best = { k: 0, spec: base, svg, width: svgWidth(svg) };
  let [k0, w0] = [1, svgWidth(svg)];
  let k1 = Math.max(0.1, (maxWidth - (w0 - plots)) / plots);
  for (let attempt = 0; attempt < 5; attempt++) {
    const fitted = scaleWidths(base, k1);
    const out = await render(fitted);
    const w1 = svgWidth(out);
    if (w1 <= maxWidth && (best.width > maxWidth || k1 > best.k)) best = { k: k1, spec: fitted, svg: out, width: w1 };
    else if (best.width > maxWidth && w1 < best.width) best = { k: k1, spec: fitted, svg: out, width: w1 };
    if (w1 <= maxWidth && w1 > maxWidth - 24) break;
    const slope = (w1 - w0) / (k1 - k0);
    const next = slope > 1e-6 ? k1 + (maxWidth - 8 - w1) / slope : k1 * 0.7;
    [k0, w0] = [k1, w1];
    k1 = Math.min(1, Math.max(0.05, next));
    if (Math.abs(k1 - k0) < 1e-3) break;
  }
  return { spec: best.spec, svg: best.svg };
}

/** Renders a Vega-Lite spec to an SVG string, fitted to the notebook's output area. */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  return (await fitWidth(spec)).svg;
}

async function render(spec: VegaLiteSpec): Promise<string> {
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
  const fitted = await fitWidth(spec);
  return {
    [VEGALITE_MIME]: JSON.parse(JSON.stringify(fitted.spec)),
    "image/svg+xml": fitted.svg,
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
