"""Starts the project's "tslab" kernel, executes cells (a JSON list of strings on stdin) one by one
with stop_on_error=False and prints JSON on stdout: {"startSeconds", "firstCellSeconds", "cells":
[{"reply": content, "outputs": [{"type": msg_type, "content": content}]}]}. Used by the vitest files
in test/kernel (JUPYTER_PATH must include build/jupyter; the kernel runs in the current directory).
"""

import json
import sys
import time

from jupyter_client.manager import start_new_kernel


def run_cell(kc, code, timeout=120):
    msg_id = kc.execute(code, stop_on_error=False)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        outputs.append({"type": msg["msg_type"], "content": msg["content"]})
    return {"reply": reply["content"], "outputs": outputs}


def main():
    cells = json.load(sys.stdin)
    t0 = time.time()
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=120)
    try:
        t1 = time.time()
        results = []
        first = None
        for code in cells:
            results.append(run_cell(kc, code))
            if first is None:
                first = time.time() - t1
        out = {"startSeconds": t1 - t0, "firstCellSeconds": first, "cells": results}
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
