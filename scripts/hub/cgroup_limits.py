"""Per-student memory and CPU limits for the course hub, with Linux control groups.

JupyterHub's LocalProcessSpawner ignores mem_limit and cpu_limit, so the hub config's spawner puts each
student's server (and so every kernel it starts) into a control group of its own,
<the hub's own cgroup>/mbrl-hub-<port>/<student>, with a memory limit (memory and swap together: going over
it gets the group's largest process, a runaway kernel, killed by the kernel's OOM killer, not the server
nor anyone else) and a CPU quota (cpuLimit CPUs' worth of time per period). Both cgroup v2 (the unified
hierarchy, with the memory and cpu controllers enabled where the groups are made) and cgroup v1 (separate
memory and cpu hierarchies) are used; not RLIMIT_AS, which breaks V8 and WebAssembly (they reserve far
more address space than they use).

`python3 cgroup_limits.py check PORT MEM_MB CPUS` (MEM_MB or CPUS may be 0: not limited) is what
`npm run hub` runs before starting the hub: it makes and removes a test group, prints the cgroup version and
the hub's parent groups ("v1 /sys/fs/cgroup/memory/.../mbrl-hub-8000 /sys/fs/cgroup/cpu/mbrl-hub-8000"), and
exits 1 with the reason when this machine cannot enforce the limits asked for. `python3 cgroup_limits.py cleanup PORT` removes the
hub's groups (those with no process left).
"""
import errno
import os
import signal
import sys

PARENT = "mbrl-hub-{port}"


class LimitsUnavailable(Exception):
    pass


def _mounts():
    """(mount point, fs type, root within the hierarchy, super options) of each cgroup mount."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fields, rfields = left.split(), right.split()
            if rfields[0] in ("cgroup", "cgroup2"):
                out.append((fields[4], rfields[0], fields[3], set(rfields[2].split(","))))
    return out


def _own_cgroups():
    """This process's cgroup path in each v1 controller ({"memory": "/a/b", ...}) and in v2 (key "")."""
    own = {}
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        for line in f:
            _, controllers, p = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                own[c] = p
    return own


def _under(mount, root, own):
    """The folder of cgroup path `own` in a mount of the hierarchy rooted at `root` (None if not visible)."""
    if root != "/" and own != root and not own.startswith(root.rstrip("/") + "/"):
        return None
    rel = own[len(root):] if root != "/" else own
    return os.path.join(mount, rel.lstrip("/"))


def _write(path, value):
    with open(path, "w", encoding="utf-8") as f:
        f.write(str(value))


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


class Limits:
    """The control groups of one hub: made on demand for each student, removed when their server stops."""

    def __init__(self, port, mem_mb, cpus):
        if not mem_mb and not cpus:
            raise ValueError("no limit asked for")
        self.mem_bytes = int(mem_mb * 2**20) if mem_mb else 0
        self.cpus = float(cpus or 0)
        self.name = PARENT.format(port=port)
        self.version, self.parents = self._find_parents()

    def _find_parents(self):
        """("v1", {controller: parent folder}) or ("v2", {"": parent folder}); raises LimitsUnavailable."""
        if not os.path.exists("/proc/self/mountinfo"):
            raise LimitsUnavailable("this is not Linux (no /proc/self/mountinfo): control groups are Linux's")
        if os.geteuid() != 0:
            raise LimitsUnavailable("only root can make control groups (run the hub as root)")
        mounts, own = _mounts(), _own_cgroups()
        wanted = [c for c, on in (("memory", self.mem_bytes), ("cpu", self.cpus)) if on]
        v1 = {}
        for c in wanted:
            m = next((m for m in mounts if m[1] == "cgroup" and c in m[3]), None)
            d = m and c in own and _under(m[0], m[2], own[c])
            if d and os.path.isdir(d):
                v1[c] = os.path.join(d, self.name)
        if len(v1) == len(wanted):
            return "v1", v1
        v2 = next((m for m in mounts if m[1] == "cgroup2"), None)
        d = v2 and "" in own and _under(v2[0], v2[2], own[""])
        if d and os.path.isdir(d):
            available = set(_read(os.path.join(d, "cgroup.controllers")).split())
            missing = [c for c in wanted if c not in available]
            if not missing:
                return "v2", {"": os.path.join(d, self.name)}
            raise LimitsUnavailable(
                f"the cgroup v2 group {d} does not offer the {' and '.join(missing)} controller(s) "
                f"(it offers: {' '.join(sorted(available)) or 'none'}) and no cgroup v1 hierarchy has them"
            )
        raise LimitsUnavailable(f"no cgroup hierarchy with the {' and '.join(wanted)} controller(s) is mounted in /sys/fs/cgroup")

    def prepare(self, user):
        """Makes (or resets) `user`'s groups with the limits; the cgroup.procs files a process joins by."""
        procs = []
        try:
            for c, parent in self.parents.items():
                if self.version == "v2":
                    # Controllers must be enabled in each group above the one that is limited. The hub's own
                    # group may hold processes (cgroup v2 then refuses, EBUSY, unless it is the root group).
                    for d in (os.path.dirname(parent), parent):
                        os.makedirs(d, exist_ok=True)
                        _write(os.path.join(d, "cgroup.subtree_control"), " ".join(
                            f"+{x}" for x, on in (("memory", self.mem_bytes), ("cpu", self.cpus)) if on))
                group = os.path.join(parent, user)
                os.makedirs(group, exist_ok=True)
                if self.version == "v2":
                    if self.mem_bytes:
                        _write(os.path.join(group, "memory.max"), self.mem_bytes)
                        if os.path.exists(os.path.join(group, "memory.swap.max")):
                            _write(os.path.join(group, "memory.swap.max"), 0)
                    if self.cpus:
                        _write(os.path.join(group, "cpu.max"), f"{int(self.cpus * 100000)} 100000")
                elif c == "memory":
                    # With swap accounting, memory + swap gets the same limit: a kernel cannot swap past it.
                    # memsw may never be below the memory limit, so the order of the two writes depends on
                    # whether a reused group's limits go up or down.
                    files = [os.path.join(group, f) for f in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")]
                    files = [f for f in files if os.path.exists(f)]
                    try:
                        for f in files:
                            _write(f, self.mem_bytes)
                    except OSError:
                        for f in reversed(files):
                            _write(f, self.mem_bytes)
                else:
                    period = int(_read(os.path.join(group, "cpu.cfs_period_us")))
                    _write(os.path.join(group, "cpu.cfs_quota_us"), int(self.cpus * period))
                procs.append(os.path.join(group, "cgroup.procs"))
        except OSError as e:
            hint = ""
            if self.version == "v2" and e.errno == errno.EBUSY:
                hint = (": cgroup v2 gives limited subgroups only to a group with no processes of its own, and the"
                        " hub's group holds processes (the hub's among them); this set-up supports cgroup v2 where the"
                        " hub runs in the root group")
            raise LimitsUnavailable(f"cannot set up the control group {e.filename or ''} ({e.strerror}){hint}") from e
        return procs

    def groups(self, user):
        return [os.path.join(parent, user) for parent in self.parents.values()]

    def kill(self, user):
        """SIGKILLs every process left in `user`'s groups; how many there were (0: the groups are empty)."""
        pids = set()
        for g in self.groups(user):
            try:
                pids.update(int(p) for p in _read(os.path.join(g, "cgroup.procs")).split())
            except FileNotFoundError:
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def remove(self, user):
        """Removes `user`'s groups; those with a process left are kept (and reused at the next start)."""
        for g in self.groups(user):
            try:
                os.rmdir(g)
            except FileNotFoundError:
                pass
            except OSError:
                return False
        return True

    def cleanup(self):
        """Removes every group of this hub that has no process left, then the hub's own parent groups."""
        for parent in self.parents.values():
            if not os.path.isdir(parent):
                continue
            for child in os.listdir(parent):
                if os.path.isdir(os.path.join(parent, child)):
                    try:
                        os.rmdir(os.path.join(parent, child))
                    except OSError:
                        pass
            try:
                os.rmdir(parent)
            except OSError:
                pass


def join(procs_files):
    """Moves the calling process into the groups (called in the student's server process before it drops root)."""
    for f in procs_files:
        _write(f, os.getpid())


def main(argv):
    if len(argv) == 5 and argv[1] == "check":
        port, mem_mb, cpus = int(argv[2]), float(argv[3]), float(argv[4])
        try:
            limits = Limits(port, mem_mb, cpus)
            probe = f"probe-{os.getpid()}"
            limits.prepare(probe)
            limits.remove(probe)
            limits.cleanup()
        except LimitsUnavailable as e:
            print(str(e), file=sys.stderr)
            return 1
        print(" ".join([limits.version, *limits.parents.values()]))
        return 0
    if len(argv) == 3 and argv[1] == "cleanup":
        for mem, cpus in ((1, 0), (0, 1)):
            try:
                Limits(int(argv[2]), mem, cpus).cleanup()
            except LimitsUnavailable:
                pass
        return 0
    print("usage: cgroup_limits.py check PORT MEM_MB CPUS | cleanup PORT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
