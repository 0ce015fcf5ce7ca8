/**
 * `npm run bench -- NAME [args]`: runs the benchmark test/bench/NAME.ts. Each benchmark prints progress
 * and, as its last line, one JSON object of its figures.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { benchmarkNames } from "./list";

const [name, ...rest] = process.argv.slice(2);
const available = benchmarkNames();
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]\nbenchmarks: ${available.join(", ")}`);
  process.exit(2);
}
const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
const r = spawnSync(tsx, [path.join(__dirname, `${name}.ts`), ...rest], { stdio: "inherit" });
process.exit(r.status ?? 1);
