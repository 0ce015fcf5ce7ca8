#!/usr/bin/env node
// `npm run hub:add-students -- ROSTER.csv [--group NAME] [--passwords OUT.csv]`: makes a unix account
// for each student of a roster, for the course hub (`npm run hub`). Run as root.
//   ROSTER.csv    the user name in the first column, one student a line (the roster format of
//                 `npm run grade -- --roster`: a header such as "username" and # comments are skipped);
//                 a second column, when there, is the student's full name.
//   --group NAME  the unix group of the course's students, made if missing (default mbrl-students; the
//                 hub config's studentsGroup): only its members may log in to the hub.
//   --passwords OUT.csv  gives each new account a random password and writes "username,password"
//                 lines to OUT.csv (mode 0600, must not exist yet) to hand to the students; without it
//                 the accounts have no password until you set one (`passwd NAME`).
// Each account gets its own home (/home/NAME, mode 0700: no other student can read it) and a bash
// shell. The whole roster is checked before anyone is made: a duplicate or invalid user name, or a
// name taken by an account that is not already one of the course's students, stops it with an error
// naming the line. Students who already have an account in the group are left as they are.
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
// The roster's CSV reading is the grader's (lib/grader/roster.ts, built into dist/ by npm install).
import roster from "../dist/grader/roster.js";
import { run, takeOption } from "./hub/common.mjs";

const { csvCells } = roster;

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const HEADER = /^(student|id|name|login|username|user)$/i;

/**
 * The students of a roster's text: [{ user, fullName, line }]. Throws one error listing every bad
 * line (invalid or duplicate user names), so nothing is made from a roster with a mistake in it.
 */
export function parseStudentRoster(text, file = "roster") {
  const students = [];
  const errors = [];
  const seen = new Map();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (!raw.trim() || raw.trimStart().startsWith("#")) continue;
    const [user, fullName = ""] = csvCells(raw);
    if (students.length === 0 && errors.length === 0 && HEADER.test(user)) continue;
    const line = i + 1;
    if (!USER_NAME.test(user)) {
      errors.push(
        `line ${line}: "${user}" is not a valid user name (lower-case letters, digits, _ and -, starting with a letter or _, at most 32 characters)`,
      );
    } else if (seen.has(user)) {
      errors.push(`line ${line}: "${user}" is listed twice (also on line ${seen.get(user)})`);
    } else {
      seen.set(user, line);
      students.push({ user, fullName: fullName.replace(/[:,\s]+/g, " ").trim(), line });
    }
  }
  if (errors.length) throw new Error(`${file}: ${errors.length} bad line(s), no account was made:\n  ${errors.join("\n  ")}`);
  if (!students.length) throw new Error(`${file} lists no students`);
  return students;
}

/** uid and groups of an existing user, or null. */
function account(user) {
  const r = spawnSync("id", [user], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const uid = Number(/uid=(\d+)/.exec(r.stdout)?.[1]);
  const groups = [...r.stdout.matchAll(/\d+\(([^)]+)\)/g)].map((m) => m[1]);
  return { uid, groups };
}

function main() {
  const argv = process.argv.slice(2);
  const opt = (name) => takeOption(argv, name);
  const group = opt("--group") ?? "mbrl-students";
  const passwordsFile = opt("--passwords");
  if (argv.length !== 1 || argv[0].startsWith("--"))
    throw new Error("usage: npm run hub:add-students -- ROSTER.csv [--group NAME] [--passwords OUT.csv]");
  const rosterFile = argv[0];
  if (!USER_NAME.test(group)) throw new Error(`--group: "${group}" is not a valid group name`);
  if (process.getuid() !== 0) throw new Error("making accounts needs root: sudo npm run hub:add-students -- ROSTER.csv");
  let text;
  try {
    text = fs.readFileSync(rosterFile, "utf8");
  } catch (e) {
    throw new Error(`cannot read the roster ${rosterFile}: ${e.message}`);
  }
  const students = parseStudentRoster(text, rosterFile);
  if (passwordsFile && fs.existsSync(passwordsFile))
    throw new Error(`--passwords: ${passwordsFile} exists already (it would be overwritten); choose a new file`);

  // Check every name against the existing accounts before making any.
  const taken = [];
  const toMake = [];
  for (const s of students) {
    const a = account(s.user);
    if (!a) toMake.push(s);
    else if (!a.groups.includes(group))
      taken.push(
        `line ${s.line}: "${s.user}" is already an account of this machine (uid ${a.uid}) and not in the group ${group}; choose another name (or add that account yourself: usermod -aG ${group} ${s.user})`,
      );
  }
  if (taken.length) throw new Error(`${rosterFile}: no account was made:\n  ${taken.join("\n  ")}`);

  if (spawnSync("getent", ["group", group]).status !== 0) {
    run("groupadd", [group]);
    console.log(`made the group ${group}`);
  }
  const passwords = [];
  for (const s of toMake) {
    run("useradd", ["--create-home", "--shell", "/bin/bash", "--user-group", "--groups", group, "--comment", s.fullName, s.user]);
    const home = run("getent", ["passwd", s.user]).split(":")[5];
    fs.chmodSync(home, 0o700);
    if (passwordsFile) {
      const pw = crypto.randomBytes(9).toString("base64url");
      run("chpasswd", [], `${s.user}:${pw}\n`);
      passwords.push(`${s.user},${pw}`);
    }
    console.log(`made ${s.user} (home ${home}, mode 0700)`);
  }
  if (passwordsFile) fs.writeFileSync(passwordsFile, ["username,password", ...passwords].join("\n") + "\n", { mode: 0o600, flag: "wx" });
  const kept = students.length - toMake.length;
  console.log(
    `${toMake.length} account(s) made, ${kept} already there and left as they are, group ${group}.` +
      (passwordsFile
        ? ` Passwords of the new accounts: ${passwordsFile} (mode 0600).`
        : toMake.length
          ? " No passwords set: set each with `passwd NAME`."
          : ""),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  try {
    main();
  } catch (e) {
    console.error(`npm run hub:add-students: ${e.message}`);
    process.exit(1);
  }
}
