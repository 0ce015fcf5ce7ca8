/**
 * The hub's assignment exchange (scripts/exchange.mjs, scripts/submit.mjs) with real unix accounts:
 * release into every student's home (a second release keeps a student's edit), each student submits as
 * themselves (twice for one: the history is kept, the latest collected), no student can list, read or
 * change another's submissions, the instructor collects into the layout `npm run grade` takes, grades it
 * with the real grader, and returns each student's feedback page into their home (theirs, mode 0600).
 * Bad input: an unknown assignment and a collect with no submissions fail with clear errors.
 * Needs root (it makes users); skipped with a message otherwise. The accounts (prefix "hubx") are removed.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../grading/helpers";

const root = path.resolve(__dirname, "..", "..");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const why = isRoot ? "" : "not running as root (the exchange makes unix users and writes into their homes)";
if (why) console.warn(`test/hub/exchange.test.ts skipped: ${why}`);

const prefix = `hubx${crypto.randomBytes(2).toString("hex")}`;
const group = `${prefix}g`;
const students = [`${prefix}a`, `${prefix}b`, `${prefix}c`]; // c never submits
const [alice, bob, carol] = students;
const ASSIGNMENT = "00-welcome";
// Students must reach the exchange and the release: a world-traversable temporary folder.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-exchange-"));
fs.chmodSync(tmp, 0o755);
const exchange = path.join(tmp, "exchange");
const release = path.join(tmp, "release");
const env = { ...process.env, MBRL_EXCHANGE: exchange };

function exchangeCmd(args: string[]) {
  return spawnSync(process.execPath, [path.join(root, "scripts", "exchange.mjs"), ...args, "--group", group, "--from", release], {
    encoding: "utf8",
    cwd: tmp,
    env,
    timeout: 60_000,
  });
}
/** A command run as a student (their uid, groups and rights). */
function asStudent(user: string, cmd: string[]) {
  return spawnSync("runuser", ["-u", user, "--", "env", `MBRL_EXCHANGE=${exchange}`, `HOME=/home/${user}`, ...cmd], {
    encoding: "utf8",
    cwd: "/",
    timeout: 60_000,
  });
}
const submit = (user: string) => asStudent(user, [process.execPath, path.join(root, "scripts", "submit.mjs"), ASSIGNMENT]);
const course = (user: string, ...p: string[]) => path.join("/home", user, "course", ...p);

describe.skipIf(!!why)("the assignment exchange on the hub", () => {
  beforeAll(async () => {
    const r = await cli(["release", release]);
    expect(r.code, r.stderr).toBe(0);
    fs.writeFileSync(path.join(tmp, "roster.csv"), `username\n${students.join("\n")}\n`);
    const made = spawnSync(process.execPath, [path.join(root, "scripts", "add-students.mjs"), "roster.csv", "--group", group], {
      encoding: "utf8",
      cwd: tmp,
    });
    expect(made.status, made.stderr).toBe(0);
  });

  afterAll(() => {
    for (const u of students) spawnSync("userdel", ["--remove", u]);
    spawnSync("groupdel", [group]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses an unknown assignment, naming the known ones", () => {
    const r = exchangeCmd(["release", "99-nothing"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no assignment "99-nothing".*the assignments are: 00-welcome, 01-learning-dynamics/);
    expect(fs.existsSync(course(alice))).toBe(false);
  });

  it("releases into every student's home, and a second release keeps a student's work", () => {
    const r = exchangeCmd(["release", ASSIGNMENT]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/copied to 3 student/);
    const original = fs.readFileSync(path.join(release, "notebooks", `${ASSIGNMENT}.ipynb`), "utf8");
    for (const u of students) {
      const st = fs.statSync(course(u, `${ASSIGNMENT}.ipynb`));
      expect(st.uid).toBe(Number(spawnSync("id", ["-u", u], { encoding: "utf8" }).stdout));
      expect(fs.readFileSync(course(u, `${ASSIGNMENT}.ipynb`), "utf8")).toBe(original);
      const drop = fs.statSync(path.join(exchange, ASSIGNMENT, u));
      expect(drop.uid).toBe(st.uid);
      expect(drop.mode & 0o777).toBe(0o700);
    }
    expect(fs.statSync(path.join(exchange, ASSIGNMENT)).mode & 0o777).toBe(0o711);
    // Alice edits her copy (as herself); the second release leaves it.
    const edited = original.replace('"cells": [', '"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["alice was here"]},');
    const w = spawnSync("runuser", ["-u", alice, "--", "tee", course(alice, `${ASSIGNMENT}.ipynb`)], { input: edited, encoding: "utf8" });
    expect(w.status, w.stderr).toBe(0);
    const again = exchangeCmd(["release", ASSIGNMENT]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/3 already had it/);
    expect(fs.readFileSync(course(alice, `${ASSIGNMENT}.ipynb`), "utf8")).toBe(edited);
  });

  it("fails a collect with no submissions", () => {
    const r = exchangeCmd(["collect", ASSIGNMENT, path.join(tmp, "none")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no submissions of "00-welcome" from any of the 3 student/);
    expect(exchangeCmd(["collect", "05-pets", path.join(tmp, "none")]).stderr).toMatch(/no submissions of "05-pets".*was it released/);
  });

  it("takes each student's submissions, timestamped, history kept, out of the others' reach", async () => {
    for (const u of [alice, bob]) {
      const r = submit(u);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/submitted .* as 00-welcome at \d{4}-/);
    }
    await new Promise((r) => setTimeout(r, 5)); // distinct millisecond names
    const second = submit(alice);
    expect(second.stdout).toMatch(/2 submission\(s\) kept/);
    const aliceDrop = path.join(exchange, ASSIGNMENT, alice);
    const mine = fs.readdirSync(aliceDrop);
    expect(mine).toHaveLength(2);
    for (const f of mine) expect(fs.statSync(path.join(aliceDrop, f)).mode & 0o777).toBe(0o600);
    // Bob can neither list the assignment's drop folders, nor list, read or write Alice's.
    expect(asStudent(bob, ["ls", path.join(exchange, ASSIGNMENT)]).stderr).toMatch(/Permission denied/);
    expect(asStudent(bob, ["ls", aliceDrop]).stderr).toMatch(/Permission denied/);
    const read = asStudent(bob, [process.execPath, "-e", `require("fs").readFileSync(${JSON.stringify(path.join(aliceDrop, mine[0]))})`]);
    expect(read.status).not.toBe(0);
    expect(read.stderr).toMatch(/EACCES/);
    expect(asStudent(bob, ["touch", path.join(aliceDrop, "2099-01-01T00-00-00.000Z.ipynb")]).stderr).toMatch(/Permission denied/);
    // Carol has no file to submit: a clear error, nothing written.
    fs.rmSync(course(carol, `${ASSIGNMENT}.ipynb`));
    const none = submit(carol);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/00-welcome.ipynb is not a notebook that can be submitted: ENOENT/);
    expect(fs.readdirSync(path.join(exchange, ASSIGNMENT, carol))).toEqual([]);
  });

  it("submits the notebook a page shows (submit --notebook, the Submit button's command) and names what cannot be", () => {
    const json = (user: string, file: string) => {
      const r = asStudent(user, [process.execPath, path.join(root, "scripts", "submit.mjs"), "--notebook", file, "--json"]);
      return { status: r.status, out: JSON.parse(r.stdout.trim()) as { ok: boolean; file?: string; error?: string; kept?: number } };
    };
    const before = fs.readdirSync(path.join(exchange, ASSIGNMENT, bob)).length;
    const ok = json(bob, course(bob, `${ASSIGNMENT}.ipynb`));
    expect(ok.status).toBe(0);
    expect(ok.out).toMatchObject({ ok: true, assignment: ASSIGNMENT, kept: before + 1 });
    expect(fs.readdirSync(path.join(exchange, ASSIGNMENT, bob))).toContain(ok.out.file);
    // A notebook outside ~/course, one the instructor never released, and a file that is not a notebook.
    const scratch = `/home/${bob}/scratch.ipynb`;
    const other = course(bob, "01-learning-dynamics.ipynb");
    const broken = course(bob, "02-planning.ipynb");
    for (const [f, text] of [
      [scratch, "{}"],
      [other, JSON.stringify({ cells: [] })],
      [broken, "not json"],
    ])
      expect(asStudent(bob, ["sh", "-c", `printf '%s' "$1" > "$2"`, "sh", text, f]).status).toBe(0);
    expect(json(bob, scratch)).toEqual({
      status: 1,
      out: { ok: false, error: expect.stringMatching(/scratch\.ipynb is not a course assignment: only the notebooks .* released into/) },
    });
    expect(json(bob, other).out.error).toMatch(/there is no drop folder for you .* for "01-learning-dynamics"/);
    expect(json(bob, broken).out.error).toMatch(/02-planning\.ipynb is not a notebook that can be submitted/);
    expect(json(bob, course(bob, "notes.txt")).out.error).toMatch(/notes\.txt is not a notebook \(\.ipynb\)/);
    expect(fs.readdirSync(path.join(exchange, ASSIGNMENT, bob))).toHaveLength(before + 1);
  });

  it("collects the latest submissions in grade's layout, grades them and returns each student's feedback", async () => {
    const out = path.join(tmp, "collected");
    const c = exchangeCmd(["collect", ASSIGNMENT, out]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(new RegExp(`2 submission\\(s\\).*none from 1: ${carol}`));
    expect(fs.readdirSync(out).sort()).toEqual([alice, bob]);
    const aliceDrop = path.join(exchange, ASSIGNMENT, alice);
    const latest = fs.readdirSync(aliceDrop).sort().at(-1)!;
    expect(fs.readFileSync(path.join(out, alice, `${ASSIGNMENT}.ipynb`), "utf8")).toBe(
      fs.readFileSync(path.join(aliceDrop, latest), "utf8"),
    );
    expect(fs.readFileSync(path.join(out, alice, `${ASSIGNMENT}.ipynb`), "utf8")).toContain("alice was here");
    expect(fs.statSync(out).mode & 0o777).toBe(0o700);

    // The real grader on the collected folder (it runs each submission as its sandbox user).
    const grades = path.join(tmp, "grades");
    const g = await cli(["grade", out, "--out", grades]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toMatch(new RegExp(`${alice}/00-welcome\\s+0 / \\d+`));
    expect(g.stdout).toMatch(new RegExp(`${bob}/00-welcome\\s+0 / \\d+`));

    const r = exchangeCmd(["return", ASSIGNMENT, grades]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`2 student\\(s\\); no page for 1: ${carol}`));
    for (const u of [alice, bob]) {
      const page = course(u, "feedback", `${ASSIGNMENT}.html`);
      const st = fs.statSync(page);
      expect(st.uid).toBe(fs.statSync(`/home/${u}`).uid);
      expect(st.mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(page)).mode & 0o777).toBe(0o700);
      expect(fs.readFileSync(page, "utf8")).toBe(fs.readFileSync(path.join(grades, u, ASSIGNMENT, "feedback.html"), "utf8"));
    }
    expect(fs.existsSync(course(carol, "feedback"))).toBe(false);
    // The --return folder of `npm run feedback` works too, and a second return replaces the page.
    const returned = path.join(tmp, "returned");
    const f = await cli(["feedback", grades, "--return", returned]);
    expect(f.code, f.stderr).toBe(0);
    fs.writeFileSync(path.join(returned, alice, `${ASSIGNMENT}.feedback.html`), "<p>regraded</p>");
    const again = exchangeCmd(["return", ASSIGNMENT, returned]);
    expect(again.status, again.stderr).toBe(0);
    expect(fs.readFileSync(course(alice, "feedback", `${ASSIGNMENT}.html`), "utf8")).toBe("<p>regraded</p>");
    expect(fs.statSync(course(alice, "feedback", `${ASSIGNMENT}.html`)).mode & 0o777).toBe(0o600);
    expect(exchangeCmd(["return", "05-pets", returned]).stderr).toMatch(/no feedback page of "05-pets" for any student/);
    // Bob cannot read Alice's feedback.
    expect(asStudent(bob, ["cat", course(alice, "feedback", `${ASSIGNMENT}.html`)]).stderr).toMatch(/Permission denied/);
  });
});
