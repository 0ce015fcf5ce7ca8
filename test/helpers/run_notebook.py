"""Executes a notebook top to bottom in the project kernel (nbclient) and reports, as one JSON line on
stdout, whether every cell ran cleanly: no error output, no failed execute_reply, nothing on stderr.

usage: run_notebook.py NOTEBOOK [--cwd DIR] [--timeout SECONDS] [--out EXECUTED.ipynb] [--kernel NAME]
The project kernelspec must be visible (JUPYTER_PATH=<repo>/build/jupyter).
"""
import argparse
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_problem(cell):
    """The first problem in a code cell's outputs, or None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return {"kind": "error", "ename": out.get("ename", ""), "evalue": out.get("evalue", ""),
                    "traceback": "\n".join(out.get("traceback", []))}
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return {"kind": "stderr", "ename": "stderr", "evalue": out.get("text", "")[:2000], "traceback": ""}
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--out", default=None)
    ap.add_argument("--kernel", default="tslab")
    args = ap.parse_args()

    try:
        nb = nbformat.read(args.notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # a malformed notebook is a clear failure, not a crash
        print(json.dumps({"ok": False, "malformed": True, "message": f"{type(e).__name__}: {e}"}))
        return 0

    started = time.time()
    # iopub_timeout: outputs may trail a cell's reply by seconds on a loaded CI machine (nbclient waits 4 s).
    client = NotebookClient(nb, timeout=args.timeout, kernel_name=args.kernel, allow_errors=False, iopub_timeout=30,
                            record_timing=True, resources={"metadata": {"path": args.cwd or "."}})
    failure = None
    failed_index = None
    try:
        client.execute()
    except CellTimeoutError as e:
        failure = {"kind": "timeout", "ename": "CellTimeoutError", "evalue": f"a cell ran longer than {args.timeout} s",
                   "traceback": str(e)[:2000]}
    except DeadKernelError as e:
        failure = {"kind": "dead-kernel", "ename": "DeadKernelError", "evalue": str(e)[:2000], "traceback": ""}
    except CellExecutionError as e:
        failure = {"kind": "error", "ename": getattr(e, "ename", "CellExecutionError"),
                   "evalue": getattr(e, "evalue", str(e))[:4000], "traceback": str(e)[:4000]}
    except Exception as e:
        failure = {"kind": "runner", "ename": type(e).__name__, "evalue": str(e)[:2000], "traceback": ""}

    # Which cell: the last executed one on an exception, else the first with a problem in its outputs.
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if failure is not None:
        executed = [i for i, c in code_cells if c.get("metadata", {}).get("execution", {}).get("iopub.execute_input")
                    or c.get("execution_count") is not None]
        failed_index = executed[-1] if executed else (code_cells[0][0] if code_cells else None)
    for i, c in code_cells:
        p = cell_problem(c)
        if p is not None and (failed_index is None or i <= failed_index):
            failure = p if failure is None or i < failed_index or failure["kind"] in ("error",) else failure
            failed_index = i if failed_index is None or i < failed_index else failed_index
            break

    if args.out:
        nbformat.write(nb, args.out)
    result = {"ok": failure is None, "seconds": round(time.time() - started, 2), "cells": len(nb.cells),
              "codeCells": len(code_cells)}
    if failure is not None:
        result["failure"] = dict(failure, cell=failed_index,
                                 source=nb.cells[failed_index].source if failed_index is not None else "")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
