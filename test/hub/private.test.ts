/**
 * `npm run hub` closes the course's private folders to the students (closePrivateFolders in scripts/hub.mjs):
 * on a course folder made here (the real clone's are closed by the hub itself, see class.test.ts), every
 * folder the grader keeps from its sandbox (solutions, the hidden tests, test/, .git) and test/grading loses its "other"
 * permissions, and a folder students could still read through their group stops it with the chmod to run.
 * No root needed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";

type Close = (courseRoot: string, studentsGid: number) => Promise<string[]>;
const load = async () => (await import(path.resolve(__dirname, "../../scripts/hub.mjs") as string)) as { closePrivateFolders: Close };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-private-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A course folder with world-readable solutions, hidden tests and history, and a public notebooks/. */
function course(name: string): string {
  const r = path.join(tmp, name);
  for (const d of ["solutions/00-welcome", "test/grading/specs/00-welcome", ".git", "notebooks"])
    fs.mkdirSync(path.join(r, d), { recursive: true });
  for (const d of ["", "solutions", "solutions/00-welcome", "test", "test/grading", "test/grading/specs", ".git", "notebooks"])
    fs.chmodSync(path.join(r, d), 0o755);
  return r;
}
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe("npm run hub: the solutions and hidden tests closed to students", () => {
  it("takes other users' rights off solutions, the hidden tests, test/ and .git, and says which it changed", async () => {
    const { closePrivateFolders } = await load();
    const r = course("a");
    const otherGid = (process.getgid?.() ?? 0) + 12345; // not these folders' group
    const changed = await closePrivateFolders(r, otherGid);
    expect(changed.sort()).toEqual(["solutions", "test/grading/specs", "test", ".git", "test/grading"].map((d) => path.join(r, d)).sort());
    for (const d of ["solutions", "test", "test/grading", "test/grading/specs", ".git"]) expect(mode(path.join(r, d)), d).toBe(0o750);
    expect(mode(path.join(r, "notebooks"))).toBe(0o755); // what students need stays open
    expect(await closePrivateFolders(r, otherGid)).toEqual([]); // already closed: nothing to say
  });

  it("refuses when the students' group could still read them, naming the chmod", async () => {
    const { closePrivateFolders } = await load();
    const r = course("b");
    const gid = fs.statSync(path.join(r, "solutions")).gid; // as if the clone belonged to the students' group
    await expect(closePrivateFolders(r, gid)).rejects.toThrow(/students could still read .*solutions \(mode 750\): chmod -R go-rwx /);
  });
});
