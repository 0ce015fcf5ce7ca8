import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadResult, ResultError, resultsDir, saveResult } from "../../lib/datasets";

describe("committed results (datasets/results)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "results-"));
  it("live in datasets/results of the project", () => {
    expect(resultsDir()).toBe(path.resolve(__dirname, "..", "..", "datasets", "results"));
  });
  it("a missing file names the command that makes it", () => {
    expect(() => loadResult("nope", dir)).toThrow(ResultError);
    expect(() => loadResult("nope", dir)).toThrow("npm run bench -- nope --out datasets/results/nope.json");
  });
  it("a file without its bench and command is refused", () => {
    fs.writeFileSync(path.join(dir, "bare.json"), JSON.stringify({ runs: [] }));
    expect(() => loadResult("bare", dir)).toThrow(/does not name its benchmark/);
    fs.writeFileSync(path.join(dir, "broken.json"), "{");
    expect(() => loadResult("broken", dir)).toThrow(/not valid JSON/);
  });
  it("reads a well-formed file", () => {
    fs.writeFileSync(path.join(dir, "ok.json"), JSON.stringify({ bench: "ok", command: "npm run bench -- ok", value: 3 }));
    expect(loadResult<{ bench: string; command: string; value: number }>("ok", dir).value).toBe(3);
  });
  it("saveResult writes what loadResult reads, creating the folder", () => {
    const file = path.join(dir, "made", "bench-x.json");
    saveResult(file, { bench: "bench-x", command: "npm run bench -- bench-x --out x", curve: [1, 2] } as { bench: string; command: string });
    expect(loadResult<{ bench: string; command: string; curve: number[] }>("bench-x", path.dirname(file)).curve).toEqual([1, 2]);
  });
  it("every committed result names its benchmark and command", () => {
    const files = fs.existsSync(resultsDir()) ? fs.readdirSync(resultsDir()).filter((f) => f.endsWith(".json")) : [];
    for (const f of files) {
      const r = loadResult(f.replace(/\.json$/, ""));
      // The file is named after its benchmark and mode: "pets --paper" writes pets-paper.json.
      expect(r.bench.replace(/ --/g, "-"), f).toBe(f.replace(/\.json$/, ""));
      expect(r.command, f).toContain(`npm run bench -- ${r.bench}`);
    }
  });
});
