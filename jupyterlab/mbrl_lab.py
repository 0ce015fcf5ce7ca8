"""The course's JupyterLab: the JupyterLab 4 front end that build.mjs builds into jupyterlab/app/,
served by jupyter_server 1.x and jupyterlab_server 2.x as Debian packages them (python3-jupyter-server,
python3-jupyterlab-server), for machines without a pip/conda JupyterLab.

    /usr/bin/python3 jupyterlab/mbrl_lab.py [Jupyter server options, e.g. --no-browser --port=8899]

`npm start` runs this when no `jupyter lab` is installed. It is jupyterlab_server's LabServerApp named
"lab" (so the app lives at /lab), with the page config JupyterLab's own launcher sets (no build
checks, no news, a read-only extension manager) and small answers for the requests JupyterLab 4 makes
of a jupyter_server 2 that 1.x cannot serve: /api/me (who is logged in), /api/events (the event
bus), /lsp/status (language servers: none) and /lab/api/extensions (nothing installable).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import jupyter_server
    from jupyter_server.base.handlers import APIHandler, JupyterHandler
    from jupyter_server.base.zmqhandlers import WebSocketMixin
    from jupyterlab_server import LabServerApp
    from jupyter_core.paths import jupyter_config_dir
    from tornado import web, websocket
    from traitlets import Bool, Unicode, default
except ImportError as e:  # a clear message instead of a traceback; start.mjs checks this first too
    if __name__ == "__main__":
        sys.stderr.write(
            f"The course's JupyterLab needs jupyter_server 1.x and jupyterlab_server 2.x for {sys.executable} ({e}).\n"
            "On Debian/Ubuntu: sudo apt-get install python3-jupyter-server python3-jupyterlab-server\n"
        )
        sys.exit(3)
    raise


def read_build_info(app_dir):
    """What build.mjs built (name, version), or None when app_dir holds no finished build."""
    try:
        with open(os.path.join(app_dir, "build.json"), encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not os.path.exists(os.path.join(app_dir, "static", "index.html")):
        return None
    return info


def identity(user):
    """The /api/me identity for jupyter_server 1.x's current user (a name, a dict or a token user)."""
    if isinstance(user, dict):
        name = str(user.get("name") or user.get("username") or "anonymous")
    elif isinstance(user, str) and user:
        name = user
    else:
        name = "anonymous"
    return {
        "username": name,
        "name": name,
        "display_name": name,
        "initials": name[:1].upper(),
        "avatar_url": None,
        "color": None,
    }


class MeHandler(APIHandler):
    """GET /api/me: the logged-in user (jupyter_server 2's identity API) and no extra permissions."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"identity": identity(self.current_user), "permissions": {}}))


class EventsHandler(APIHandler):
    """POST /api/events: jupyter_server 2 records client events; here they are accepted and dropped."""

    @web.authenticated
    def post(self):
        self.set_status(204)
        self.finish()


class EventsSocketHandler(WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """/api/events/subscribe: the server's event stream. jupyter_server 1.x emits no events, so the
    socket stays open and silent (JupyterLab retries a refused one, logging an error each time)."""

    def get(self, *args, **kwargs):
        if self.get_current_user() is None:
            # A bare 403: raising would render an HTML error page from templates this app lacks.
            self.log.warning("403 GET %s: not authenticated", self.request.path)
            self.set_status(403)
            return self.finish()
        return super().get(*args, **kwargs)

    def on_message(self, message):
        pass


class LspStatusHandler(APIHandler):
    """GET /lsp/status: no language servers (JupyterLab asks jupyter-lsp, which is not installed)."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"version": 2, "sessions": {}, "specs": {}}))


class ExtensionsHandler(APIHandler):
    """GET /lab/api/extensions: the read-only extension manager lists nothing (this build is fixed)."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps([]))


class LabApp(LabServerApp):
    """JupyterLab 4 at /lab, from the build in app_dir."""

    name = "lab"
    app_name = "JupyterLab"
    load_other_extensions = False  # the course's server: no unrelated server extensions in its log

    app_dir = Unicode(os.path.join(HERE, "app"), config=True, help="The built front end (jupyterlab/build.mjs output).")
    expose_app_in_browser = Bool(False, config=True, help="Expose the app as window.jupyterapp (browser tests).")

    @default("static_dir")
    def _default_static_dir(self):
        return os.path.join(self.app_dir, "static")

    @default("templates_dir")
    def _default_templates_dir(self):
        return os.path.join(self.app_dir, "static")

    @default("schemas_dir")
    def _default_schemas_dir(self):
        return os.path.join(self.app_dir, "schemas")

    @default("themes_dir")
    def _default_themes_dir(self):
        return os.path.join(self.app_dir, "themes")

    @default("app_settings_dir")
    def _default_app_settings_dir(self):
        return os.path.join(HERE, "settings")  # overrides.json: no news or update checks (offline-friendly)

    @default("user_settings_dir")
    def _default_user_settings_dir(self):
        return os.path.join(jupyter_config_dir(), "lab", "user-settings")

    @default("workspaces_dir")
    def _default_workspaces_dir(self):
        return os.path.join(jupyter_config_dir(), "lab", "workspaces")

    @default("labextensions_path")
    def _default_labextensions_path(self):
        return []  # prebuilt extensions are built against another JupyterLab; this build loads none

    def initialize_handlers(self):
        info = read_build_info(self.app_dir)
        if info is None:
            raise SystemExit(
                f"The course's JupyterLab is not built in {self.app_dir}: run `npm run lab:setup` in the course folder."
            )
        self.app_version = info["version"]
        page_config = self.serverapp.web_app.settings.setdefault("page_config_data", {})
        page_config.update(
            {
                "appName": "JupyterLab",
                "appVersion": info["version"],
                "buildAvailable": False,
                "buildCheck": False,
                "devMode": False,
                "token": self.serverapp.token,
                "exposeAppInBrowser": self.expose_app_in_browser,
                "quitButton": self.serverapp.quit_button,
                "notebookVersion": json.dumps(list(jupyter_server.version_info[:3])),
                "news": {"disabled": True},
                "extensionManager": {"name": "read-only", "can_install": False, "install_path": None},
            }
        )
        self.handlers.extend(
            [
                (r"/api/me", MeHandler),
                (r"/api/events", EventsHandler),
                (r"/api/events/subscribe", EventsSocketHandler),
                (r"/lsp/status", LspStatusHandler),
                (r"/lab/api/extensions", ExtensionsHandler),
            ]
        )
        super().initialize_handlers()


def _jupyter_server_extension_points():
    return [{"module": "mbrl_lab", "app": LabApp}]


def main(argv=None):
    LabApp.launch_instance(argv)


if __name__ == "__main__":
    # jupyter_server imports the extension by its module name, so run it as `mbrl_lab`, not `__main__`.
    sys.path.insert(0, HERE)
    import mbrl_lab

    mbrl_lab.main()
