/**
 * The operating-system half of the grading sandbox. Node's permission model is a seat belt, not a wall, so
 * every child that runs student code is also:
 *   - a different, unprivileged user (`mbrl-grader`, created on first use when the grader runs as root), so
 *     unix permissions decide what it can read, and it cannot signal, renice, ptrace or read /proc/<pid>/environ
 *     of the grader;
 *   - in new network, PID and mount namespaces (`unshare`): no network at all (not even loopback), a /proc
 *     that shows only its own processes, and the whole namespace dies with it;
 *   - under rlimits (file size, open files, processes, CPU seconds, data segment, no core files);
 *   - in an empty throw-away working directory only it can write, removed afterwards;
 *   - given the course library as a mirror of dist/ and of the node_modules packages the library needs, as
 *     real directories (no `node_modules/mbrl -> ../dist` symlink to climb out of), readable by everyone;
 *   - kept away from solutions, hidden tests, gradebooks and submissions by taking "other" permissions off
 *     them (chmod o-rwx), and a probe run as the sandbox user proves it cannot read them before grading.
 * When the grader is not root (so it cannot switch users) or namespaces are unavailable, grading refuses
 * to run untrusted code unless the caller says the code is trusted (a student checking their own work).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { builtinModules } from "module";

export const SANDBOX_USER = "mbrl-grader";

export interface OsIsolation {
  uid: number;
  gid: number;
  user: string;
}

/** rlimits of a sandbox child (prlimit names). */
export interface Rlimits {
  /** Largest file it may write (bytes). */
  fsize: number;
  nofile: number;
  /** Processes and threads of the sandbox user, all children together (Linux counts per user). */
  nproc: number;
  /** CPU seconds. */
  cpu: number;
  /** Data segment (bytes): heap, typed arrays, wasm memory; address-space limits break V8's reservations. */
  data: number;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lookupUser(name: string): OsIsolation | null {
  let passwd = "";
  try {
    passwd = fs.readFileSync("/etc/passwd", "utf8");
  } catch {
    return null;
  }
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f.length >= 4) return { user: name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH || "/usr/sbin:/usr/bin:/sbin:/bin").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

let cached: { ok: OsIsolation; tools: Record<string, string> } | { error: string } | undefined;

/**
 * The dedicated user and the tools, checked once per process. Throws, saying what is missing and what that
 * means, when untrusted code cannot be isolated here.
 */
export function osIsolation(): { ok: OsIsolation; tools: Record<string, string> } {
  if (!cached) cached = probeIsolation();
  if ("error" in cached) throw new Error(cached.error);
  return cached;
}

function probeIsolation(): { ok: OsIsolation; tools: Record<string, string> } | { error: string } {
  const refuse = (what: string) => ({
    error:
      `cannot isolate student code here: ${what}. Grading runs each submission as the unprivileged user ` +
      `${SANDBOX_USER} in its own network and PID namespaces, which needs root (as in CI or a container: ` +
      `run the grader as root, e.g. with sudo) and util-linux (unshare, setpriv, prlimit). Without it a ` +
      `submission could read the solutions and hidden tests, use the network and signal the grader, so grading ` +
      `refuses. To run your own, trusted code without isolation, pass --no-isolation.`,
  });
  if (process.platform !== "linux") return refuse(`this is ${process.platform}, not Linux`);
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return refuse("the grader is not running as root");
  const tools: Record<string, string> = {};
  for (const t of ["unshare", "setpriv", "prlimit"]) {
    const p = which(t);
    if (!p) return refuse(`${t} (util-linux) is not installed`);
    tools[t] = p;
  }
  let user = lookupUser(SANDBOX_USER);
  for (let attempt = 0; !user && attempt < 20; attempt++) {
    // Several grading processes (test workers) may start at once: useradd holds a lock, so retry.
    const r = spawnSync(which("useradd") ?? "useradd", [
      "--system", "--no-create-home", "--user-group", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SANDBOX_USER,
    ], { encoding: "utf8" });
    user = lookupUser(SANDBOX_USER);
    if (!user && r.error) return refuse(`the user ${SANDBOX_USER} does not exist and useradd failed (${r.error.message})`);
    if (!user) sleepSync(100 + 50 * attempt);
  }
  if (!user) return refuse(`the user ${SANDBOX_USER} does not exist and could not be created`);
  if (user.uid === 0 || user.gid === 0) return refuse(`the user ${SANDBOX_USER} has uid or gid 0`);
  const probe = spawnSync(tools.unshare, [...namespaceArgs(), tools.setpriv, ...dropArgs(user), "true"], { encoding: "utf8", timeout: 20_000 });
  if (probe.status !== 0) {
    return refuse(`new network/PID/mount namespaces cannot be created here (${(probe.stderr || probe.error?.message || `status ${probe.status}`).trim()})`);
  }
  return { ok: user, tools };
}

/** unshare's part: new network, PID and mount namespaces with a private /proc; the namespace dies with it. */
export function namespaceArgs(): string[] {
  return ["--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private", "--"];
}

/** setpriv's part: become the sandbox user with no groups, no capabilities, no way to gain privileges. */
export function dropArgs(u: OsIsolation): string[] {
  return [`--reuid=${u.uid}`, `--regid=${u.gid}`, "--clear-groups", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"];
}

export function prlimitArgs(l: Rlimits): string[] {
  return [`--fsize=${l.fsize}`, `--nofile=${l.nofile}`, `--nproc=${l.nproc}`, `--cpu=${l.cpu}`, `--data=${l.data}`, "--core=0", "--"];
}

/** The full command prefix that runs `argv` isolated. */
export function isolatedCommand(iso: { ok: OsIsolation; tools: Record<string, string> }, limits: Rlimits, argv: string[]): [string, string[]] {
  const t = iso.tools;
  return [t.unshare, [...namespaceArgs(), t.prlimit, ...prlimitArgs(limits), t.setpriv, ...dropArgs(iso.ok), ...argv]];
}

/** A fresh, empty working directory that only the sandbox user can write. */
export function makeWorkDir(u: OsIsolation | null): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-sandbox-"));
  if (u) fs.chownSync(d, u.uid, u.gid);
  fs.chmodSync(d, 0o700);
  return d;
}

/**
 * Takes "other" permissions off each existing path (the sandbox user is "other" to every file not its own),
 * so the child cannot read or traverse it. Returns the paths changed.
 */
export function protectFromSandbox(paths: string[]): string[] {
  const changed: string[] = [];
  for (const p of new Set(paths.map((x) => path.resolve(x)))) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink() || (st.mode & 0o007) === 0) continue;
    fs.chmodSync(p, st.mode & 0o7770);
    changed.push(p);
  }
  return changed;
}

/**
 * Runs a probe as the sandbox user (without Node's permission model) that tries to read each path; returns
 * the ones it could read. Grading must not start if any is readable.
 */
export function readableBySandbox(paths: string[]): string[] {
  const iso = osIsolation();
  const probe = `const fs = require("fs"); const out = [];
for (const p of ${JSON.stringify(paths)}) { try { const st = fs.statSync(p); if (st.isDirectory()) fs.readdirSync(p); else fs.closeSync(fs.openSync(p, "r")); out.push(p); } catch {} }
process.stdout.write(JSON.stringify(out));`;
  const [cmd, args] = isolatedCommand(iso, defaultLimits(256, 30), [process.execPath, "-e", probe]);
  const cwd = makeWorkDir(iso.ok);
  try {
    const r = spawnSync(cmd, args, { cwd, env: {}, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`the sandbox probe failed (${(r.stderr || r.error?.message || "").trim().slice(0, 300)})`);
    return JSON.parse(r.stdout) as string[];
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

export function defaultLimits(memoryMb: number, cpuSeconds: number): Rlimits {
  return {
    fsize: 1 << 20,
    nofile: 64,
    nproc: 512,
    cpu: Math.max(5, Math.ceil(cpuSeconds)),
    data: Math.max(1024, 4 * memoryMb) * (1 << 20),
  };
}

// ---- the library mirror ---------------------------------------------------------------------------------

const BUILTIN = new Set(builtinModules);

function packageOf(spec: string): string | null {
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("node:") || BUILTIN.has(spec.split("/")[0])) return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Bare package names the library's compiled files require (dist/grader excluded: the child never needs it). */
function libraryPackages(dist: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!(d === dist && e.name === "grader")) walk(p);
      } else if (e.name.endsWith(".js")) {
        const text = fs.readFileSync(p, "utf8");
        for (const m of text.matchAll(/require\("([^"]{1,200})"\)/g)) {
          const pkg = packageOf(m[1]);
          if (pkg) out.add(pkg);
        }
      }
    }
  };
  walk(dist);
  return out;
}

/** The packages `roots` need, with their dependencies (optional ones when installed), as top-level names. */
function dependencyClosure(nodeModules: string, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    const dir = path.join(nodeModules, name);
    let pkg: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    try {
      if (fs.lstatSync(dir).isSymbolicLink()) continue;
      pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    } catch {
      continue; // not installed (an optional dependency)
    }
    seen.add(name);
    for (const deps of [pkg.dependencies, pkg.optionalDependencies, pkg.peerDependencies]) for (const d of Object.keys(deps ?? {})) todo.push(d);
  }
  return [...seen].sort();
}

/** Hard-links (or, across file systems, copies) a tree; symlinks inside are kept only when they stay inside. */
function mirrorTree(src: string, dst: string, skip?: (rel: string) => boolean, rel = ""): void {
  fs.mkdirSync(dst, { recursive: true, mode: 0o755 });
  fs.chmodSync(dst, 0o755);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (skip?.(r)) continue;
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) mirrorTree(s, d, skip, r);
    else if (e.isFile()) {
      try {
        fs.linkSync(s, d);
        if ((fs.statSync(d).mode & 0o004) === 0) throw new Error("not world-readable");
      } catch {
        fs.rmSync(d, { force: true });
        fs.copyFileSync(s, d);
        fs.chmodSync(d, 0o644);
      }
    }
    // Symlinks, sockets, devices: left out (a package's .bin links are not needed to require it).
  }
}

const mirrors = new Map<string, string>();

/**
 * A read-only-by-permissions copy of what the child may load: `node_modules/mbrl` (= dist/ without the
 * grader) and the packages the library requires, as real directories under a root-owned folder. Built once
 * per build of the library and reused (its name carries the build's hash).
 */
export function libraryMirror(root: string, owner: OsIsolation | null): string {
  const nodeModules = path.join(root, "node_modules");
  // The library as the notebooks import it (node_modules/mbrl, normally a link to dist/), resolved.
  let dist = path.join(root, "dist");
  try {
    dist = fs.realpathSync(path.join(nodeModules, "mbrl"));
  } catch {
    /* no link: dist/ itself */
  }
  let stamp = "";
  try {
    stamp = fs.readFileSync(path.join(dist, "build-stamp.json"), "utf8");
  } catch {
    stamp = String(fs.statSync(dist).mtimeMs);
  }
  try {
    stamp += fs.statSync(path.join(root, "package-lock.json")).mtimeMs;
  } catch {
    /* no lock */
  }
  const key = crypto.createHash("sha256").update(`${fs.realpathSync(root)}\0${stamp}`).digest("hex").slice(0, 16);
  const hit = mirrors.get(key);
  if (hit && fs.existsSync(path.join(hit, ".complete"))) return hit;
  const base = path.join(os.tmpdir(), `mbrl-grader-lib-${owner ? "os" : "plain"}-${key}`);
  if (fs.existsSync(path.join(base, ".complete")) && fs.lstatSync(base).uid === (process.getuid?.() ?? -1)) {
    mirrors.set(key, base);
    return base;
  }
  // Built under a private name and renamed into place, so concurrent graders never see half a mirror.
  const tmp = fs.mkdtempSync(`${base}.tmp-`);
  const nm = path.join(tmp, "node_modules");
  mirrorTree(dist, path.join(nm, "mbrl"), (rel) => rel === "grader" || rel.endsWith(".map"));
  for (const pkg of dependencyClosure(nodeModules, libraryPackages(dist))) {
    mirrorTree(path.join(nodeModules, pkg), path.join(nm, pkg), (rel) => rel === ".bin" || rel.endsWith(".map") || rel.endsWith(".ts"));
  }
  fs.writeFileSync(path.join(tmp, ".complete"), "");
  fs.chmodSync(tmp, 0o755);
  try {
    fs.renameSync(tmp, base);
  } catch {
    // Another process finished first: use its mirror.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  mirrors.set(key, base);
  return base;
}
