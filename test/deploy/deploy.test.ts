/**
 * The deployment files beyond one machine (deploy/, binder/, .dockerignore), tested with what runs here:
 * Docker, Kubernetes and mybinder.org do not. deploy/values.yaml is checked key by key against the
 * Zero to JupyterHub chart's schema (the keys it uses, as table CHART_KEYS below) and against the
 * course (image name and tag, memory from the hub benchmark's committed result); the Dockerfile's COPY
 * sources and every course path it and binder/postBuild name must exist in the build context (the
 * repository minus .dockerignore), which must leave out the solutions and hidden tests; and the one
 * install script both run (deploy/install-course.sh) is run for real in a copy of that context, then the
 * student-home start hook, then a notebook in the installed kernel from the student's home.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runNotebook } from "../helpers/notebook";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");
const pkg = JSON.parse(read("package.json")) as { version: string };

// ---- deploy/values.yaml against the chart -------------------------------------------------------

type JsonType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";
interface KeySpec {
  types: JsonType[];
  required?: string[];
  enum?: string[];
}
/** The chart version whose schema (jupyterhub/values.schema.yaml) CHART_KEYS copies; values.yaml names it too. */
const CHART_VERSION = "4.4.0";
/**
 * The keys of the chart's values that the course may set, with the types, required children and enums
 * its schema gives them (the schema has additionalProperties: false at every level listed here, so an
 * unknown key is an error for helm too). hub.config passes traitlets through: its children are class
 * names (capitalised) whose settings the schema does not check.
 */
const CHART_KEYS: Record<string, KeySpec> = {
  hub: { types: ["object"] },
  "hub.config": { types: ["object"] },
  singleuser: { types: ["object"] },
  "singleuser.image": { types: ["object"], required: ["name", "tag"] },
  "singleuser.image.name": { types: ["string"] },
  "singleuser.image.tag": { types: ["string"] },
  "singleuser.image.pullPolicy": { types: ["string", "null"] },
  "singleuser.defaultUrl": { types: ["string", "null"] },
  "singleuser.startTimeout": { types: ["integer", "null"] },
  "singleuser.cmd": { types: ["array", "string", "null"] },
  "singleuser.extraEnv": { types: ["object", "array"] },
  "singleuser.memory": { types: ["object"] },
  "singleuser.memory.limit": { types: ["number", "string", "null"] },
  "singleuser.memory.guarantee": { types: ["number", "string", "null"] },
  "singleuser.cpu": { types: ["object"] },
  "singleuser.cpu.limit": { types: ["number", "null"] },
  "singleuser.cpu.guarantee": { types: ["number", "null"] },
  "singleuser.storage": { types: ["object"], required: ["type", "homeMountPath"] },
  "singleuser.storage.type": { types: ["string"], enum: ["dynamic", "static", "none"] },
  "singleuser.storage.capacity": { types: ["string", "null"] },
  "singleuser.storage.homeMountPath": { types: ["string"] },
  "singleuser.storage.extraVolumes": { types: ["object", "array", "null"] },
  "singleuser.storage.extraVolumeMounts": { types: ["object", "array", "null"] },
  cull: { types: ["object"], required: ["enabled"] },
  "cull.enabled": { types: ["boolean"] },
  "cull.timeout": { types: ["integer", "null"] },
  "cull.every": { types: ["integer", "null"] },
  "cull.users": { types: ["boolean"] },
  "cull.maxAge": { types: ["integer", "null"] },
};

function jsonType(v: unknown): JsonType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v as JsonType;
}

/** Every problem of a values object against CHART_KEYS: unknown keys, wrong types, missing required keys. */
function chartProblems(values: unknown, prefix = ""): string[] {
  const problems: string[] = [];
  if (jsonType(values) !== "object") return [`${prefix || "the values"} must be a mapping`];
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (prefix === "hub.config") {
      if (!/^[A-Z]/.test(k) || jsonType(v) !== "object")
        problems.push(`${p}: hub.config takes class names (capitalised) with settings under them`);
      continue;
    }
    const spec = CHART_KEYS[p];
    if (!spec) {
      problems.push(`${p} is not a key of the jupyterhub chart ${CHART_VERSION} (or not yet in this test's CHART_KEYS)`);
      continue;
    }
    const t = jsonType(v);
    if (!spec.types.includes(t) && !(t === "integer" && spec.types.includes("number"))) {
      problems.push(`${p} must be ${spec.types.join(" or ")}, not ${t}`);
      continue;
    }
    if (spec.enum && !spec.enum.includes(v as string)) problems.push(`${p} must be one of ${spec.enum.join(", ")}`);
    for (const r of spec.required ?? []) if (t === "object" && !(r in (v as object))) problems.push(`${p}.${r} is required`);
    if (t === "object") problems.push(...chartProblems(v, p));
  }
  return problems;
}

/** Bytes of a JupyterHub memory size ("768M", "2G", or a number of bytes); K, M, G, T are powers of 1024 there. */
function bytes(v: unknown): number {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)([KMGT])$/.exec(String(v));
  if (!m) throw new Error(`${JSON.stringify(v)} is not a memory size such as 768M or 2G`);
  return Number(m[1]) * 1024 ** ("KMGT".indexOf(m[2]) + 1);
}

interface Values {
  singleuser: {
    image: { name: string; tag: string };
    memory: { guarantee: string; limit: string };
    cpu: { guarantee: number; limit: number };
    storage: { homeMountPath: string; capacity: string };
    defaultUrl: string;
  };
  cull: { enabled: boolean; timeout: number; every: number };
}

describe("deploy/values.yaml (Zero to JupyterHub)", () => {
  const text = read("deploy/values.yaml");
  const values = parse(text) as Values;

  it("uses only keys of the chart, with the types its schema gives them", () => {
    expect(chartProblems(values)).toEqual([]);
    expect(text).toContain(`--version ${CHART_VERSION}`);
  });

  it("the check finds a misspelt key, a wrong type, a missing required key and a bad hub.config entry", () => {
    const broken = structuredClone(values) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    broken.singleuser.memory.limt = "1G";
    broken.singleuser.cpu.limit = "1";
    delete broken.singleuser.image.tag;
    broken.hub.config.authenticator_class = "dummy";
    expect(chartProblems(broken)).toEqual([
      "hub.config.authenticator_class: hub.config takes class names (capitalised) with settings under them",
      "singleuser.image.tag is required",
      "singleuser.memory.limt is not a key of the jupyterhub chart 4.4.0 (or not yet in this test's CHART_KEYS)",
      "singleuser.cpu.limit must be number or null, not string",
    ]);
  });

  it("names the course's image, tagged with the course's version, as the README builds it", () => {
    const { name, tag } = values.singleuser.image;
    expect(path.posix.basename(name)).toBe("mbrl-course-singleuser");
    expect(tag).toBe(pkg.version);
    const built = /docker build -f deploy\/Dockerfile -t (\S+) \./.exec(read("README.md"));
    expect(built, "the README's docker build command").not.toBeNull();
    expect(path.posix.basename(built![1])).toBe(`mbrl-course-singleuser:${pkg.version}`);
    expect(read("deploy/Dockerfile")).toContain(`mbrl-course-singleuser:${pkg.version}`);
  });

  it("guarantees each student the memory the hub benchmark measured, and limits above the guarantees", () => {
    const { memory, cpu } = values.singleuser;
    type Peak = { worst: number };
    const result = JSON.parse(read("datasets/results/hub.json")) as { classes: { kernelPeakRssMB: Peak; serverPeakRssMB: Peak }[] };
    // A student's kernel and server at their peaks, in the worst class measured.
    const measuredMB = Math.max(...result.classes.map((c) => c.kernelPeakRssMB.worst + c.serverPeakRssMB.worst));
    expect(bytes(memory.guarantee) / 2 ** 20).toBeGreaterThanOrEqual(measuredMB);
    expect(bytes(memory.limit)).toBeGreaterThanOrEqual(bytes(memory.guarantee));
    expect(cpu.limit).toBeGreaterThanOrEqual(cpu.guarantee);
    expect(cpu.guarantee).toBeGreaterThan(0);
    // The README's sizing rule states the same limits.
    const readme = read("README.md");
    for (const v of [memory.guarantee, memory.limit]) expect(readme).toContain(`\`${v}\``);
  });

  it("mounts the home where the image's user lives, culls idle servers and opens the course's first notebook", () => {
    expect(values.singleuser.storage.homeMountPath).toBe("/home/jovyan");
    expect(values.singleuser.storage.capacity).toMatch(/^\d+Gi$/);
    expect(values.cull).toMatchObject({ enabled: true });
    expect(values.cull.timeout).toBeGreaterThan(values.cull.every);
    const nb = /^\/lab\/tree\/course\/(.+\.ipynb)$/.exec(values.singleuser.defaultUrl);
    expect(nb).not.toBeNull();
    expect(fs.existsSync(path.join(ROOT, "notebooks", nb![1]))).toBe(true);
  });
});

// ---- the Docker build context, the Dockerfile and binder/ --------------------------------------------

/**
 * The .dockerignore patterns as regular expressions (the subset of Docker's syntax the file uses: `*`,
 * `**`, no `!` exceptions); a path is left out when it or a folder above it matches.
 */
function dockerignore(): RegExp[] {
  const patterns = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const p of patterns) if (/[![\]?]/.test(p)) throw new Error(`.dockerignore: ${p} uses syntax this test does not read`);
  return patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|\\]/g, "\\$&")
          .replace(/\*\*\//g, "\u0000")
          .replace(/\*/g, "[^/]*")
          .replace(/\u0000/g, "(?:.*/)?")}$`,
      ),
  );
}

/** The files of the build context: what git has (tracked, or new and not ignored) minus .dockerignore. */
function buildContext(): string[] {
  const ignore = dockerignore();
  const left = (rel: string) => {
    const parts = rel.split("/");
    return parts.some((_, i) => ignore.some((re) => re.test(parts.slice(0, i + 1).join("/"))));
  };
  const git = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (git.status !== 0) throw new Error(`git ls-files failed: ${git.stderr}`);
  return git.stdout
    .split("\n")
    .filter(Boolean)
    .filter((rel) => fs.existsSync(path.join(ROOT, rel)) && !left(rel));
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const isExecutable = (rel: string) => (fs.statSync(path.join(ROOT, rel)).mode & 0o111) !== 0;

describe("deploy/Dockerfile, .dockerignore and binder/", () => {
  const context = buildContext();
  const inContext = (rel: string) => rel === "." || context.some((f) => f === rel || f.startsWith(rel + "/"));
  const dockerfile = read("deploy/Dockerfile");
  const steps = instructions(dockerfile);

  it("leaves the solutions and hidden tests out of the image, and keeps what the install needs", () => {
    expect(context.filter((f) => f.startsWith("solutions/") || f.startsWith("test/grading/"))).toEqual([]);
    expect(context.filter((f) => /(^|\/)node_modules\//.test(f))).toEqual([]);
    for (const need of [
      "package.json",
      "package-lock.json",
      ".npmrc",
      "patches",
      "tsconfig.json",
      "tsconfig.build.json",
      "scripts/build.mjs",
      "lib/core",
      "notebooks/00-welcome.ipynb",
      "docs/STUDENT-README.md",
      "deploy/install-course.sh",
      "deploy/student-home",
    ])
      expect(inContext(need), need).toBe(true);
  });

  it("builds on a pinned Jupyter Docker Stacks image and ends as the notebook user", () => {
    const base = /ARG BASE_IMAGE=(\S+)/.exec(dockerfile)?.[1] ?? "";
    expect(base).toMatch(/^quay\.io\/jupyter\/(base|minimal)-notebook:\d{4}-\d{2}-\d{2}$/);
    expect(steps.find((s) => s.op === "FROM")?.args).toBe("${BASE_IMAGE}");
    expect(steps.filter((s) => s.op === "USER").pop()?.args).toBe("${NB_UID}");
    expect(dockerfile).toMatch(/ENV COURSE_DIR=\/opt\/mbrl-course/);
  });

  it("copies only sources that exist in the build context, and runs only course files that exist and are executable", () => {
    const copies = steps.filter((s) => s.op === "COPY" || s.op === "ADD");
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const words = c.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      for (const src of words.slice(0, -1)) expect(inContext(src), `${c.op} ${src}`).toBe(true);
    }
    const courseFiles = [...dockerfile.matchAll(/\$\{COURSE_DIR\}\/([\w./-]+)/g)].map((m) => m[1]);
    expect(courseFiles).toEqual(expect.arrayContaining(["deploy/install-course.sh", "deploy/student-home"]));
    for (const f of courseFiles) expect(inContext(f), f).toBe(true);
    for (const f of ["deploy/install-course.sh", "deploy/student-home", "binder/postBuild"])
      expect(isExecutable(f), `${f} is executable`).toBe(true);
  });

  it("binder/postBuild runs the same install script, and binder/environment.yml gives Node 20", () => {
    const post = read("binder/postBuild");
    expect(post.startsWith("#!/bin/bash\n")).toBe(true);
    expect(post).toMatch(/set -euo pipefail/);
    const scripts = [...post.matchAll(/^(deploy\/[\w.-]+)/gm)].map((m) => m[1]);
    expect(scripts).toEqual(["deploy/install-course.sh"]);
    const env = parse(read("binder/environment.yml")) as { channels: string[]; dependencies: string[] };
    expect(env.channels).toContain("conda-forge");
    expect(env.dependencies).toContain("nodejs=20");
  });
});

// ---- the install, for real, in a copy of the build context ---------------------------------------------

const jupyter = spawnSync("jupyter", ["kernelspec", "list", "--json"], { encoding: "utf8" });
const why = jupyter.status !== 0 ? "`jupyter kernelspec` is not installed (apt-get install jupyter-notebook)" : "";
if (why) console.warn(`test/deploy/deploy.test.ts: the install run is skipped: ${why}`);

/** A command's status and output, without blocking the test worker (an install takes minutes). */
function runCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(why !== "")("deploy/install-course.sh and deploy/student-home, run in a copy of the build context", () => {
  // Made when a test of this block runs (not when it is filtered out), removed after it.
  let tmp = "";
  let course = "";
  let prefix = "";
  let home = "";
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-deploy-"));
    [course, prefix, home] = ["course", "prefix", "home"].map((d) => path.join(tmp, d));
  });
  afterAll(() => fs.promises.rm(tmp, { recursive: true, force: true }));

  it("installs the course, the student release and the kernel; the start hook prepares a home; a notebook there runs in that kernel", async () => {
    for (const rel of buildContext()) {
      fs.mkdirSync(path.dirname(path.join(course, rel)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, rel), path.join(course, rel));
      fs.chmodSync(path.join(course, rel), fs.statSync(path.join(ROOT, rel)).mode & 0o777);
    }
    // The npm cache of this machine (CI has just filled it): the test checks the steps, not the network.
    const install = await runCommand(path.join(course, "deploy", "install-course.sh"), [course, prefix], {
      ...process.env,
      npm_config_prefer_offline: "true",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    });
    expect(install.status, `${install.stdout.slice(-3000)}\n${install.stderr.slice(-3000)}`).toBe(0);
    expect(install.stdout).toMatch(/tslab@1\.0\.22 ✔/); // patch-package patched the kernel on install

    // The library, linked as mbrl; the student release (no solutions); the kernelspec in the prefix.
    expect(fs.realpathSync(path.join(course, "node_modules", "mbrl"))).toBe(path.join(course, "dist"));
    const released = path.join(course, "build", "release", "notebooks", "00-welcome.ipynb");
    expect(fs.readFileSync(released, "utf8")).not.toContain("BEGIN SOLUTION");
    const spec = JSON.parse(fs.readFileSync(path.join(prefix, "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8")) as {
      argv: string[];
      display_name: string;
    };
    expect(spec.display_name).toBe("TypeScript (MBRL course)");
    expect(spec.argv[1]).toBe(path.join(course, "node_modules", "tslab", "bin", "tslab"));
    const listed = spawnSync("jupyter", ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter"), PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    });
    const specs = (JSON.parse(listed.stdout) as { kernelspecs: Record<string, { resource_dir: string }> }).kernelspecs;
    expect(specs.tslab.resource_dir).toBe(path.join(prefix, "share", "jupyter", "kernels", "tslab"));

    // The start hook: the link and the notebooks; a second start keeps the student's edit.
    fs.mkdirSync(home);
    const hook = () =>
      spawnSync(path.join(course, "deploy", "student-home"), [], {
        encoding: "utf8",
        env: { ...process.env, HOME: home, COURSE_DIR: course },
      });
    const first = hook();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toBe("");
    expect(fs.readlinkSync(path.join(home, "node_modules"))).toBe(path.join(course, "node_modules"));
    const mine = path.join(home, "course", "00-welcome.ipynb");
    expect(fs.readFileSync(mine, "utf8")).toBe(fs.readFileSync(released, "utf8"));
    fs.writeFileSync(mine, "my work");
    expect(hook().status).toBe(0);
    expect(fs.readFileSync(mine, "utf8")).toBe("my work");

    // A notebook in the student's home, in the installed kernel: the course library resolves through the link.
    const probe = path.join(home, "course", "probe.ipynb");
    const cell = (source: string) => ({ cell_type: "code", metadata: {}, outputs: [], execution_count: null, source });
    fs.writeFileSync(
      probe,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (MBRL course)", language: "typescript" } },
        cells: [cell('import { makeRng } from "mbrl/core";\nif (typeof makeRng(1).uniform() !== "number") throw new Error("no rng");')],
      }),
    );
    const run = await runNotebook(probe, {
      cwd: path.dirname(probe),
      jupyterPath: path.join(prefix, "share", "jupyter"),
      cellTimeout: 120,
    });
    expect(run.ok, JSON.stringify(run.failure)).toBe(true);
  }, 900_000);

  it("the start hook warns, and the server still starts, when the course is not installed", () => {
    const empty = path.join(tmp, "empty-home");
    fs.mkdirSync(empty, { recursive: true });
    const r = spawnSync(path.join(ROOT, "deploy", "student-home"), [], {
      encoding: "utf8",
      env: { ...process.env, HOME: empty, COURSE_DIR: path.join(tmp, "nowhere") },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("build/release/notebooks is missing");
  });
});
