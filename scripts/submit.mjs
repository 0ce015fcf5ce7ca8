#!/usr/bin/env node
// A student's submission on the course hub, run as the student from the notebook's terminal:
//   node /PATH/TO/COURSE/scripts/submit.mjs ASSIGNMENT [NOTEBOOK]
// copies NOTEBOOK (default ~/course/ASSIGNMENT.ipynb) into the student's own drop folder of the exchange,
// EXCHANGE/ASSIGNMENT/USER/ (made by the instructor's `npm run hub:release`; mode 0700, nobody else can
// read it), as a new file named by the time (e.g. 2026-12-04T23-59-01.123Z.ipynb): every submission is
// kept, and the instructor's `npm run hub:collect` takes the latest. Save the notebook first (Ctrl-S).
// EXCHANGE is /srv/mbrl-exchange unless $MBRL_EXCHANGE says otherwise.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkAssignmentName, defaultExchange, MAX_NOTEBOOK_BYTES, SUBMISSION, submissionName } from "./exchange.mjs";

function main() {
  const [assignment, notebookArg, extra] = process.argv.slice(2);
  if (!assignment || extra || assignment.startsWith("-")) throw new Error("usage: submit ASSIGNMENT [NOTEBOOK], e.g. submit 05-pets");
  checkAssignmentName(assignment);
  const user = os.userInfo().username;
  const notebook = path.resolve(notebookArg ?? path.join(os.homedir(), "course", `${assignment}.ipynb`));
  let text;
  try {
    if (fs.statSync(notebook).size > MAX_NOTEBOOK_BYTES) throw new Error(`larger than ${MAX_NOTEBOOK_BYTES / 2 ** 20} MB`);
    text = fs.readFileSync(notebook, "utf8");
    const nb = JSON.parse(text);
    if (!Array.isArray(nb?.cells)) throw new Error("it has no cells");
  } catch (e) {
    throw new Error(`${notebook} is not a notebook that can be submitted: ${e.code ?? e.message}`);
  }
  const drop = path.join(defaultExchange(), assignment, user);
  if (!fs.existsSync(drop)) {
    throw new Error(
      `there is no drop folder for you (${user}) for "${assignment}": check the name, or ask your instructor (it is made by npm run hub:release)`,
    );
  }
  const name = submissionName();
  fs.writeFileSync(path.join(drop, name), text, { mode: 0o600, flag: "wx" });
  const all = fs.readdirSync(drop).filter((n) => SUBMISSION.test(n));
  console.log(
    `submitted ${notebook} as ${assignment} at ${name.slice(0, -".ipynb".length)} (${all.length} submission(s) kept; the latest is graded)`,
  );
}

try {
  main();
} catch (e) {
  console.error(`submit: ${e.message}`);
  process.exit(1);
}
