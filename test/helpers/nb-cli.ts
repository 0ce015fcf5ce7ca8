/**
 * `npm run nb -- PATH [--timeout S] [--out FILE]`: execute a notebook in the project kernel and say
 * which cell failed, if any. Exit status 1 on a failure.
 */
import * as path from "path";
import { describeFailure, runNotebook } from "./notebook";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const files = args.filter((a, i) => !a.startsWith("--") && !["--timeout", "--out"].includes(args[i - 1]));
  if (files.length === 0) {
    console.error("usage: npm run nb -- NOTEBOOK.ipynb [...] [--timeout SECONDS] [--out EXECUTED.ipynb]");
    process.exit(2);
  }
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let failed = 0;
  for (const f of files) {
    console.log(`running ${f} ...`);
    const r = await runNotebook(f, {
      cellTimeout: get("--timeout") ? Number(get("--timeout")) : undefined,
      out: get("--out"),
      cwd: path.dirname(path.resolve(f)),
    });
    console.log(describeFailure(f, r));
    if (!r.ok) failed++;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
