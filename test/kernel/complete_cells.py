"""Sends complete_request for each code (cursor at the end) to a fresh project kernel started in the
directory given as argv[1]; stdin: JSON list of codes; stdout: JSON list of complete_reply contents."""

import json
import sys

from jupyter_client.manager import start_new_kernel


def main():
    codes = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=180, cwd=sys.argv[1])
    out = []
    try:
        for code in codes:
            msg_id = kc.complete(code, len(code))
            while True:
                reply = kc.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            out.append(reply["content"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
