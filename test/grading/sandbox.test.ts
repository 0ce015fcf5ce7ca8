/** The sandbox's walls, the protocol, and what code is extracted for an exercise. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { closeTo, formatValue, sanitize } from "../../lib/grader/compare";
import { compileBatch, compileExercise, neededSetup, TypeChecker } from "../../lib/grader/extract";
import { FrameReader, frame, MAX_FRAME_BYTES, runSandbox, sandboxFlags, sandboxSelfTest } from "../../lib/grader/sandbox";
import { libraryMirror } from "../../lib/grader/isolation";
import { PROJECT_ROOT } from "../../lib/grader/spec";
import { removeTmpDirs, tmpDir } from "./helpers";

afterAll(removeTmpDirs);

const root = PROJECT_ROOT;

const mirror = libraryMirror(root, null);

function probe(code: string): Record<string, string> {
  // The same Node flags as a grading child, but with Node's own require and without the OS layer, to test the
  // permission model itself (the second wall; hostile-os.test.ts tests the first).
  const r = spawnSync(process.execPath, [...sandboxFlags(mirror, 128), "-e", code], { encoding: "utf8", env: {}, timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, string>;
}

describe("Node permission model of the grading child", () => {
  it("denies reading solutions, tests and the real dist/, writing, child processes, workers and native addons; allows the library mirror", () => {
    const scratch = tmpDir("probe");
    const out = probe(`
      const fs = require("fs");
      const r = {};
      const attempt = (k, f) => { try { f(); r[k] = "allowed"; } catch (e) { r[k] = e.code || e.message; } };
      attempt("solutions", () => fs.readdirSync(${JSON.stringify(path.join(root, "solutions"))}));
      attempt("specs", () => fs.readdirSync(${JSON.stringify(path.join(root, "test", "grading"))}));
      attempt("lib", () => fs.readdirSync(${JSON.stringify(path.join(root, "lib"))}));
      attempt("etc", () => fs.readFileSync("/etc/hostname"));
      attempt("write", () => fs.writeFileSync(${JSON.stringify(path.join(scratch, "x"))}, "1"));
      attempt("spawn", () => require("child_process").spawnSync("ls"));
      attempt("worker", () => new (require("worker_threads").Worker)("1", { eval: true }));
      attempt("binding", () => process.binding("fs"));
      attempt("addon", () => process.dlopen({ exports: {} }, "/nonexistent.node"));
      attempt("eval", () => eval("1 + 1"));
      attempt("realDist", () => fs.readdirSync(${JSON.stringify(path.join(root, "dist"))}));
      attempt("climb", () => fs.readdirSync(${JSON.stringify(path.join(mirror, "node_modules", "mbrl", "..", "..", ".."))}));
      attempt("mirror", () => fs.readdirSync(${JSON.stringify(path.join(mirror, "node_modules", "mbrl", "core"))}));
      console.log(JSON.stringify(r));
    `);
    for (const k of ["solutions", "specs", "lib", "etc", "write", "spawn", "worker", "binding", "realDist", "climb"])
      expect(out[k], k).toBe("ERR_ACCESS_DENIED");
    expect(out.addon).toBe("ERR_DLOPEN_DISABLED");
    expect(out.eval).toMatch(/Code generation from strings disallowed/);
    expect(out.mirror).toBe("allowed");
    // The mirror holds the library as a real directory: no symlink under it leads out.
    expect(fs.lstatSync(path.join(mirror, "node_modules", "mbrl")).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(mirror, "node_modules", "mbrl", "grader"))).toBe(false);
    expect(fs.existsSync(path.join(scratch, "x"))).toBe(false);
  });
});

const run = (code: string, cases: { fn: string; args: unknown[] }[], timeoutMs = 5000) =>
  runSandbox({ code, filename: "t.ts", cases, root, timeoutMs, memoryMb: 128 });

function compiled(cell: string, entries: string[], setup = ""): string {
  const c = compileExercise(setup, cell, entries);
  expect(c.errors).toEqual([]);
  return c.code;
}

describe("sandbox protocol", () => {
  it("passes its self-test (run before every grading), and fails it where it cannot run", async () => {
    await expect(sandboxSelfTest(root)).resolves.toBeUndefined();
    await expect(sandboxSelfTest(path.join(tmpDir("gone"), "no-such-project"))).rejects.toThrow(/the grading sandbox does not work here/);
  });

  it("returns each case's value or error, in order", async () => {
    const code = compiled("function f(x: number) { if (x < 0) throw new RangeError('negative'); return [x, x * 2]; }", ["f"]);
    const o = await run(code, [
      { fn: "f", args: [2] },
      { fn: "f", args: [-1] },
      { fn: "g", args: [] },
    ]);
    expect(o.status).toBe("done");
    expect(o.results[0]).toEqual({ ok: true, value: [2, 4] });
    expect(o.results[1]).toEqual({ ok: false, error: "RangeError: negative" });
    expect(o.results[2]).toMatchObject({ ok: false, error: expect.stringMatching(/g is not defined as a function/) });
  });

  it("the student code sees no require, fetch or module loader, and only mbrl/ imports", async () => {
    const code = compiled(
      `function f() { const g = globalThis as any; return [typeof g.require, typeof g.fetch, typeof g.module, typeof g.process.mainModule]; }`,
      ["f"],
    );
    const o = await run(code, [{ fn: "f", args: [] }]);
    expect(o.results[0]).toEqual({ ok: true, value: ["undefined", "undefined", "undefined", "undefined"] });
    const net = await run(compiled(`import * as net from "net";\nfunction f() { return typeof net; }`, ["f"]), [{ fn: "f", args: [] }]);
    expect(net.status).toBe("load-error");
    expect(net.reason).toMatch(/module "net" is not available/);
  });

  it("the student code cannot signal other processes (the grader, other sandboxes)", async () => {
    const code = compiled(
      `function f(): string[] {
        const p: any = process;
        const out: string[] = [];
        for (const k of ["kill", "_kill", "_debugProcess"]) {
          try { p[k](p.ppid, 0); out.push(k + " worked"); } catch (e) { out.push((e as Error).message); }
          try { p[k] = () => 0; } catch { /* read-only */ }
        }
        return out;
      }`,
      ["f"],
    );
    const o = await run(code, [{ fn: "f", args: [] }]);
    expect(o.results[0]).toEqual({
      ok: true,
      value: [
        "process.kill is not available while grading",
        "process._kill is not available while grading",
        "process._debugProcess is not available while grading",
      ],
    });
  });

  it("can import the course library from dist/", async () => {
    const code = compiled(
      `import { checkLength } from "mbrl/core";\nfunction f(xs: number[]) { checkLength("xs", xs, 2); return xs.length; }`,
      ["f"],
    );
    const o = await run(
      code,
      [
        { fn: "f", args: [[1, 2]] },
        { fn: "f", args: [[1]] },
      ],
      30_000,
    );
    expect(o.status, o.reason).toBe("done");
    expect(o.results[0]).toEqual({ ok: true, value: 2 });
    expect(o.results[1].ok).toBe(false);
  });

  it("the student code has no channel to the grader: no process.send, no built-in modules", async () => {
    const code = compiled(`(process as any).send({ type: "done" });\nfunction f() { return 1; }`, ["f"]);
    const o = await run(code, [{ fn: "f", args: [] }]);
    expect(o.status).toBe("load-error");
    const probeAll = compiled(
      `function f() {
        const p: any = process;
        const out: string[] = [];
        for (const k of ["getBuiltinModule", "binding", "_linkedBinding", "dlopen", "_getActiveHandles", "loadEnvFile"]) {
          try { out.push(k + ":" + typeof p[k](k === "getBuiltinModule" ? "fs" : "fs")); } catch (e) { out.push(k + ":blocked"); }
        }
        out.push("report:" + typeof p.report, "send:" + typeof p.send, "env:" + JSON.stringify(p.env));
        return out;
      }`,
      ["f"],
    );
    const r = await run(probeAll, [{ fn: "f", args: [] }]);
    expect(r.status, r.reason).toBe("done");
    expect(r.results[0]).toEqual({
      ok: true,
      value: [
        "getBuiltinModule:blocked",
        "binding:blocked",
        "_linkedBinding:blocked",
        "dlopen:blocked",
        "_getActiveHandles:blocked",
        "loadEnvFile:blocked",
        "report:undefined",
        "send:undefined",
        "env:{}",
      ],
    });
  });

  it("frames above the size budget, past the total budget or undecodable end the run before decoding", () => {
    const got: unknown[] = [];
    const why: string[] = [];
    const ok = new FrameReader(
      (m) => got.push(m),
      (w) => why.push(w),
    );
    const f = frame({ type: "ready" });
    ok.push(f.subarray(0, 3));
    ok.push(f.subarray(3));
    expect(got).toEqual([{ type: "ready" }]);
    const big = new FrameReader(
      (m) => got.push(m),
      (w) => why.push(w),
    );
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    big.push(head);
    expect(why.pop()).toMatch(/limit/);
    const total = new FrameReader(
      (m) => got.push(m),
      (w) => why.push(w),
      1 << 20,
      2 << 20,
    );
    for (let i = 0; i < 5; i++) total.push(frame({ type: "x", s: "y".repeat(600_000) }));
    expect(why.pop()).toMatch(/sent more than 2 MB/);
    const junk = new FrameReader(
      (m) => got.push(m),
      (w) => why.push(w),
    );
    junk.push(Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]));
    expect(why.pop()).toMatch(/cannot be decoded/);
  });

  it("an exit after the cell loads, a timeout and a heap bomb end the run with a reason", async () => {
    const exit = await run(compiled(`function f() { process.exit(0); }`, ["f"]), [{ fn: "f", args: [] }]);
    expect(exit.status).toBe("exited");
    expect(exit.reason).toMatch(/process\.exit/);
    const loop = await run(compiled(`function f() { for (;;) {} }`, ["f"]), [{ fn: "f", args: [] }], 800);
    expect(loop.status).toBe("timeout");
    const atLoad = await runSandbox({
      code: compiled(`for (;;) {}\nfunction f() { return 1; }`, ["f"]),
      filename: "t.ts",
      cases: [{ fn: "f", args: [] }],
      root,
      timeoutMs: 800,
      memoryMb: 128,
      loadTimeoutMs: 800,
    });
    expect(atLoad.status).toBe("timeout");
    expect(atLoad.reason).toMatch(/running the cell took more than 0.8 s/);
    const bomb = await run(
      compiled(`function f() { const a: string[][] = []; for (;;) a.push(new Array(1e6).fill("x")); }`, ["f"]),
      [{ fn: "f", args: [] }],
      20_000,
    );
    expect(bomb.status).toBe("memory");
  });
});

describe("time limits measure the child, not a busy grader", () => {
  it("a child that was ready while the grader's event loop was blocked is not timed out", async () => {
    const code = compiled("function f(x: number) { return x + 1; }", ["f"]);
    const pending = runSandbox({
      code,
      filename: "t.ts",
      cases: [{ fn: "f", args: [1] }],
      root,
      timeoutMs: 300,
      memoryMb: 128,
      startupMs: 300,
      loadTimeoutMs: 300,
    });
    // Block this process (as a slow submission once did) well past every limit while the child starts and answers.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      /* busy */
    }
    const o = await pending;
    expect(o.status, o.reason).toBe("done");
    expect(o.results[0]).toEqual({ ok: true, value: 2 });
  }, 60_000);
});

describe("what runs for an exercise", () => {
  const setup = [
    `import { makeRng } from "mbrl/core";\nimport { display } from "mbrl/viz";\nconst GAMMA = 0.9;\nconst helper = (x: number) => x * GAMMA;`,
    `const data = await collect(1000);\nconst model = train(data);\nfunction unused() { return model; }`,
    `function usesHelper(x: number) { return helper(x) + 1; }\nconst TABLE = [1, 2, 3];`,
  ];

  it("takes only referenced imports, functions and call-free constants, transitively", () => {
    const s = neededSetup(setup, "function ex(x: number) { return usesHelper(x) * TABLE.length; }");
    expect(s).toContain("function usesHelper");
    expect(s).toContain("const helper");
    expect(s).toContain("const GAMMA");
    expect(s).toContain("const TABLE");
    expect(s).not.toContain("makeRng");
    expect(s).not.toContain("display");
    expect(s).not.toContain("train");
    expect(s).not.toContain("collect");
  });

  it("never takes a constant computed by a call, even when referenced", () => {
    const s = neededSetup(setup, "function ex() { return model; }");
    expect(s).not.toContain("train");
    expect(neededSetup(setup, "function ex() { return makeRng(1).uniform(); }")).toBe(`import { makeRng } from "mbrl/core";`);
  });

  it("type-checks like the notebook: type errors in the cell with the cell's line, setup errors and names from cells not run ignored", () => {
    const checker = new TypeChecker(root);
    const setupSources = [
      `import { makeRng } from "mbrl/core";\nconst GAMMA = 0.9;\nconst model = train(GAMMA);\nconst broken: string = 1;`,
    ];
    const [wrong, right, usesModel, nodeGlobals] = compileBatch(
      [
        {
          setupSources,
          cell: "function f(x: number): number {\n  const s: string = x;\n  return makeRng(1).uniform() + Math.sqr(x);\n}",
          entries: ["f"],
        },
        { setupSources, cell: "function f(x: number): number {\n  return x * GAMMA + makeRng(1).uniform();\n}", entries: ["f"] },
        { setupSources, cell: "function f(x: number) {\n  return model ? x : 0;\n}", entries: ["f"] },
        {
          setupSources,
          cell: "function f(x: number) {\n  console.log(x); setTimeout(() => 0, 1);\n  return structuredClone([x]);\n}",
          entries: ["f"],
        },
      ],
      checker,
    );
    expect(wrong.errors).toEqual([]);
    expect(wrong.typeErrors).toEqual([
      "line 2, column 9: Type 'number' is not assignable to type 'string'.",
      "line 3, column 38: Property 'sqr' does not exist on type 'Math'. Did you mean 'sqrt'?",
    ]);
    expect(right.typeErrors).toEqual([]);
    expect(usesModel.typeErrors).toEqual([]);
    expect(nodeGlobals.typeErrors).toEqual([]);
    // The compiled code is what the sandbox runs.
    expect(right.code).toContain("__mbrl_entries__");
  }, 120_000);

  it("reports syntax errors with the cell's line numbers", () => {
    const c = compileExercise("", "function f() {\n  return (;\n}", ["f"]);
    expect(c.errors[0]).toMatch(/^line 2/);
  });
});

describe("comparison of untrusted values", () => {
  it("accepts values within tolerance, rejects the rest with a pointer to where", () => {
    const cmp = closeTo({ rtol: 1e-6, atol: 1e-9 });
    expect(cmp([1, 2.0000001], [1, 2], { args: [] })).toBeNull();
    expect(cmp([1, 3], [1, 2], { args: [] })).toBe("[1]: expected 2, got 3");
    expect(cmp(NaN, 1, { args: [] })).toMatch(/expected 1, got NaN/);
    expect(cmp(NaN, NaN, { args: [] })).toBeNull();
    expect(cmp(Infinity, 1e308, { args: [] })).not.toBeNull();
    expect(cmp("1", 1, { args: [] })).toMatch(/expected a number/);
    expect(cmp([1, 2, 3], [1, 2], { args: [] })).toMatch(/length/);
    expect(cmp({ a: 1 }, { a: 1, b: 2 }, { args: [] })).toMatch(/missing key "b"/);
  });

  it("sanitizes class instances, typed arrays and terminal escapes", () => {
    expect(sanitize(new Float64Array([1, 2]))).toEqual([1, 2]);
    expect(formatValue(sanitize(new Map()))).toBe("<Map>");
    expect(formatValue(sanitize("\x1b[31mred\x1b[0m"))).toBe('"red"');
  });
});
