/**
 * An instructor's week after the deadline: `npm run grade` on a class folder with a roster and a deadline
 * writes a feedback page per student and notebook and a gradebook with every student (late flags, a row
 * for a student with no submission, a deleted exercise as not attempted); `npm run feedback` hands the
 * pages back. Four submissions: correct, partly wrong, not type-checking, an exercise cell deleted.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { exerciseId } from "../../lib/grader/notebook";
import { lateness, readManifest, readRoster } from "../../lib/grader/roster";
import {
  cli,
  FIXTURE_FLAGS,
  FIXTURES,
  makeSubmission,
  readNotebook,
  referenceBodies,
  removeTmpDirs,
  tmpDir,
  writeNotebook,
} from "./helpers";

afterAll(removeTmpDirs);

const trusted = readNotebook(path.join(FIXTURES, "notebooks", "99-fixture.ipynb"));
const ref = {
  "scaled-sum": { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "scaled-sum.ts")) },
  normalise: { body: referenceBodies(path.join(FIXTURES, "solutions", "99-fixture", "normalise.ts")) },
};

describe("feedback pages, late and missing submissions", () => {
  it("grades a class with a roster and a deadline, writes feedback pages and returns them", async () => {
    const dir = tmpDir("feedback");
    const subs = path.join(dir, "submitted");
    const out = path.join(dir, "grades");
    const files = {
      alice: writeNotebook(path.join(subs, "alice", "99-fixture.ipynb"), makeSubmission(trusted, ref)),
      // Forgot the scale: only the empty list passes.
      bob: writeNotebook(
        path.join(subs, "bob", "99-fixture.ipynb"),
        makeSubmission(trusted, { ...ref, "scaled-sum": { body: "let s = 0;\nfor (const x of xs) s += square(x);\nreturn s;" } }),
      ),
      carol: writeNotebook(
        path.join(subs, "carol", "99-fixture.ipynb"),
        makeSubmission(trusted, { ...ref, normalise: { body: "const total: string = xs.length;\nreturn xs.map((x) => x / total);" } }),
      ),
      dave: (() => {
        const nb = makeSubmission(trusted, ref);
        nb.cells = nb.cells.filter((c) => exerciseId(c) !== "normalise");
        return writeNotebook(path.join(subs, "dave", "99-fixture.ipynb"), nb);
      })(),
    };
    const deadline = new Date(Date.now() - 3600_000);
    const onTime = new Date(deadline.getTime() - 3600_000);
    for (const f of [files.alice, files.carol, files.dave]) fs.utimesSync(f, onTime, onTime);
    const roster = path.join(dir, "roster.csv");
    fs.writeFileSync(roster, "student,name\nalice,Alice A\nbob,Bob B\ncarol,Carol C\ndave,Dave D\nerin,Erin E\n");

    const r = await cli(["grade", subs, "--out", out, "--roster", roster, "--deadline", deadline.toISOString(), ...FIXTURE_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("no submission from 1 student(s) of the roster: erin");
    expect(r.stderr).toContain("1 late submission(s): bob/99-fixture");

    const csv = fs.readFileSync(path.join(out, "gradebook.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("student,submission,notebook,score,max_score,scaled-sum,normalise,status,late,reason,graded_at");
    const row = (s: string) => csv.find((l) => l.startsWith(`${s},`))!;
    expect(row("alice")).toMatch(/^alice,alice\/99-fixture,99-fixture,5,5,3,2,graded,,,/);
    expect(row("bob")).toMatch(/^bob,bob\/99-fixture,99-fixture,2\.50,5,0\.50,2,graded,"submitted .* after the deadline",/);
    expect(row("dave")).toMatch(/^dave,dave\/99-fixture,99-fixture,3,5,3,0,graded,,normalise: not attempted,/);
    expect(row("erin")).toBe("erin,,,0,,0,0,no submission,,no submission found,");

    // One self-contained page per student and notebook.
    const page = (s: string) => fs.readFileSync(path.join(out, s, "99-fixture", "feedback.html"), "utf8");
    expect(page("alice")).toContain("Score: 5 of 5 points.");
    expect(page("alice")).toContain("all 6 hidden tests passed");
    const bob = page("bob");
    expect(bob).toContain("1 of 6 hidden tests passed");
    expect(bob).not.toContain(">0.17<");
    expect(bob).toMatch(
      /first failing test: <b>two numbers<\/b>[\s\S]*<th>input<\/th><td><code>\[\[1,2\]\]|input<\/th><td><code>[^<]*1, ?2/,
    );
    expect(bob).toMatch(/<th>expected<\/th><td><code>10<\/code>/);
    expect(bob).toMatch(/<th>received<\/th><td><code>5<\/code>/);
    // Bob's answer is exactly a listed mutant: the page names the mistake (never the mutant's code).
    expect(bob).toContain("this is what a known mistake gives: forgot the scale");
    expect(bob).not.toContain("s += square(x)");
    expect(bob).toMatch(/Late: submitted .* after the deadline/);
    expect(page("dave")).toContain("not attempted: no exercise cell with this id");
    expect(page("carol")).toContain("normalise");
    for (const s of ["alice", "bob", "carol", "dave"]) {
      expect(page(s)).not.toMatch(/<(script|link|img)\b/); // self-contained, nothing fetched
    }

    // Handed back: next to each submission, or into a return folder.
    const back = await cli(["feedback", out]);
    expect(back.code, back.stderr).toBe(0);
    expect(fs.readFileSync(path.join(subs, "bob", "99-fixture.feedback.html"), "utf8")).toBe(bob);
    const ret = path.join(dir, "return");
    expect((await cli(["feedback", out, "--return", ret])).code).toBe(0);
    expect(fs.readdirSync(ret).sort()).toEqual(["alice", "bob", "carol", "dave"]);
    expect(fs.existsSync(path.join(ret, "dave", "99-fixture.feedback.html"))).toBe(true);
  }, 300_000);

  it("reads rosters and manifests, and tells late from on time", () => {
    const dir = tmpDir("roster");
    const roster = path.join(dir, "r.txt");
    fs.writeFileSync(roster, "# class of 2026\nalice\n\nbob\nalice\n");
    expect(readRoster(roster)).toEqual(["alice", "bob"]);
    const manifest = path.join(dir, "m.csv");
    fs.writeFileSync(manifest, 'submission,submitted_at\nalice,2026-12-01T10:00:00Z\n"bob",2026-12-02T12:30:00Z\n');
    const m = readManifest(manifest);
    const deadline = new Date("2026-12-01T23:59:00Z");
    expect(lateness({ submission: "alice/05-pets", file: "/nonexistent" }, deadline, m)).toBeUndefined();
    expect(lateness({ submission: "bob/05-pets", file: "/nonexistent" }, deadline, m)).toBe(
      "submitted 2026-12-02 12:30 UTC, 12 h 31 min after the deadline",
    );
    fs.writeFileSync(manifest, "alice,yesterday\n");
    expect(() => readManifest(manifest)).not.toThrow(); // first line may be a header
    fs.writeFileSync(manifest, "alice,2026-12-01T10:00:00Z\nbob,soon\n");
    expect(() => readManifest(manifest)).toThrow(/line 2: "soon" is not a date/);
  });
});
