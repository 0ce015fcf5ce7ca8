/**
 * The three copies of the course an instructor needs:
 *  - solved notebooks (`npm run solve -- OUT`): each exercise's reference from solutions/ substituted
 *    between its markers, for instructors and for running the notebooks in tests;
 *  - the student release (`npm run release -- OUT`): notebooks with stubs, no markers and no outputs,
 *    plus lib, datasets and the project files; never solutions/ or hidden tests;
 *  - a Gradescope autograder bundle (`npm run gradescope -- OUT`): the project with solutions and hidden
 *    tests, setup.sh and run_autograder, as a folder and a zip.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import {
  BEGIN_SOLUTION,
  cellSource,
  exerciseId,
  nbgraderChecksum,
  nbgraderMeta,
  parseNotebook,
  regionBodies,
  replaceRegions,
  setCellSource,
  solutionRegions,
  stubLine,
  type Notebook,
} from "./notebook";
import { defaultPaths, type GraderPaths } from "./spec";

function notebookFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

function writeNotebook(file: string, nb: Notebook): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
}

function clearOutputs(nb: Notebook): void {
  for (const c of nb.cells) {
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
}

/** The notebook with every exercise's reference solution between its markers. Throws listing what is missing. */
export function solveNotebook(nb: Notebook, stem: string, solutionsDir: string): Notebook {
  const out = structuredClone(nb);
  const problems: string[] = [];
  for (const cell of out.cells) {
    const id = exerciseId(cell);
    if (!id) continue;
    const file = path.join(solutionsDir, stem, `${id}.ts`);
    if (!fs.existsSync(file)) {
      problems.push(`${stem}/${id}: reference solution ${file} is missing`);
      continue;
    }
    try {
      setCellSource(cell, replaceRegions(cellSource(cell), regionBodies(fs.readFileSync(file, "utf8")), true));
    } catch (e) {
      problems.push(`${stem}/${id}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
  return out;
}

/**
 * Solved notebooks import `mbrl/*`, which the course kernel resolves from the node_modules of the
 * folder it runs in or one above it: a folder outside the project has none. Refuse with the way out.
 */
export function assertInsideProject(root: string, outDir: string, command: string): void {
  const rel = path.relative(path.resolve(root), path.resolve(outDir));
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new Error(
      `${outDir} is outside the project (${root}): notebooks there cannot import mbrl/* (the kernel finds the ` +
        `library in the project's node_modules). Choose a folder inside the project, e.g. \`npm run ${command} -- build/solved\`, ` +
        "or make a self-contained copy with `npm run release -- DIR` (it has its own `npm install`).",
    );
  }
}

/**
 * Writes solved copies of all notebooks to `outDir`; returns the files written. The folder must let the
 * kernel find `mbrl/*` (inside the project, or a release with its own install): `npm run solve` checks
 * a folder given by a user with `assertInsideProject`.
 */
export function solveNotebooks(outDir: string, paths: GraderPaths = defaultPaths()): string[] {
  const written: string[] = [];
  for (const file of notebookFiles(paths.notebooksDir)) {
    const stem = path.basename(file, ".ipynb");
    const nb = solveNotebook(parseNotebook(fs.readFileSync(file, "utf8")), stem, paths.solutionsDir);
    const dest = path.join(outDir, path.basename(file));
    writeNotebook(dest, nb);
    written.push(dest);
  }
  return written;
}

/**
 * The student version of a notebook: stub in every solution region (whatever the committed copy held), markers
 * removed, outputs cleared, nbgrader checksums on graded and locked cells, and the notebook's stem recorded
 * so a renamed submission is still recognised.
 */
export function studentNotebook(nb: Notebook, stem: string): Notebook {
  const out = structuredClone(nb);
  clearOutputs(out);
  for (const cell of out.cells) {
    const id = exerciseId(cell);
    if (id) {
      const src = cellSource(cell);
      const n = solutionRegions(src).length;
      if (n === 0) throw new Error(`${stem}/${id}: the exercise cell has no ${BEGIN_SOLUTION} region`);
      setCellSource(cell, replaceRegions(src, new Array(n).fill(stubLine(id)), false));
    }
    const m = nbgraderMeta(cell);
    if (m && (m.solution || m.grade || m.locked)) m.checksum = nbgraderChecksum(cell);
  }
  // The exercises as released: `npm run check` and grading tell a deleted or renamed one from this list.
  const exercises = out.cells.map(exerciseId).filter((id): id is string => !!id);
  out.metadata.mbrl = { ...(out.metadata.mbrl as object | undefined), notebook: stem, exercises };
  return out;
}

function copyTree(src: string, dest: string, skip: (rel: string) => boolean, rel = ""): void {
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    fs.mkdirSync(dest, { recursive: true });
    for (const e of fs.readdirSync(src)) {
      const r = rel ? `${rel}/${e}` : e;
      if (!skip(r)) copyTree(path.join(src, e), path.join(dest, e), skip, r);
    }
  } else if (st.isFile()) {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
    fs.chmodSync(dest, st.mode & 0o777);
  }
}

/** Project files both the release and the Gradescope bundle carry (paths relative to the root). */
const PROJECT_FILES = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "README.md",
  "LICENSE",
  ".gitignore",
  ".npmrc",
  "patches",
  "scripts",
  "jupyterlab", // the course's JupyterLab (npm start); its node_modules and built app/ are not copied
  "lib",
  "datasets",
];

const junk = (rel: string) => /(^|\/)(node_modules|\.ipynb_checkpoints|\.git|dist|__pycache__)(\/|$)/.test(rel) || /\.tmp-\d+$/.test(rel);

function copyProjectFiles(root: string, dest: string, extra: string[], outDir: string, skip: (rel: string) => boolean = () => false): void {
  const outAbs = path.resolve(outDir);
  for (const rel of [...PROJECT_FILES, ...extra]) {
    const src = path.join(root, rel);
    if (!fs.existsSync(src)) continue;
    copyTree(
      src,
      path.join(dest, rel),
      (r) => junk(r) || skip(`${rel}/${r}`) || path.resolve(root, rel, r) === outAbs || (rel === "jupyterlab" && r === "app"),
      "",
    );
  }
}

/**
 * What the release carries of test/: the notebook helpers, and the benchmarks the notebooks name
 * (`npm run bench -- pets`); not the grading and hub benchmarks (they need solutions) nor any test file.
 */
const RELEASE_TEST_DIRS = ["test/helpers", "test/bench"];
const notInRelease = (rel: string) => rel === "test/bench/grade.ts" || rel === "test/bench/hub.ts" || /\.test\.ts$/.test(rel);

/** The student README (docs/STUDENT-README.md) becomes the release's README.md. */
export const STUDENT_README = "docs/STUDENT-README.md";

function assertOutsideSources(root: string, outDir: string): void {
  const o = path.resolve(outDir);
  for (const d of ["lib", "notebooks", "solutions", "test", "scripts", "datasets"]) {
    const s = path.resolve(root, d);
    if (o === s || o.startsWith(s + path.sep)) throw new Error(`refusing to write into ${d}/ of the project: choose another OUTDIR`);
  }
}

/** Writes the student copy of the course to `outDir`. Returns the notebooks written. */
export function releaseCourse(outDir: string, paths: GraderPaths = defaultPaths()): string[] {
  const root = paths.root;
  assertOutsideSources(root, outDir);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  copyProjectFiles(root, outDir, RELEASE_TEST_DIRS, outDir, notInRelease);
  const readme = path.join(root, STUDENT_README);
  if (!fs.existsSync(readme)) throw new Error(`${STUDENT_README} is missing: the release needs the student README`);
  fs.copyFileSync(readme, path.join(outDir, "README.md"));
  const written: string[] = [];
  for (const file of notebookFiles(paths.notebooksDir)) {
    const stem = path.basename(file, ".ipynb");
    const dest = path.join(outDir, "notebooks", path.basename(file));
    writeNotebook(dest, studentNotebook(parseNotebook(fs.readFileSync(file, "utf8")), stem));
    written.push(dest);
  }
  // Last line of defence: a release must carry no solution regions and no solutions or hidden tests.
  const leaks: string[] = [];
  for (const f of written) if (fs.readFileSync(f, "utf8").includes(BEGIN_SOLUTION)) leaks.push(f);
  for (const d of ["solutions", "test/grading"]) if (fs.existsSync(path.join(outDir, d))) leaks.push(d);
  if (leaks.length) throw new Error(`release would leak solutions: ${leaks.join(", ")}`);
  return written;
}

const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, from /autograder/source, when it builds the autograder image (Ubuntu).
# It installs Node 20 (the grader's sandbox needs Node's permission model) and the course project.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
npm ci --omit=optional --no-audit --no-fund
`;

function runAutograder(paths: GraderPaths): string {
  const rel = (p: string) => path.relative(paths.root, p).split(path.sep).join("/");
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades the notebooks in $ROOT/submission and writes
# $ROOT/results/results.json. AUTOGRADER_ROOT (default /autograder) lets a test point it at a fake tree.
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
node node_modules/tsx/dist/cli.mjs lib/grader/cli.ts grade "$ROOT/submission" \\
  --out "$ROOT/results/grades" --gradescope "$ROOT/results/results.json" --force \\
  --notebooks ${rel(paths.notebooksDir)} --solutions ${rel(paths.solutionsDir)} --specs ${rel(paths.specsDir)}
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  printf '{"score": 0, "output": "The autograder could not run (status %s). Please tell the course staff.", "tests": []}\\n' "$status" \\
    > "$ROOT/results/results.json"
fi
exit 0
`;
}

/** Writes OUT/autograder/ (the bundle's files) and OUT/autograder.zip (what Gradescope takes). */
export function gradescopeBundle(outDir: string, paths: GraderPaths = defaultPaths()): { dir: string; zip: string } {
  const root = paths.root;
  assertOutsideSources(root, outDir);
  for (const [what, p] of [
    ["notebooks", paths.notebooksDir],
    ["solutions", paths.solutionsDir],
    ["specs", paths.specsDir],
  ]) {
    const r = path.relative(root, p);
    if (r.startsWith("..") || path.isAbsolute(r)) throw new Error(`the ${what} folder ${p} must be inside the project ${root}`);
  }
  const dir = path.join(outDir, "autograder");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const rel = (p: string) => path.relative(root, p);
  copyProjectFiles(root, dir, [rel(paths.notebooksDir), rel(paths.solutionsDir), rel(paths.specsDir)], outDir);
  fs.writeFileSync(path.join(dir, "setup.sh"), SETUP_SH, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "run_autograder"), runAutograder(paths), { mode: 0o755 });
  const zip = path.join(outDir, "autograder.zip");
  writeZip(zip, dir);
  return { dir, zip };
}

// ---- a small zip writer (deflate, no zip64), so making the bundle needs no zip tool ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Zips the files under `dir` (paths relative to it), keeping Unix permissions (run_autograder is executable). */
export function writeZip(zipFile: string, dir: string): void {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  // DOS date of 1980-01-01 00:00: fixed, so the same bundle zips to the same bytes.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const rel of listFiles(dir)) {
    const data = fs.readFileSync(path.join(dir, rel));
    const mode = fs.statSync(path.join(dir, rel)).mode & 0o777;
    const deflated = zlib.deflateRawSync(data);
    const name = Buffer.from(rel, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // utf-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    head.writeUInt16LE(20, 6);
    head.writeUInt16LE(0x0800, 8);
    head.writeUInt16LE(8, 10);
    head.writeUInt16LE(dosTime, 12);
    head.writeUInt16LE(dosDate, 14);
    head.writeUInt32LE(crc, 16);
    head.writeUInt32LE(deflated.length, 20);
    head.writeUInt32LE(data.length, 24);
    head.writeUInt16LE(name.length, 28);
    head.writeUInt16LE(0, 30);
    head.writeUInt16LE(0, 32);
    head.writeUInt16LE(0, 34);
    head.writeUInt16LE(0, 36);
    head.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    head.writeUInt32LE(offset, 42);
    locals.push(local, name, deflated);
    central.push(head, name);
    offset += local.length + name.length + deflated.length;
  }
  const cdSize = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  fs.mkdirSync(path.dirname(zipFile), { recursive: true });
  fs.writeFileSync(zipFile, Buffer.concat([...locals, ...central, end]));
}
