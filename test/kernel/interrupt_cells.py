"""Interrupts running cells through the kernel protocol, as Kernel > Interrupt in the notebook does
(jupyter_client's interrupt_kernel: SIGINT to the kernel's process group, the kernelspec's mode).

stdin: JSON {"setup": [code, ...], "cases": [{"name", "code", "waitSeconds", "probe"}]}. One kernel
runs the setup cells, then each case: the cell is started, interrupted after waitSeconds, and its
reply, outputs and the seconds from the interrupt to the reply are recorded; then `probe` (a cell
whose result is the loop's counter) runs twice, 1.5 s apart, to see whether the loop still runs.
stdout: JSON {"setup": [replies], "cases": [{"name", "reply", "outputs", "replySeconds",
"probe": [text, text], "probeReplies": [{status, ename, evalue}, ...], "after": reply of "40 + 2"}]}.
"""

import json
import sys
import time

from jupyter_client.manager import start_new_kernel


def wait_started(kc, msg_id, timeout=180):
    """Reads iopub until the kernel publishes execute_input for msg_id (the cell has started); returns
    the messages of msg_id read meanwhile, which collect() keeps."""
    seen = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "execute_input":
            return seen


def collect(kc, msg_id, timeout, prior=()):
    reply = None
    while reply is None:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg["content"]
    outputs = [{"type": m["msg_type"], "content": m["content"]} for m in prior
               if m["msg_type"] not in ("status", "execute_input")]
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        outputs.append({"type": msg["msg_type"], "content": msg["content"]})
    return reply, outputs


def run(kc, code, timeout=180):
    return collect(kc, kc.execute(code, stop_on_error=False), timeout)


def result_text(outputs):
    for o in outputs:
        if o["type"] == "execute_result":
            return o["content"]["data"].get("text/plain")
    return None


def main():
    spec = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=180)
    out = {"setup": [], "cases": []}
    try:
        for code in spec.get("setup", []):
            out["setup"].append(run(kc, code)[0])
        for case in spec["cases"]:
            print(f"[interrupt_cells] {case['name']}: started", file=sys.stderr, flush=True)
            msg_id = kc.execute(case["code"], stop_on_error=False)
            # Interrupt a running cell, as a person does: an interrupt before the cell starts (its
            # request still queued on a loaded machine) is dropped, as in other kernels.
            prior = wait_started(kc, msg_id)
            time.sleep(case.get("waitSeconds", 3))
            t0 = time.time()
            print(f"[interrupt_cells] interrupting pid {km.provisioner.pid} pgid {km.provisioner.pgid}", file=sys.stderr, flush=True)
            km.interrupt_kernel()
            reply, outputs = collect(kc, msg_id, 120, prior)
            seconds = time.time() - t0
            probe, probe_replies = [], []
            if case.get("probe"):
                for k in range(2):
                    if k:
                        time.sleep(1.5)
                    probe_reply, probe_outputs = run(kc, case["probe"])
                    probe.append(result_text(probe_outputs))
                    probe_replies.append({key: probe_reply.get(key) for key in ("status", "ename", "evalue")})
            after, _ = run(kc, "40 + 2")
            print(f"[interrupt_cells] {case['name']}: {reply.get('ename')} after {seconds:.2f} s, probe {probe}", file=sys.stderr, flush=True)
            out["cases"].append({"name": case["name"], "reply": reply, "outputs": outputs,
                                 "replySeconds": seconds, "probe": probe, "probeReplies": probe_replies,
                                 "after": after})
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
