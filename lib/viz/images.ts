/**
 * Small grayscale images in the notebook: what a pixel observation looks like, and predicted frames
 * beside the real ones (notebook 12). Images are encoded as PNG here (zlib from Node, no dependency)
 * and shown as HTML rows of frames with a label each, so a saved notebook keeps them.
 */
import { deflateSync } from "zlib";
import { ShapeError, ValueError } from "../core/checks";
import { publish } from "./jupyter";

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, the PNG chunk checksum). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * An 8-bit grayscale PNG of a width x height image (row-major values in [0, 1], clipped), each pixel
 * drawn as a scale x scale block (nearest neighbour, so the pixels stay visible).
 */
export function grayPng(values: ArrayLike<number>, width: number, height: number, scale = 1): Buffer {
  if (values.length !== width * height) throw new ShapeError(`grayPng: ${values.length} values for a ${width} x ${height} image`);
  if (!Number.isInteger(scale) || scale < 1) throw new ValueError(`grayPng: scale must be a positive integer, got ${scale}`);
  const W = width * scale,
    H = height * scale;
  const raw = new Uint8Array(H * (W + 1)); // each row: filter byte 0, then W gray bytes
  for (let r = 0; r < H; r++) {
    const src = Math.floor(r / scale) * width;
    const row = r * (W + 1);
    for (let c = 0; c < W; c++) {
      const v = values[src + Math.floor(c / scale)];
      raw[row + 1 + c] = Number.isFinite(v) ? Math.round(255 * Math.min(1, Math.max(0, v))) : 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(W, 0);
  header.writeUInt32BE(H, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}

/** A row of frames to show: a label and the images (each size x size values). */
export interface ImageRow {
  label: string;
  frames: readonly ArrayLike<number>[];
}

export interface ImageRowsOptions {
  /** Image side in pixels (square images). */
  size: number;
  /** Screen pixels per image pixel. Default 2. */
  scale?: number;
  /** A caption under each column (for example the time step). */
  columnLabels?: readonly string[];
  title?: string;
}

/**
 * The frames laid out in rows, each row one PNG strip (frames side by side, a 1-pixel gray gap),
 * as an HTML table with the row labels. A strip wider than the notebook scrolls.
 */
export function imageRowsHtml(rows: readonly ImageRow[], opts: ImageRowsOptions): string {
  const { size } = opts;
  const scale = opts.scale ?? 2;
  if (rows.length === 0) throw new ValueError("imageRows: no rows to show");
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let html = `<div style="overflow-x:auto;max-width:950px">`;
  if (opts.title) html += `<div style="font-weight:bold;margin:4px 0">${esc(opts.title)}</div>`;
  html += `<table style="border-collapse:collapse">`;
  for (const row of rows) {
    const n = row.frames.length;
    const W = n * (size + 1) - 1;
    const strip = new Float32Array(W * size).fill(0.35);
    row.frames.forEach((f, i) => {
      if (f.length < size * size)
        throw new ShapeError(`imageRows: row "${row.label}", frame ${i} has ${f.length} values, expected ${size * size}`);
      for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) strip[r * W + i * (size + 1) + c] = f[r * size + c];
    });
    const src = `data:image/png;base64,${grayPng(strip, W, size, scale).toString("base64")}`;
    html += `<tr><td style="padding:2px 8px 2px 0;text-align:right;white-space:nowrap;font-size:12px">${esc(row.label)}</td>`;
    html += `<td style="padding:2px 0"><img src="${src}" width="${W * scale}" height="${size * scale}" style="image-rendering:pixelated"/></td></tr>`;
  }
  if (opts.columnLabels) {
    const cell = (size + 1) * scale;
    const labels = opts.columnLabels
      .map((l) => `<span style="display:inline-block;width:${cell}px;text-align:center;font-size:10px">${esc(l)}</span>`)
      .join("");
    html += `<tr><td></td><td style="padding:0;white-space:nowrap">${labels}</td></tr>`;
  }
  return html + "</table></div>";
}

/** Shows rows of frames in the notebook (a one-line text fallback elsewhere). */
export function displayImageRows(rows: readonly ImageRow[], opts: ImageRowsOptions): void {
  const text = `<images: ${rows.map((r) => `${r.label} (${r.frames.length} frames)`).join(", ")}>`;
  publish({ "text/html": imageRowsHtml(rows, opts), "text/plain": text });
}
