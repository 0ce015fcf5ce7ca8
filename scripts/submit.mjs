#!/usr/bin/env node
// A student's submission on the course hub, run as the student:
//   node /PATH/TO/COURSE/scripts/submit.mjs ASSIGNMENT [NOTEBOOK]     (from the notebook's terminal)
//   node /PATH/TO/COURSE/scripts/submit.mjs --notebook FILE [--json]  (the Submit button of the Notebook page,
//        scripts/hub/notebook/mbrl_submit.py: FILE must be a released ~/course/ASSIGNMENT.ipynb)
// copies NOTEBOOK (default ~/course/ASSIGNMENT.ipynb) into the student's own drop folder of the exchange,
// EXCHANGE/ASSIGNMENT/USER/ (made by the instructor's `npm run hub:release`; mode 0700, nobody else can
// read it), as a new file named by the time (e.g. 2026-12-04T23-59-01.123Z.ipynb): every submission is
// kept, and the instructor's `npm run hub:collect` takes the latest. Save the notebook first (Ctrl-S; the
// button saves it). With --json the outcome is one JSON line on stdout, {"ok": true, "assignment", "file",
// "kept", "message"} or {"ok": false, "error"}, for the button to show.
// EXCHANGE is /srv/mbrl-exchange unless $MBRL_EXCHANGE says otherwise.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { checkAssignmentName, defaultExchange, MAX_NOTEBOOK_BYTES, SUBMISSION, submissionName } from "./exchange.mjs";

const USAGE = "usage: submit ASSIGNMENT [NOTEBOOK] (e.g. submit 05-pets), or submit --notebook ~/course/ASSIGNMENT.ipynb [--json]";

/**
 * The assignment a notebook file is: its name, when it is a released ~/course/NAME.ipynb of `home`.
 * The Submit button sends whatever notebook its page shows, so anything else is refused, named.
 */
export function assignmentOfNotebook(file, home = os.homedir()) {
  const abs = path.resolve(file);
  if (!abs.endsWith(".ipynb")) throw new Error(`${abs} is not a notebook (.ipynb), so it cannot be submitted`);
  const courseDir = path.join(home, "course");
  if (path.dirname(abs) !== courseDir)
    throw new Error(
      `${abs} is not a course assignment: only the notebooks your instructor released into ${courseDir}/ (such as ${courseDir}/05-pets.ipynb) can be submitted`,
    );
  const name = path.basename(abs, ".ipynb");
  checkAssignmentName(name);
  return name;
}

/**
 * Copies `notebook` into the user's drop folder of `assignment` as a new timestamped file; what was done.
 * Throws, naming the problem, on a file that is not a notebook and on a missing drop folder.
 */
export function submit(assignment, notebook, { user = os.userInfo().username, exchange = defaultExchange(), now = new Date() } = {}) {
  checkAssignmentName(assignment);
  let text;
  try {
    if (fs.statSync(notebook).size > MAX_NOTEBOOK_BYTES) throw new Error(`larger than ${MAX_NOTEBOOK_BYTES / 2 ** 20} MB`);
    text = fs.readFileSync(notebook, "utf8");
    const nb = JSON.parse(text);
    if (!Array.isArray(nb?.cells)) throw new Error("it has no cells");
  } catch (e) {
    throw new Error(`${notebook} is not a notebook that can be submitted: ${e.code ?? e.message}`);
  }
  const drop = path.join(exchange, assignment, user);
  if (!fs.existsSync(drop)) {
    throw new Error(
      `there is no drop folder for you (${user}) for "${assignment}": check the name, or ask your instructor (it is made by npm run hub:release)`,
    );
  }
  const file = submissionName(now);
  fs.writeFileSync(path.join(drop, file), text, { mode: 0o600, flag: "wx" });
  const kept = fs.readdirSync(drop).filter((n) => SUBMISSION.test(n)).length;
  const message = `submitted ${notebook} as ${assignment} at ${file.slice(0, -".ipynb".length)} (${kept} submission(s) kept; the latest is graded)`;
  return { assignment, file, kept, message };
}

function main(argv) {
  const json = argv.includes("--json");
  const args = argv.filter((a) => a !== "--json");
  const report = (r) => console.log(json ? JSON.stringify({ ok: true, ...r }) : r.message);
  try {
    if (args[0] === "--notebook") {
      if (args.length !== 2) throw new Error(USAGE);
      report(submit(assignmentOfNotebook(args[1]), path.resolve(args[1])));
    } else {
      const [assignment, notebookArg, extra] = args;
      if (!assignment || extra || assignment.startsWith("-")) throw new Error(USAGE);
      checkAssignmentName(assignment);
      report(submit(assignment, path.resolve(notebookArg ?? path.join(os.homedir(), "course", `${assignment}.ipynb`))));
    }
  } catch (e) {
    if (json) console.log(JSON.stringify({ ok: false, error: e.message }));
    else console.error(`submit: ${e.message}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) main(process.argv.slice(2));
