"""`npm run check`'s runner: executes a copy of a notebook in a fresh course kernel (nbclient), every
cell whatever the errors (as Run All does in the course kernel), and writes the executed notebook.

usage: check_notebook.py NOTEBOOK OUT --cwd DIR [--timeout SECONDS]
Prints one JSON line: {"ok": true, "seconds"} or {"ok": false, "message"} when the kernel could not run.
The course kernelspec must be visible (JUPYTER_PATH=<course>/build/jupyter).
"""
import argparse
import json
import time

import nbformat
from nbclient import NotebookClient


def keep_reply_error(cell, cell_index, execute_reply):
    """The execute reply says whether a cell failed; its error output comes separately on IOPub and can
    arrive after nbclient stopped waiting on a loaded machine. A failed cell without its error output
    would read as a pass, so the reply's error is written into the cell when the output is missing."""
    content = execute_reply.get("content", {}) if execute_reply else {}
    if content.get("status") != "error":
        return
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        return
    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
        "error", ename=content.get("ename", "Error"), evalue=content.get("evalue", ""),
        traceback=content.get("traceback", [])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("out")
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    started = time.time()
    nb = nbformat.read(args.notebook, as_version=4)
    # iopub_timeout: how long to wait for a cell's outputs after its reply; nbclient's 4 s is too
    # short when a class's checks share a loaded machine.
    client = NotebookClient(nb, timeout=args.timeout, kernel_name="tslab", allow_errors=True,
                            iopub_timeout=30, on_cell_executed=keep_reply_error,
                            resources={"metadata": {"path": args.cwd}})
    result = {"ok": True}
    try:
        client.execute()
    except Exception as e:  # a cell over the time limit, a dead kernel: report, keep what ran
        result = {"ok": False, "message": f"{type(e).__name__}: {str(e)[:1500]}"}
    nbformat.write(nb, args.out)
    result["seconds"] = round(time.time() - started, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
