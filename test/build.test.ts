/** The build the notebooks use: fresh, linked as `mbrl`, guarded against going stale, with our kernelspec. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { hashSources } from "../lib/core/fresh";

const ROOT = path.resolve(__dirname, "..");

describe("library build (dist/)", () => {
  it("was built from the current lib/ sources (npm test builds first)", () => {
    const stamp = JSON.parse(fs.readFileSync(path.join(ROOT, "dist", "build-stamp.json"), "utf8"));
    expect(stamp.sourceHash).toBe(hashSources(path.join(ROOT, "lib")));
  });

  it("is reachable as `mbrl/...` from notebooks/, with declarations", () => {
    expect(fs.realpathSync(path.join(ROOT, "node_modules", "mbrl"))).toBe(fs.realpathSync(path.join(ROOT, "dist")));
    for (const part of ["core", "viz", "envs", "exercise", "models", "planners", "pilco", "control"]) {
      expect(fs.existsSync(path.join(ROOT, "dist", part, "index.d.ts")), `dist/${part}/index.d.ts`).toBe(true);
    }
    const out = execFileSync(
      process.execPath,
      ["-e", "const c = require('mbrl/core'); console.log(typeof c.makeRng, c.makeRng(3).uniform().toFixed(6))"],
      { cwd: path.join(ROOT, "notebooks"), encoding: "utf8" },
    );
    expect(out.trim()).toMatch(/^function 0\.\d{6}$/);
  });

  it("refuses to load when lib/ changed after the build", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-stale-"));
    try {
      fs.mkdirSync(path.join(tmp, "lib"));
      fs.writeFileSync(path.join(tmp, "lib", "a.ts"), "export const a = 1;\n");
      fs.mkdirSync(path.join(tmp, "dist", "core"), { recursive: true });
      fs.copyFileSync(path.join(ROOT, "dist", "core", "fresh.js"), path.join(tmp, "dist", "core", "fresh.js"));
      const run = () =>
        execFileSync(process.execPath, ["-e", "require('./dist/core/fresh.js').assertFreshBuild()"], {
          cwd: tmp,
          encoding: "utf8",
          stdio: "pipe",
          env: { ...process.env, MBRL_ALLOW_STALE_BUILD: "" },
        });
      fs.writeFileSync(path.join(tmp, "dist", "build-stamp.json"), JSON.stringify({ sourceHash: hashSources(path.join(tmp, "lib")) }));
      expect(run).not.toThrow();
      fs.writeFileSync(path.join(tmp, "lib", "a.ts"), "export const a = 2;\n");
      expect(run).toThrow(/older than its sources.*npm run build/s);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("project kernelspec", () => {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "jupyter", "kernels", "tslab", "kernel.json"), "utf8"));

  it("starts the project's pinned tslab with this Node", () => {
    expect(spec.language).toBe("typescript");
    expect(spec.argv[0]).toBe(process.execPath);
    expect(fs.realpathSync(spec.argv[1])).toBe(fs.realpathSync(path.join(ROOT, "node_modules", "tslab", "bin", "tslab")));
    expect(spec.argv).toContain("{connection_file}");
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "tslab", "package.json"), "utf8"));
    const ours = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.version).toBe(ours.dependencies.tslab);
  });

  it("interrupts by signal, so a busy loop in a cell can be stopped", () => {
    expect(spec.interrupt_mode ?? "signal").toBe("signal");
  });
});
