/**
 * A person's view of the course: the notebook server is started by scripts/start.mjs (the code that
 * `npm start` runs), notebook 00 is opened in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), all cells are run through the notebook's own UI, and the page must show no errors,
 * the Vega plots as SVG and a working animation player. A full-page screenshot is saved to
 * test/.output/e2e/notebook-00.png.
 *
 * The notebook opened is a solved copy of notebooks/00-welcome.ipynb (reference solutions filled in) in
 * test/.output/e2e/nb/, so the committed student notebook is never touched. The classic Jupyter
 * Notebook is forced (MBRL_JUPYTER=notebook) because the test drives its page; CI installs Debian's
 * jupyter-notebook and chromium. MBRL_CHROMIUM points the test at another Chromium binary.
 *
 * The second part does the same on a student release (`npm run release`, in build/e2e-release,
 * with its node_modules linked to the project's packages except `mbrl`, which its own build links to
 * its own dist/): the release's README in the browser is the student README, and Cell > Run All on
 * the unsolved notebook 00 runs every cell, plots and animation included, the exercises saying they
 * are not solved yet.
 */
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { createRequire } from "module";
import * as net from "net";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { chromiumMissing, launchChromium } from "../helpers/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNotebook, type Notebook } from "../../lib/grader/notebook";
import { releaseCourse, solveNotebook } from "../../lib/grader/release";
import { describeFailure, runNotebook } from "../helpers/notebook";
import { execFileSync } from "child_process";

const ROOT = path.resolve(__dirname, "..", "..");
const OUT = path.join(ROOT, "test", ".output", "e2e");
const NB_DIR = path.join(OUT, "nb");
const NB_NAME = "00-welcome.ipynb";
const SCREENSHOT = path.join(OUT, "notebook-00.png");
const TOKEN = crypto.randomBytes(16).toString("hex");

const SERVER_START_MS = 120_000; // npm start probes for JupyterLab first; slow on a loaded 2-core machine
const KERNEL_START_MS = 90_000;
const RUN_ALL_MS = 300_000;

let server: ChildProcess | null = null;
let serverLog = "";
let baseUrl = "";
let browser: Browser | null = null;
const timings: Record<string, number> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

function logTail(n = 4000): string {
  return serverLog.length > n ? "..." + serverLog.slice(-n) : serverLog;
}

async function api(urlPath: string, init: { method?: string } = {}): Promise<Response> {
  return fetch(`${baseUrl}${urlPath}`, { ...init, headers: { Authorization: `token ${TOKEN}` } });
}

/** Writes the solved, output-free copy of notebook 00 that the browser opens. */
function writeSolvedCopy(): Notebook {
  fs.rmSync(NB_DIR, { recursive: true, force: true });
  fs.mkdirSync(NB_DIR, { recursive: true });
  const committed = parseNotebook(fs.readFileSync(path.join(ROOT, "notebooks", NB_NAME), "utf8"));
  const nb = solveNotebook(committed, path.basename(NB_NAME, ".ipynb"), path.join(ROOT, "solutions"));
  for (const c of nb.cells) {
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  fs.writeFileSync(path.join(NB_DIR, NB_NAME), JSON.stringify(nb, null, 1) + "\n");
  return nb;
}

/**
 * Starts the server through scripts/start.mjs, as `npm start -- --no-browser ...` does, and waits for its
 * API. `root` is the course folder whose start.mjs runs (the project, or a release), `notebookDir` the
 * folder Jupyter serves.
 */
async function startServer(root = ROOT, notebookDir = NB_DIR): Promise<void> {
  serverLog = "";
  baseUrl = "";
  const port = await freePort();
  const configDir = path.join(OUT, "jupyter-config"); // empty: a personal Jupyter config cannot change the test
  const runtimeDir = path.join(OUT, "jupyter-runtime");
  fs.mkdirSync(configDir, { recursive: true });
  fs.mkdirSync(runtimeDir, { recursive: true });
  const t0 = Date.now();
  server = spawn(
    process.execPath,
    [
      path.join(root, "scripts", "start.mjs"),
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      `--NotebookApp.token=${TOKEN}`,
      `--notebook-dir=${notebookDir}`,
    ],
    {
      cwd: root,
      env: { ...process.env, MBRL_JUPYTER: "notebook", JUPYTER_CONFIG_DIR: configDir, JUPYTER_RUNTIME_DIR: runtimeDir },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group, so afterAll can stop the launcher and Jupyter together
    },
  );
  let exited: string | null = null;
  server.stdout!.on("data", (d) => (serverLog += d));
  server.stderr!.on("data", (d) => (serverLog += d));
  server.on("exit", (code, signal) => (exited = `exited with ${code ?? signal}`));
  server.on("error", (e) => (exited = `failed to start: ${e.message}`));

  while (Date.now() - t0 < SERVER_START_MS) {
    if (exited) throw new Error(`npm start (scripts/start.mjs) ${exited} before serving:\n${logTail()}`);
    // Jupyter moves to the next port if this one was taken meanwhile; the log names the one it uses.
    const m = serverLog.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) {
      baseUrl = `http://127.0.0.1:${m[1]}`;
      try {
        const r = await api("/api/kernelspecs");
        if (r.ok) {
          timings.serverStart = (Date.now() - t0) / 1000;
          return;
        }
      } catch {
        /* not listening yet */
      }
    }
    await sleep(300);
  }
  throw new Error(`the notebook server did not answer within ${SERVER_START_MS / 1000} s:\n${logTail()}`);
}

async function stopServer(): Promise<void> {
  if (!server || server.pid === undefined) return;
  // Kernels run in their own process groups: shut them down through the server first.
  if (baseUrl && server.exitCode === null) {
    try {
      const kernels = (await (await api("/api/kernels")).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => api(`/api/kernels/${k.id}`, { method: "DELETE" })));
    } catch {
      /* the server is gone already; Jupyter shuts its kernels down on SIGTERM anyway */
    }
  }
  const pid = server.pid;
  const gone = () => server!.exitCode !== null || server!.signalCode !== null;
  if (!gone()) {
    try {
      process.kill(-pid, "SIGTERM"); // launcher and Jupyter; Jupyter stops its remaining kernels
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && !gone(); i++) await sleep(200);
  }
  try {
    process.kill(-pid, "SIGKILL"); // anything left in the group
  } catch {
    /* nothing left */
  }
  server = null;
}

interface CellReport {
  index: number;
  prompt: unknown;
  exercise: boolean;
  typesOnly: boolean;
  firstLine: string;
  source: string;
  outputs: { type: string; name?: string; mimes: string[]; text: string }[];
}

/** What the notebook page's own model says about every code cell. */
async function cellReports(page: Page): Promise<CellReport[]> {
  return page.evaluate(() => {
    const J = (globalThis as any).Jupyter;
    return J.notebook
      .get_cells()
      .map((c: any, index: number) => ({ c, index }))
      .filter(({ c }: any) => c.cell_type === "code")
      .map(({ c, index }: any) => ({
        index,
        prompt: c.input_prompt_number ?? null,
        exercise: !!(c.metadata && c.metadata.mbrl && c.metadata.mbrl.exercise),
        // A cell that only declares types (an interface an exercise uses) has nothing to show.
        typesOnly:
          /^\s*((\/\*\*[\s\S]*?\*\/|\/\/[^\n]*)\s*)*(export\s+)?(interface|type)\s/.test(String(c.get_text())) &&
          !/^\s*(const|let|var|await|console|display|for|if)\b/m.test(String(c.get_text())),
        firstLine: String(c.get_text()).split("\n")[0],
        source: String(c.get_text()),
        outputs: c.output_area.outputs.map((o: any) => ({
          type: o.output_type,
          name: o.name,
          mimes: Object.keys(o.data || {}),
          text: String(o.text ?? (o.ename ? `${o.ename}: ${o.evalue}` : "") ?? "").slice(0, 500),
        })),
      }));
  });
}

// ---------------------------------------------------------------------------------------------------
// Chart widths (issue 20): every chart of every notebook must fit the classic notebook's output area
// at a 1280 px window, with legend labels not cut. The charts are the SVG outputs of executed, solved
// notebooks: the copies the notebook execution tests write (test/.output/solved-*/executed/) when they
// are newer than the notebook, otherwise the notebook is executed here (MBRL_CHART_NOTEBOOKS limits the
// notebooks checked). Each SVG is placed in an output
// area of the real notebook page (its CSS, its width) and measured there.

const CHART_WIDTH_MS = 12 * 240_000;

interface ChartProblem {
  notebook: string;
  cell: number;
  title: string;
  problem: string;
}

/** Executed, solved copies of every notebook: fresh copies from the execution tests, or made here. */
async function executedNotebooks(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // MBRL_CHART_NOTEBOOKS=09-pilco,10-lqr-ilqr limits the check to some notebooks (while working on them).
  const only = process.env.MBRL_CHART_NOTEBOOKS?.split(",").map((x) => x.trim());
  const sources = fs
    .readdirSync(path.join(ROOT, "notebooks"))
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && (!only || only.includes(path.basename(f, ".ipynb"))))
    .sort();
  const solvedDir = path.join(OUT, "widths");
  fs.mkdirSync(path.join(solvedDir, "executed"), { recursive: true });
  for (const f of sources) {
    const stem = path.basename(f, ".ipynb");
    const sourceTime = fs.statSync(path.join(ROOT, "notebooks", f)).mtimeMs;
    const fresh = fs
      .readdirSync(path.join(ROOT, "test", ".output"))
      .filter((d) => d.startsWith("solved-"))
      .map((d) => path.join(ROOT, "test", ".output", d, "executed", f))
      .filter((c) => fs.existsSync(c) && fs.statSync(c).mtimeMs >= sourceTime);
    if (fresh.length) {
      out.set(stem, fresh[0]);
      continue;
    }
    const nb = solveNotebook(parseNotebook(fs.readFileSync(path.join(ROOT, "notebooks", f), "utf8")), stem, path.join(ROOT, "solutions"));
    const solved = path.join(solvedDir, f);
    fs.writeFileSync(solved, JSON.stringify(nb, null, 1) + "\n");
    const executed = path.join(solvedDir, "executed", f);
    const r = await runNotebook(solved, { out: executed, cellTimeout: 240 });
    if (!r.ok) throw new Error(`could not execute ${stem} to measure its charts:\n${describeFailure(stem, r)}`);
    out.set(stem, executed);
  }
  return out;
}

/** The SVG charts of an executed notebook, with their cell index and Vega-Lite title. */
function chartsOf(file: string): { cell: number; title: string; svg: string }[] {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  return nb.cells.flatMap((c, cell) =>
    (c.outputs ?? []).flatMap((o) => {
      const svg = o.data?.["image/svg+xml"];
      if (svg === undefined) return [];
      const spec = o.data?.["application/vnd.vegalite.v5+json"] as { title?: unknown } | undefined;
      const title = typeof spec?.title === "string" ? spec.title : JSON.stringify(spec?.title ?? "(untitled)");
      return [{ cell, title, svg: Array.isArray(svg) ? svg.join("") : String(svg) }];
    }),
  );
}

/**
 * Places each chart in an output area of the open classic notebook page and reports the charts wider
 * than the area (drawn wider, or shrunk by the page's CSS to fit, which shrinks its text too) and the
 * legend labels Vega cut short (they end in an ellipsis).
 */
async function chartProblems(
  page: Page,
  notebook: string,
  charts: { cell: number; title: string; svg: string }[],
): Promise<ChartProblem[]> {
  const measured = await page.evaluate(
    (svgs: string[]) => {
      const doc = (globalThis as any).document;
      const host = doc.querySelector("#notebook-container");
      return svgs.map((svg) => {
        // The classic notebook's own structure for an SVG output.
        const cell = doc.createElement("div");
        cell.className = "cell code_cell rendered";
        cell.innerHTML =
          '<div class="output_wrapper"><div class="output"><div class="output_area">' +
          '<div class="prompt"></div><div class="output_subarea output_svg"></div></div></div></div>';
        host.appendChild(cell);
        const area = cell.querySelector(".output_subarea");
        area.innerHTML = svg;
        const style = (globalThis as any).getComputedStyle(area);
        const available = area.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const el = area.querySelector("svg");
        // The drawn width, or the chart's own width if CSS shrank it to fit (then its text shrinks too).
        const width = el ? Math.max(el.getBoundingClientRect().width, el.width?.baseVal?.value ?? 0) : 0;
        const cut = el
          ? Array.from(el.querySelectorAll("text"))
              .map((t: any) => String(t.textContent))
              .filter((t: string) => t.endsWith("…"))
          : [];
        cell.remove();
        return { width, available, cut };
      });
    },
    charts.map((c) => c.svg),
  );
  return measured.flatMap((m, i) => {
    const where = { notebook, cell: charts[i].cell, title: charts[i].title };
    const out: ChartProblem[] = [];
    if (m.width > m.available + 0.5)
      out.push({ ...where, problem: `${Math.round(m.width)} px wide, the output area is ${Math.round(m.available)} px` });
    if (m.cut.length) out.push({ ...where, problem: `labels cut short: ${m.cut.join(", ")}` });
    return out;
  });
}

describe("notebook 00 in a browser, served by npm start", () => {
  beforeAll(async () => {
    const noChromium = chromiumMissing();
    if (noChromium) throw new Error(noChromium);
    // The kernel loads the compiled library (dist/); say so at once if it is missing or older than lib/
    // (npm start and npm test build it first), using the same check the library runs in the kernel.
    const freshJs = path.join(ROOT, "dist", "core", "fresh.js");
    if (!fs.existsSync(freshJs)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
    createRequire(__filename)(freshJs).assertFreshBuild();
    fs.mkdirSync(OUT, { recursive: true });
    fs.rmSync(SCREENSHOT, { force: true });
    writeSolvedCopy();
    await startServer();
  }, SERVER_START_MS + 30_000);

  afterAll(async () => {
    if (browser) await browser.close().catch(() => undefined);
    browser = null;
    await stopServer();
    if (Object.keys(timings).length) console.log(`[e2e] timings (s): ${JSON.stringify(timings)}`);
  }, 60_000);

  it("serves the project kernelspec", async () => {
    const specs = (await (await api("/api/kernelspecs")).json()) as { kernelspecs: Record<string, any> };
    expect(Object.keys(specs.kernelspecs)).toContain("tslab");
    expect(specs.kernelspecs.tslab.spec.display_name).toBe("TypeScript (MBRL course)");
    expect(specs.kernelspecs.tslab.spec.argv[1]).toBe(path.join(ROOT, "node_modules", "tslab", "bin", "tslab"));
  });

  it(
    "runs every cell with plots and an animation on screen",
    async () => {
      const t0 = Date.now();
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      page.on("dialog", (d) => void d.dismiss().catch(() => undefined));
      const offline: string[] = [];
      page.on("request", (r) => {
        if (!/^(data:|blob:|about:)/.test(r.url()) && !r.url().startsWith(baseUrl)) offline.push(r.url());
      });
      await page.goto(`${baseUrl}/notebooks/${NB_NAME}?token=${TOKEN}`, { waitUntil: "load", timeout: 60_000 });
      timings.pageLoad = (Date.now() - t0) / 1000;

      // The notebook names the tslab kernel in its metadata, so it starts without asking; if a kernel
      // chooser is shown anyway (kernel not found), pick tslab in it.
      const t1 = Date.now();
      await page.waitForFunction(() => !!(globalThis as any).Jupyter?.notebook?._fully_loaded, null, { timeout: 60_000 });
      const chooser = page.locator(".modal-dialog select");
      if (await chooser.isVisible().catch(() => false)) {
        await chooser.selectOption("tslab");
        await page.locator(".modal-dialog .btn-primary").click();
      }
      await page.waitForFunction(
        () => {
          const k = (globalThis as any).Jupyter.notebook.kernel;
          return !!k && k.is_connected() && !!k.info_reply && !!k.info_reply.protocol_version;
        },
        null,
        { timeout: KERNEL_START_MS },
      );
      timings.kernelStart = (Date.now() - t1) / 1000;
      const kernel = await page.evaluate(() => {
        const k = (globalThis as any).Jupyter.notebook.kernel;
        return { name: k.name as string, language: k.info_reply.language_info?.name as string };
      });
      expect(kernel).toEqual({ name: "tslab", language: "typescript" });

      // Cell > Run All, through the notebook's own API.
      const t2 = Date.now();
      await page.evaluate(() => (globalThis as any).Jupyter.notebook.execute_all_cells());
      // Done when no cell is queued or running and the kernel is idle, twice in a row (idle also flickers
      // between cells). An error stops the queue, so that ends the wait too.
      await page.waitForFunction(
        () => {
          const g = globalThis as any;
          const cells = g.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === "code");
          const running = cells.some((c: any) => c.input_prompt_number === "*");
          const allDone = cells.every((c: any) => typeof c.input_prompt_number === "number");
          const failed = g.document.querySelector(".output_error") !== null;
          const idle = g.document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
          const done = idle && !running && (allDone || failed);
          const now = Date.now();
          if (!done) g.__mbrlDoneSince = 0;
          else if (!g.__mbrlDoneSince) g.__mbrlDoneSince = now;
          return done && now - g.__mbrlDoneSince > 1000;
        },
        null,
        { timeout: RUN_ALL_MS, polling: 250 },
      );
      timings.runAll = (Date.now() - t2) / 1000;

      // No errors anywhere: error outputs, stderr, or a cell that did not run.
      const cells = await cellReports(page);
      const problems = cells.flatMap((c) =>
        c.outputs
          .filter((o) => o.type === "error" || o.name === "stderr")
          .map((o) => `cell ${c.index} (${c.firstLine}): ${o.type === "error" ? "error" : "stderr"}: ${o.text}`),
      );
      expect(problems, problems.join("\n")).toEqual([]);
      expect(await page.locator(".output_error, .output_stderr").count()).toBe(0);
      const notRun = cells.filter((c) => typeof c.prompt !== "number").map((c) => `cell ${c.index} (${c.firstLine})`);
      expect(notRun, "cells that did not run").toEqual([]);
      // Every cell shows something, except the exercise cells, which only define functions, and cells that only declare types.
      const silent = cells
        .filter((c) => c.outputs.length === 0 && !c.exercise && !c.typesOnly)
        .map((c) => `cell ${c.index} (${c.firstLine})`);
      expect(silent, "cells without output").toEqual([]);
      const text = cells.flatMap((c) => c.outputs.map((o) => o.text)).join("\n");
      expect(text).not.toMatch(/not implemented/);

      // The plots: each display carries Vega-Lite (for JupyterLab) and SVG, and the classic notebook
      // draws the SVG. Both charts of notebook 00 are on the page, with their titles and a real size.
      const plotOutputs = cells.flatMap((c) => c.outputs).filter((o) => o.mimes.includes("image/svg+xml"));
      expect(plotOutputs.length).toBeGreaterThanOrEqual(2);
      for (const o of plotOutputs) expect(o.mimes).toContain("application/vnd.vegalite.v5+json");
      const svgs = page.locator(".output_svg svg");
      expect(await svgs.count()).toBe(plotOutputs.length);
      for (let i = 0; i < (await svgs.count()); i++) {
        const svg = svgs.nth(i);
        await svg.scrollIntoViewIfNeeded();
        await expect.poll(() => svg.isVisible()).toBe(true);
        const box = (await svg.boundingBox())!;
        expect(box.width).toBeGreaterThan(200);
        expect(box.height).toBeGreaterThan(100);
        // Not wider than the output area it is drawn in (nothing cut off or scrolled at a 1280 px window).
        const area = (await svg.locator("xpath=ancestor::div[contains(@class, 'output_subarea')][1]").boundingBox())!;
        expect(box.width, `plot ${i} is wider than its output area`).toBeLessThanOrEqual(area.width);
        // Drawn by vega's SVG renderer: mark groups with many shapes, not an empty or error image.
        expect(await svg.locator("g[class*='mark-']").count()).toBeGreaterThan(2);
        expect(await svg.locator("path, rect, line").count()).toBeGreaterThan(10);
      }
      // The progress bar finished in place: one display, at 100 %.
      const bars = page.locator(".output_html", { hasText: "episodes" });
      expect(await bars.count()).toBe(1);
      expect(await bars.first().textContent()).toMatch(/3000\/3000 100%/);

      // The animation players: each one's script ran (class "js") and shows one visible frame. The first
      // one plays by itself, and pause, step and the slider work.
      const players = page.locator(".output_html .mbrl-animation");
      expect(await players.count()).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < (await players.count()); i++) {
        const p = players.nth(i);
        await p.scrollIntoViewIfNeeded();
        expect(await p.getAttribute("class")).toMatch(/\bjs\b/);
        expect(await p.locator(".f.on").count()).toBe(1);
        const frame = p.locator(".f.on svg");
        await expect.poll(() => frame.isVisible()).toBe(true);
        const frameBox = (await frame.boundingBox())!;
        expect(frameBox.width).toBeGreaterThan(100);
        expect(frameBox.height).toBeGreaterThan(50);
      }
      const player = players.first();
      await player.scrollIntoViewIfNeeded();
      const label = player.locator(".lbl");
      const frameNo = async () => Number((await label.textContent())!.split("/")[0]);
      const n = Number((await label.textContent())!.split("/")[1].trim().split(/\s/)[0]);
      expect(n).toBeGreaterThan(1);
      const first = await frameNo();
      await expect.poll(frameNo, { timeout: 10_000 }).not.toBe(first); // playing
      const playButton = player.locator("button.play");
      await playButton.click(); // pause
      expect(await playButton.textContent()).toContain("play");
      const paused = await frameNo();
      await sleep(1500);
      expect(await frameNo()).toBe(paused);
      await player.locator("button.next").click();
      expect(await frameNo()).toBe((paused % n) + 1);
      await player.locator("input[type=range]").fill(String(n - 1)); // scrub to the last frame
      expect(await frameNo()).toBe(n);
      expect(await player.locator(".f.on").count()).toBe(1);

      // Nothing was fetched from outside the server (the player is self-contained), and no page errors.
      expect(offline, "requests outside the notebook server").toEqual([]);
      expect(pageErrors, "JavaScript errors on the page").toEqual([]);

      // A full-page screenshot. The classic notebook scrolls inside #site; let the page grow instead.
      await page.addStyleTag({
        content:
          "html,body{height:auto!important;overflow:visible!important;position:static!important}" +
          "#site{height:auto!important;overflow:visible!important}",
      });
      await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
      timings.total = (Date.now() - t0) / 1000;
    },
    KERNEL_START_MS + RUN_ALL_MS + 120_000,
  );

  it(
    "no chart of any notebook is wider than its output area, and no legend label is cut",
    async () => {
      const notebooks = await executedNotebooks();
      if (!browser) browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(`${baseUrl}/notebooks/${NB_NAME}?token=${TOKEN}`, { waitUntil: "load", timeout: 60_000 });
      await page.waitForFunction(() => !!(globalThis as any).Jupyter?.notebook?._fully_loaded, null, { timeout: 60_000 });
      const problems: ChartProblem[] = [];
      let charts = 0;
      for (const [stem, file] of notebooks) {
        const found = chartsOf(file);
        charts += found.length;
        problems.push(...(await chartProblems(page, stem, found)));
      }
      await page.close();
      expect(charts, "charts measured").toBeGreaterThan(notebooks.size);
      const report = problems.map((p) => `${p.notebook}, cell ${p.cell} ("${p.title}"): ${p.problem}`);
      expect(report, report.join("\n")).toEqual([]);
    },
    CHART_WIDTH_MS,
  );
});

const RELEASE = path.join(ROOT, "build", "e2e-release"); // releaseCourse refuses folders under test/

/** The student copy, installed from the project's packages (no network): what `npm install` would give. */
function makeRelease(): void {
  fs.rmSync(RELEASE, { recursive: true, force: true });
  releaseCourse(RELEASE);
  const nm = path.join(RELEASE, "node_modules");
  fs.mkdirSync(nm);
  for (const e of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (e !== "mbrl") fs.symlinkSync(path.join(ROOT, "node_modules", e), path.join(nm, e));
  }
  // npm install's postinstall (patches already applied to the shared tslab): compile lib/, link mbrl, kernelspec.
  execFileSync(process.execPath, [path.join(RELEASE, "scripts", "build.mjs"), "--quiet"], { cwd: RELEASE, stdio: "inherit" });
}

describe("the student release in a browser: README and Run All before solving", () => {
  beforeAll(async () => {
    const noChromium = chromiumMissing();
    if (noChromium) throw new Error(noChromium);
    makeRelease();
    await startServer(RELEASE, RELEASE);
  }, SERVER_START_MS + 240_000);

  afterAll(async () => {
    if (browser) await browser.close().catch(() => undefined);
    browser = null;
    await stopServer();
  }, 60_000);

  it(
    "serves the student README and runs all of the unsolved notebook 00",
    async () => {
      const specs = (await (await api("/api/kernelspecs")).json()) as { kernelspecs: Record<string, any> };
      expect(specs.kernelspecs.tslab.spec.argv[1]).toBe(path.join(RELEASE, "node_modules", "tslab", "bin", "tslab"));
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.on("dialog", (d) => void d.dismiss().catch(() => undefined));

      // The README a student sees in the release: set-up, checking, submitting; not the instructor's.
      await page.goto(`${baseUrl}/files/README.md?token=${TOKEN}`, { waitUntil: "load", timeout: 60_000 });
      const readme = ((await page.locator("body").textContent()) ?? "").replace(/[ \n]+/g, " ");
      for (const part of [
        "## 1. Set up",
        "npm install",
        "npm start",
        "## 3. Work on an exercise",
        "Run All",
        "npm run check -- notebooks/05-pets.ipynb",
        "## 5. Submit",
        "install scripts are not approved",
      ]) {
        expect(readme, part).toContain(part);
      }
      for (const part of ["For instructors", "npm test", "hidden tests in `test/grading", "npm run release"])
        expect(readme, part).not.toContain(part);

      await page.goto(`${baseUrl}/notebooks/notebooks/${NB_NAME}?token=${TOKEN}`, { waitUntil: "load", timeout: 60_000 });
      await page.waitForFunction(() => !!(globalThis as any).Jupyter?.notebook?._fully_loaded, null, { timeout: 60_000 });
      await page.waitForFunction(
        () => {
          const k = (globalThis as any).Jupyter.notebook.kernel;
          return !!k && k.is_connected() && !!k.info_reply && !!k.info_reply.protocol_version;
        },
        null,
        { timeout: KERNEL_START_MS },
      );
      await page.evaluate(() => (globalThis as any).Jupyter.notebook.execute_all_cells());
      // Done when every code cell has run and the kernel is idle for a second: an unsolved exercise must
      // not stop the queue (if it did, this wait would time out with cells still at In [ ]).
      await page
        .waitForFunction(
          () => {
            const g = globalThis as any;
            const cells = g.Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === "code");
            const allDone = cells.every((c: any) => typeof c.input_prompt_number === "number");
            const idle = g.document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
            const done = idle && allDone;
            const now = Date.now();
            if (!done) g.__mbrlDoneSince = 0;
            else if (!g.__mbrlDoneSince) g.__mbrlDoneSince = now;
            return done && now - g.__mbrlDoneSince > 1000;
          },
          null,
          { timeout: RUN_ALL_MS, polling: 250 },
        )
        .catch(async (e) => {
          const notRun = (await cellReports(page))
            .filter((c) => typeof c.prompt !== "number")
            .map((c) => `cell ${c.index} (${c.firstLine})`);
          throw new Error(`Run All did not reach every cell: ${notRun.join(", ")}\n${String(e)}`);
        });

      const cells = await cellReports(page);
      // The only errors are the unsolved exercises and the cells needing them, each naming the exercise.
      const errors = cells.flatMap((c) => c.outputs.filter((o) => o.type === "error").map((o) => ({ cell: c.index, text: o.text })));
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e.text, `cell ${e.cell}`).toMatch(/^ExerciseNotSolved: not implemented yet: [\w-]+$/);
      const shown = (await page.locator(".output_error").allTextContents()).join("\n");
      expect(shown).toMatch(/Exercise "discounted-return" is not solved yet/);
      expect(shown).toContain("Run All goes on with the cells that do not need it.");
      expect(shown).not.toMatch(/node_modules|dist\//);
      // Only the cells that call an exercise's function wait for it (check cells, and the cells that use
      // the result: the Monte Carlo estimate, the corridor's V and Q); the rest of the lesson is there:
      // the first plot, the value tables, the animation players.
      // The exercises' functions, and (transitively) the functions of cells that call them.
      const names = new Set(cells.filter((c) => c.exercise).flatMap((c) => [...c.source.matchAll(/function\s+(\w+)/g)].map((m) => m[1])));
      expect(names.size).toBeGreaterThan(0);
      const calls = (src: string) => [...names].some((f) => new RegExp(`\\b${f}\\s*\\(`).test(src));
      for (let grew = true; grew;) {
        grew = false;
        for (const c of cells.filter((c) => calls(c.source))) {
          for (const m of c.source.matchAll(/function\s+(\w+)/g)) {
            if (!names.has(m[1])) {
              names.add(m[1]);
              grew = true;
            }
          }
        }
      }
      const waiting = errors.filter((e) => !calls(cells.find((c) => c.index === e.cell)!.source));
      expect(waiting, "cells that failed without calling an exercise").toEqual([]);
      expect(errors.length, JSON.stringify(errors)).toBeLessThan(cells.length / 2);
      expect(await page.locator(".output_svg svg").count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator(".output_html .mbrl-animation").count()).toBeGreaterThanOrEqual(1);
      await page.addStyleTag({
        content:
          "html,body{height:auto!important;overflow:visible!important;position:static!important}#site{height:auto!important;overflow:visible!important}",
      });
      await page.screenshot({ path: path.join(OUT, "release-00-unsolved.png"), fullPage: true });
    },
    KERNEL_START_MS + RUN_ALL_MS + 120_000,
  );
});
