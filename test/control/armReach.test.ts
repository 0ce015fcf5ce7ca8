import { describe, expect, it } from "vitest";
import { makeRng } from "../../lib/core";
import { armStartCorners, armStartsInSquare } from "../../lib/control";

describe("arm start states for guided policy search", () => {
  it("trains from the four corners of the square, at rest", () => {
    expect(armStartCorners([1, -0.5], 0.3)).toEqual([
      [0.7, -0.8, 0, 0],
      [0.7, -0.2, 0, 0],
      [1.3, -0.8, 0, 0],
      [1.3, -0.2, 0, 0],
    ]);
  });

  it("draws held-out starts inside the square, the same ones for the same seed", () => {
    const starts = armStartsInSquare([1, -0.5], 0.3, 50, makeRng(99));
    expect(starts).toHaveLength(50);
    for (const [a, b, da, db] of starts) {
      expect(Math.abs(a - 1)).toBeLessThanOrEqual(0.3);
      expect(Math.abs(b + 0.5)).toBeLessThanOrEqual(0.3);
      expect([da, db]).toEqual([0, 0]);
    }
    expect(armStartsInSquare([1, -0.5], 0.3, 50, makeRng(99))).toEqual(starts);
  });
});
