// Command-line options of the hub's scripts (add-students, exchange): `--name value` pairs.

/** Removes `name value` from argv and returns the value (undefined when absent); a missing value throws. */
export function takeOption(argv, name) {
  const at = argv.indexOf(name);
  if (at < 0) return undefined;
  const v = argv[at + 1];
  if (!v || v.startsWith("--")) throw new Error(`${name} needs a value`);
  argv.splice(at, 2);
  return v;
}
