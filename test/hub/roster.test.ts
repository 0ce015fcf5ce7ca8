/** The roster check of `npm run hub:add-students` (no root needed: nothing is made here). */
import * as path from "path";
import { describe, expect, it } from "vitest";

type Student = { user: string; fullName: string; line: number };
const load = async () =>
  (await import(path.resolve(__dirname, "../../scripts/add-students.mjs") as string)) as {
    parseStudentRoster: (text: string, file?: string) => Student[];
  };

describe("hub:add-students roster", () => {
  it("reads user names and full names, skipping a header, comments and blank lines", async () => {
    const { parseStudentRoster } = await load();
    expect(parseStudentRoster('username,name\n# section A\nalice,"Smith, Alice"\n\nbob_2\n')).toEqual([
      { user: "alice", fullName: "Smith Alice", line: 3 },
      { user: "bob_2", fullName: "", line: 5 },
    ]);
  });

  it("names every invalid or duplicate user name, with its line", async () => {
    const { parseStudentRoster } = await load();
    const bad = () => parseStudentRoster("alice\nAlice\n9lives\nbob\nalice\nx\n" + "a".repeat(33), "r.csv");
    expect(bad).toThrow(/r\.csv: 4 bad line\(s\), no account was made/);
    expect(bad).toThrow(/line 2: "Alice" is not a valid user name/);
    expect(bad).toThrow(/line 3: "9lives" is not a valid user name/);
    expect(bad).toThrow(/line 5: "alice" is listed twice \(also on line 1\)/);
    expect(bad).toThrow(/line 7: "a{33}" is not a valid user name/);
  });

  it("refuses an empty roster", async () => {
    const { parseStudentRoster } = await load();
    expect(() => parseStudentRoster("username\n# nobody yet\n", "empty.csv")).toThrow("empty.csv lists no students");
  });
});
