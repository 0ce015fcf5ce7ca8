/**
 * The hub config's newer keys (readHubConfig in scripts/hub.mjs): the limits and the exchange (no root
 * needed); and the limits' check (scripts/hub/cgroup_limits.py) refusing, with its reason, where it cannot
 * make control groups (run as an unprivileged user; needs root to switch to it).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";

type Settings = { memLimitMB: number | null; cpuLimit: number | null; exchange: string };
const load = async () =>
  (await import(path.resolve(__dirname, "../../scripts/hub.mjs") as string)) as { readHubConfig: (file: string) => Settings };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mbrl-hubconf-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function config(keys: object): string {
  const f = path.join(tmp, `c${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify(keys));
  return f;
}

describe("hub config: limits and exchange", () => {
  it("has no limits by default, and takes them in MB and CPUs", async () => {
    const { readHubConfig } = await load();
    expect(readHubConfig(config({}))).toMatchObject({ memLimitMB: null, cpuLimit: null });
    expect(readHubConfig(config({ memLimitMB: 2048, cpuLimit: 0.5 }))).toMatchObject({ memLimitMB: 2048, cpuLimit: 0.5 });
  });

  it("refuses limits a server could not live with, naming the key", async () => {
    const { readHubConfig } = await load();
    expect(() => readHubConfig(config({ memLimitMB: 100 }))).toThrow(/memLimitMB must be a number of MB, at least 256/);
    expect(() => readHubConfig(config({ memLimitMB: "2G" }))).toThrow(/memLimitMB must be/);
    expect(() => readHubConfig(config({ cpuLimit: 0 }))).toThrow(/cpuLimit must be a number of CPUs/);
  });

  it("takes the exchange relative to the config's folder, else $MBRL_EXCHANGE or /srv/mbrl-exchange", async () => {
    const { readHubConfig } = await load();
    expect(readHubConfig(config({ exchange: "ex" })).exchange).toBe(path.join(tmp, "ex"));
    const saved = process.env.MBRL_EXCHANGE;
    try {
      delete process.env.MBRL_EXCHANGE;
      expect(readHubConfig(config({})).exchange).toBe("/srv/mbrl-exchange");
      process.env.MBRL_EXCHANGE = "/data/exchange";
      expect(readHubConfig(config({})).exchange).toBe("/data/exchange");
    } finally {
      if (saved === undefined) delete process.env.MBRL_EXCHANGE;
      else process.env.MBRL_EXCHANGE = saved;
    }
    expect(() => readHubConfig(config({ exchange: 3 }))).toThrow(/exchange must be a folder's path/);
  });

  it.skipIf(process.getuid?.() !== 0)("says why limits cannot be enforced (here: not root) and exits 1", () => {
    const script = path.resolve(__dirname, "../../scripts/hub/cgroup_limits.py");
    const r = spawnSync("runuser", ["-u", "nobody", "--", "/usr/bin/python3", script, "check", "1", "512", "1"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/only root can make control groups/);
  });
});
