#!/usr/bin/env node
// The import check of ARCHITECTURE.md: reads every import of lib/ (static `import`/`export ... from`,
// dynamic `import()` and `require()` of relative paths), then fails when
//   1. a module of lib/X imports a module of lib/Y that X's layer may not import (the table below), or
//   2. the runtime imports between lib/'s files form a cycle (a type-only import is erased by the
//      compiler and cannot make a module see another half-loaded; it still counts for the layers).
// `npm run lint` runs it; `node scripts/check-imports.mjs --graph` prints the package graph.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ts = require("typescript");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lib = path.join(root, "lib");

// What each package of lib/ may import (besides itself). Keep in step with ARCHITECTURE.md.
const FOUNDATION = ["core", "linalg"];
const PARTS = [...FOUNDATION, "optim", "nn", "envs", "models"];
const ALLOWED = {
  core: [],
  linalg: ["core"],
  optim: FOUNDATION,
  nn: FOUNDATION,
  envs: FOUNDATION,
  models: [...FOUNDATION, "optim", "nn", "envs"],
  planners: PARTS,
  control: PARTS,
  // Algorithms: built from the parts and the planners/controllers, never from each other, except GPS,
  // which is built on the controllers (iLQR, linear-Gaussian) of lib/control.
  mbrl: [...PARTS, "planners", "control"],
  pets: [...PARTS, "planners", "control"],
  dyna: [...PARTS, "planners", "control"],
  pilco: [...PARTS, "planners", "control"],
  gps: [...PARTS, "planners", "control"],
  // Course tooling on the side.
  viz: FOUNDATION,
  exercise: FOUNDATION,
  datasets: [...PARTS],
  grader: ["core"],
};
const TOP_LEVEL = ["index.ts"]; // lib/index.ts: the convenience entry, may import any package

function listFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (/\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function resolve(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const c of [base, `${base}.ts`, path.join(base, "index.ts")]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return null;
}

/** Relative imports of one file: { spec, typeOnly } (import/export declarations, import(), require()). */
function importsOf(file) {
  const text = fs.readFileSync(file, "utf8");
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false);
  const typeOnly = new Map(); // spec -> true while every static import of it is type-only
  for (const st of src.statements) {
    let spec = null;
    let only = false;
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      spec = st.moduleSpecifier.text;
      const c = st.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      only = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      spec = st.moduleSpecifier.text;
      only = st.isTypeOnly;
    }
    if (spec !== null) typeOnly.set(spec, (typeOnly.get(spec) ?? true) && only);
  }
  const all = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  const specs = [...new Set([...all, ...typeOnly.keys()])].filter((s) => s.startsWith("."));
  return specs.map((spec) => ({ spec, typeOnly: typeOnly.get(spec) ?? false }));
}

const files = listFiles(lib);
const graph = new Map(); // file -> resolved files it imports at run time
const allDeps = new Map(); // file -> every resolved file it imports (types included)
const problems = [];
const pkgOf = (file) => path.relative(lib, file).split(path.sep)[0];
for (const file of files) {
  const deps = [];
  const every = [];
  for (const { spec, typeOnly } of importsOf(file)) {
    const target = resolve(file, spec);
    if (!target) continue; // not a source file of lib (e.g. JSON, a package's subpath): the compiler checks those
    if (!target.startsWith(lib + path.sep)) {
      problems.push(`${path.relative(root, file)}: imports ${spec}, outside lib/ (the library must stand alone)`);
      continue;
    }
    every.push(target);
    if (!typeOnly) deps.push(target);
    const from = pkgOf(file);
    const to = pkgOf(target);
    if (TOP_LEVEL.includes(from) || from === to) continue;
    const allowed = ALLOWED[from];
    if (!allowed) problems.push(`${path.relative(root, file)}: package lib/${from} is not in the layer table of scripts/check-imports.mjs`);
    else if (!allowed.includes(to)) {
      problems.push(`${path.relative(root, file)}: lib/${from} may not import lib/${to} (${spec}); see ARCHITECTURE.md`);
    }
  }
  graph.set(file, deps);
  allDeps.set(file, every);
}

// Cycles between files: depth-first search, reporting each cycle once.
const state = new Map(); // 1 = on the stack, 2 = done
const stack = [];
const seen = new Set();
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const g of graph.get(f) ?? []) {
    if (state.get(g) === 1) {
      const cycle = stack.slice(stack.indexOf(g)).map((x) => path.relative(root, x));
      const key = [...cycle].sort().join("|");
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
      }
    } else if (!state.has(g)) visit(g);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of files) if (!state.has(f)) visit(f);

if (process.argv.includes("--graph")) {
  const pk = new Map();
  for (const [f, deps] of allDeps) {
    const from = pkgOf(f);
    if (!pk.has(from)) pk.set(from, new Set());
    for (const d of deps) if (pkgOf(d) !== from) pk.get(from).add(pkgOf(d));
  }
  for (const [p, deps] of [...pk].sort()) console.log(`${p}: ${[...deps].sort().join(" ")}`);
}

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files of lib/, layers respected, no import cycles`);
