/**
 * The headless Chromium the browser tests drive: the one the npm package `@sparticuz/chromium`
 * ships (decompressed to a temp dir on first use), so `npm ci && npm test` needs no system
 * browser. EDGECHAIN_CHROMIUM=<path> picks another binary instead.
 */
import { chromium as playwright, type Browser } from 'playwright-core';
import sparticuz from '@sparticuz/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--use-gl=swiftshader', '--no-zygote'];

export async function chromiumPath(): Promise<string> {
  return process.env.EDGECHAIN_CHROMIUM || (await sparticuz.executablePath());
}

export async function launchChromium(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS, timeout: 60_000 });
}
