import { describe, expect, it } from "vitest";
import { armEndEffector, cartpoleTipDistance2, ENV_NAMES, makeEnv, tourRollout, wrapAngle } from "../../lib/envs";

describe("tour rollouts for notebook 00", () => {
  it.each(ENV_NAMES)("%s gives one SVG frame per state", (name) => {
    const r = tourRollout(name);
    expect(r.frames.length).toBe(r.states.length);
    expect(r.frames.length).toBeGreaterThan(10);
    for (const fr of r.frames) expect(fr).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(r.frames[0]).not.toBe(r.frames[r.frames.length - 1]);
    expect(makeEnv(name).name).toBe(name);
  });

  it("the scripted controllers do what the pictures claim", () => {
    const p = tourRollout("pendulum");
    const last = p.states[p.states.length - 1] as number[];
    expect(Math.abs(wrapAngle(last[0]))).toBeLessThan(0.05); // swung up and balanced
    const c = tourRollout("cartpole");
    expect(Math.min(...c.states.map((s) => cartpoleTipDistance2(s as number[])))).toBeLessThan(0.05); // tip reaches the top
    const a = tourRollout("arm");
    const q = a.states[a.states.length - 1] as number[];
    const e = armEndEffector(q[0], q[1]);
    expect(Math.hypot(e[0] - 0.35, e[1] - 0.25)).toBeLessThan(0.02);
    const h = tourRollout("hill");
    expect(Math.max(...h.rewards)).toBeGreaterThan(2.9);
    const m = tourRollout("dynamaze");
    expect(m.actions.length).toBe(14);
    expect(m.terminated).toBe(true);
  });

  it("makeEnv rejects unknown names", () => {
    expect(() => makeEnv("mountaincar" as never)).toThrow(/unknown system "mountaincar"/);
  });
});
