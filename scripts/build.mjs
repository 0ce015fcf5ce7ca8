#!/usr/bin/env node
// Compiles lib/ to dist/ (JavaScript + .d.ts) so notebooks can import it as `mbrl/...`, stamps the
// build with a hash of the sources (lib/core/fresh.ts refuses a stale build), links
// node_modules/mbrl -> dist, and writes the project's Jupyter kernelspec. Run by npm install
// (postinstall), npm start, npm test and npm run build. Needs no Python.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const dist = path.join(root, "dist");
const quiet = process.argv.includes("--quiet");
const log = (m) => quiet || console.log(`[build] ${m}`);

// 0. Up to date already? Then only refresh the link and the kernelspec (fast `npm start`/`npm test`).
// The stamp records the sources' hash and the compiler settings; `--force` rebuilds regardless.
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const configHash = createHash("sha256")
  .update(fs.readFileSync(path.join(root, "tsconfig.build.json")))
  .update(fs.readFileSync(path.join(root, "tsconfig.json")))
  .update(pkg.version)
  .update(require("typescript/package.json").version)
  .digest("hex");
function upToDate() {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(dist, "build-stamp.json"), "utf8"));
    const { hashSources } = require(path.join(dist, "core", "fresh.js"));
    return !stamp.typeErrors && stamp.configHash === configHash && stamp.sourceHash === hashSources(path.join(root, "lib"));
  } catch {
    return false;
  }
}

if (!process.argv.includes("--force") && upToDate()) {
  log("dist/ is up to date with lib/");
} else {
  compile();
}

function compile() {
  // 1. Compile into a fresh folder and swap it in, so a kernel or test reading dist/ meanwhile never sees
  // a half-written build, and files of deleted sources do not linger.
  const t0 = Date.now();
  let typeErrors = false;
  const staging = path.join(root, `dist.building-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json"), "--outDir", staging], {
      cwd: root,
      stdio: "inherit",
    });
  } catch {
    // --allow-type-errors (development only): tsc still emitted JavaScript; use it, but say so.
    if (!process.argv.includes("--allow-type-errors") || !fs.existsSync(path.join(staging, "core", "fresh.js"))) {
      fs.rmSync(staging, { recursive: true, force: true });
      console.error("[build] the library does not compile; fix the errors above (npm run typecheck shows them too)");
      process.exit(1);
    }
    console.error("[build] WARNING: type errors above; built anyway because of --allow-type-errors");
    typeErrors = true;
  }

  // 2. Stamp with the hash of the sources, computed by the same function that checks it at import.
  const { hashSources } = require(path.join(staging, "core", "fresh.js"));
  fs.writeFileSync(
    path.join(staging, "build-stamp.json"),
    JSON.stringify({ sourceHash: hashSources(path.join(root, "lib")), configHash, typeErrors, version: pkg.version }, null, 2) + "\n",
  );
  fs.writeFileSync(
    path.join(staging, "package.json"),
    JSON.stringify({ name: "mbrl", version: pkg.version, private: true, main: "index.js", types: "index.d.ts" }, null, 2) + "\n",
  );
  const old = path.join(root, `dist.old-${process.pid}`);
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(staging, dist);
  fs.rmSync(old, { recursive: true, force: true });
  log(`compiled lib/ to dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// 3. node_modules/mbrl -> ../dist, so `import ... from "mbrl/envs"` resolves from notebooks/ in
// tslab (TypeScript's node10 resolution) and in Node alike.
const link = path.join(root, "node_modules", "mbrl");
fs.mkdirSync(path.dirname(link), { recursive: true });
try {
  const st = fs.lstatSync(link);
  if (st.isSymbolicLink() || st.isFile()) fs.unlinkSync(link);
  else fs.rmSync(link, { recursive: true, force: true });
} catch {
  /* not there yet */
}
try {
  fs.symlinkSync(path.join("..", "dist"), link, "dir");
} catch (e) {
  if (e.code !== "EEXIST") throw e; // another build made it meanwhile
}

// 4. A project-local kernelspec named "tslab" that starts this project's pinned tslab with the same
// Node that ran the install. It lives in build/jupyter (made visible through JUPYTER_PATH by npm start
// and the notebook runner), so nothing global is touched.
const specDir = path.join(root, "build", "jupyter", "kernels", "tslab");
fs.mkdirSync(specDir, { recursive: true });
const tslabBin = path.join(root, "node_modules", "tslab", "bin", "tslab");
const kernelJson = {
  argv: [process.execPath, tslabBin, "kernel", "--config-path", "{connection_file}"],
  display_name: "TypeScript (MBRL course)",
  language: "typescript",
  metadata: { debugger: false },
};
fs.writeFileSync(path.join(specDir, "kernel.json"), JSON.stringify(kernelJson, null, 2) + "\n");
log(`kernelspec "tslab" written to ${path.relative(root, specDir)}`);
