/**
 * The patched tslab executor on its own (no Jupyter): values reported as results, errors with the
 * cell's TypeScript line numbers (through the two source maps), compile errors, and earlier-cell
 * names in object shorthand.
 */
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./python";

interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}
interface Out {
  cellName?: string;
  hasValue?: boolean;
  value?: unknown;
  error?: ErrorContent;
}
interface Executor {
  execute(src: string, out?: Out): Promise<boolean>;
  close(): void;
}

const dist = path.join(ROOT, "node_modules", "tslab", "dist");
const { createConverter } = require(path.join(dist, "converter.js"));
const { createExecutor } = require(path.join(dist, "executor.js"));
const node = createConverter({ isJS: false, isBrowser: false });
const printed: unknown[][] = [];
const executor: Executor = createExecutor(
  ROOT,
  { node, close: () => node.close() },
  { log: (...a: unknown[]) => printed.push(a), error: (...a: unknown[]) => printed.push(a) },
);
afterAll(() => executor.close());

let cellNumber = 0;
async function cell(src: string): Promise<Out & { ok: boolean; name: string }> {
  const out: Out = { cellName: `In[${++cellNumber}]` };
  const ok = await executor.execute(src, out);
  return { ...out, ok, name: out.cellName! };
}

describe("patched tslab executor", () => {
  it("reports the last expression's value instead of printing it", async () => {
    const r = await cell("const base = 40;\nbase + 2");
    expect(r).toMatchObject({ ok: true, hasValue: true, value: 42 });
    expect((await cell("const nothing = 1;")).hasValue).toBeUndefined();
    expect(printed).toEqual([]);
  });

  it("maps runtime errors to the cell's TypeScript lines, through types the JavaScript drops", async () => {
    const def = await cell(
      [
        "interface Step {", // 1: erased in JavaScript, so JS and TS line numbers differ
        "  reward: number;",
        "  done: boolean;",
        "}",
        "type Trajectory = Step[];",
        "function totalReward(t: Trajectory): number {",
        "  if (t.length === 0) {",
        '    throw new RangeError("empty trajectory");', // 8
        "  }",
        "  return t.reduce((s, x) => s + x.reward, 0);",
        "}",
      ].join("\n"),
    );
    expect(def.ok).toBe(true);
    const call = await cell('const steps: Step[] = [];\nconsole.log("about to fail");\ntotalReward(steps)');
    expect(call.ok).toBe(false);
    expect(call.error!.ename).toBe("RangeError");
    expect(call.error!.evalue).toBe("empty trajectory");
    const tb = call.error!.traceback;
    expect(tb[0]).toBe("RangeError: empty trajectory");
    expect(tb[1]).toBe(`    at totalReward (${def.name}:8:11)`);
    expect(tb[2]).toMatch(new RegExp(`^    at ${call.name.replace(/[[\]]/g, "\\$&")}:3:1$`));
    expect(tb.slice(-3)).toEqual([`${def.name} line 8:`, '        throw new RangeError("empty trajectory");', "              ^"]);
    expect(tb.join("\n")).not.toMatch(/node:|tslab[\\/]dist/);
  });

  it("reports thrown non-errors and errors after top-level await", async () => {
    const s = await cell('throw "plain string";');
    expect(s.error).toEqual({ ename: "Uncaught", evalue: "'plain string'", traceback: ["Uncaught 'plain string'"] });
    const a = await cell("await Promise.resolve();\n\nconst pad = 0;\nthrow new TypeError('late');");
    expect(a.error!.ename).toBe("TypeError");
    expect(a.error!.traceback[1]).toBe(`    at ${a.name}:4:7`);
  });

  it("reports compile errors as TypeScriptCompileError with line:column and the source line", async () => {
    const r = await cell('const ok = 1;\n\nconst n: number = "three";');
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({
      ename: "TypeScriptCompileError",
      evalue: `${r.name}:3:7 - Type 'string' is not assignable to type 'number'.`,
      traceback: [
        `${r.name}:3:7 - error TS2322: Type 'string' is not assignable to type 'number'.`,
        '    const n: number = "three";',
        "          ^",
      ],
    });
    const two = await cell("let a: string = 1;\nlet b: number = 'x';");
    expect(two.error!.evalue).toMatch(/:1:5 - .* \(and 1 more\)$/);
  });

  it("resolves object shorthand of names declared in earlier cells", async () => {
    expect((await cell("const horizon = 5;\nlet gamma = 0.9;")).ok).toBe(true);
    expect((await cell("({ horizon, gamma, h2: horizon * 2 })")).value).toEqual({ horizon: 5, gamma: 0.9, h2: 10 });
    expect((await cell("function cfg() {\n  return { horizon };\n}\ncfg()")).value).toEqual({ horizon: 5 });
    // As a destructuring target it assigns the earlier cell's variable.
    expect((await cell("({ gamma } = { gamma: 0.5 });\ngamma")).value).toBe(0.5);
  });
});
