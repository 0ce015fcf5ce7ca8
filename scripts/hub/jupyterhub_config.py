# JupyterHub configuration of the course hub. Not edited by hand: `npm run hub -- --config FILE`
# (scripts/hub.mjs) checks the course's JSON config, fills in its defaults, writes the result to
# <stateDir>/hub-settings.json and starts JupyterHub with this file, which reads those settings
# from $MBRL_HUB_SETTINGS. Setting names: https://jupyterhub.readthedocs.io (JupyterHub 3.0, Debian).
import asyncio
import atexit
import json
import os
import pwd
import sys

from jupyterhub.auth import PAMAuthenticator
from jupyterhub.spawner import LocalProcessSpawner

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgroup_limits import Limits, join  # noqa: E402 (this folder is not a package)

c = get_config()  # noqa: F821 (JupyterHub provides get_config)

with open(os.environ["MBRL_HUB_SETTINGS"], encoding="utf-8") as f:
    s = json.load(f)
state = s["stateDir"]

# Where students connect (the proxy, configurable-http-proxy from the course's node_modules), where
# the hub itself listens behind it, and the proxy's own API: three ports, all checked free before start.
c.JupyterHub.bind_url = f"http://{s['ip']}:{s['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s['hubPort']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxyApiPort']}"
c.ConfigurableHTTPProxy.command = [s["proxyCommand"]]
c.ConfigurableHTTPProxy.should_start = True
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")

# The hub's own state (database, cookie secret), kept in one root-only folder per hub.
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")
# Stopping the hub stops every student's server and kernel too (nothing left running unseen).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Real unix accounts (made by `npm run hub:add-students`): PAM checks the password, and only members
# of the course's group (and the admins) may log in.
class CourseAuthenticator(PAMAuthenticator):
    """PAM with allowed_groups lets in only the group's members, admins included; the instructors
    named as admins need not be students, so they are let in too."""

    def check_allowed(self, username, authentication=None):
        return username in self.admin_users or super().check_allowed(username, authentication)


c.JupyterHub.authenticator_class = CourseAuthenticator
c.PAMAuthenticator.allowed_groups = set([s["studentsGroup"]])
c.Authenticator.admin_users = set(s["admins"])

# Each student's server runs as their own unix user, in their home (mode 0700), started from the
# one shared course install: the course's kernelspec (build/jupyter) via JUPYTER_PATH, the course's
# node_modules (tslab, the built library as `mbrl`) via NODE_PATH. The classic Notebook (Debian's
# python3-notebook) is the page students see, with the course's Submit button (scripts/hub/notebook: a
# server extension on PYTHONPATH, enabled and its JS loaded by the config files there, which are on the
# server's JUPYTER_CONFIG_PATH; the JS is served from its nbextensions/, on JUPYTER_PATH). The button
# submits into the exchange (MBRL_EXCHANGE) with the same node as the hub.
# Per-student limits (memLimitMB, cpuLimit): LocalProcessSpawner ignores mem_limit and cpu_limit, so each
# student's server is moved into a control group of its own (cgroup_limits.py) before it drops root and
# starts; every kernel it starts inherits the group. `npm run hub` checked that this machine can enforce them.
limits = Limits(s["port"], s["memLimitMB"], s["cpuLimit"]) if s["memLimitMB"] or s["cpuLimit"] else None
if limits:
    atexit.register(limits.cleanup)


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with each student's server in their own cgroup, when limits are configured."""

    _cgroup_procs = []

    def make_preexec_fn(self, name):
        drop_root = super().make_preexec_fn(name)
        procs = self._cgroup_procs

        def preexec():
            # In the new process, still root: join the groups first (a failure fails the start: no
            # server runs unlimited), then become the student.
            join(procs)
            drop_root()

        return preexec

    async def start(self):
        self._cgroup_procs = limits.prepare(self.user.name) if limits else []
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        if not limits:
            return
        # A kernel the server did not shut down in time (a loaded machine, a stuck kernel) is still in the
        # student's group: it ends with the server, and the group is removed.
        for _ in range(50):
            if limits.kill(self.user.name) == 0:
                break
            await asyncio.sleep(0.1)
        if not limits.remove(self.user.name):
            self.log.warning("%s's control group still has processes; it is kept and reused", self.user.name)


c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/tree"
c.Spawner.environment = {
    "JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp",
    "JUPYTER_PATH": os.pathsep.join([s["jupyterPath"], s["notebookExtension"]]),
    "JUPYTER_CONFIG_PATH": s["notebookExtension"],
    "PYTHONPATH": s["notebookExtension"],
    "MBRL_NODE": s["node"],
    "MBRL_EXCHANGE": s["exchange"],
    "NODE_PATH": s["nodePath"],
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def link_course_modules(spawner):
    """Notebooks import the course library as `mbrl/*`, which the kernel's TypeScript resolves from a
    node_modules above the notebook: link ~/node_modules to the shared one (students cannot change
    what it points to). A home that has its own node_modules keeps it."""
    user = pwd.getpwnam(spawner.user.name)
    link = os.path.join(user.pw_dir, "node_modules")
    try:
        if not os.path.lexists(link):
            os.symlink(s["nodePath"], link)  # never follows an existing name: made only where none is
            os.lchown(link, user.pw_uid, user.pw_gid)
    except OSError as e:
        spawner.log.warning("could not link %s to the course's node_modules: %s", link, e)


c.Spawner.pre_spawn_hook = link_course_modules
# Stopping a server first asks it to shut down its kernels (SIGINT); on a loaded machine that takes
# longer than JupyterHub's 10 s before it sends SIGTERM, which leaves the kernels running.
c.LocalProcessSpawner.interrupt_timeout = 30
c.Spawner.start_timeout = s["startTimeoutSeconds"]
c.Spawner.http_timeout = s["startTimeoutSeconds"]

# Idle culling without the jupyterhub-idle-culler service (not packaged in Debian): each server culls
# its own idle kernels and then shuts itself down when nothing has happened for the idle time.
idle = int(s["idleMinutes"] * 60)
c.Spawner.args = [
    f"--MappingKernelManager.cull_idle_timeout={idle}",
    f"--MappingKernelManager.cull_interval={max(10, min(300, idle // 4))}",
    "--MappingKernelManager.cull_connected=True",
    f"--NotebookApp.shutdown_no_activity_timeout={idle}",
]
