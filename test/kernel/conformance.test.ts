/**
 * Jupyter's own kernel test suite (jupyter_kernel_test) plus the course's protocol checks, run against
 * the project kernel by test/kernel/kernel_conformance.py.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { jupyterMissing, runPython } from "./python";

const missing = jupyterMissing();

/** The checks of jupyter_kernel_test that apply to TypeScript; each must pass, none be skipped. */
const SUITE = [
  "test_kernel_info",
  "test_execute_stdout",
  "test_execute_stderr",
  "test_completion",
  "test_is_complete",
  "test_error",
  "test_execute_result",
  "test_display_data",
  "test_history",
  "test_inspect",
];
const COURSE = [
  "test_kernel_info_complete",
  "test_execute_input_and_counts",
  "test_no_result_for_statements",
  "test_runtime_error_points_into_cell",
  "test_async_error_points_into_cell",
  "test_compile_error",
  "test_stop_on_error_aborts_queued_requests",
  "test_interrupt_async_cell",
  "test_interrupt_busy_loop_by_signal",
  "test_comm_info",
  "test_module_created_after_failed_import",
];

describe.skipIf(missing !== null)("project kernel conformance", () => {
  it("passes jupyter_kernel_test and the course's protocol checks", async () => {
    const r = await runPython([path.join(__dirname, "kernel_conformance.py"), "-v"], "", 280_000);
    // unittest -v reports "test_name (module.Class.test_name) ... ok|FAIL|ERROR|skipped" on stderr.
    const status = new Map<string, string>();
    for (const m of r.stderr.matchAll(/^(test_\w+) \([\w.]+\) \.\.\. (ok|FAIL|ERROR|skipped.*)$/gm)) {
      status.set(m[1], m[2]);
    }
    const report = r.stderr.slice(-6000);
    expect(r.code, report).toBe(0);
    for (const name of [...SUITE, ...COURSE]) {
      expect(status.get(name), `${name}\n${report}`).toBe("ok");
    }
  }, 300_000);
});
