/**
 * A notebook executed by nbclient in the project kernel carries execution counts, execute_result
 * outputs and, for failing cells, error outputs whose tracebacks name the cell lines
 * (fixtures/failing.ipynb fails on purpose in its 5th and 6th cells).
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { jupyterMissing, runPython } from "./python";

const missing = jupyterMissing();
const FIXTURE = path.join(__dirname, "fixtures", "failing.ipynb");

interface Cell {
  cell_type: string;
  execution_count?: number | null;
  outputs?: Record<string, any>[];
}

async function execute(allowErrors: boolean): Promise<Record<string, any>> {
  const args = [path.join(__dirname, "nb_execute.py"), FIXTURE];
  if (allowErrors) args.push("--allow-errors");
  const r = await runPython(args);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`nb_execute.py exited with ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-3000)}`);
  }
}

describe.skipIf(missing !== null)("a notebook executed by nbclient", () => {
  it("has execution counts, execute_result outputs and error outputs naming the cell lines", async () => {
    const { notebook, seconds } = await execute(true);
    console.log(`[test/kernel] nbclient: kernel start + 6 cells in ${seconds.toFixed(1)} s`);
    const code = (notebook.cells as Cell[]).filter((c) => c.cell_type === "code");
    expect(code.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6]);
    const types = code.map((c) => (c.outputs ?? []).map((o) => o.output_type));
    expect(types).toEqual([["execute_result"], ["stream", "execute_result"], ["execute_result"], ["error"], ["error"], ["execute_result"]]);

    // Values are results with the cell's count, not printed text.
    expect(code[0].outputs![0]).toMatchObject({ execution_count: 1, data: { "text/plain": "42" } });
    expect(code[1].outputs![0]).toMatchObject({ name: "stdout", text: "printed, not returned\n" });
    expect(code[1].outputs![1]).toMatchObject({ execution_count: 2, data: { "text/plain": "'the answer is 42'" } });
    expect(code[5].outputs![0]).toMatchObject({ execution_count: 6, data: { "text/plain": "43" } });

    // A runtime error: name, message, and a traceback through both cells' TypeScript lines.
    const runtime = code[3].outputs![0];
    expect(runtime.ename).toBe("RangeError");
    expect(runtime.evalue).toBe("safeSqrt: negative input -6");
    const tb = (runtime.traceback as string[]).join("\n");
    expect(tb).toMatch(/at safeSqrt \(In\[3\]:3:\d+\)/); // the throw, line 3 of the defining cell
    expect(tb).toMatch(/In\[4\]:3:\d+/); // the call, line 3 of the failing cell
    expect(tb).toContain("throw new RangeError(`safeSqrt: negative input ${x}`);");
    expect(tb).not.toContain("tslab/dist");

    // A compile error: TypeScriptCompileError with the cell's line:column.
    const compile = code[4].outputs![0];
    expect(compile.ename).toBe("TypeScriptCompileError");
    expect(compile.evalue).toContain("In[5]:3:7");
    expect(compile.evalue).toContain("Type 'string' is not assignable to type 'number'");
    expect((compile.traceback as string[])[0]).toContain("error TS2322");
  }, 240_000);

  it("stops at the first failing cell without --allow-errors, naming the error", async () => {
    const r = await execute(false);
    expect(r.error?.type).toBe("CellExecutionError");
    expect(r.error.message).toContain("RangeError");
    expect(r.error.message).toContain("safeSqrt: negative input -6");
  }, 240_000);
});
