/**
 * Headless Chromium for the browser tests (test/e2e): Debian's `chromium`, driven by playwright-core,
 * offline (no background networking, updates or sync). MBRL_CHROMIUM points at another binary.
 */
import * as fs from "fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.MBRL_CHROMIUM || "/usr/bin/chromium";

/** Why the browser tests cannot run (no Chromium binary), or null. */
export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM)
    ? null
    : `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set MBRL_CHROMIUM to a Chromium/Chrome binary.`;
}

/** Starts headless Chromium; throws the chromiumMissing() message when there is none. */
export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    timeout: 60_000,
  });
}
