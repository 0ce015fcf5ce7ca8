import { inflateSync } from "zlib";
import { describe, expect, it } from "vitest";
import { crc32, grayPng, imageRowsHtml } from "../../lib/viz/images";

/** Decodes the grayscale PNGs grayPng writes (one IDAT, filter 0): width, height, pixels. */
function decode(png: Buffer): { W: number; H: number; px: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8,
    W = 0,
    H = 0;
  let idat = Buffer.alloc(0);
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString("ascii", off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    expect(png.readUInt32BE(off + 8 + len), `CRC of ${type}`).toBe(crc32(png.subarray(off + 4, off + 8 + len)));
    if (type === "IHDR") {
      W = data.readUInt32BE(0);
      H = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      expect(data[9]).toBe(0);
    }
    if (type === "IDAT") idat = Buffer.concat([idat, data]);
    off += 12 + len;
  }
  const raw = inflateSync(idat);
  const px = new Uint8Array(W * H);
  for (let r = 0; r < H; r++) {
    expect(raw[r * (W + 1)]).toBe(0);
    px.set(raw.subarray(r * (W + 1) + 1, (r + 1) * (W + 1)), r * W);
  }
  return { W, H, px };
}

describe("images", () => {
  it("crc32 of '123456789' is the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("grayPng round-trips: values to bytes, each pixel a scale x scale block, clipped to [0, 1]", () => {
    const img = [0, 0.5, 1, 2, -1, 0.25];
    const { W, H, px } = decode(grayPng(img, 3, 2, 2));
    expect([W, H]).toEqual([6, 4]);
    expect(Array.from(px.subarray(0, 6))).toEqual([0, 0, 128, 128, 255, 255]);
    expect(Array.from(px.subarray(18, 24))).toEqual([255, 255, 0, 0, 64, 64]);
    expect(() => grayPng(img, 2, 2)).toThrow(/6 values for a 2 x 2 image/);
  });

  it("imageRowsHtml shows one labelled strip per row and names a frame of the wrong size", () => {
    const f = new Float32Array(16).fill(1);
    const html = imageRowsHtml(
      [
        { label: "real <o>", frames: [f, f] },
        { label: "predicted", frames: [f, f] },
      ],
      { size: 4, columnLabels: ["t=1", "t=2"] },
    );
    expect(html.match(/<img /g)!.length).toBe(2);
    expect(html).toContain("real &lt;o&gt;");
    expect(html).toContain("t=2");
    expect(() => imageRowsHtml([{ label: "x", frames: [new Float32Array(3)] }], { size: 4 })).toThrow(/row "x", frame 0 has 3 values/);
  });
});
