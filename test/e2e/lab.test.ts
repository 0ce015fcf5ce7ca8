/**
 * The student release in JupyterLab 4, as a student opens it: `npm run release` writes the student copy
 * (in the temporary folder), the release's own `npm start -- --course-lab` serves it with the course's
 * JupyterLab build (jupyterlab/; Debian's jupyter_server + jupyterlab_server), and headless Chromium
 * (Debian's chromium, playwright-core) drives JupyterLab through its command registry
 * (window.jupyterapp): JupyterLab attaches outputs lazily, so the test reads the notebook model, scrolls
 * a cell into view before looking at its rendering, and never awaits a long cell.
 *
 * Checked: every release notebook opens with the course kernel; an unsolved exercise stops Run All with
 * its clear message; solved notebooks (the `npm run solve` output, placed in the release) run without
 * errors, every chart is an interactive Vega chart (not the SVG fallback) that fits its output area, the
 * progress bar updates in place; Kernel > Interrupt stops a long library loop and the kernel stays usable;
 * saving drops the PNG JupyterLab adds to charts; no errors in the browser console or the server log.
 *
 * "Installing" the release is done with links to this checkout's node_modules, build/ (kernelspec) and
 * jupyterlab/{node_modules,app} (npm install and the lab build take minutes; CI builds the lab once
 * with `npm run lab:setup` before `npm test`). MBRL_LAB_SOLVED=all runs every notebook solved in the
 * UI (slow); by default a representative subset does.
 */
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { chromiumMissing, launchChromium } from "../helpers/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseCourse, solveNotebooks } from "../../lib/grader/release";

const ROOT = path.resolve(__dirname, "..", "..");
const OUT = path.join(ROOT, "test", ".output", "lab");
// Outside the project, as a student's copy would be (and `npm run release` refuses to write into test/).
const RELEASE = path.join(os.tmpdir(), `mbrl-lab-release-${process.pid}`);
const TOKEN = crypto.randomBytes(16).toString("hex");
// 00: charts, progress bar, animations, maths; 06: Dyna-Q curves with bands and a maze picture.
const SOLVED = process.env.MBRL_LAB_SOLVED === "all" ? null : ["00-welcome", "06-dyna-q"];

const SERVER_START_MS = 120_000;
const KERNEL_START_MS = 120_000;
const RUN_ALL_MS = 600_000;

let server: ChildProcess | null = null;
let serverLog = "";
let baseUrl = "";
let browser: Browser | null = null;
let page: Page;
const consoleProblems: string[] = [];
const timings: Record<string, number> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const since = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const logTail = (n = 4000) => (serverLog.length > n ? "..." + serverLog.slice(-n) : serverLog);

function link(target: string, at: string): void {
  if (!fs.existsSync(target)) throw new Error(`${target} is missing`);
  fs.rmSync(at, { recursive: true, force: true });
  fs.symlinkSync(target, at, "dir");
}

/** The student release with links standing in for `npm install` there, plus the solved notebooks. */
function prepareRelease(): string[] {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  releaseCourse(RELEASE);
  link(path.join(ROOT, "node_modules"), path.join(RELEASE, "node_modules"));
  link(path.join(ROOT, "build"), path.join(RELEASE, "build"));
  link(path.join(ROOT, "jupyterlab", "node_modules"), path.join(RELEASE, "jupyterlab", "node_modules"));
  link(path.join(ROOT, "jupyterlab", "app"), path.join(RELEASE, "jupyterlab", "app"));
  solveNotebooks(path.join(RELEASE, "solved"));
  return fs
    .readdirSync(path.join(RELEASE, "notebooks"))
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
}

async function startServer(): Promise<void> {
  const port = await freePort();
  const jupyterHome = path.join(RELEASE, ".jupyter-test"); // empty config/data: a personal Jupyter setup cannot change the test
  for (const d of ["config", "data", "runtime"]) fs.mkdirSync(path.join(jupyterHome, d), { recursive: true });
  const t0 = Date.now();
  server = spawn(
    process.execPath,
    [
      path.join(RELEASE, "scripts", "start.mjs"),
      "--course-lab",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      `--ServerApp.token=${TOKEN}`,
      `--notebook-dir=${RELEASE}`,
      "--LabApp.expose_app_in_browser=True",
    ],
    {
      cwd: RELEASE,
      env: {
        ...process.env,
        MBRL_JUPYTER: "",
        JUPYTER_CONFIG_DIR: path.join(jupyterHome, "config"),
        JUPYTER_DATA_DIR: path.join(jupyterHome, "data"),
        JUPYTER_RUNTIME_DIR: path.join(jupyterHome, "runtime"),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let exited: string | null = null;
  server.stdout!.on("data", (d) => (serverLog += d));
  server.stderr!.on("data", (d) => (serverLog += d));
  server.on("exit", (code, signal) => (exited = `exited with ${code ?? signal}`));
  while (Date.now() - t0 < SERVER_START_MS) {
    if (exited) throw new Error(`the release's npm start ${exited} before serving:\n${logTail()}`);
    const m = serverLog.match(/http:\/\/127\.0\.0\.1:(\d+)\/lab/);
    if (m) {
      baseUrl = `http://127.0.0.1:${m[1]}`;
      try {
        const r = await fetch(`${baseUrl}/api/kernelspecs`, { headers: { Authorization: `token ${TOKEN}` } });
        if (r.ok) {
          timings.serverStart = since(t0);
          return;
        }
      } catch {
        /* not listening yet */
      }
    }
    await sleep(300);
  }
  throw new Error(`the course's JupyterLab did not answer within ${SERVER_START_MS / 1000} s:\n${logTail()}`);
}

async function stopServer(): Promise<void> {
  if (!server || server.pid === undefined) return;
  const pid = server.pid;
  const gone = () => server!.exitCode !== null || server!.signalCode !== null;
  if (baseUrl && !gone()) {
    try {
      const auth = { Authorization: `token ${TOKEN}` };
      const kernels = (await (await fetch(`${baseUrl}/api/kernels`, { headers: auth })).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => fetch(`${baseUrl}/api/kernels/${k.id}`, { method: "DELETE", headers: auth })));
    } catch {
      /* the server is gone already */
    }
  }
  if (!gone()) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && !gone(); i++) await sleep(200);
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* nothing left */
  }
  server = null;
}

interface CellState {
  index: number;
  type: string;
  count: number | null;
  running: boolean;
  exercise: string | null;
  first: string;
  outputs: { type: string; name?: string; mimes: string[]; text: string }[];
}
interface NbState {
  kernelName: string | null;
  kernelStatus: string | null;
  dirty: boolean;
  cells: CellState[];
}

/** Opens a notebook (path relative to the server root) in JupyterLab and makes it the current tab. */
async function openNotebook(nbPath: string): Promise<void> {
  await page.evaluate(async (p) => {
    const g = globalThis as any;
    const panel = await g.jupyterapp.commands.execute("docmanager:open", { path: p, factory: "Notebook" });
    g.__mbrl = g.__mbrl || {};
    g.__mbrl[p] = panel;
    g.jupyterapp.shell.activateById(panel.id);
    await panel.context.ready;
  }, nbPath);
}

/** Shuts the notebook's kernel down and closes its tab without saving (the test's copies only). */
async function closeNotebook(nbPath: string): Promise<void> {
  await page.evaluate(async (p) => {
    const panel = (globalThis as any).__mbrl[p];
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.close();
  }, nbPath);
}

/** The notebook's model as JupyterLab holds it (independent of which cells are in the page). */
async function nbState(nbPath: string): Promise<NbState> {
  return page.evaluate((p) => {
    const panel = (globalThis as any).__mbrl[p];
    const model = panel.content.model;
    const kernel = panel.sessionContext.session?.kernel ?? null;
    const cells = [];
    for (let i = 0; i < model.cells.length; i++) {
      const c = model.cells.get(i);
      const mbrl = c.getMetadata("mbrl") as { exercise?: string } | undefined;
      const outputs = c.type === "code" ? c.outputs.toJSON() : [];
      cells.push({
        index: i,
        type: c.type,
        count: c.type === "code" ? (c.executionCount ?? null) : null,
        running: c.type === "code" && c.executionState === "running",
        exercise: mbrl?.exercise ?? null,
        first: String(c.sharedModel.getSource()).split("\n")[0].slice(0, 80),
        outputs: outputs.map((o: any) => ({
          type: o.output_type,
          name: o.name,
          mimes: Object.keys(o.data || {}),
          text: String(
            Array.isArray(o.text)
              ? o.text.join("")
              : (o.text ??
                  (o.ename ? `${o.ename}: ${o.evalue}` : "") +
                    (o.data?.["text/html"] ? [].concat(o.data["text/html"]).join("") : "") +
                    (o.data?.["text/plain"] ? [].concat(o.data["text/plain"]).join("") : "")),
          ).slice(0, 2000),
        })),
      });
    }
    return { kernelName: kernel?.name ?? null, kernelStatus: kernel?.status ?? null, dirty: panel.context.model.dirty, cells };
  }, nbPath);
}

async function waitForKernel(nbPath: string): Promise<void> {
  await page.waitForFunction(
    (p) => {
      const panel = (globalThis as any).__mbrl[p];
      const k = panel.sessionContext.session?.kernel;
      return !!k && k.status === "idle" && k.connectionStatus === "connected";
    },
    nbPath,
    { timeout: KERNEL_START_MS, polling: 250 },
  );
}

/** Starts Run All (not awaited: a long notebook would outlast the evaluate) and waits until it is over. */
async function runAll(nbPath: string): Promise<NbState> {
  await page.evaluate((p) => {
    const g = globalThis as any;
    g.jupyterapp.shell.activateById(g.__mbrl[p].id);
    void g.jupyterapp.commands.execute("notebook:run-all-cells");
  }, nbPath);
  let doneSince = 0;
  const t0 = Date.now();
  for (;;) {
    const s = await nbState(nbPath);
    const code = s.cells.filter((c) => c.type === "code");
    const failed = code.some((c) => c.outputs.some((o) => o.type === "error"));
    const done = s.kernelStatus === "idle" && !code.some((c) => c.running) && (failed || code.every((c) => c.count !== null));
    if (!done) doneSince = 0;
    else if (!doneSince) doneSince = Date.now();
    else if (Date.now() - doneSince > 1500) return s;
    if (Date.now() - t0 > RUN_ALL_MS) throw new Error(`${nbPath}: Run All did not finish within ${RUN_ALL_MS / 1000} s`);
    await sleep(500);
  }
}

/** Scrolls code cell `index` into view and describes its rendered charts and output area. */
async function renderedCharts(nbPath: string, index: number) {
  return page.evaluate(
    async ([p, i]) => {
      const panel = (globalThis as any).__mbrl[p as string];
      const nb = panel.content;
      nb.activeCellIndex = i;
      await nb.scrollToItem(i, "start");
      const cell = nb.widgets[i as number];
      const deadline = Date.now() + 20_000;
      const charts = () => [...cell.node.querySelectorAll(".jp-RenderedVegaCommon5")] as any[];
      const drawn = (el: any) => !!el.querySelector(".vega-embed canvas, .vega-embed svg");
      while (Date.now() < deadline && (charts().length === 0 || !charts().every(drawn))) await new Promise((r) => setTimeout(r, 200));
      return {
        charts: charts().map((el) => {
          const area = el.closest(".jp-OutputArea-output") as any;
          const embed = el.querySelector(".vega-embed") as any;
          const chart = el.querySelector(".vega-embed canvas, .vega-embed svg") as any;
          return {
            drawn: drawn(el),
            interactive: !!el.querySelector(".vega-embed details, .vega-embed .vega-actions"), // vega-embed's action menu
            width: chart ? chart.getBoundingClientRect().width : 0,
            height: chart ? chart.getBoundingClientRect().height : 0,
            areaWidth: area ? area.clientWidth : 0,
            overflow: area ? area.scrollWidth - area.clientWidth : 0,
            embedWidth: embed ? embed.getBoundingClientRect().width : 0,
          };
        }),
        fallbacks: cell.node.querySelectorAll(".jp-RenderedSVG, .jp-RenderedImage").length,
      };
    },
    [nbPath, index] as const,
  );
}

function outputProblems(s: NbState): string[] {
  return s.cells.flatMap((c) =>
    c.outputs
      .filter((o) => o.type === "error" || o.name === "stderr")
      .map((o) => `cell ${c.index} (${c.first}): ${o.type === "error" ? "error" : "stderr"}: ${o.text.slice(0, 300)}`),
  );
}

const VEGALITE = "application/vnd.vegalite.v5+json";

describe("the student release in JupyterLab 4 (the course's build)", () => {
  let releaseNotebooks: string[] = [];

  beforeAll(async () => {
    const noChromium = chromiumMissing();
    if (noChromium) throw new Error(noChromium);
    const { labIsBuilt } = await import("../../scripts/lab.mjs" as string);
    if (!labIsBuilt()) {
      throw new Error("the course's JupyterLab is not built (jupyterlab/app): run `npm run lab:setup` first (CI does).");
    }
    const t0 = Date.now();
    releaseNotebooks = prepareRelease();
    timings.release = since(t0);
    await startServer();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("pageerror", (e) => consoleProblems.push(`page error: ${String(e)}`));
    page.on("console", (m) => {
      const t = m.text();
      // Errors, and the warnings that mean a broken build (duplicate Y.Doc/yjs copies).
      if (m.type() === "error" || /Invalid access: Add Yjs type|Not same Y\.Doc|Maximum call stack/.test(t))
        consoleProblems.push(`console ${m.type()}: ${t.slice(0, 500)}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) consoleProblems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    page.on("dialog", (d) => void d.dismiss().catch(() => undefined));
    const t1 = Date.now();
    await page.goto(`${baseUrl}/lab?token=${TOKEN}`, { waitUntil: "load", timeout: 120_000 });
    await page.waitForFunction(() => !!(globalThis as any).jupyterapp, null, { timeout: 120_000 });
    await page.evaluate(() => (globalThis as any).jupyterapp.restored);
    timings.labLoad = since(t1);
  }, SERVER_START_MS + 300_000);

  afterAll(async () => {
    if (browser) await browser.close().catch(() => undefined);
    browser = null;
    await stopServer();
    fs.rmSync(RELEASE, { recursive: true, force: true });
    console.log(`[lab e2e] timings (s): ${JSON.stringify(timings)}`);
  }, 60_000);

  it("serves JupyterLab 4 and the course kernel", async () => {
    const info = await page.evaluate(() => {
      const app = (globalThis as any).jupyterapp;
      return { name: app.name, version: app.version };
    });
    expect(info.name).toBe("JupyterLab");
    expect(info.version).toMatch(/^4\.5\./);
    const specs = (await (await fetch(`${baseUrl}/api/kernelspecs`, { headers: { Authorization: `token ${TOKEN}` } })).json()) as {
      kernelspecs: Record<string, { spec: { display_name: string } }>;
    };
    expect(specs.kernelspecs.tslab.spec.display_name).toBe("TypeScript (MBRL course)");
  });

  it(
    "opens every release notebook with the course kernel",
    async () => {
      const t0 = Date.now();
      expect(releaseNotebooks.length).toBeGreaterThanOrEqual(12);
      for (const f of releaseNotebooks) {
        const p = `notebooks/${f}`;
        await openNotebook(p);
        await waitForKernel(p);
        const s = await nbState(p);
        const onDisk = JSON.parse(fs.readFileSync(path.join(RELEASE, p), "utf8")) as { cells: unknown[] };
        expect(s.kernelName, p).toBe("tslab");
        expect(s.cells.length, p).toBe(onDisk.cells.length);
        expect(
          s.cells.every((c) => c.outputs.length === 0),
          `${p}: the release carries no outputs`,
        ).toBe(true);
        if (f !== "00-welcome.ipynb") {
          await closeNotebook(p);
        }
      }
      timings.openAll = since(t0);
    },
    12 * KERNEL_START_MS,
  );

  it(
    "stops Run All at an unsolved exercise with its clear message",
    async () => {
      const t0 = Date.now();
      const p = "notebooks/00-welcome.ipynb";
      const s = await runAll(p);
      const failing = s.cells.find((c) => c.outputs.some((o) => o.type === "error"));
      expect(failing, "an error output").toBeTruthy();
      const exercise = [...s.cells].reverse().find((c) => c.index < failing!.index && c.exercise);
      expect(exercise, "an exercise cell above the failing check").toBeTruthy();
      const err = failing!.outputs.find((o) => o.type === "error")!;
      expect(err.text).toContain(`not implemented yet: ${exercise!.exercise}`);
      // Everything above it ran, without errors.
      expect(s.cells.filter((c) => c.type === "code" && c.index < failing!.index).every((c) => c.count !== null)).toBe(true);
      expect(outputProblems({ ...s, cells: s.cells.filter((c) => c.index < failing!.index) })).toEqual([]);
      await closeNotebook(p);
      timings.unsolved = since(t0);
    },
    KERNEL_START_MS + RUN_ALL_MS,
  );

  const solvedFiles = () =>
    fs
      .readdirSync(path.join(RELEASE, "solved"))
      .filter((f) => f.endsWith(".ipynb") && (!SOLVED || SOLVED.includes(f.replace(/\.ipynb$/, ""))))
      .sort();

  it(
    "runs solved notebooks with interactive charts that fit, the progress bar in place, and saves them small",
    async () => {
      const files = solvedFiles();
      expect(files.length).toBe(SOLVED ? SOLVED.length : 12);
      for (const f of files) {
        const p = `solved/${f}`;
        const t0 = Date.now();
        await openNotebook(p);
        await waitForKernel(p);
        const s = await runAll(p);
        timings[`run ${f}`] = since(t0);
        expect(outputProblems(s), `${p}: errors`).toEqual([]);
        const notRun = s.cells.filter((c) => c.type === "code" && c.count === null).map((c) => `cell ${c.index} (${c.first})`);
        expect(notRun, `${p}: cells that did not run`).toEqual([]);

        // Every chart: rendered by JupyterLab's Vega renderer (an interactive chart with its action
        // menu), not the SVG fallback, and inside its output area (no horizontal overflow).
        const chartCells = s.cells.filter((c) => c.outputs.some((o) => o.mimes.includes(VEGALITE)));
        if (f === "00-welcome.ipynb" || f === "06-dyna-q.ipynb") expect(chartCells.length, `${p}: charts`).toBeGreaterThanOrEqual(2);
        for (const c of chartCells) {
          const expected = c.outputs.filter((o) => o.mimes.includes(VEGALITE)).length;
          const r = await renderedCharts(p, c.index);
          const where = `${p} cell ${c.index} (${c.first})`;
          expect(r.charts.length, `${where}: Vega charts`).toBe(expected);
          expect(r.fallbacks, `${where}: SVG/PNG fallbacks shown`).toBe(0);
          for (const ch of r.charts) {
            expect(ch.drawn, `${where}: drawn`).toBe(true);
            expect(ch.interactive, `${where}: vega-embed actions`).toBe(true);
            expect(ch.width, `${where}: width`).toBeGreaterThan(150);
            expect(ch.height, `${where}: height`).toBeGreaterThan(80);
            expect(ch.width, `${where}: fits the ~950 px output area`).toBeLessThanOrEqual(Math.min(ch.areaWidth, 960) + 1);
            expect(ch.overflow, `${where}: horizontal overflow`).toBeLessThanOrEqual(1);
          }
        }

        if (f === "00-welcome.ipynb") {
          // The progress bar: one display, updated in place to its last state.
          const bars = s.cells.flatMap((c) => c.outputs).filter((o) => /episodes/.test(o.text) && /\d+\/\d+/.test(o.text));
          expect(bars.length).toBe(1);
          expect(bars[0].text).toMatch(/3000\/3000 100%/);
        }

        // Saving keeps the charts' specs and SVGs but drops the PNG JupyterLab added while drawing them.
        const before = await nbState(p);
        const pngsInModel = before.cells
          .flatMap((c) => c.outputs)
          .filter((o) => o.mimes.includes(VEGALITE) && o.mimes.includes("image/png")).length;
        expect(pngsInModel, `${p}: JupyterLab adds a PNG to drawn charts`).toBeGreaterThan(0);
        await page.evaluate(async (q) => {
          const g = globalThis as any;
          g.jupyterapp.shell.activateById(g.__mbrl[q].id);
          await g.jupyterapp.commands.execute("docmanager:save");
        }, p);
        const saved = JSON.parse(fs.readFileSync(path.join(RELEASE, p), "utf8")) as {
          cells: { outputs?: { data?: Record<string, unknown> }[] }[];
        };
        const savedOutputs = saved.cells.flatMap((c) => c.outputs ?? []);
        const savedCharts = savedOutputs.filter((o) => o.data && VEGALITE in o.data);
        expect(savedCharts.length).toBeGreaterThan(0);
        for (const o of savedCharts) {
          expect(Object.keys(o.data!)).toContain("image/svg+xml");
          expect(Object.keys(o.data!)).not.toContain("image/png");
        }
        if (f !== "00-welcome.ipynb") {
          await closeNotebook(p);
        }
      }
    },
    12 * (KERNEL_START_MS + RUN_ALL_MS),
  );

  it("interrupts a long library loop and keeps the kernel usable", async () => {
    const p = "solved/00-welcome.ipynb";
    const t0 = Date.now();
    const append = (source: string) =>
      page.evaluate(
        ([q, src]) => {
          const g = globalThis as any;
          const panel = g.__mbrl[q];
          const model = panel.content.model;
          model.sharedModel.insertCell(model.cells.length, { cell_type: "code", source: src });
          panel.content.activeCellIndex = model.cells.length - 1;
          g.jupyterapp.shell.activateById(panel.id);
          void g.jupyterapp.commands.execute("notebook:run-cell");
          return model.cells.length - 1;
        },
        [p, source] as const,
      );
    // Dyna-Q with 50 planning steps per real step over 100,000 runs: hours of synchronous library code.
    const loop = await append(
      'import { dynaQCurve } from "mbrl/dyna";\nimport { makeDynaMaze } from "mbrl/envs";\n' +
        "dynaQCurve(makeDynaMaze(), { planningSteps: 50 }, { episodes: 50, runs: 100_000 });",
    );
    await page.waitForFunction(
      ([q, i]) => {
        const panel = (globalThis as any).__mbrl[q as string];
        return panel.content.model.cells.get(i).executionState === "running" && panel.sessionContext.session?.kernel?.status === "busy";
      },
      [p, loop] as const,
      { timeout: 60_000, polling: 200 },
    );
    await sleep(3000); // well inside the loop
    const t1 = Date.now();
    await page.evaluate(() => (globalThis as any).jupyterapp.commands.execute("kernelmenu:interrupt"));
    await page.waitForFunction(
      ([q, i]) => {
        const panel = (globalThis as any).__mbrl[q as string];
        const c = panel.content.model.cells.get(i);
        return c.executionState !== "running" && c.outputs.toJSON().some((o: any) => o.output_type === "error");
      },
      [p, loop] as const,
      { timeout: 60_000, polling: 200 },
    );
    timings.interrupt = since(t1);
    let s = await nbState(p);
    const err = s.cells[loop].outputs.find((o) => o.type === "error")!;
    expect(err.text).toMatch(/^Interrupted/);
    // The same kernel answers the next cell. After a failed request the kernel aborts whatever reaches it
    // in the next 50 ms (stop_on_error, as Run All needs), so send it once the kernel is idle, as a person
    // would, not in the same instant.
    await page.waitForFunction(
      ([q]) => (globalThis as any).__mbrl[q as string].sessionContext.session?.kernel?.status === "idle",
      [p] as const,
      {
        timeout: 60_000,
        polling: 100,
      },
    );
    await sleep(500);
    const next = await append("40 + 2");
    await page.waitForFunction(
      ([q, i]) => {
        const c = (globalThis as any).__mbrl[q as string].content.model.cells.get(i);
        return c.executionCount !== null && c.executionState !== "running";
      },
      [p, next] as const,
      { timeout: 60_000, polling: 200 },
    );
    s = await nbState(p);
    expect(s.cells[next].outputs.map((o) => o.text).join("")).toContain("42");
    expect(outputProblems({ ...s, cells: s.cells.filter((c) => c.index !== loop) })).toEqual([]);
    timings.interruptTotal = since(t0);
  }, 240_000);

  it("leaves no errors in the browser console or the server log", async () => {
    await page.screenshot({ path: path.join(OUT, "lab.png") });
    expect(consoleProblems).toEqual([]);
    const serverProblems = serverLog
      .split("\n")
      .filter((l) => /^\[(E|W|C) |Traceback|Error/.test(l))
      // Warnings, not errors, that a healthy session also logs: JupyterLab opens unsigned notebooks
      // untrusted, as it should; jupyter_server 1.x notes a kernel message that arrives as a
      // shut-down kernel's socket closes.
      .filter((l) => !/Notebook .* is not trusted|^\[W .*Got events for closed stream/.test(l));
    expect(serverProblems, logTail()).toEqual([]);
  });
});
