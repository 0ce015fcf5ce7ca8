#!/usr/bin/env node
// The assignment exchange of the course hub (nbgrader's exchange is the model), run as root:
//   npm run hub:release -- ASSIGNMENT [--group G]   the student notebook of ASSIGNMENT (e.g. 05-pets, from the
//        release `npm run release -- build/release` writes) into every student's ~/course/ASSIGNMENT.ipynb,
//        never over a file the student has already; and each student's drop folder for it.
//   npm run hub:collect -- ASSIGNMENT OUTDIR [--group G]   each student's latest submission into
//        OUTDIR/STUDENT/ASSIGNMENT.ipynb, the layout `npm run grade -- OUTDIR` takes.
//   npm run hub:return -- ASSIGNMENT FEEDBACKDIR [--group G]   each student's feedback page (from the grades
//        folder of `npm run grade --out`, or the --return folder of `npm run feedback`) into their
//        ~/course/feedback/ASSIGNMENT.html, mode 0600.
// Options of all three: --group G (the course group, default mbrl-students), --exchange DIR (default
// /srv/mbrl-exchange, or $MBRL_EXCHANGE), --from DIR (the release, default build/release).
// Students submit with scripts/submit.mjs into EXCHANGE/ASSIGNMENT/STUDENT/ (their own, mode 0700; the
// assignment's folder is root's, mode 0711: no student can list, read or change another's submissions).
// Everything written into a home is written by the student's own account (runuser), so nothing a student
// puts in their home (a symbolic link, say) can turn root's write elsewhere; everything root reads from a
// drop folder is opened without following links.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { run, takeOption } from "./hub/common.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const ASSIGNMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A submission's name: the UTC time it was made, with the colons a file name cannot always hold. */
export const SUBMISSION = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.ipynb$/;
export const MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024;
export const defaultExchange = () => process.env.MBRL_EXCHANGE || "/srv/mbrl-exchange";

/** The file name of a submission made at `date`; names sort in time order. */
export function submissionName(date = new Date()) {
  return date.toISOString().replace(/:/g, "-") + ".ipynb";
}

/** The time a submission file name stands for. */
export function submissionTime(name) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d)-(\d\d)-(\d\d\.\d{3}Z)\.ipynb$/.exec(name);
  return m ? new Date(`${m[1]}:${m[2]}:${m[3]}`) : null;
}

export function checkAssignmentName(name) {
  if (!ASSIGNMENT.test(name || "")) throw new Error(`"${name}" is not an assignment name (letters, digits, _ . -, e.g. 05-pets)`);
}

/** The assignments of a release: the stems of its notebooks/*.ipynb. */
export function knownAssignments(from) {
  const dir = path.join(from, "notebooks");
  if (!fs.existsSync(dir))
    throw new Error(`${dir} does not exist: make the release first (npm run release -- ${path.relative(root, from) || from})`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.slice(0, -".ipynb".length))
    .sort();
}

/** The members of a unix group, [{ user, uid, gid, home }], sorted by name. */
export function groupMembers(group) {
  const g = spawnSync("getent", ["group", group], { encoding: "utf8" });
  if (g.status !== 0) throw new Error(`the group ${group} does not exist (npm run hub:add-students makes it; --group names another)`);
  const names = (g.stdout.trim().split(":")[3] || "").split(",").filter(Boolean);
  return names.sort().map((user) => {
    const [, , uid, gid, , home] = run("getent", ["passwd", user]).trim().split(":");
    if (!USER_NAME.test(user)) throw new Error(`group ${group}: "${user}" is not a user name this exchange takes`);
    return { user, uid: Number(uid), gid: Number(gid), home };
  });
}

/** Runs a shell snippet as `user` (its own rights, umask 077), with `input` on stdin. */
function asUser(user, script, args, input) {
  return spawnSync("runuser", ["-u", user, "--", "sh", "-c", `umask 077; ${script}`, "sh", ...args], {
    encoding: input === undefined ? "utf8" : undefined,
    input,
  });
}

/** A folder root owns (mode `mode`); refuses a symbolic link or a file in its place. */
function rootDir(dir, mode) {
  fs.mkdirSync(dir, { recursive: true, mode });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  fs.chownSync(dir, 0, 0);
  fs.chmodSync(dir, mode);
}

export function release(assignment, { group, exchange, from, log = console.log }) {
  checkAssignmentName(assignment);
  const known = knownAssignments(from);
  if (!known.includes(assignment))
    throw new Error(`no assignment "${assignment}" in the release ${from}; the assignments are: ${known.join(", ")}`);
  const notebook = fs.readFileSync(path.join(from, "notebooks", `${assignment}.ipynb`));
  const students = groupMembers(group);
  if (!students.length) throw new Error(`the group ${group} has no members: add students first (npm run hub:add-students)`);
  rootDir(exchange, 0o755);
  rootDir(path.join(exchange, assignment), 0o711);
  const copied = [];
  const kept = [];
  for (const s of students) {
    // The student's drop folder: theirs alone, inside a folder only root can list.
    const drop = path.join(exchange, assignment, s.user);
    fs.mkdirSync(drop, { recursive: true, mode: 0o700 });
    if (!fs.lstatSync(drop).isDirectory()) throw new Error(`${drop} is not a folder`);
    fs.chownSync(drop, s.uid, s.gid);
    fs.chmodSync(drop, 0o700);
    // Written as the student; noclobber (set -C) keeps a file they already have.
    const dest = path.join(s.home, "course", `${assignment}.ipynb`);
    const r = asUser(
      s.user,
      'mkdir -p "$1" && if [ -e "$2" ]; then exit 3; fi && set -C && cat > "$2"',
      [path.dirname(dest), dest],
      notebook,
    );
    if (r.status === 3) kept.push(s.user);
    else if (r.status === 0) copied.push(s.user);
    else throw new Error(`could not write ${dest} as ${s.user}: ${String(r.stderr || r.error?.message).trim()}`);
  }
  log(
    `[hub:release] ${assignment}: copied to ${copied.length} student(s) as ~/course/${assignment}.ipynb` +
      (kept.length ? `; ${kept.length} already had it and kept their copy (${kept.join(", ")})` : ""),
  );
  return { copied, kept };
}

/** The newest submission in a drop folder, opened without following links: { name, data } or null. */
function latestSubmission(drop, warn) {
  let names;
  try {
    names = fs.readdirSync(drop);
  } catch {
    return null;
  }
  for (const name of names
    .filter((n) => SUBMISSION.test(n))
    .sort()
    .reverse()) {
    const file = path.join(drop, name);
    let fd;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (e) {
      warn(`${file}: not read (${e.code}), skipped`);
      continue;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1 || st.size > MAX_NOTEBOOK_BYTES) {
        warn(`${file}: not a plain file of at most ${MAX_NOTEBOOK_BYTES / 2 ** 20} MB, skipped`);
        continue;
      }
      return { name, data: fs.readFileSync(fd) };
    } finally {
      fs.closeSync(fd);
    }
  }
  return null;
}

export function collect(assignment, outDir, { group, exchange, log = console.log, warn = console.error }) {
  checkAssignmentName(assignment);
  const dir = path.join(exchange, assignment);
  if (!fs.existsSync(dir))
    throw new Error(`no submissions of "${assignment}": ${dir} does not exist (was it released with npm run hub:release?)`);
  const students = groupMembers(group);
  const got = [];
  for (const s of students) {
    const latest = latestSubmission(path.join(dir, s.user), warn);
    if (latest) got.push({ ...s, ...latest });
  }
  if (!got.length) throw new Error(`no submissions of "${assignment}" from any of the ${students.length} student(s) of ${group}`);
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(outDir, 0o700);
  for (const g of got) {
    const dest = path.join(outDir, g.user, `${assignment}.ipynb`);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.rmSync(dest, { force: true });
    fs.writeFileSync(dest, g.data, { mode: 0o600, flag: "wx" });
    // The submission time as the file's time: `npm run grade -- --deadline` flags late ones by it.
    const t = submissionTime(g.name);
    fs.utimesSync(dest, t, t);
  }
  const missing = students.filter((s) => !got.some((g) => g.user === s.user)).map((s) => s.user);
  log(
    `[hub:collect] ${assignment}: ${got.length} submission(s) in ${outDir} (grade them: npm run grade -- ${outDir})` +
      (missing.length ? `; none from ${missing.length}: ${missing.join(", ")}` : ""),
  );
  return { collected: got.map((g) => g.user), missing };
}

/** The feedback page of one student: from a grades folder (feedback.json) or a `npm run feedback --return` folder. */
function feedbackPage(feedbackDir, assignment, user) {
  const index = path.join(feedbackDir, "feedback.json");
  if (fs.existsSync(index)) {
    const entries = JSON.parse(fs.readFileSync(index, "utf8"));
    const e = entries.find((x) => x.submission === `${user}/${assignment}`);
    return e && fs.existsSync(e.page) ? e.page : null;
  }
  const page = path.join(feedbackDir, user, `${assignment}.feedback.html`);
  return fs.existsSync(page) ? page : null;
}

export function giveBack(assignment, feedbackDir, { group, log = console.log }) {
  checkAssignmentName(assignment);
  if (!fs.existsSync(feedbackDir) || !fs.statSync(feedbackDir).isDirectory())
    throw new Error(`${feedbackDir} is not a folder: give the --out folder of npm run grade (or the --return folder of npm run feedback)`);
  const students = groupMembers(group);
  const returned = [];
  const without = [];
  for (const s of students) {
    const page = feedbackPage(feedbackDir, assignment, s.user);
    if (!page) {
      without.push(s.user);
      continue;
    }
    const dest = path.join(s.home, "course", "feedback", `${assignment}.html`);
    const r = asUser(
      s.user,
      'mkdir -p "$1" && cat > "$2.tmp" && chmod 600 "$2.tmp" && mv -f "$2.tmp" "$2"',
      [path.dirname(dest), dest],
      fs.readFileSync(page),
    );
    if (r.status !== 0) throw new Error(`could not write ${dest} as ${s.user}: ${String(r.stderr || r.error?.message).trim()}`);
    returned.push(s.user);
  }
  if (!returned.length) throw new Error(`no feedback page of "${assignment}" for any student of ${group} in ${feedbackDir}`);
  log(
    `[hub:return] ${assignment}: feedback in ~/course/feedback/${assignment}.html of ${returned.length} student(s)` +
      (without.length ? `; no page for ${without.length}: ${without.join(", ")}` : ""),
  );
  return { returned, without };
}

const USAGE = `usage (as root):
  npm run hub:release -- ASSIGNMENT [--group G]
  npm run hub:collect -- ASSIGNMENT OUTDIR [--group G]
  npm run hub:return -- ASSIGNMENT FEEDBACKDIR [--group G]
  options: --group G (default mbrl-students), --exchange DIR (default /srv/mbrl-exchange), --from RELEASE (default build/release)`;

function main() {
  const [cmd, ...argv] = process.argv.slice(2);
  const opt = (name) => takeOption(argv, name);
  const group = opt("--group") ?? "mbrl-students";
  const exchange = path.resolve(opt("--exchange") ?? defaultExchange());
  const from = path.resolve(root, opt("--from") ?? "build/release");
  const unknown = argv.find((a) => a.startsWith("--"));
  if (unknown) throw new Error(`unknown option ${unknown}\n${USAGE}`);
  const want = { release: 1, collect: 2, return: 2 }[cmd];
  if (!want || argv.length !== want) throw new Error(USAGE);
  if (process.getuid() !== 0)
    throw new Error(`the exchange writes into every student's home: run it as root (sudo npm run hub:${cmd} -- ...)`);
  if (cmd === "release") release(argv[0], { group, exchange, from });
  else if (cmd === "collect") collect(argv[0], path.resolve(argv[1]), { group, exchange });
  else giveBack(argv[0], path.resolve(argv[1]), { group });
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  try {
    main();
  } catch (e) {
    console.error(`npm run hub:${process.argv[2] ?? "exchange"}: ${e.message}`);
    process.exit(1);
  }
}
