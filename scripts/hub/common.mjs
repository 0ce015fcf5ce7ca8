// Shared by the hub's scripts (add-students, exchange): their `--name value` options, and system commands run
// as root that must succeed.
import { spawnSync } from "node:child_process";

/** Removes `name value` from argv and returns the value (undefined when absent); a missing value throws. */
export function takeOption(argv, name) {
  const at = argv.indexOf(name);
  if (at < 0) return undefined;
  const v = argv[at + 1];
  if (!v || v.startsWith("--")) throw new Error(`${name} needs a value`);
  argv.splice(at, 2);
  return v;
}

/** Runs a command (with `input` on stdin) and returns its output; a failure throws with the command and its error. */
export function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return r.stdout;
}
