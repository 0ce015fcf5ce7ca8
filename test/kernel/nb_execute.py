"""Executes a notebook with nbclient in the project's "tslab" kernel and prints JSON on stdout:
{"seconds": wall time, "notebook": the executed notebook} with --allow-errors, or
{"seconds": ..., "error": {"type", "message"}} when a cell fails without it.

Usage (JUPYTER_PATH must include build/jupyter): python3 nb_execute.py NOTEBOOK [--allow-errors]
"""

import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    path = sys.argv[1]
    allow_errors = "--allow-errors" in sys.argv[2:]
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=120,
        iopub_timeout=30,  # outputs may trail the reply by seconds on a loaded CI machine (default 4 s)
        allow_errors=allow_errors,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    t0 = time.time()
    try:
        client.execute()
    except CellExecutionError as e:
        print(json.dumps({"seconds": time.time() - t0, "error": {"type": type(e).__name__, "message": str(e)}}))
        return
    print(json.dumps({"seconds": time.time() - t0, "notebook": nb}))


if __name__ == "__main__":
    main()
