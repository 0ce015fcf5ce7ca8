"""Runs cells the way the notebook's Run All does: every execute_request is sent at once, each with
stop_on_error=True, so a failing cell makes the kernel abort the queued ones. stdin: a JSON list of
cell sources; stdout: JSON [{"reply": content, "outputs": [{"type", "content"}]}] in cell order.
"""

import json
import sys

from jupyter_client.manager import start_new_kernel


def main():
    cells = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=180)
    try:
        ids = [kc.execute(code, stop_on_error=True) for code in cells]
        replies = {}
        while len(replies) < len(ids):
            msg = kc.get_shell_msg(timeout=180)
            if msg["parent_header"].get("msg_id") in ids:
                replies[msg["parent_header"]["msg_id"]] = msg["content"]
        outputs = {i: [] for i in ids}
        idle = set()
        while len(idle) < len(ids):
            msg = kc.get_iopub_msg(timeout=180)
            pid = msg["parent_header"].get("msg_id")
            if pid not in outputs:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    idle.add(pid)
                continue
            outputs[pid].append({"type": msg["msg_type"], "content": msg["content"]})
        print(json.dumps([{"reply": replies[i], "outputs": outputs[i]} for i in ids], default=str))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
