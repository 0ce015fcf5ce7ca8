/**
 * Guards against a stale build. Notebooks load the compiled library (dist/), built from lib/ by
 * `npm install`, `npm start` and `npm test`. If lib/ was edited after that, importing the library
 * throws instead of silently running old code.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Hash of every .ts file under `dir`, in sorted path order. */
export function hashSources(dir: string): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  const h = crypto.createHash("sha256");
  for (const f of files) {
    h.update(path.relative(dir, f));
    h.update("\0");
    h.update(fs.readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

let checked = false;

/** Throws if the sources in lib/ differ from what dist/ was built from. Runs once per process. */
export function assertFreshBuild(): void {
  if (checked) return;
  checked = true;
  // Escape hatch for library developers iterating while others edit lib/ (never set in tests or CI).
  if (process.env.MBRL_ALLOW_STALE_BUILD === "1") return;
  // __dirname is dist/core when running the build, lib/core when running sources (vitest, tsx).
  const here = path.basename(path.dirname(__dirname));
  if (here !== "dist") return;
  const root = path.resolve(__dirname, "..", "..");
  const libDir = path.join(root, "lib");
  const stampFile = path.join(root, "dist", "build-stamp.json");
  if (!fs.existsSync(libDir) || !fs.existsSync(stampFile)) return;
  const stamp = JSON.parse(fs.readFileSync(stampFile, "utf8")) as { sourceHash: string };
  if (stamp.sourceHash !== hashSources(libDir)) {
    throw new Error(
      "The course library in dist/ is older than its sources in lib/. Run `npm run build` " +
        "(npm start and npm test do it for you), then restart the kernel.",
    );
  }
}
