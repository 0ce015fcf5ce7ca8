import { describe, expect, it } from "vitest";
import * as tfjs from "@tensorflow/tfjs";
import { backendInfo, initBackend, tf } from "../../lib/core";

describe("tensor backend", () => {
  it("initialises once, reports what runs, and shares one tfjs instance", async () => {
    const info = await initBackend();
    expect(["tensorflow", "wasm", "cpu"]).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    expect(backendInfo()).toBe(info);
    expect(await initBackend()).toBe(info); // idempotent
    expect(tf).toBe(tfjs);
    expect(info.message.length).toBeGreaterThan(10);
    // On this project's machines tfjs-node is absent: the wasm backend with SIMD must load.
    if (info.name === "wasm") expect(info.simd).toBe(true);
    const r = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    expect(r).toBe(11);
  });
});
