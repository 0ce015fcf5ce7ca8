/** The visible-check helpers: messages say what is wrong, and name a known mistake when the result matches it. */
import { describe, expect, it } from "vitest";
import { checkClose } from "../../lib/exercise";

describe("checkClose", () => {
  it("names a known mistake the result matches", () => {
    const slip = "sf where sf^2 belongs";
    expect(() => checkClose("the mean", 0.2924, 0.3216, 1e-8, { [slip]: 0.2924 })).toThrow(
      "check failed: the mean: value differs (tolerance 1e-8)\n  expected 0.32160000\n  got      0.29240000\n  this is what you get with a known mistake: sf where sf^2 belongs",
    );
    // Another wrong value: expected and got only.
    let message = "";
    try {
      checkClose("the mean", 0.5, 0.3216, 1e-8, { [slip]: 0.2924 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^check failed: the mean/);
    expect(message).not.toContain("known mistake");
    // Arrays too.
    expect(() => checkClose("path", [1, 2], [1, 3], 1e-9, { "TSinf: one member per particle": [1, 2] })).toThrow(/known mistake: TSinf/);
  });

  it("passes quietly apart from its ok line", () => {
    expect(() => checkClose("the mean", 0.3216, 0.3216, 1e-8, { slip: 0.2924 })).not.toThrow();
  });
});
