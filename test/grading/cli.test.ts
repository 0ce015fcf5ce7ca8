/** The instructor's commands: solve, release, grading one notebook, nbgrader config, progress. (batch.test.ts: folders, Gradescope.) */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { cellSource, exerciseId, parseNotebook, regionBodies } from "../../lib/grader/notebook";
import { loadSpecs, PROJECT_ROOT, defaultPaths } from "../../lib/grader/spec";
import { progressPrinter } from "../../lib/grader/batch";
import {
  cli,
  FIXTURE_FLAGS,
  FIXTURES,
  makeSubmission,
  readNotebook,
  referenceBodies,
  removeTmpDirs,
  tmpDir,
  writeNotebook,
} from "./helpers";

afterAll(removeTmpDirs);

const root = PROJECT_ROOT;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Every relative import of `file` (recursively) exists under `root`. */
function assertImportsResolve(root: string, file: string, seen = new Set<string>()): void {
  if (seen.has(file)) return;
  seen.add(file);
  expect(fs.existsSync(file), `${path.relative(root, file)} is in the release`).toBe(true);
  const text = fs.readFileSync(file, "utf8");
  for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    const target = [`${base}.ts`, path.join(base, "index.ts"), base].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    expect(target, `${path.relative(root, file)} imports ${m[1]}`).toBeDefined();
    if (target!.endsWith(".ts")) assertImportsResolve(root, target!, seen);
  }
}

async function allReferenceBodies(): Promise<{ stem: string; id: string; squashed: string; lines: string[] }[]> {
  const specs = await loadSpecs(defaultPaths());
  return specs.map((s) => {
    const body = referenceBodies(s.solutionFile).join("\n");
    return {
      stem: s.spec.notebook,
      id: s.spec.id,
      squashed: body.replace(/\s+/g, " ").trim(),
      lines: body
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 8 && !l.startsWith("//")),
    };
  });
}

describe.concurrent("npm run solve / release", () => {
  it("solve refuses a folder outside the project, whose notebooks could not import mbrl/*", async () => {
    const out = tmpDir("solve-outside");
    const r = await cli(["solve", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is outside the project");
    expect(r.stderr).toContain("npm run release -- DIR");
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it("solve puts every reference between its markers", async () => {
    fs.mkdirSync(path.join(root, "test", ".output"), { recursive: true });
    const out = fs.mkdtempSync(path.join(root, "test", ".output", "solve-"));
    afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
    const r = await cli(["solve", out]);
    expect(r.code, r.stderr).toBe(0);
    const nbs = fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    expect(fs.readdirSync(out).sort()).toEqual(nbs.sort());
    for (const f of nbs) {
      const solved = readNotebook(path.join(out, f));
      for (const c of solved.cells) {
        const id = exerciseId(c);
        if (!id) continue;
        const ref = referenceBodies(path.join(root, "solutions", f.replace(/\.ipynb$/, ""), `${id}.ts`));
        expect(regionBodies(cellSource(c))).toEqual(ref);
        expect(cellSource(c)).not.toContain("not implemented yet");
      }
    }
  });

  it("release writes the student copy: stubs, no markers, no outputs, no solutions, no hidden tests", async () => {
    const out = tmpDir("release");
    const r = await cli(["release", out]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["package.json", "package-lock.json", "tsconfig.json", "lib/core/index.ts", "scripts/build.mjs"]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(fs.existsSync(path.join(out, "solutions"))).toBe(false);
    expect(fs.existsSync(path.join(out, "test", "grading"))).toBe(false);
    // The student README, not the instructor's.
    expect(fs.readFileSync(path.join(out, "README.md"), "utf8")).toBe(
      fs.readFileSync(path.join(root, "docs", "STUDENT-README.md"), "utf8"),
    );
    // Every `npm run NAME -- ARG` a released notebook names exists in the release, with what it imports.
    const scripts = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8")).scripts as Record<string, string>;
    const named = new Set<string>();
    for (const f of fs.readdirSync(path.join(out, "notebooks")).filter((f) => f.endsWith(".ipynb"))) {
      for (const m of fs.readFileSync(path.join(out, "notebooks", f), "utf8").matchAll(/npm run ([\w-]+)(?: -- ([\w-]+))?/g))
        named.add(`${m[1]} ${m[2] ?? ""}`.trim());
    }
    expect([...named].some((n) => n.startsWith("bench "))).toBe(true);
    for (const n of named) {
      const [script, arg] = n.split(" ");
      expect(scripts[script], `npm run ${script}`).toBeDefined();
      if (script === "bench") assertImportsResolve(out, path.join(out, "test", "bench", `${arg}.ts`));
    }
    expect(fs.existsSync(path.join(out, "test", "bench", "grade.ts")), "the grading benchmark needs solutions").toBe(false);
    expect(fs.existsSync(path.join(out, "test", "bench", "hub.ts")), "the hub benchmark needs solutions").toBe(false);
    const nbFiles = fs.readdirSync(path.join(out, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    expect(nbFiles.length).toBeGreaterThan(0);
    let exercises = 0;
    for (const f of nbFiles) {
      const text = fs.readFileSync(path.join(out, "notebooks", f), "utf8");
      expect(text).not.toContain("BEGIN SOLUTION");
      const nb = parseNotebook(text);
      expect((nb.metadata.mbrl as { notebook: string }).notebook).toBe(f.replace(/\.ipynb$/, ""));
      for (const c of nb.cells) {
        if (c.cell_type === "code") expect(c.outputs).toEqual([]);
        const id = exerciseId(c);
        if (!id) continue;
        exercises++;
        expect(cellSource(c)).toContain(`throw new Error("not implemented yet: ${id}");`);
        expect((c.metadata.nbgrader as { checksum?: string }).checksum).toMatch(/^[0-9a-f]{32}$/);
      }
    }
    expect(exercises).toBeGreaterThan(0);
    // No reference body in any file, and no reference line in its exercise cell.
    const squash = (t: string) => t.replace(/\s+/g, " ").trim();
    const bodies = await allReferenceBodies();
    for (const file of walk(out)) {
      const text = squash(fs.readFileSync(file, "utf8").replace(/\\n/g, "\n").replace(/\\"/g, '"'));
      for (const b of bodies) expect(text.includes(b.squashed), `${file} contains the reference of ${b.id}`).toBe(false);
    }
    for (const f of nbFiles) {
      for (const c of readNotebook(path.join(out, "notebooks", f)).cells) {
        const id = exerciseId(c);
        const ref = bodies.find((b) => b.id === id && b.stem === f.replace(/\.ipynb$/, ""));
        if (!ref) continue;
        for (const l of ref.lines) expect(cellSource(c), `${f}/${id}`).not.toContain(l);
      }
    }
  });
});

describe.concurrent("nbgrader_config.py", () => {
  it("sets a TypeScript code stub and the solution delimiters the notebooks use", () => {
    const file = path.join(root, "nbgrader_config.py");
    const text = fs.readFileSync(file, "utf8");
    const py = spawnSync(
      "python3",
      [
        "-c",
        `
import json
class C(dict):
    def __getattr__(self, k): return self.setdefault(k, C())
    def __setattr__(self, k, v): self[k] = v
cfg = C()
exec(open(${JSON.stringify(file)}).read(), {"get_config": lambda: cfg})
print(json.dumps(cfg))`,
      ],
      { encoding: "utf8" },
    );
    const cfg =
      py.status === 0
        ? (JSON.parse(py.stdout) as Record<string, Record<string, unknown>>)
        : {
            ClearSolutions: {
              code_stub: { typescript: /"typescript":\s*'([^']*)'/.exec(text)?.[1] },
              begin_solution_delimeter: "BEGIN SOLUTION",
              end_solution_delimeter: "END SOLUTION",
            },
          };
    const cs = cfg.ClearSolutions as {
      code_stub: Record<string, string>;
      begin_solution_delimeter: string;
      end_solution_delimeter: string;
    };
    expect(cs.code_stub.typescript).toMatch(/^throw new Error\(/);
    expect(cs.begin_solution_delimeter).toBe("BEGIN SOLUTION");
    expect(cs.end_solution_delimeter).toBe("END SOLUTION");
    // The kernelspec language nbgrader looks the stub up by is the one the notebooks declare.
    const nb = readNotebook(path.join(root, "notebooks", "00-welcome.ipynb"));
    expect((nb.metadata.kernelspec as { language: string }).language).toBe("typescript");
  });
});

describe.concurrent("npm run grade", () => {
  const trusted = readNotebook(path.join(FIXTURES, "notebooks", "99-fixture.ipynb"));
  const ref = {
    "scaled-sum": { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "scaled-sum.ts")) },
    normalise: { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "normalise.ts")) },
  };

  it("grades one notebook and prints its table", async () => {
    const dir = tmpDir("single");
    const file = writeNotebook(path.join(dir, "me.ipynb"), makeSubmission(trusted, { normalise: ref.normalise }));
    const r = await cli(["grade", file, "--out", path.join(dir, "g"), ...FIXTURE_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("score 2 / 5");
    expect(r.stdout).toMatch(/scaled-sum: first failing check "empty list"/);
    expect(r.stdout).toContain("got:      threw Error: not implemented yet: scaled-sum");
    expect(fs.existsSync(path.join(dir, "g", "me", "results.json"))).toBe(true);
  });

  it("prints the known mistake a failing answer reproduces, and where its values differ", async () => {
    const dir = tmpDir("mistake");
    const divides = { body: "return xs.map((x) => x / xs.length);" }; // the spec's mutant "divides by the length"
    const file = writeNotebook(path.join(dir, "me.ipynb"), makeSubmission(trusted, { normalise: divides }));
    const r = await cli(["grade", file, "--out", path.join(dir, "g"), ...FIXTURE_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /normalise: first failing check "check 1"\n {4}input: {4}normalise\(\[1, 3\]\)\n {4}differs: {2}\[0\]: expected 0.25, got 0.5\n/,
    );
    expect(r.stdout).toContain("    this is what a known mistake gives: divides by the length");
    const results = fs.readFileSync(path.join(dir, "g", "me", "results.json"), "utf8");
    expect(results).toContain("this is what a known mistake gives: divides by the length");
  });

  it("fails (non-zero) only when grading cannot run", async () => {
    expect((await cli(["grade", "/nonexistent/x.ipynb"])).code).toBe(1);
    expect((await cli(["frobnicate"])).code).toBe(2);
  });
});

describe("progress", () => {
  it("redraws one bar on a terminal and prints plain lines elsewhere", () => {
    const r = { submission: "alice", score: 3, maxScore: 5 } as Parameters<ReturnType<typeof progressPrinter>>[2];
    const tty: string[] = [];
    const ttyPrint = progressPrinter({ isTTY: true, write: (s: string) => tty.push(s) } as unknown as NodeJS.WriteStream);
    ttyPrint(1, 2, r, false);
    ttyPrint(2, 2, r, true);
    expect(tty[0]).toMatch(/^\r\x1b\[2K\[#{15}\.{15}\] 1\/2 alice: 3\/5$/);
    expect(tty.join("")).toMatch(/2\/2 alice: already graded, 3\/5\n$/);
    const plain: string[] = [];
    progressPrinter({ isTTY: false, write: (s: string) => plain.push(s) } as unknown as NodeJS.WriteStream)(1, 2, r, false);
    expect(plain).toEqual(["[grade] 1/2 alice: 3/5\n"]);
  });
});
