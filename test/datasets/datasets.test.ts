import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDataset, DATASET_NAMES, datasetsDir, listDatasets, loadDataset, manifestText, DatasetError } from "../../lib/datasets";
import { CartPole, Hill, Pendulum, toFlat, wrapAngle } from "../../lib/envs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-datasets-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Copies a committed dataset into a scratch folder so a test can damage it. */
function scratchCopy(name: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "case-"));
  for (const f of [`${name}.json`, `${name}.csv`]) fs.copyFileSync(path.join(datasetsDir(), f), path.join(dir, f));
  return dir;
}

describe("committed datasets", () => {
  it.each(DATASET_NAMES)("%s regenerates byte for byte from its recipe", (name) => {
    const { manifest, csv } = buildDataset(name);
    expect(fs.readFileSync(path.join(datasetsDir(), manifest.file), "utf8")).toBe(csv);
    expect(fs.readFileSync(path.join(datasetsDir(), `${name}.json`), "utf8")).toBe(manifestText(manifest));
  });

  it("all load and validate, with the manifest fields the issue asks for", () => {
    expect(listDatasets()).toEqual([...DATASET_NAMES].sort());
    for (const name of DATASET_NAMES) {
      const d = loadDataset(name);
      expect(d.n).toBe(d.manifest.n);
      expect(d.n).toBeGreaterThanOrEqual(2000);
      for (const k of ["system", "systemVersion", "policy", "seed", "n", "columns", "sha256"] as const) expect(d.manifest[k]).toBeDefined();
      expect(d.manifest.columns.every((c) => c.unit.length > 0)).toBe(true);
    }
  });

  it("rows are true transitions of the systems (to the 9 digits stored)", () => {
    const check = (name: string, env: Pendulum | CartPole | Hill, sCols: string[], nCols: string[], unwrap = false) => {
      const d = loadDataset(name);
      const S = d.select(sCols), U = d.select(["u"]), N = d.select(nCols), R = d.column("reward");
      const next = env.dynamics(toFlat(S), toFlat(U));
      const rew = env.reward(toFlat(S), toFlat(U), next);
      for (let i = 0; i < d.n; i += 37) {
        for (let j = 0; j < sCols.length; j++) expect(Math.abs(next[i * sCols.length + j] - N[i][j])).toBeLessThan(1e-6 * (1 + Math.abs(N[i][j])));
        expect(Math.abs(rew[i] - R[i])).toBeLessThan(1e-6 * (1 + Math.abs(R[i])));
      }
      if (unwrap) {
        const th = d.column("theta"), thn = d.column("theta_next"), ep = d.column("episode");
        for (let i = 0; i + 1 < d.n; i++) if (ep[i] === ep[i + 1]) expect(Math.abs(wrapAngle(thn[i]) - th[i + 1])).toBeLessThan(1e-7);
      }
    };
    check("pendulum-random", new Pendulum(), ["theta", "thetadot"], ["theta_next", "thetadot_next"], true);
    check("cartpole-random", new CartPole(), ["x", "xdot", "theta", "thetadot"], ["x_next", "xdot_next", "theta_next", "thetadot_next"]);
    check("hill-random", new Hill(), ["x"], ["x_next"]);
  });

  it("transitions() splits rows by column role", () => {
    const tr = loadDataset("cartpole-random").transitions();
    expect(tr.stateColumns).toEqual(["x", "xdot", "theta", "thetadot"]);
    expect(tr.actionColumns).toEqual(["u"]);
    expect(tr.nextStateColumns).toEqual(["x_next", "xdot_next", "theta_next", "thetadot_next"]);
    expect(tr.states.length).toBe(3000);
    expect(tr.states[1]).toEqual(tr.nextStates[0]); // consecutive rows of one episode chain
    expect(tr.episodes[0]).toBe(0);
    expect(tr.episodes[2999]).toBe(74);
  });

  it("the hill data stays near the start (the base policy of the distribution-shift example)", () => {
    const x = loadDataset("hill-random").column("x");
    expect(Math.max(...x)).toBeLessThan(2);
    expect(Math.min(...x)).toBeGreaterThan(-2);
  });
});

describe("the loader rejects damaged datasets with clear errors", () => {
  const name = "hill-random";

  it("missing manifest", () => {
    const dir = scratchCopy(name);
    fs.rmSync(path.join(dir, `${name}.json`));
    expect(() => loadDataset(name, { dir })).toThrow(DatasetError);
    expect(() => loadDataset(name, { dir })).toThrow(/manifest .*hill-random.json not found.*npm run datasets/);
    expect(() => loadDataset("no-such-set")).toThrow(/not found \(available: cartpole-random, hill-random, pendulum-random\)/);
  });

  it("missing data file", () => {
    const dir = scratchCopy(name);
    fs.rmSync(path.join(dir, `${name}.csv`));
    expect(() => loadDataset(name, { dir })).toThrow(/data file .*hill-random.csv is missing/);
  });

  it("truncated data file", () => {
    const dir = scratchCopy(name);
    const file = path.join(dir, `${name}.csv`);
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    expect(() => loadDataset(name, { dir })).toThrow(/is truncated \(\d+ bytes, the manifest says \d+\)/);
  });

  it("edited data file (one digit changed, same length)", () => {
    const dir = scratchCopy(name);
    const file = path.join(dir, `${name}.csv`);
    const text = fs.readFileSync(file, "utf8");
    const i = text.indexOf("\n0,5,") + 6;
    const edited = text.slice(0, i) + (text[i] === "1" ? "2" : "1") + text.slice(i + 1);
    expect(edited.length).toBe(text.length);
    fs.writeFileSync(file, edited);
    expect(() => loadDataset(name, { dir })).toThrow(/does not match its manifest checksum.*edited or corrupted/);
  });

  it("manifest with a missing field or wrong columns", () => {
    const dir = scratchCopy(name);
    const mfile = path.join(dir, `${name}.json`);
    const m = JSON.parse(fs.readFileSync(mfile, "utf8"));
    fs.writeFileSync(mfile, JSON.stringify({ ...m, sha256: undefined }));
    expect(() => loadDataset(name, { dir })).toThrow(/missing the field "sha256"/);
    const cols = m.columns.slice();
    cols[2] = { ...cols[2], name: "position" };
    fs.writeFileSync(mfile, JSON.stringify({ ...m, columns: cols }));
    expect(() => loadDataset(name, { dir })).toThrow(/header columns \[episode, t, x, .*\] differ from the manifest's \[episode, t, position/);
    fs.writeFileSync(mfile, "{not json");
    expect(() => loadDataset(name, { dir })).toThrow(/not valid JSON/);
  });

  it("unknown column names are reported", () => {
    expect(() => loadDataset(name).column("velocity")).toThrow(/no column "velocity"; columns: episode, t, x, u, reward, x_next/);
  });
});
