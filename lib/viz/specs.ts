/**
 * Small builders of Vega-Lite (v5) specs for the pictures the course draws. Each returns a plain
 * spec object; `display(spec)` (./display) shows it, and a spec left as a cell's value shows too.
 */
import { checkFinite, ShapeError } from "../core/checks";
import { withBundle } from "./display";

/** A Vega-Lite spec (kept loose on purpose: the builders are the typed way in). */
export type VegaLiteSpec = Record<string, unknown>;

export interface Series {
  /** Legend label. */
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Optional shaded band (for example mean +/- one standard deviation over seeds). */
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** Draw the line dashed (for references such as "oracle" or "optimum"). */
  dashed?: boolean;
  /** Draw points on the line. */
  points?: boolean;
  /**
   * Legend entry shared by several series (for example 20 particles drawn as one "particles" entry):
   * series with the same group share a colour and one legend label but stay separate lines.
   */
  group?: string;
  /** A fixed colour (CSS) for this series or its group, e.g. "black" for the true system. */
  color?: string;
}

export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** Logarithmic y axis. */
  logY?: boolean;
  logX?: boolean;
  /** Fix the y range, e.g. [-2, 2]. */
  yDomain?: [number, number];
  xDomain?: [number, number];
  /** Whole-number ticks on the x axis (axes that count trials, episodes, iterations). */
  integerX?: boolean;
  /** Whole-number ticks on the y axis. */
  integerY?: boolean;
  /**
   * Data points drawn over the lines as small dark dots, outside the legend (the observations a
   * model was fitted to, say). lineChart only.
   */
  observations?: { x: ArrayLike<number>; y: ArrayLike<number> };
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

function axisScale(log: boolean | undefined, domain: [number, number] | undefined): Record<string, unknown> {
  // A log scale is not "niced" out to the next power of ten: that would leave, for example, the
  // stretch from 3,000 to 10,000 empty when the data end at 3,000.
  const s: Record<string, unknown> = log ? { type: "log", nice: false } : { zero: false };
  if (domain) s.domain = domain;
  return s;
}

/** Axis properties for whole-number ticks (a trial axis never shows 1.5). */
function axisFor(integer: boolean | undefined): Record<string, unknown> {
  return integer ? { axis: { tickMinStep: 1, format: "d" } } : {};
}

/** Vega's default categorical palette (tableau10), so fixed colours can sit beside default ones. */
const TABLEAU10 = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];

function checkSeries(s: Series): void {
  if (s.x.length !== s.y.length) {
    throw new ShapeError(`series "${s.name}": x has ${s.x.length} values but y has ${s.y.length}`);
  }
  for (const [k, v] of [
    ["lower", s.lower],
    ["upper", s.upper],
  ] as const) {
    if (v && v.length !== s.x.length) {
      throw new ShapeError(`series "${s.name}": ${k} has ${v.length} values, expected ${s.x.length}`);
    }
  }
  checkFinite(`series "${s.name}" x`, s.x);
}

/** Numbers that Vega-Lite can serialise: NaN/Infinity become null (drawn as gaps). */
function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Lines, one per series, with a legend, and optional shaded bands (mean and spread over seeds).
 */
export function lineChart(series: Series[], opts: ChartOptions = {}): VegaLiteSpec {
  if (series.length === 0) throw new ShapeError("lineChart: no series given");
  const rows: Record<string, unknown>[] = [];
  for (const s of series) {
    checkSeries(s);
    for (let i = 0; i < s.x.length; i++) {
      rows.push({
        series: s.name,
        legend: s.group ?? s.name,
        x: s.x[i],
        y: num(s.y[i]),
        lo: s.lower ? num(s.lower[i]) : null,
        hi: s.upper ? num(s.upper[i]) : null,
        dashed: s.dashed ? "dashed" : "solid",
      });
    }
  }
  const names = [...new Set(series.map((s) => s.group ?? s.name))];
  const fixed = new Map<string, string>();
  for (const s of series) if (s.color) fixed.set(s.group ?? s.name, s.color);
  const colorScale: Record<string, unknown> = { domain: names };
  if (fixed.size > 0) colorScale.range = names.map((n, i) => fixed.get(n) ?? TABLEAU10[i % TABLEAU10.length]);
  const color = { field: "legend", type: "nominal", title: null, scale: colorScale, sort: names };
  const detail = { field: "series", type: "nominal" };
  const x = {
    field: "x",
    type: "quantitative",
    title: opts.xTitle ?? "x",
    scale: axisScale(opts.logX, opts.xDomain),
    ...axisFor(opts.integerX),
  };
  const layers: Record<string, unknown>[] = [];
  // With a fixed range, whatever leaves it is cut at the frame instead of drawn across the axes.
  const clip = Boolean(opts.xDomain || opts.yDomain);
  if (series.some((s) => s.lower && s.upper)) {
    layers.push({
      mark: { type: "area", opacity: 0.2, clip },
      transform: [{ filter: "datum.lo !== null && datum.hi !== null" }],
      encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color, detail },
    });
  }
  layers.push({
    mark: { type: "line", point: series.some((s) => s.points) ? { size: 20 } : false, clip },
    encoding: {
      x,
      y: {
        field: "y",
        type: "quantitative",
        title: opts.yTitle ?? "y",
        scale: axisScale(opts.logY, opts.yDomain),
        ...axisFor(opts.integerY),
      },
      color,
      detail,
      strokeDash: {
        field: "dashed",
        type: "nominal",
        scale: {
          domain: ["solid", "dashed"],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
        legend: null,
      },
    },
  });
  if (opts.observations) {
    const o = opts.observations;
    if (o.x.length !== o.y.length) throw new ShapeError(`lineChart observations: x has ${o.x.length} values but y has ${o.y.length}`);
    checkFinite("lineChart observations x", o.x);
    layers.push({
      data: { values: Array.from(o.x, (v, i) => ({ x: v, y: num(o.y[i]) })) },
      mark: { type: "point", filled: true, size: 14, opacity: 0.55, color: "#333", clip },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
    });
  }
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 480,
    height: opts.height ?? 280,
    data: { values: rows },
    layer: layers,
  });
}

/** Mean and band of several runs of equal length (rows are runs): +/- one standard deviation by default. */
export function meanBand(
  runs: ArrayLike<number>[],
  kind: "std" | "stderr" | "minmax" = "std",
): { mean: number[]; lower: number[]; upper: number[] } {
  if (runs.length === 0) throw new ShapeError("meanBand: no runs given");
  const n = runs[0].length;
  runs.forEach((r, i) => {
    if (r.length !== n) throw new ShapeError(`meanBand: run ${i} has ${r.length} values, expected ${n}`);
  });
  const mean: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let t = 0; t < n; t++) {
    let s = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of runs) {
      s += r[t];
      lo = Math.min(lo, r[t]);
      hi = Math.max(hi, r[t]);
    }
    const m = s / runs.length;
    let v = 0;
    for (const r of runs) v += (r[t] - m) ** 2;
    const sd = runs.length > 1 ? Math.sqrt(v / (runs.length - 1)) : 0;
    const half = kind === "stderr" ? sd / Math.sqrt(runs.length) : sd;
    mean.push(m);
    lower.push(kind === "minmax" ? lo : m - half);
    upper.push(kind === "minmax" ? hi : m + half);
  }
  return { mean, lower, upper };
}

export interface ScatterGroup {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Points, coloured by group. */
export function scatterChart(groups: ScatterGroup[], opts: ChartOptions & { size?: number; opacity?: number } = {}): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  for (const g of groups) {
    if (g.x.length !== g.y.length) throw new ShapeError(`scatter group "${g.name}": x has ${g.x.length} values, y ${g.y.length}`);
    for (let i = 0; i < g.x.length; i++) rows.push({ group: g.name, x: num(g.x[i]), y: num(g.y[i]) });
  }
  const names = groups.map((g) => g.name);
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 400,
    height: opts.height ?? 300,
    data: { values: rows },
    mark: { type: "point", filled: true, size: opts.size ?? 30, opacity: opts.opacity ?? 0.7 },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: opts.xTitle ?? "x",
        scale: axisScale(opts.logX, opts.xDomain),
        ...axisFor(opts.integerX),
      },
      y: {
        field: "y",
        type: "quantitative",
        title: opts.yTitle ?? "y",
        scale: axisScale(opts.logY, opts.yDomain),
        ...axisFor(opts.integerY),
      },
      color: { field: "group", type: "nominal", title: null, scale: { domain: names } },
    },
  });
}

/** Arrow glyphs for the four grid actions, in the order up, right, down, left. */
export const ARROWS = ["\u2191", "\u2192", "\u2193", "\u2190"] as const;

export interface HeatmapOptions {
  title?: string;
  colorTitle?: string;
  /** Pixel size of one cell. */
  cellSize?: number;
  /** Text drawn in each cell (for example a policy arrow); null or "" for none. */
  labels?: (string | null)[][];
  /** Colour scheme name of Vega (default "viridis"). */
  scheme?: string;
}

/**
 * A grid of values (rows from the top), for example state values of a maze, with optional text
 * labels per cell (use ARROWS for a greedy policy). NaN cells (walls) are drawn grey.
 */
export function heatmap(values: number[][], opts: HeatmapOptions = {}): VegaLiteSpec {
  const rowsN = values.length;
  const colsN = rowsN > 0 ? values[0].length : 0;
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < rowsN; r++) {
    if (values[r].length !== colsN) throw new ShapeError(`heatmap: row ${r} has ${values[r].length} cells, expected ${colsN}`);
    if (opts.labels && (!opts.labels[r] || opts.labels[r].length !== colsN)) {
      throw new ShapeError(`heatmap: labels row ${r} does not match the ${colsN} columns of values`);
    }
    for (let c = 0; c < colsN; c++) {
      const v = values[r][c];
      rows.push({ row: r, col: c, value: Number.isFinite(v) ? v : null, label: opts.labels?.[r][c] ?? "" });
    }
  }
  const size = opts.cellSize ?? 36;
  const enc = {
    x: { field: "col", type: "ordinal", axis: null },
    y: { field: "row", type: "ordinal", axis: null },
  };
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    width: colsN * size,
    height: rowsN * size,
    data: { values: rows },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          ...enc,
          color: {
            condition: { test: "datum.value === null", value: "#555" },
            field: "value",
            type: "quantitative",
            title: opts.colorTitle ?? "value",
            scale: { scheme: opts.scheme ?? "viridis" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: Math.round(size * 0.55), color: "white", fontWeight: "bold" },
        encoding: { ...enc, text: { field: "label" } },
      },
    ],
  });
}

/**
 * Several charts side by side (or stacked with `direction: "vertical"`). A row too wide for the
 * notebook's output area is narrowed when it is drawn (see fitWidth in ./display), so pass the
 * widths you would like and let the fitting shrink them.
 */
export function combine(specs: VegaLiteSpec[], opts: { direction?: "horizontal" | "vertical"; title?: string } = {}): VegaLiteSpec {
  const strip = (s: VegaLiteSpec) => {
    // Only a top-level spec may carry $schema or config; the fitting adds the shared config.
    const { $schema: _unused, config: _config, ...rest } = s;
    return rest;
  };
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    [opts.direction === "vertical" ? "vconcat" : "hconcat"]: specs.map(strip),
    resolve: { scale: { color: "independent" } },
  });
}

/** Histograms of one or more samples on shared bins, overlaid. */
export function histogram(
  groups: { name: string; values: ArrayLike<number> }[],
  opts: ChartOptions & { bins?: number } = {},
): VegaLiteSpec {
  const all: number[] = [];
  for (const g of groups) {
    checkFinite(`histogram "${g.name}"`, g.values);
    for (let i = 0; i < g.values.length; i++) all.push(g.values[i]);
  }
  if (all.length === 0) throw new ShapeError("histogram: no values given");
  const bins = opts.bins ?? 30;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const rows: Record<string, unknown>[] = [];
  for (const g of groups) {
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < g.values.length; i++) counts[Math.min(bins - 1, Math.floor((g.values[i] - lo) / width))]++;
    counts.forEach((c, b) =>
      rows.push({ group: g.name, x0: lo + b * width, x1: lo + (b + 1) * width, density: c / (g.values.length * width) }),
    );
  }
  const names = groups.map((g) => g.name);
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 400,
    height: opts.height ?? 240,
    data: { values: rows },
    mark: { type: "rect", opacity: groups.length > 1 ? 0.5 : 0.85 },
    encoding: {
      x: { field: "x0", type: "quantitative", title: opts.xTitle ?? "value", scale: axisScale(false, opts.xDomain) },
      x2: { field: "x1" },
      y: { field: "density", type: "quantitative", title: opts.yTitle ?? "density", stack: null },
      color: { field: "group", type: "nominal", title: null, scale: { domain: names } },
    },
  });
}

export interface Bar {
  /** Category on the axis (e.g. "policy", "MPC"). */
  name: string;
  value: number;
  /** Optional colour group (legend); by default each bar is coloured by its name without a legend. */
  group?: string;
}

/**
 * Horizontal bars, one per entry, for a few numbers side by side (returns of two controllers, times
 * per decision); values are printed at the end of each bar.
 */
export function barChart(bars: Bar[], opts: ChartOptions & { format?: string } = {}): VegaLiteSpec {
  if (bars.length === 0) throw new ShapeError("barChart: no bars given");
  checkFinite(
    "barChart values",
    bars.map((b) => b.value),
  );
  const names = bars.map((b) => b.name);
  const grouped = bars.some((b) => b.group !== undefined);
  // Bar names are axis labels here: never cut them short (the default limit is 180 px).
  const y = { field: "name", type: "nominal", title: null, sort: names, axis: { labelLimit: 0 } };
  const x = { field: "value", type: "quantitative", title: opts.xTitle ?? "value", scale: axisScale(opts.logX, opts.xDomain) };
  return withBundle({
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 360,
    height: opts.height ?? Math.max(60, 28 * bars.length),
    data: { values: bars.map((b) => ({ name: b.name, value: b.value, group: b.group ?? b.name })) },
    layer: [
      {
        mark: { type: "bar" },
        encoding: { y, x, color: { field: "group", type: "nominal", title: null, legend: grouped ? {} : null } },
      },
      {
        mark: { type: "text", align: "left", dx: 4 },
        encoding: { y, x, text: { field: "value", type: "quantitative", format: opts.format ?? ".3~g" } },
      },
    ],
  });
}
