/** Hostile submissions shared by the hostile suite (hostile-os.test.ts) and `npm run bench -- grader`. */
import type { Answer } from "./helpers";

/**
 * Hostile bodies for an exercise's solution region, one per attack class of issue 18. Each tries to score
 * without doing the work, to smuggle a secret or the reference out through its return value, or to harm the
 * grader; whatever it gets is what it returns (the grader prints it in the report, so a breach shows there).
 * `solutionFile` is the reference of the attacked exercise, `otherSolution` another reference, `port` a
 * TCP port listening on 127.0.0.1.
 */
export function hostileBodies(
  solutionFile: string,
  otherSolution: string,
  port: number,
): { name: string; answer: Answer; status?: string[] }[] {
  const sol = JSON.stringify(solutionFile);
  const real = JSON.stringify(otherSolution);
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
        `try { g.fetch("http://127.0.0.1:${port}/"); } catch {}`,
        `const net = (process as any).getBuiltinModule("net");`,
        `net.connect(${port}, "127.0.0.1");`,
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
        `return new Function("...a", src)() as any;`,
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
