"""The Submit button's server side: a notebook server extension of the students' classic Notebook on the
course hub (enabled by jupyter_notebook_config.json in this folder, which the hub puts on each student
server's JUPYTER_CONFIG_PATH, with this folder on its PYTHONPATH).

POST {base_url}mbrl/submit with the JSON body {"path": NOTEBOOK_PATH} (the path the Notebook page shows,
relative to the server's root, the student's home) submits that notebook through the one implementation
of a submission, scripts/submit.mjs (run as `node submit.mjs --notebook FILE --json`). The server runs as
the student, so the submission is made with the student's own rights, exactly as from their terminal.
The reply is submit.mjs's JSON: {"ok": true, "file", "message", ...} (200) or {"ok": false, "error"} (400).
The handler takes the server's login (web.authenticated: the hub's OAuth cookie or a token) and, for a
cookie login, the XSRF check every POST of the Notebook server gets (the page's utils.ajax sends it).
"""
import asyncio
import json
import os

from notebook.base.handlers import APIHandler
from notebook.utils import to_os_path, url_path_join
from tornado import web

COURSE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SUBMIT = os.path.join(COURSE, "scripts", "submit.mjs")
NODE = os.environ.get("MBRL_NODE", "node")
TIMEOUT_SECONDS = 60


class SubmitHandler(APIHandler):
    @web.authenticated
    async def post(self):
        body = self.get_json_body() or {}
        nb_path = body.get("path")
        if not isinstance(nb_path, str) or not nb_path.strip("/"):
            raise web.HTTPError(400, 'the request needs {"path": "the notebook\'s path"}')
        # The notebook as a file; submit.mjs refuses anything but a released ~/course/NAME.ipynb.
        os_path = to_os_path(nb_path.strip("/"), self.contents_manager.root_dir)
        result = await run_submit(os_path)
        self.set_status(200 if result.get("ok") else 400)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(result))


async def run_submit(os_path):
    """submit.mjs's JSON outcome for one notebook file (an {"ok": false, "error"} when it could not run)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            NODE, SUBMIT, "--notebook", os_path, "--json",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
    except OSError as e:
        return {"ok": False, "error": f"cannot run the submit command ({NODE} {SUBMIT}): {e}"}
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        proc.kill()
        return {"ok": False, "error": f"the submit command did not finish within {TIMEOUT_SECONDS} s; try again"}
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(lines[-1])
        if isinstance(result, dict) and "ok" in result:
            return result
    except (IndexError, ValueError):
        pass
    detail = err.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
    return {"ok": False, "error": f"the submit command failed: {detail}"}


def _jupyter_server_extension_paths():
    return [{"module": "mbrl_submit"}]


def load_jupyter_server_extension(nbapp):
    web_app = nbapp.web_app
    route = url_path_join(web_app.settings["base_url"], "/mbrl/submit")
    web_app.add_handlers(".*$", [(route, SubmitHandler)])
    nbapp.log.info("mbrl_submit: the Submit button's handler is at %s (submits with %s)", route, SUBMIT)
