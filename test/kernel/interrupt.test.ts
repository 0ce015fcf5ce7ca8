/**
 * Kernel > Interrupt through the kernel protocol (test/kernel/interrupt_cells.py: jupyter_client's
 * interrupt_kernel, i.e. SIGINT to the kernel's process group, as the notebook's menu sends it) on each
 * kind of long-running notebook cell: a loop awaiting timers, one awaiting only microtasks between busy
 * stretches, a progress bar, a PETS run, Dyna-Q episodes and network training. Each must end with the
 * one "Interrupted" message within about a second, stay stopped (its counter no longer moves), and
 * leave the kernel usable. Timings are on a loaded 2-core machine, so the bound is loose (5 s); the
 * library loops are expected well under it.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { jupyterMissing, runPython } from "./python";

const missing = jupyterMissing();

const SETUP = [
  `import { progress } from "mbrl/viz";
import { CartPole, makeDynaMaze } from "mbrl/envs";
import { envReward, oracleModel } from "mbrl/models";
import { runPets } from "mbrl/pets";
import { dynaQRun } from "mbrl/dyna";
import { EnsembleMLP } from "mbrl/nn";
import { initBackend } from "mbrl/core";
await initBackend();
let timerTicks = 0, syncTicks = 0, microTicks = 0, barTicks = 0, petsTrials = 0, dynaRuns = 0, epochs = 0;
const busy = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end); };`,
];

interface Case {
  name: string;
  code: string;
  waitSeconds: number;
  probe: string;
}

const CASES: Case[] = [
  {
    name: "awaited timer loop",
    code: "for (;;) { timerTicks++; await new Promise((r) => setTimeout(r, 50)); }",
    waitSeconds: 2,
    probe: "timerTicks",
  },
  {
    // No await and no library call: Node's SIGINT watchdog for the cell's script stops it.
    name: "synchronous busy loop",
    code: "for (;;) { syncTicks++; busy(50); }",
    waitSeconds: 2,
    probe: "syncTicks",
  },
  {
    name: "microtask-only loop",
    code: "for (;;) { busy(200); microTicks++; await Promise.resolve(); }",
    waitSeconds: 2,
    probe: "microTicks",
  },
  {
    name: "progress bar",
    code: `const bar = progress(500, { label: "steps" });
for (let i = 0; i < 500; i++) { busy(100); barTicks++; bar.tick(); await Promise.resolve(); }`,
    waitSeconds: 3,
    probe: "barTicks",
  },
  {
    name: "PETS",
    code: `const env = new CartPole({ reward: "pets", maxSteps: 40, seed: 0 });
await runPets({ env: new CartPole({ reward: "pets", maxSteps: 40, seed: 1 }), model: oracleModel(env), reward: envReward(env),
  planner: { population: 40, elites: 4, iterations: 3, horizon: 12, particles: 10 }, trials: 100, learn: false, seed: 1,
  onTrial: () => { petsTrials++; } });`,
    waitSeconds: 6,
    probe: "petsTrials",
  },
  {
    name: "Dyna-Q",
    code: `const maze = makeDynaMaze();
for (let r = 0; r < 100000; r++) { dynaQRun(maze, { planningSteps: 5 }, { episodes: 1, seed: r }); dynaRuns++; await Promise.resolve(); }`,
    waitSeconds: 4,
    probe: "dynaRuns",
  },
  {
    name: "network training",
    code: `const net = new EnsembleMLP({ inputSize: 4, outputSize: 4, hiddenSizes: [64, 64], members: 5, seed: 1 });
const xs = Array.from({ length: 512 }, (_, i) => [Math.sin(i), Math.cos(i), i / 512, 1]);
await Promise.resolve(); // past the first await the cell runs outside the kernel's SIGINT watchdog
net.fit(xs, xs, { epochs: 100000, onEpoch: (e) => { epochs = e; } });`,
    waitSeconds: 6,
    probe: "epochs",
  },
];

interface CaseResult {
  name: string;
  reply: Record<string, any>;
  outputs: { type: string; content: Record<string, any> }[];
  replySeconds: number;
  probe: (string | null)[];
  probeReplies: Record<string, any>[];
  after: Record<string, any>;
}

describe.skipIf(missing !== null)("Kernel > Interrupt stops library loops", () => {
  it("stops each long-running cell kind with one message, and the kernel stays usable", async () => {
    const r = await runPython([path.join(__dirname, "interrupt_cells.py")], JSON.stringify({ setup: SETUP, cases: CASES }), 400_000);
    let out: { setup: Record<string, any>[]; cases: CaseResult[] };
    try {
      out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
    } catch {
      throw new Error(`interrupt_cells.py exited with ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
    }
    for (const s of out.setup) expect(s.status, JSON.stringify(s)).toBe("ok");
    expect(out.cases.map((c) => c.name)).toEqual(CASES.map((c) => c.name));
    for (const c of out.cases) {
      const what = `${c.name}: ${JSON.stringify({ reply: c.reply, probe: c.probe, probeReplies: c.probeReplies, seconds: c.replySeconds })}`;
      expect(c.reply.status, what).toBe("error");
      expect(c.reply.ename, what).toBe("Interrupted");
      // One clear message, no stack.
      const errors = c.outputs.filter((o) => o.type === "error");
      expect(errors, what).toHaveLength(1);
      expect(errors[0].content.traceback, what).toEqual([
        "Interrupted: the cell was stopped (Kernel > Interrupt). The kernel is ready for the next cell.",
      ]);
      expect(c.replySeconds, what).toBeLessThan(5);
      // The loop really stopped: its counter moved before the interrupt and not after.
      expect(Number(c.probe[0]), what).toBeGreaterThan(0);
      expect(c.probe[1], what).toBe(c.probe[0]);
      // The cells after an interrupted one run: no leftover signal stops them (see patches/README.md).
      for (const p of c.probeReplies) expect(p.status, what).toBe("ok");
      expect(c.after.status, what).toBe("ok");
    }
    // The bar shows where it stopped instead of drawing on to 500/500.
    const bar = out.cases.find((c) => c.name === "progress bar")!;
    const last = bar.outputs.filter((o) => o.type === "update_display_data").pop();
    expect(last?.content.data["text/plain"]).toMatch(/^steps \[#*-+\] \d+\/500 interrupted/);
    console.log(
      `[interrupt] seconds from interrupt to reply: ${out.cases.map((c) => `${c.name} ${c.replySeconds.toFixed(2)}`).join(", ")}`,
    );
  }, 420_000);
});
