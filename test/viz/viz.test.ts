import { describe, expect, it } from "vitest";
import { animationHtml } from "../../lib/viz/animation";
import { fitWidth, OUTPUT_WIDTH, plotBundle, toSvg, VEGALITE_MIME } from "../../lib/viz/display";
import { CartPole } from "../../lib/envs/cartpole";
import { formatDuration, progress } from "../../lib/viz/progress";
import { ARROWS, barChart, combine, heatmap, histogram, lineChart, meanBand, scatterChart } from "../../lib/viz/specs";

describe("spec builders", () => {
  it("draws lines with bands and a legend, rendered to SVG by vega", async () => {
    const spec = lineChart(
      [
        { name: "PETS", x: [1, 2, 3], y: [10, 20, 30], lower: [8, 18, 28], upper: [12, 22, 32] },
        { name: "oracle", x: [1, 3], y: [35, 35], dashed: true },
      ],
      { title: "return per trial", xTitle: "trial", yTitle: "return" },
    );
    const svg = await toSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    for (const text of ["return per trial", "trial", "PETS", "oracle"]) expect(svg).toContain(text);
    expect(svg).toContain("<path"); // the lines and the band
  });

  it("overlays observations as dots outside the legend, clipped to a fixed range", async () => {
    const spec = lineChart([{ name: "model", x: [0, 1, 2], y: [0, 5, 1] }], {
      yDomain: [-1, 2],
      observations: { x: [0.5, 1.5, 1.8], y: [0.2, 0.9, NaN] },
    });
    const layers = spec.layer as { mark: { type: string; clip?: boolean }; data?: { values: { x: number; y: number | null }[] } }[];
    const dots = layers.find((l) => l.mark.type === "point")!;
    expect(dots.data!.values).toEqual([
      { x: 0.5, y: 0.2 },
      { x: 1.5, y: 0.9 },
      { x: 1.8, y: null },
    ]);
    expect(layers.every((l) => l.mark.clip === true)).toBe(true);
    const svg = await toSvg(spec);
    expect((svg.match(/aria-roledescription="point"/g) ?? []).length).toBe(2); // the NaN one is not drawn
    expect(() => lineChart([{ name: "m", x: [0], y: [0] }], { observations: { x: [1, 2], y: [1] } })).toThrow(
      /observations: x has 2 values but y has 1/,
    );
    expect((lineChart([{ name: "m", x: [0], y: [0] }]).layer as { mark: { clip: boolean } }[])[0].mark.clip).toBe(false);
  });

  it("rejects mismatched series with a message naming the series", () => {
    expect(() => lineChart([{ name: "bad", x: [1, 2], y: [1] }])).toThrow(/series "bad": x has 2 values but y has 1/);
    expect(() => lineChart([{ name: "b", x: [1], y: [1], lower: [1, 2], upper: [1] }])).toThrow(/lower has 2 values/);
    expect(() => lineChart([])).toThrow(/no series/);
  });

  it("computes mean and bands over runs", () => {
    const b = meanBand([
      [1, 2],
      [3, 6],
    ]);
    expect(b.mean).toEqual([2, 4]);
    expect(b.lower[0]).toBeCloseTo(2 - Math.SQRT2, 12);
    expect(b.upper[1]).toBeCloseTo(4 + Math.sqrt(8), 12);
    expect(
      meanBand(
        [
          [1, 2],
          [3, 6],
        ],
        "minmax",
      ),
    ).toEqual({ mean: [2, 4], lower: [1, 2], upper: [3, 6] });
    expect(() => meanBand([[1], [1, 2]])).toThrow(/run 1 has 2 values/);
  });

  it("draws a heatmap with arrow labels and walls", async () => {
    const spec = heatmap(
      [
        [0, 1],
        [NaN, 2],
      ],
      {
        labels: [
          [ARROWS[1], ""],
          [null, ARROWS[0]],
        ],
        title: "greedy policy",
      },
    );
    const svg = await toSvg(spec);
    expect(svg).toContain("greedy policy");
    expect(svg).toContain("\u2192");
    expect(() => heatmap([[0, 1], [2]])).toThrow(/row 1 has 1 cells/);
  });

  it("draws scatter plots, histograms and combinations", async () => {
    const s = scatterChart([{ name: "data", x: [0, 1], y: [1, 0] }], { title: "scatter" });
    const h = histogram([{ name: "normal", values: [0, 1, 1, 2, 2, 2] }], { bins: 3, title: "hist" });
    const svg = await toSvg(combine([s, h]));
    expect(svg).toContain("scatter");
    expect(svg).toContain("hist");
  });

  it("gives each spec a bundle with Vega-Lite, SVG and text, invisible to JSON", async () => {
    const spec = lineChart([{ name: "a", x: [0, 1], y: [0, 1] }], { title: "t" });
    expect(Object.keys(JSON.parse(JSON.stringify(spec)))).not.toContain("__mimebundle__");
    const fromMethod = await (spec as unknown as { __mimebundle__: () => Promise<Record<string, unknown>> }).__mimebundle__();
    const bundle = await plotBundle(spec);
    expect(Object.keys(bundle).sort()).toEqual([VEGALITE_MIME, "image/svg+xml", "text/plain"].sort());
    expect(fromMethod[VEGALITE_MIME]).toEqual(bundle[VEGALITE_MIME]);
    expect(bundle["text/plain"]).toBe("<Vega-Lite plot: t>");
  });
});

describe("progress bar", () => {
  it("prints plain lines with elapsed time and ETA outside a notebook", () => {
    let t = 0;
    const lines: string[] = [];
    const bar = progress(4, { label: "train", plain: true, now: () => t, write: (l) => lines.push(l), textIntervalMs: 1000 });
    t = 1000;
    bar.update(1, { loss: 0.5 });
    t = 1500;
    bar.update(2); // throttled
    t = 2000;
    bar.update(2);
    t = 4000;
    bar.update(4);
    bar.tick(); // after completion: ignored
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe("train [######------------------] 1/4 25% | elapsed 1.0 s, eta 3.0 s | loss 0.5000");
    expect(lines[2]).toContain("4/4 100%");
    expect(lines[2]).toContain("eta 0 ms");
  });

  it("ends at its real count, marked done, when the loop stops early", () => {
    const lines: string[] = [];
    const bar = progress(7, { label: "PILCO trials", plain: true, now: () => 0, write: (l) => lines.push(l) });
    for (let k = 1; k <= 6; k++) bar.update(k);
    bar.close();
    expect(lines.at(-1)).toMatch(/^PILCO trials \[#{24}\] 6\/6 done \(stopped early; 7 planned\)/);
    expect(lines.at(-1)).not.toContain("86%");
  });

  it("stops the loop that draws it on Kernel > Interrupt (the kernel's shared flag)", () => {
    const key = Symbol.for("tslab.interruptFlag");
    const g = globalThis as Record<symbol, unknown>;
    const flag = new Int32Array(new SharedArrayBuffer(16));
    g[key] = flag;
    try {
      const lines: string[] = [];
      const bar = progress(50, { label: "loop", plain: true, now: () => 0, write: (l) => lines.push(l) });
      bar.update(3);
      Atomics.store(flag, 0, 1);
      expect(() => bar.update(4)).toThrow(expect.objectContaining({ name: "Interrupted" }));
      expect(lines.at(-1)).toMatch(/^loop \[#+-+\] 3\/50 interrupted \(50 planned\)/);
      bar.update(5); // closed: ignored, no second throw
      Atomics.store(flag, 0, 0);
      const again = progress(2, { plain: true, now: () => 0, write: (l) => lines.push(l) });
      again.update(2);
      expect(lines.at(-1)).toContain("2/2 100%");
    } finally {
      delete g[key];
    }
  });

  it("formats durations", () => {
    expect(formatDuration(0.075)).toBe("75 ms");
    expect(formatDuration(4.21)).toBe("4.2 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(3720)).toBe("1 h 02 min");
    expect(formatDuration(NaN)).toBe("?");
    expect(() => progress(0)).toThrow(/positive integer/);
  });
});

describe("animation player", () => {
  const frame = (i: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>f${i}</text></svg>`;
  it("embeds every frame with controls and a CSS fallback", () => {
    const html = animationHtml([frame(0), frame(1), frame(2)], { fps: 10, title: "demo", captions: ["a", "b", "c"] });
    for (const s of ["f0", "f1", "f2", "demo", 'type="range"', 'max="2"', "@keyframes", "<script>"]) expect(html).toContain(s);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // no network access
  });
  it("rejects bad frames and options", () => {
    expect(() => animationHtml([])).toThrow(/no frames/);
    expect(() => animationHtml(["<div/>"])).toThrow(/frame 0 is not an SVG/);
    expect(() => animationHtml([frame(0)], { captions: [] })).toThrow(/0 captions for 1 frames/);
    expect(() => animationHtml([frame(0)], { fps: 0 })).toThrow(/fps/);
  });
});

describe("charts a notebook can show", () => {
  const wide = (name: string) =>
    lineChart(
      [
        { name: `Monte Carlo estimate ${name}`, x: [1, 2, 3], y: [1, 2, 3] },
        { name: "oracle (true dynamics)", x: [1, 3], y: [2, 2], dashed: true },
      ],
      { title: name, width: 420 },
    );

  it("narrows a row of charts to the output area and keeps legend labels whole", async () => {
    const spec = combine([wide("a"), wide("b"), wide("c")]);
    const { spec: fitted, svg } = await fitWidth(spec);
    const width = Number(/^<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]);
    expect(width).toBeLessThanOrEqual(OUTPUT_WIDTH);
    expect(width).toBeGreaterThan(OUTPUT_WIDTH * 0.8); // narrowed, not collapsed
    expect(svg).toContain("Monte Carlo estimate a");
    expect(svg).toContain("oracle (true dynamics)");
    expect((fitted.config as { legend: { labelLimit: number } }).legend.labelLimit).toBe(0);
    // the plot bundle carries the fitted spec and its drawing
    const bundle = await plotBundle(spec);
    expect((bundle[VEGALITE_MIME] as { hconcat: { width: number }[] }).hconcat[0].width).toBeLessThan(420);
    // a chart that fits is left as it is
    const one = await fitWidth(wide("d"));
    expect(one.spec.width).toBe(420);
  });

  it("breaks a chart's long title into lines instead of letting it widen a row", async () => {
    const long = (k: number) =>
      lineChart([{ name: `particle ${k}`, x: [0, 1], y: [0, 1] }], {
        title: `TSinf: pole angle of 20 particles (score ${k}.0), a long title`,
        width: 330,
      });
    const { spec, svg } = await fitWidth(combine([long(1), long(2)]));
    expect(Number(/^<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1])).toBeLessThanOrEqual(OUTPUT_WIDTH);
    const titles = (spec.hconcat as { title: unknown }[]).map((c) => c.title);
    for (const t of titles) expect(Array.isArray(t) && t.length > 1).toBe(true);
    expect(svg).toContain("(score 2.0),"); // every word is still there
  });

  it("puts whole-number ticks on trial axes and keeps a log axis to the data", async () => {
    const spec = lineChart([{ name: "return", x: [1, 2, 3, 4], y: [10, 20, 30, 40] }], { integerX: true, xTitle: "trial" });
    const svg = await toSvg(spec);
    expect(svg).not.toMatch(/>1\.5</);
    expect(svg).toMatch(/>2</);
    const log = lineChart([{ name: "e", x: [1, 3000], y: [0, 1] }], { logX: true });
    expect(await toSvg(log)).not.toMatch(/>10,000</);
  });

  it("draws a group of series as one legend entry with a fixed colour", async () => {
    const spec = lineChart(
      [
        ...Array.from({ length: 5 }, (_, i) => ({ name: `particle ${i}`, group: "particles", color: "#9ecae1", x: [0, 1], y: [i, i + 1] })),
        { name: "true system", color: "black", x: [0, 1], y: [0, 0] },
      ],
      {},
    );
    const svg = await toSvg(spec);
    expect(svg).toContain("particles");
    expect(svg).not.toContain(">particle 3<");
    expect((svg.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(6);
    const layer = (spec.layer as { encoding: { color: { scale: { range: string[] } } } }[])[0];
    expect(layer.encoding.color.scale.range).toEqual(["#9ecae1", "black"]);
  });

  it("keeps the cart-pole's edge tick labels inside the frame", () => {
    const svg = new CartPole().render([0, 0, Math.PI, 0]);
    const labels = [...svg.matchAll(/<text x="([\d.-]+)"[^>]*text-anchor="middle"[^>]*>(-?\d)<\/text>/g)];
    expect(labels.map((m) => m[2])).toContain("-2");
    for (const m of labels) expect(Number(m[1])).toBeGreaterThan(0);
  });
});

describe("bar charts", () => {
  it("draws one labelled bar per entry and rejects bad values", async () => {
    const svg = await toSvg(
      barChart(
        [
          { name: "policy", value: 0.12 },
          { name: "MPC", value: 35 },
        ],
        { xTitle: "ms per decision", logX: true },
      ),
    );
    for (const s of ["policy", "MPC", "0.12", "35", "ms per decision"]) expect(svg).toContain(s);
    expect(() => barChart([])).toThrow(/no bars/);
    expect(() => barChart([{ name: "x", value: NaN }])).toThrow();
  });
});
