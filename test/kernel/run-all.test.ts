/**
 * What a student sees in the course kernel before solving anything, checked through the kernel
 * protocol:
 *  - Run All (every cell queued with stop_on_error) does not stop at an unsolved exercise: the
 *    stub's cell and the cells needing its results say which exercise they wait for, and the cells
 *    that do not need it still run (test/kernel/run_all.py queues the cells as the notebook does);
 *  - a failing check shows the student's message first and only the cells' frames, no library lines;
 *  - a name no cell has defined yet (after a kernel restart) says to run the earlier cells first.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { jupyterMissing, runCells, runPython } from "./python";

const missing = jupyterMissing();

interface Run {
  reply: Record<string, any>;
  outputs: { type: string; content: Record<string, any> }[];
}

async function runAll(cells: string[]): Promise<Run[]> {
  const r = await runPython([path.join(__dirname, "run_all.py")], JSON.stringify(cells));
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch {
    throw new Error(`run_all.py exited with ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  }
}

const stdout = (run: Run) =>
  run.outputs
    .filter((o) => o.type === "stream")
    .map((o) => o.content.text)
    .join("");

describe.skipIf(missing !== null)("a student's notebook before solving", () => {
  it("Run All goes past an unsolved exercise, and its dependants name it", async () => {
    const runs = await runAll([
      'function step(x: number): number {\n  throw new Error("not implemented yet: my-step");\n}',
      "const result = step(2);\nconst { lo, hi: upper } = { lo: 0, hi: 1 };",
      "const doubled = result * 2;",
      "doubled + upper",
      'console.log("an independent plot")',
      'import { checkClose } from "mbrl/exercise";\nfunction half(x: number) { return x / 2 + 0.25; }\ncheckClose("half(1)", half(1), 0.5);',
      'console.log("after a failing check: aborted, as Run All does")',
    ]);
    expect(runs[0].reply.status).toBe("ok");
    expect(runs[1].reply).toMatchObject({ status: "error", ename: "ExerciseNotSolved", evalue: "not implemented yet: my-step" });
    expect(runs[1].reply.traceback[0]).toBe('Exercise "my-step" is not solved yet (this cell needs it at In[2]:1).');
    expect(runs[1].reply.traceback.join("\n")).toContain("Run All goes on");
    expect(runs[2].reply.ename).toBe("ExerciseNotSolved");
    expect(runs[2].reply.traceback[0]).toBe(
      'This cell needs exercise "my-step": it uses `result`, which In[2] would have defined with it.',
    );
    // Transitively, and through a destructured name of the same cell.
    expect(runs[3].reply.traceback[0]).toBe(
      'This cell needs exercise "my-step": it uses `doubled`, `upper`, which In[3] would have defined with it.',
    );
    expect(runs[4].reply.status).toBe("ok");
    expect(stdout(runs[4])).toBe("an independent plot\n");
    // One error output per failing cell, the same content as the reply.
    for (const r of runs.slice(1, 4)) {
      const errors = r.outputs.filter((o) => o.type === "error");
      expect(errors).toHaveLength(1);
      expect(Object.keys(errors[0].content).sort()).toEqual(["ename", "evalue", "traceback"]);
    }

    // A failing check: message first, then the cell's frame and line, nothing of the library.
    const check = runs[5].reply;
    expect(check.ename).toBe("CheckFailed");
    const tb: string[] = check.traceback;
    expect(tb[0]).toBe("CheckFailed: check failed: half(1): value differs (tolerance 0.000001)");
    expect(tb.slice(0, 3).join("\n")).toContain("expected 0.5");
    expect(tb.join("\n")).not.toMatch(/dist[\\/]|node_modules|exercise[\\/]index/);
    expect(tb.filter((l) => /^\s+at /.test(l)).every((l) => /In\[6\]:3:\d+/.test(l))).toBe(true);
    expect(tb.join("\n")).toContain('In[6] line 3:\n    checkClose("half(1)", half(1), 0.5);');
    // A real failure still stops Run All.
    expect(runs[6].reply.ename).toBe("ExecutionAborted");
  }, 300_000);

  it("a name from an earlier cell that has not run says to run the earlier cells first", async () => {
    const run = await runCells(["result * 2"]);
    const reply = run.cells[0].reply;
    expect(reply.ename).toBe("TypeScriptCompileError");
    expect(reply.traceback[0]).toMatch(/^In\[1\]:1:1 - error TS2304: Cannot find name 'result'/);
    expect(reply.traceback.join("\n")).toContain(
      "`result` is not defined in this kernel session. If an earlier cell defines it, run the earlier cells first: after opening the notebook or restarting the kernel nothing is defined (Cell > Run All Above).",
    );
  }, 300_000);
});
