/** Tiny SVG string helpers shared by the renderers (every frame is a complete, self-contained <svg>). */

/** Rounds coordinates so frames stay small and identical across runs. */
export function f(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

export function svgFrame(width: number, height: number, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`
  );
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 2, extra = ""): string {
  return `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${stroke}" stroke-width="${f(width)}" stroke-linecap="round"${extra}/>`;
}

export function circle(cx: number, cy: number, r: number, fill: string, extra = ""): string {
  return `<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r)}" fill="${fill}"${extra}/>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string, extra = ""): string {
  return `<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" fill="${fill}"${extra}/>`;
}

export function text(x: number, y: number, s: string, size = 12, extra = ""): string {
  return `<text x="${f(x)}" y="${f(y)}" font-family="sans-serif" font-size="${size}"${extra}>${escapeXml(s)}</text>`;
}

/**
 * A label centred under x but kept inside a frame of the given width (a tick at the frame's edge,
 * such as the cart-pole track's "-2", would otherwise be cut in half).
 */
export function edgeSafeLabel(x: number, y: number, s: string, frameWidth: number, size = 9, extra = ""): string {
  const half = (s.length * size * 0.6) / 2 + 1;
  const cx = Math.min(frameWidth - half, Math.max(half, x));
  return text(cx, y, s, size, ` text-anchor="middle"${extra}`);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A horizontal bar showing a control value in [-1, 1] (scaled), drawn at the bottom of a frame. */
export function actionBar(x: number, y: number, halfWidth: number, value: number, label: string): string {
  const v = Math.max(-1, Math.min(1, value));
  const w = Math.abs(v) * halfWidth;
  return (
    line(x - halfWidth, y, x + halfWidth, y, "#dddddd", 6) +
    rect(v >= 0 ? x : x - w, y - 3, w, 6, "#d62728") +
    line(x, y - 6, x, y + 6, "#555555", 1) +
    text(x - halfWidth, y - 8, label, 10, ' fill="#555555"')
  );
}
