/** Grading a class end to end: a folder into a gradebook, and the Gradescope bundle run on a fake /autograder. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { cellSource, type Notebook } from "../../lib/grader/notebook";
import { PROJECT_ROOT } from "../../lib/grader/spec";
import type { GradescopeResults } from "../../lib/grader/report";
import {
  cli,
  FIXTURE_FLAGS,
  FIXTURES,
  makeSubmission,
  readNotebook,
  referenceBodies,
  removeTmpDirs,
  run,
  tmpDir,
  writeNotebook,
} from "./helpers";

afterAll(removeTmpDirs);

const root = PROJECT_ROOT;

describe.concurrent("npm run grade, a folder", () => {
  const trusted = readNotebook(path.join(FIXTURES, "notebooks", "99-fixture.ipynb"));
  const ref = {
    "scaled-sum": { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "scaled-sum.ts")) },
    normalise: { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "normalise.ts")) },
  };

  it("grades a folder into a gradebook, one row per submission whatever goes wrong, and skips what is graded", async () => {
    const dir = tmpDir("batch");
    const subs = path.join(dir, "submitted");
    const out = path.join(dir, "grades");
    writeNotebook(path.join(subs, "alice.ipynb"), makeSubmission(trusted, ref));
    writeNotebook(
      path.join(subs, "bob.ipynb"),
      makeSubmission(trusted, { ...ref, normalise: { body: "return xs.map((x) => x / xs.length);" } }),
    );
    fs.writeFileSync(path.join(subs, "carol.ipynb"), "{ this is not a notebook");
    writeNotebook(path.join(subs, "dave.ipynb"), makeSubmission(trusted, { ...ref, normalise: { body: "while (true) {}" } }));
    const other: Notebook = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", source: "1 + 1", metadata: {} }] };
    writeNotebook(path.join(subs, "eve.ipynb"), other);
    const frank = makeSubmission(trusted, ref);
    frank.cells.find((c) => cellSource(c).startsWith("if (normalise"))!.source = "// the check was in my way";
    writeNotebook(path.join(subs, "group-b", "frank.ipynb"), frank);

    const r = await cli(["grade", subs, "--out", out, "--timeout", "2000", ...FIXTURE_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[grade\] 6\/6 /);
    const csv = fs.readFileSync(path.join(out, "gradebook.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("submission,notebook,score,max_score,scaled-sum,normalise,status,reason,locked_cells_changed,graded_at,sha256");
    const row = (name: string) => csv.find((l) => l.startsWith(`${name},`))!;
    expect(csv.length).toBe(7);
    expect(row("alice")).toMatch(/^alice,99-fixture,5,5,3,2,graded,,,/);
    expect(row("bob")).toMatch(/^bob,99-fixture,3,5,3,0,graded,,,/);
    expect(row("carol")).toMatch(/^carol,,0,0,,,error,malformed notebook: not valid JSON/);
    expect(row("dave")).toMatch(/^dave,99-fixture,3,5,3,0,graded,"normalise: timeout: timed out after 2\.0 s/);
    expect(row("eve")).toMatch(/^eve,,0,0,,,error,"could not tell which course notebook/);
    expect(row("group-b/frank")).toMatch(/^group-b\/frank,99-fixture,5,5,3,2,graded,,locked cell normalise-check was changed/);

    const gs = JSON.parse(fs.readFileSync(path.join(out, "bob", "results.json"), "utf8")) as GradescopeResults;
    expect(gs.score).toBe(3);
    expect(gs.tests.map((t) => [t.name, t.max_score])).toEqual([
      ["99-fixture: scaled-sum", 3],
      ["99-fixture: normalise", 2],
    ]);
    expect(gs.tests[1].output).toMatch(/First failing check/);
    for (const t of gs.tests) expect(t.visibility).toBe("visible");
    expect(typeof gs.execution_time).toBe("number");
    expect(fs.readFileSync(path.join(out, "dave", "report.txt"), "utf8")).toMatch(/timeout: timed out/);

    const again = await cli(["grade", subs, "--out", out, ...FIXTURE_FLAGS]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 graded, 6 unchanged/);
    writeNotebook(path.join(subs, "bob.ipynb"), makeSubmission(trusted, ref));
    const changed = await cli(["grade", subs, "--out", out, ...FIXTURE_FLAGS]);
    expect(changed.stderr).toMatch(/1 graded, 5 unchanged/);
    expect(fs.readFileSync(path.join(out, "gradebook.csv"), "utf8")).toMatch(/\nbob,99-fixture,5,5,3,2,graded/);
    const forced = await cli(["grade", subs, "--out", out, "--force", "--timeout", "2000", ...FIXTURE_FLAGS]);
    expect(forced.stderr).toMatch(/6 graded, 0 unchanged/);
  }, 240_000);
});

describe.concurrent("npm run gradescope", () => {
  it("writes a bundle whose run_autograder grades /autograder/submission into results.json", async () => {
    const out = tmpDir("gradescope");
    const r = await cli(["gradescope", out]);
    expect(r.code, r.stderr).toBe(0);
    const bundle = path.join(out, "autograder");
    for (const f of [
      "setup.sh",
      "run_autograder",
      "lib/grader/cli.ts",
      "solutions",
      "test/grading/specs",
      "notebooks",
      "package-lock.json",
    ]) {
      expect(fs.existsSync(path.join(bundle, f)), f).toBe(true);
    }
    expect(fs.statSync(path.join(bundle, "run_autograder")).mode & 0o111).not.toBe(0);
    const listing = spawnSync("unzip", ["-Z1", path.join(out, "autograder.zip")], { encoding: "utf8" });
    if (listing.status === 0) {
      expect(listing.stdout).toMatch(/^run_autograder$/m);
      expect(listing.stdout).toMatch(/^setup\.sh$/m);
      expect(spawnSync("unzip", ["-tq", path.join(out, "autograder.zip")]).status).toBe(0);
    }

    // A fake /autograder: source = the bundle (with this checkout's node_modules), one student's submission.
    const ag = tmpDir("autograder");
    // Gradescope unzips the bundle into /autograder/source: do the same when unzip exists (it checks the zip,
    // file modes included), else copy the folder.
    const unzipped = spawnSync("unzip", ["-q", path.join(out, "autograder.zip"), "-d", path.join(ag, "source")]);
    if (unzipped.status !== 0) fs.cpSync(bundle, path.join(ag, "source"), { recursive: true });
    expect(fs.statSync(path.join(ag, "source", "run_autograder")).mode & 0o111).not.toBe(0);
    fs.symlinkSync(path.join(root, "node_modules"), path.join(ag, "source", "node_modules"));
    const trusted = readNotebook(path.join(root, "notebooks", "00-welcome.ipynb"));
    const body = referenceBodies(path.join(root, "solutions", "00-welcome", "discounted-return.ts"));
    writeNotebook(path.join(ag, "submission", "00-welcome.ipynb"), makeSubmission(trusted, { "discounted-return": { body } }));
    const autograde = async () => {
      const res = await run("bash", [path.join(ag, "source", "run_autograder")], { AUTOGRADER_ROOT: ag });
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(fs.readFileSync(path.join(ag, "results", "results.json"), "utf8")) as GradescopeResults;
    };
    const good = await autograde();
    // One test per exercise of notebook 00; only discounted-return is solved in this submission.
    expect(good.tests.map((t) => t.name)).toEqual(["00-welcome: discounted-return", "00-welcome: bellman-lookahead"]);
    expect(good.tests[0]).toMatchObject({ name: "00-welcome: discounted-return", score: 2, max_score: 2, visibility: "visible" });
    expect(good.tests[1]).toMatchObject({ score: 0 });
    expect(good.score).toBe(2);

    // A submission that prints a fake results JSON and answers wrongly gets zero.
    const fake = "console.log(JSON.stringify({ score: 1000, tests: [] }));\nprocess.stdout.write('{\"score\": 1000}\\n');\nreturn -1;";
    writeNotebook(path.join(ag, "submission", "00-welcome.ipynb"), makeSubmission(trusted, { "discounted-return": { body: fake } }));
    const bad = await autograde();
    expect(bad.score).toBe(0);
    expect(bad.tests[0].output).toMatch(/First failing check/);

    // No notebook at all: still a results.json, with a message.
    fs.rmSync(path.join(ag, "submission"), { recursive: true });
    fs.mkdirSync(path.join(ag, "submission"));
    const none = await autograde();
    expect(none.score).toBe(0);
    expect(none.output).toMatch(/No notebook/);
  }, 240_000);
});
