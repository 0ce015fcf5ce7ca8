/**
 * `npm run datasets`: (re)writes every dataset of datasets/ (CSV + manifest) from the recipes in
 * build.ts. The output is byte-for-byte the same on every run; `--check` only compares and exits 1 on
 * any difference (what the test suite also verifies).
 */
import * as fs from "fs";
import * as path from "path";
import { buildDataset, DATASET_NAMES, manifestText } from "./build";
import { datasetsDir } from "./index";

export function generateAll(dir = datasetsDir(), check = false): string[] {
  const differing: string[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (const name of DATASET_NAMES) {
    const { manifest, csv } = buildDataset(name);
    const files: [string, string][] = [
      [path.join(dir, manifest.file), csv],
      [path.join(dir, `${name}.json`), manifestText(manifest)],
    ];
    for (const [file, text] of files) {
      const same = fs.existsSync(file) && fs.readFileSync(file, "utf8") === text;
      if (!same) differing.push(path.basename(file));
      if (!check && !same) fs.writeFileSync(file, text);
    }
    console.log(`${check ? "checked" : "wrote"} ${name}: ${manifest.n} transitions, ${manifest.bytes} bytes, sha256 ${manifest.sha256.slice(0, 16)}...`);
  }
  return differing;
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  const differing = generateAll(datasetsDir(), check);
  if (check && differing.length > 0) {
    console.error(`datasets differ from their recipes: ${differing.join(", ")} (run npm run datasets)`);
    process.exit(1);
  }
}
