import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or MESHGATE_CHROMIUM. */
export const CHROMIUM_PATH = process.env.MESHGATE_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. In CI a missing browser is a failure, not a skip. */
export function browserUnavailable(): string | undefined {
  if (fs.existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `no Chromium at ${CHROMIUM_PATH} (install Debian's chromium package or set MESHGATE_CHROMIUM)`;
  if (process.env.CI) throw new Error(`browser tests must run in CI: ${reason}`);
  console.log(`skipping browser tests: ${reason}`);
  return reason;
}

/** Headless Chromium with nothing that calls out of the machine (this network is closed). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * What a screenshot shows, to prove a page rendered: its size, how many distinct colours it
 * has, and the share of pixels that differ from the most common (background) colour.
 */
export function screenshotStats(png: Buffer): { width: number; height: number; colours: number; inkShare: number } {
  const image = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < image.data.length; i += 4) {
    const rgb = (image.data[i] << 16) | (image.data[i + 1] << 8) | image.data[i + 2];
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  const pixels = image.width * image.height;
  const background = Math.max(...counts.values());
  return { width: image.width, height: image.height, colours: counts.size, inkShare: 1 - background / pixels };
}
