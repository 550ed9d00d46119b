/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser): headless, no sandbox (we
 * run as root in CI), background networking off so the closed network is not hammered, a fresh
 * profile per launch. Screenshots go to test-artifacts/ and are kept by CI as artefacts.
 *
 * Every page waits up to PAGE_TIMEOUT_MS for what a test asks of it (an element to appear, a click
 * to land): Playwright's own 30 s is what one slow step of a loaded CI machine can take (a mail
 * through Postfix and IMAP IDLE to the page, while the other test file signs and encrypts). A wait
 * ends as soon as its outcome is there, so the longer deadline costs a passing test nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'web');
export const PAGE_TIMEOUT_MS = 60_000;

/** Gives a context (and every page in it) the browser tests' deadline. */
export function withTestTimeouts<C extends BrowserContext>(context: C): C {
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
  return context;
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  // Each context the tests make (browser.newPage makes one too) gets the deadline.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => withTestTimeouts(await newContext(options));
  return browser;
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, `${name}.png`);
}
