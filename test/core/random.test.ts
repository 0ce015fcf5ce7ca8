import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core/random";

describe("makeRng", () => {
  it("gives the same stream for the same seed and pins it across machines", () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    // Pinned values: a change of algorithm or seeding would silently change every experiment.
    expect(xs).toMatchInlineSnapshot(`
      [
        2837322924,
        544945897,
        479756282,
        3500138142,
        339756180,
      ]
    `);
    expect(makeRng(42).uniform()).toBeCloseTo(0.6606, 4);
  });

  it("gives different streams for different seeds", () => {
    expect(makeRng(1).uniform()).not.toEqual(makeRng(2).uniform());
  });

  it("draws uniforms in range with the right mean", () => {
    const r = makeRng(3);
    const u = r.uniforms(100_000, -2, 4);
    let s = 0;
    for (const v of u) {
      expect(v >= -2 && v < 4).toBe(true);
      s += v;
    }
    expect(s / u.length).toBeCloseTo(1, 1);
  });

  it("draws normals with the right mean and standard deviation", () => {
    const x = makeRng(4).normals(200_000, 1.5, 2);
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
    expect(m).toBeCloseTo(1.5, 1);
    expect(Math.sqrt(v)).toBeCloseTo(2, 1);
  });

  it("draws integers uniformly without modulo bias", () => {
    const r = makeRng(5);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it("shuffles into a permutation without changing the input", () => {
    const r = makeRng(6);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const s = r.shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...s].sort((a, b) => a - b)).toEqual(items);
    expect(r.permutation(5).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(r.choice(["a"])).toBe("a");
  });

  it("forks independent but reproducible streams", () => {
    const f1 = makeRng(9).fork();
    const f2 = makeRng(9).fork();
    expect(f1.uniform()).toEqual(f2.uniform());
  });

  it("rejects bad arguments with clear errors", () => {
    expect(() => makeRng(-1)).toThrow(/seed must be an integer/);
    expect(() => makeRng(1.5)).toThrow(/seed must be an integer/);
    expect(() => makeRng(1).int(0)).toThrow(/positive integer/);
    expect(() => makeRng(1).choice([])).toThrow(/empty/);
  });
});
