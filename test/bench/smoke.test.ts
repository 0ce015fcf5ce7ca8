/**
 * Smoke run of every benchmark with --quick: it must start, print progress, and end with one JSON
 * object naming itself. The full runs (the published figures) are `npm run bench -- NAME`, not CI.
 */
import { spawn } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { benchmarkNames } from "./list";

const ROOT = path.resolve(__dirname, "..", "..");
const names = benchmarkNames();
/** The benchmarks of algorithms, which report time per decision and its shares (kernels and envs time single operations). */
const ALGORITHMS = ["mbrl-versions", "pets", "dyna-q", "dyna-style", "pilco", "ilqr", "gps", "mbmf"];

function runQuick(name: string): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(__dirname, "run.ts"), name, "--quick"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

describe("benchmarks (--quick)", () => {
  it("include one per algorithm family", () => {
    for (const n of ["kernels", "envs", "mbrl-versions", "pets", "dyna-q", "dyna-style", "pilco", "ilqr", "gps", "grade", "latent"]) {
      expect(names, `test/bench/${n}.ts`).toContain(n);
    }
  });

  for (const name of names) {
    it(`${name} runs and ends with its JSON figures`, async () => {
      const r = await runQuick(name);
      const lines = r.stdout.trim().split("\n");
      expect(r.code, `exit ${r.code}\n${r.stderr.slice(-3000)}`).toBe(0);
      expect(lines.length, "prints progress before the figures").toBeGreaterThan(1);
      const figures = JSON.parse(lines[lines.length - 1]);
      expect(figures.bench).toBe(name);
      if (ALGORITHMS.includes(name)) {
        // Time per decision (or per step, solve, iteration, trial) and where it went.
        const per = Object.keys(figures).filter((k) => k.startsWith("wallSecondsPer"));
        expect(per, "a wallSecondsPer... figure").toHaveLength(1);
        expect(figures[per[0]]).toBeGreaterThan(0);
        const shares = Object.values(figures.timeShares as Record<string, number>);
        expect(shares.length).toBeGreaterThan(1);
        expect(shares.reduce((x, y) => x + y, 0)).toBeGreaterThan(0.95);
      }
    }, 240_000);
  }
});
