/**
 * The grader as a security boundary (issue 18): hostile submissions graded in one `--jobs 2` batch beside
 * honest ones, with a secret in the grader's environment and listeners on 127.0.0.1. Every attack is
 * contained: the attacker gets a zero or an error row, every honest neighbour gets exactly the score it gets
 * when graded alone, and neither the secret nor any line of a reference solution appears in any output.
 * A second part runs code that has already escaped Node (full `fs`, `net`, `child_process`) inside the OS
 * layer alone, and checks the walls that remain: user, namespaces, file permissions, rlimits.
 *
 * These tests need root (to create and switch to the sandbox user), as in CI; they are skipped otherwise.
 */
import { spawn, spawnSync } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSubmissions, gradePath, recordDir } from "../../lib/grader/batch";
import { cleanText, formatValue, sanitize } from "../../lib/grader/compare";
import { declares, gradeNotebookFile, loadCourse, privatePaths, type Course, type SubmissionResult } from "../../lib/grader/grade";
import { defaultLimits, isolatedCommand, makeWorkDir, osIsolation, protectFromSandbox, readableBySandbox } from "../../lib/grader/isolation";
import { normaliseSource, setCellSource, cellSource } from "../../lib/grader/notebook";
import { formatTable, gradescopeResults } from "../../lib/grader/report";
import { defaultPaths, PROJECT_ROOT } from "../../lib/grader/spec";
import { fixturePaths, makeSubmission, referenceBodies, removeTmpDirs, tmpDir, writeNotebook, type Answer } from "./helpers";

const isRoot = process.getuid?.() === 0;
afterAll(removeTmpDirs);

const SECRET = `grader-secret-${process.pid}-${Date.now().toString(36)}`;
process.env.MBRL_GRADER_TEST_SECRET = SECRET;

const FIXTURE = fixturePaths();
const SOL = (id: string) => path.join(FIXTURE.solutionsDir, "99-fixture", `${id}.ts`);
const REAL_SOLUTION = path.join(defaultPaths().solutionsDir, "00-welcome", "discounted-return.ts");

/** Every line of every reference the attacks aim at, which must never show up in an output. */
function referenceLines(): string[] {
  const lines: string[] = [];
  for (const f of [SOL("scaled-sum"), SOL("normalise"), REAL_SOLUTION]) {
    for (const l of referenceBodies(f).join("\n").split("\n")) if (l.trim().length > 12) lines.push(l.trim());
  }
  return lines;
}

/** Listeners on 127.0.0.1: any connection or datagram that reaches them is a breach. */
const hits: string[] = [];
let tcpPort = 0;
let udpPort = 0;
let tcp: net.Server;
let udp: dgram.Socket;

beforeAll(async () => {
  tcp = net.createServer((s) => {
    hits.push("tcp");
    s.destroy();
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as net.AddressInfo).port;
  udp = dgram.createSocket("udp4");
  udp.on("message", () => hits.push("udp"));
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  udpPort = udp.address().port;
});
afterAll(() => {
  tcp?.close();
  udp?.close();
});

/** Hostile exercise bodies for scaled-sum (xs: number[]) => number. `value` is what they try to smuggle out. */
function attacks(): { name: string; answer: Answer; status?: string[] }[] {
  const sol = JSON.stringify(SOL("scaled-sum"));
  const real = JSON.stringify(REAL_SOLUTION);
  const body = (lines: string[]) => ({ body: lines.join("\n") });
  return [
    {
      name: "reads the reference through process.getBuiltinModule",
      answer: body([`const fs = (process as any).getBuiltinModule("fs");`, `return fs.readFileSync(${sol}, "utf8") as any;`]),
    },
    {
      name: "climbs out of node_modules/mbrl with require",
      answer: body([`return (require as any)("mbrl/../../solutions/00-welcome/discounted-return") as any;`]),
    },
    {
      name: "requires node:fs and child_process",
      answer: body([
        `const r: any = require;`,
        `let out = "";`,
        `for (const m of ["node:fs", "fs", "child_process", "vm", "v8", "net", "module", "worker_threads"]) { try { out += String(r(m)); } catch (e) { out += (e as Error).message; } }`,
        `return out as any;`,
      ]),
    },
    {
      name: "reads the grader's environment and command line from /proc",
      answer: body([
        `const p: any = process;`,
        `const gbm = p.getBuiltinModule ?? (() => { throw new Error("no"); });`,
        `const fs = gbm("fs");`,
        `return [fs.readFileSync("/proc/" + p.ppid + "/environ", "utf8"), fs.readFileSync("/proc/" + p.ppid + "/cmdline", "utf8"), JSON.stringify(p.env)].join("|") as any;`,
      ]),
    },
    {
      name: "opens TCP and UDP connections to 127.0.0.1 and fetches",
      answer: body([
        `const g: any = globalThis;`,
        `try { g.fetch("http://127.0.0.1:${"${PORT}"}/"); } catch {}`,
        `const net = (process as any).getBuiltinModule("net");`,
        `net.connect(${"${PORT}"}, "127.0.0.1");`,
        `return 1;`,
      ]),
    },
    {
      name: "writes heap snapshots into its working directory",
      answer: body([`const v8 = (process as any).getBuiltinModule("v8");`, `v8.setHeapSnapshotNearHeapLimit(3);`, `return -1;`]),
    },
    {
      name: "signals and renices the grader",
      answer: body([
        `const p: any = process;`,
        `try { p.kill(p.ppid, "SIGSTOP"); } catch {}`,
        `try { p.getBuiltinModule("os").setPriority(p.ppid, 19); } catch {}`,
        `return -1;`,
      ]),
    },
    {
      name: "returns a value of shared references that expands to 32^8 nodes",
      answer: body([`let v: any = 1;`, `for (let i = 0; i < 8; i++) v = new Array(32).fill(v);`, `return v;`]),
    },
    {
      name: "returns a 200 MB string",
      answer: body([`return "x".repeat(200 * 1024 * 1024) as any;`]),
    },
    {
      name: "floods stderr and stdout",
      answer: body([`const s = "A".repeat(1 << 20);`, `for (let i = 0; i < 200; i++) { console.error(s); console.log(s); }`, `return -1;`]),
    },
    {
      name: "a type error",
      answer: body([`const s: number = "not a number";`, `return s;`]),
      status: ["type-error"],
    },
    {
      name: "reads the reference and runs it (the full-marks attack)",
      answer: body([
        `const p: any = process;`,
        `const fs = p.getBuiltinModule("fs");`,
        `const src: string = fs.readFileSync(${sol}, "utf8");`,
        `return new Function("xs", src)(xs);`,
      ]),
    },
    {
      name: "escapes via the library's module objects",
      answer: body([
        `const core: any = require("mbrl/core");`,
        `const ctor = Object.getPrototypeOf(core)?.constructor;`,
        `const req = (ctor as any)?._load ?? (module as any)?.constructor?._load;`,
        `return String(req ? req("fs").readFileSync(${real}, "utf8") : "none") as any;`,
      ]),
    },
  ];
}

/** Honest work of several kinds, each graded alone too. */
function honest(): Record<string, Record<string, Answer>> {
  const ref = { "scaled-sum": { body: referenceBodies(SOL("scaled-sum")) }, normalise: { body: referenceBodies(SOL("normalise")) } };
  return {
    "honest-reference": ref,
    "honest-other-right": { ...ref, "scaled-sum": { body: "return xs.reduce((s, x) => s + 2 * x * x, 0);" } },
    "honest-half": { ...ref, normalise: { body: "return xs.map((x) => x / xs.length);" } },
    "honest-slowish": { ...ref, "scaled-sum": { body: "let s = 0;\nfor (let k = 0; k < 2e6; k++) s += 0;\nfor (const x of xs) s += 2 * x * x;\nreturn s;" } },
    "honest-stub": {},
    "a b": ref,
    a_b: { ...ref, normalise: { body: "return xs.map((x) => x / xs.length);" } },
    "学生一": ref,
    "学生二": { ...ref, "scaled-sum": { body: "return 0;" } },
    "gradebook.csv": ref,
    "name\u001b[31m with\u009b escapes\u202e": ref,
  };
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe.runIf(isRoot)("hostile class graded beside honest students (--jobs 2)", () => {
  let course: Course;
  let batch: Awaited<ReturnType<typeof gradePath>>;
  let out: string;
  let subs: string;
  const alone = new Map<string, SubmissionResult>();
  const ATTACKED = { "scaled-sum": { timeoutMs: 3000, memoryMb: 128 } };

  beforeAll(async () => {
    course = await loadCourse(FIXTURE);
    const trusted = course.notebooks.get("99-fixture")!.trusted;
    const dir = tmpDir("hostile-os");
    subs = path.join(dir, "submitted");
    out = path.join(dir, "grades");
    fs.mkdirSync(subs, { recursive: true });
    // An instructor's folder is often world-readable: the grader must close it before running anything.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(subs, 0o755);
    const ref = { normalise: { body: referenceBodies(SOL("normalise")) } };
    attacks().forEach((a, i) => {
      const answer = "body" in a.answer ? { body: String(a.answer.body).replace(/\$\{PORT\}/g, String(tcpPort)) } : a.answer;
      writeNotebook(path.join(subs, `attack-${String(i).padStart(2, "0")}.ipynb`), makeSubmission(trusted, { ...ref, "scaled-sum": answer }));
    });
    // Stalls aimed at the grader's own event loop: a locked cell padded with long runs of spaces, a cell
    // with "function" followed by spaces many times (a backtracking declaration regex), an oversize cell.
    const full = { ...ref, "scaled-sum": { body: referenceBodies(SOL("scaled-sum")) } };
    const padded = makeSubmission(trusted, full);
    const locked = padded.cells.find((c) => cellSource(c).startsWith("const SCALE"))!;
    setCellSource(locked, cellSource(locked) + ("\n" + " ".repeat(50_000) + "x").repeat(28));
    writeNotebook(path.join(subs, "stall-padded-locked-cell.ipynb"), padded);
    const named = makeSubmission(trusted, ref);
    const ex = named.cells.find((c) => cellSource(c).includes("function scaledSum"))!;
    ex.metadata = {};
    setCellSource(ex, ("function" + " ".repeat(20_000)).repeat(20) + "\nfunction scaledSum(xs: number[]) { return -1; }");
    writeNotebook(path.join(subs, "stall-pathological-name.ipynb"), named);
    writeNotebook(
      path.join(subs, "stall-huge-cell.ipynb"),
      makeSubmission(trusted, { ...ref, "scaled-sum": { body: `return ${"(1 + ".repeat(60_000)}1${")".repeat(60_000)};` } }),
    );
    for (const [name, answers] of Object.entries(honest())) writeNotebook(path.join(subs, `${name}.ipynb`), makeSubmission(trusted, answers));
    // Batch stoppers.
    fs.symlinkSync(path.join(subs, "no-such-file.ipynb"), path.join(subs, "dangling-link.ipynb"));
    fs.symlinkSync("/etc/passwd", path.join(subs, "passwd-link.ipynb"));
    spawnSync("mkfifo", [path.join(subs, "fifo.ipynb")]);
    spawnSync("mknod", [path.join(subs, "device.ipynb"), "c", "1", "3"]);
    fs.mkdirSync(path.join(subs, "folder.ipynb"));
    writeNotebook(path.join(subs, "UPPER.IPYNB"), makeSubmission(trusted, { ...ref, "scaled-sum": { body: referenceBodies(SOL("scaled-sum")) } }));
    fs.writeFileSync(path.join(subs, "notes.txt"), "not a notebook");
    fs.writeFileSync(path.join(subs, "huge.ipynb"), Buffer.alloc(33 << 20, 32));

    batch = await gradePath(course, subs, { out, jobs: 2, perExercise: ATTACKED });
    for (const name of Object.keys(honest())) {
      const dirAlone = tmpDir("alone");
      const file = writeNotebook(path.join(dirAlone, "x.ipynb"), JSON.parse(fs.readFileSync(path.join(subs, `${name}.ipynb`), "utf8")));
      alone.set(name, await gradeNotebookFile(course, file, name, { perExercise: ATTACKED }));
    }
  }, 600_000);

  const row = (name: string) => batch.results.find((r) => r.submission === name)!;

  it("every honest student gets exactly the score they get when graded alone", () => {
    for (const [name, a] of alone) {
      const b = batch.results.find((r) => r.submission === cleanText(name, 200));
      expect(b, name).toBeDefined();
      expect(b!.error, name).toBeUndefined();
      expect(b!.exercises.map((e) => [e.id, e.score, e.status]), formatTable(b!)).toEqual(a.exercises.map((e) => [e.id, e.score, e.status]));
    }
    expect(row("honest-reference").score).toBe(5);
    expect(row("honest-half").score).toBe(3);
    expect(row("honest-stub").score).toBe(0);
    expect(row("a b").score).toBe(5);
    expect(row("a_b").score).toBe(3);
    expect(row("学生二").score).toBeLessThan(5);
  });

  it("every attack scores zero on the exercise it attacks, and the rest is graded", () => {
    attacks().forEach((a, i) => {
      const r = row(`attack-${String(i).padStart(2, "0")}`);
      const e = r.exercises.find((x) => x.id === "scaled-sum")!;
      expect(e.score, `${a.name}\n${formatTable(r)}`).toBe(0);
      if (a.status) expect(a.status, `${a.name}\n${formatTable(r)}`).toContain(e.status);
      expect(r.exercises.find((x) => x.id === "normalise")!.score, a.name).toBe(2);
    });
    const t = row(`attack-${String(attacks().findIndex((a) => a.name === "a type error")).padStart(2, "0")}`);
    expect(t.exercises[0].typeErrors?.[0]).toMatch(/^line 2, column 9: Type 'string' is not assignable to type 'number'/);
  });

  it("no secret, no reference line, no /etc/passwd line in any output (records, gradebook, warnings)", () => {
    const texts = allFiles(out).map((f) => [f, fs.readFileSync(f, "utf8")] as const);
    texts.push(["warnings", batch.warnings.join("\n")], ["tables", batch.results.map(formatTable).join("\n")]);
    const lines = referenceLines();
    for (const [f, t] of texts) {
      expect(t, f).not.toContain(SECRET);
      expect(t, f).not.toContain("root:x:0:0");
      for (const l of lines) expect(t, `${f} contains the reference line ${l}`).not.toContain(l);
      // No raw control characters (ESC, C1 such as U+009B, bidi overrides) anywhere.
      expect(t, f).not.toMatch(/[\u001b\u009b\u202e]/);
    }
  });

  it("the network listeners on 127.0.0.1 received nothing", () => {
    expect(hits).toEqual([]);
  });

  it("stalls aimed at the grader's event loop cost the attacker only", () => {
    expect(row("stall-padded-locked-cell").score).toBe(5);
    expect(row("stall-padded-locked-cell").lockedChanges.join()).toMatch(/was changed/);
    expect(row("stall-pathological-name").exercises.find((e) => e.id === "scaled-sum")!.score).toBe(0);
    const huge = row("stall-huge-cell").exercises.find((e) => e.id === "scaled-sum")!;
    expect(huge.score).toBe(0);
    expect(huge.reason).toMatch(/too long to grade/);
  });

  it("links, FIFOs, devices, folders and oversize files become error rows; nothing stops the batch", () => {
    expect(row("dangling-link").error).toMatch(/symbolic link/);
    expect(row("passwd-link").error).toMatch(/symbolic link/);
    expect(row("fifo").error).toMatch(/not a regular file/);
    if (fs.existsSync(path.join(subs, "device.ipynb"))) expect(row("device").error).toMatch(/not a regular file/);
    expect(row("folder").error).toMatch(/directory/);
    expect(row("huge").error).toMatch(/above the 32 MB limit/);
    expect(row("UPPER").score).toBe(5);
    expect(batch.warnings.join("\n")).toMatch(/notes\.txt: not a notebook/);
    expect(batch.warnings.join("\n")).toMatch(/UPPER\.IPYNB: upper-case extension/);
    const csv = fs.readFileSync(path.join(out, "gradebook.csv"), "utf8").trim().split("\n");
    expect(csv.length - 1).toBe(batch.results.length);
  });

  it("record folders never collide (a b / a_b, CJK names, reserved names) and the gradebook survives", () => {
    const dirs = batch.results.map((r) => recordDir(out, r.submission));
    expect(new Set(dirs).size).toBe(dirs.length);
    for (const r of batch.results) {
      const g = JSON.parse(fs.readFileSync(path.join(recordDir(out, r.submission), "grade.json"), "utf8")) as SubmissionResult;
      expect(g.submission).toBe(r.submission);
    }
    expect(fs.statSync(path.join(out, "gradebook.csv")).isFile()).toBe(true);
    expect(row("gradebook.csv").score).toBe(5);
  });

  it("the submissions folder and the gradebook are closed to other users before anything runs", () => {
    expect(fs.statSync(subs).mode & 0o007).toBe(0);
    expect(fs.statSync(out).mode & 0o007).toBe(0);
    expect(readableBySandbox([subs, out, ...privatePaths(FIXTURE), ...privatePaths(defaultPaths())].filter((p) => fs.existsSync(p)))).toEqual([]);
  });
});

describe.runIf(isRoot)("Gradescope: one upload", () => {
  it("grades each course notebook once and reports the duplicates", async () => {
    const course = await loadCourse(FIXTURE);
    const trusted = course.notebooks.get("99-fixture")!.trusted;
    const ref = { "scaled-sum": { body: referenceBodies(SOL("scaled-sum")) }, normalise: { body: referenceBodies(SOL("normalise")) } };
    const dir = tmpDir("gs-dup");
    const subs = path.join(dir, "submission");
    writeNotebook(path.join(subs, "a-copy.ipynb"), makeSubmission(trusted, ref));
    writeNotebook(path.join(subs, "99-fixture.ipynb"), makeSubmission(trusted, { ...ref, normalise: { body: "return xs;" } }));
    writeNotebook(path.join(subs, "z-copy.ipynb"), makeSubmission(trusted, ref));
    const b = await gradePath(course, subs, { out: path.join(dir, "out"), jobs: 2, onePerNotebook: true });
    const gs = gradescopeResults(b.results);
    expect(gs.score).toBe(3); // the copy named like the course notebook, once
    expect(gs.tests.length).toBe(2);
    expect(b.warnings.join("\n")).toMatch(/a-copy: another copy of notebook 99-fixture; only 99-fixture was graded/);
    expect(gs.output).toMatch(/another copy of notebook 99-fixture/);
  }, 120_000);
});

describe("linear-time handling of untrusted text and values (no root needed)", () => {
  it("normaliseSource and the declaration finder are linear on long runs of spaces", () => {
    const s = ("x" + " ".repeat(50_000) + "y\n").repeat(28);
    let t = Date.now();
    normaliseSource(s);
    expect(Date.now() - t).toBeLessThan(2000);
    t = Date.now();
    expect(declares(("function" + " ".repeat(50_000)).repeat(28) + "f", "f")).toBe(true);
    expect(declares(("const" + " ".repeat(50_000)).repeat(28) + "g", "f")).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(declares("const  f = 1", "f")).toBe(true);
    expect(declares("function* f() {}", "f")).toBe(true);
    expect(declares("constf = 1", "f")).toBe(false);
    expect(declares("let ff = 1", "f")).toBe(false);
  });

  it("sanitize stops at its node budget on a value of shared references", () => {
    let v: unknown = 1;
    for (let i = 0; i < 8; i++) v = new Array(32).fill(v);
    const t = Date.now();
    expect(formatValue(sanitize(v))).toMatch(/too large value/);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it("record folders: plain names kept, others suffixed by a hash; reserved names never taken", () => {
    expect(recordDir("/o", "bob")).toBe(path.join("/o", "bob"));
    expect(recordDir("/o", "a b")).not.toBe(recordDir("/o", "a_b"));
    expect(recordDir("/o", "学生一")).not.toBe(recordDir("/o", "学生二"));
    expect(recordDir("/o", "gradebook.csv")).not.toBe(path.join("/o", "gradebook.csv"));
    expect(recordDir("/o", "..")).not.toMatch(/\/\.\.$/);
    expect(findSubmissions).toBeTypeOf("function");
  });
});

describe.runIf(isRoot)("the OS layer alone holds against code that has escaped Node", () => {
  /** Runs `code` with full Node powers (no permission model, all builtins) inside the OS isolation only. */
  function escaped(code: string, timeoutMs = 30_000): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
    const iso = osIsolation();
    const [cmd, args] = isolatedCommand(iso, defaultLimits(256, 30), [process.execPath, "-e", code]);
    const cwd = makeWorkDir(iso.ok);
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd, env: {}, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("close", (status, signal) => {
        clearTimeout(timer);
        fs.rmSync(cwd, { recursive: true, force: true });
        resolve({ status, signal, stdout, stderr });
      });
    });
  }

  it("cannot read solutions, hidden tests, other submissions, the grader's environment or other processes", async () => {
    const course = await loadCourse(FIXTURE);
    void course;
    const others = tmpDir("others");
    fs.chmodSync(others, 0o755);
    fs.writeFileSync(path.join(others, "classmate.ipynb"), "classmate's work", { mode: 0o644 });
    protectFromSandbox([others]);
    const targets = [
      REAL_SOLUTION, SOL("scaled-sum"), path.join(PROJECT_ROOT, "test", "grading", "specs"),
      path.join(others, "classmate.ipynb"), `/proc/${process.pid}/environ`, `/proc/${process.pid}/cmdline`, `/proc/${process.ppid}/environ`,
    ];
    const r = await escaped(`
      const fs = require("fs"); const os = require("os");
      const res = { read: {}, procs: [], uid: process.getuid(), env: Object.keys(process.env), caps: "" };
      for (const p of ${JSON.stringify(targets)}) { try { res.read[p] = fs.readFileSync(p, "utf8").slice(0, 40); } catch (e) { res.read[p] = e.code; } }
      res.procs = fs.readdirSync("/proc").filter((x) => /^\\d+$/.test(x));
      res.caps = /CapEff:\\s*(\\S+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1];
      try { process.kill(${process.pid}, "SIGSTOP"); res.kill = "sent"; } catch (e) { res.kill = e.code; }
      try { os.setPriority(${process.pid}, 19); res.renice = "done"; } catch (e) { res.renice = (e.info && e.info.code) || e.code; }
      try { process.setuid(0); res.setuid = "root"; } catch (e) { res.setuid = e.code; }
      try { fs.writeFileSync(${JSON.stringify(path.join(PROJECT_ROOT, "pwned.txt"))}, "x"); res.writeRoot = "written"; } catch (e) { res.writeRoot = e.code; }
      try { fs.writeFileSync("small.txt", "x"); res.writeCwd = "ok"; } catch (e) { res.writeCwd = e.code; }
      console.log(JSON.stringify(res));
    `);
    const res = JSON.parse(r.stdout.trim().split("\n").pop() || "{}") as Record<string, unknown> & { read: Record<string, string>; procs: string[] };
    expect(r.status, r.stderr).toBe(0);
    for (const t of targets) expect(["EACCES", "ENOENT", "EPERM"], `${t}: ${res.read[t]}`).toContain(res.read[t]);
    expect(res.uid).not.toBe(0);
    expect(res.env).toEqual([]);
    expect(res.procs.length).toBeLessThanOrEqual(2); // only its own namespace
    expect(res.caps).toBe("0000000000000000");
    expect(res.kill).toBe("ESRCH");
    expect(res.renice).toBe("ESRCH");
    expect(res.setuid).toBe("EPERM");
    expect(res.writeRoot).toBe("EACCES");
    expect(res.writeCwd).toBe("ok");
    expect(fs.existsSync(path.join(PROJECT_ROOT, "pwned.txt"))).toBe(false);
  }, 60_000);

  it("has no network: TCP, UDP and HTTP to 127.0.0.1 fail, nothing arrives", async () => {
    const before = hits.length;
    const r = await escaped(`
      const net = require("net"); const dgram = require("dgram");
      const res = {};
      const s = dgram.createSocket("udp4");
      s.send("x", ${udpPort}, "127.0.0.1", (e) => { res.udp = e ? e.code : "sent"; s.close();
        const c = net.connect(${tcpPort}, "127.0.0.1");
        c.on("connect", () => { res.tcp = "connected"; done(); });
        c.on("error", (e) => { res.tcp = e.code; done(); });
      });
      function done() { fetch("http://127.0.0.1:${tcpPort}/").then(() => { res.fetch = "ok"; }, (e) => { res.fetch = String(e.cause && e.cause.code); }).finally(() => console.log(JSON.stringify(res))); }
    `);
    const res = JSON.parse(r.stdout.trim().split("\n").pop() || "{}") as Record<string, string>;
    expect(res.tcp, r.stderr).not.toBe("connected");
    expect(res.fetch).not.toBe("ok");
    await new Promise((w) => setTimeout(w, 300));
    expect(hits.length).toBe(before);
  }, 60_000);

  it("cannot write large files (heap snapshots) or outlive its run; its working directory is its own", async () => {
    const big = await escaped(`require("fs").writeFileSync("big.bin", Buffer.alloc(8 << 20)); console.log("wrote");`);
    expect(big.stdout).not.toMatch(/wrote/);
    expect(big.signal ?? String(big.status)).toMatch(/SIGXFSZ|153|1/);
    const snap = await escaped(`const v8 = require("v8"); try { v8.writeHeapSnapshot("h.heapsnapshot"); console.log("snapshot"); } catch (e) { console.log(e.code); }`);
    expect(snap.stdout).not.toMatch(/^snapshot/m);
  }, 60_000);
});
