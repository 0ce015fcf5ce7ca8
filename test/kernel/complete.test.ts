/** Completion of module paths in the course kernel: `mbrl/` entry points and relative paths (from notebooks/). */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT, jupyterMissing, runPython } from "./python";

const missing = jupyterMissing();

describe.skipIf(missing !== null)("module path completion", () => {
  it("completes mbrl/ entry points, bare prefixes and relative paths; members still complete", async () => {
    const codes = [
      'import { makeRng } from "mbrl/',
      'import { makeRng } from "mbrl/co',
      'import { progress } from "mb',
      'const m = await import("mbrl/vi',
      'import * as v from "mbrl/viz";\nv.prog',
      'import x from "./',
    ];
    const r = await runPython([path.join(__dirname, "complete_cells.py"), path.join(ROOT, "notebooks")], JSON.stringify(codes));
    const replies = JSON.parse(r.stdout.trim().split("\n").pop() ?? "null") as {
      matches: string[];
      cursor_start: number;
      cursor_end: number;
      status: string;
    }[];
    expect(replies, r.stderr.slice(-2000)).not.toBeNull();
    const [all, co, bare, dynamic, member, relative] = replies;
    for (const entry of ["mbrl/core", "mbrl/viz", "mbrl/envs", "mbrl/pets", "mbrl/pilco", "mbrl/exercise"])
      expect(all.matches).toContain(entry);
    expect(all.cursor_start).toBe(codes[0].length - "mbrl/".length);
    expect(all.cursor_end).toBe(codes[0].length);
    expect(co.matches).toEqual(["mbrl/control", "mbrl/core"]);
    expect(bare.matches[0]).toBe("mbrl/");
    expect(dynamic.matches).toEqual(["mbrl/viz"]);
    expect(member.matches).toContain("progress");
    expect(relative.matches).toContain("./src/");
  }, 200_000);
});
