import { describe, expect, it } from "vitest";
import { checkFinite, checkInt, checkLength, checkMatrix, checkNumber, ShapeError, ValueError } from "../../lib/core/checks";

describe("checks", () => {
  it("names the problem in the message", () => {
    expect(() => checkLength("action", [1, 2], 3)).toThrow(new ShapeError("action: expected length 3, got 2"));
    expect(() => checkFinite("state", [0, NaN, 1])).toThrow(/state: entry 1 is NaN/);
    expect(() => checkFinite("state", [0, Infinity])).toThrow(ValueError);
    expect(() => checkNumber("gamma", 1.5, 0, 1)).toThrow(/gamma: 1.5 is outside \[0, 1\]/);
    expect(() => checkInt("horizon", 0)).toThrow(/positive integer/);
    expect(checkInt("horizon", 0, { allowZero: true })).toBe(0);
    expect(() => checkMatrix("X", [[1, 2], [3]])).toThrow(/row 1 has length 1, expected 2/);
  });

  it("passes good input through", () => {
    expect(() => checkFinite("x", new Float64Array([1, 2]))).not.toThrow();
    expect(
      checkMatrix("X", [
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    ).toEqual([3, 2]);
    expect(checkNumber("x", 0.5, 0, 1)).toBe(0.5);
  });
});
