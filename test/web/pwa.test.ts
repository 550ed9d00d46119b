/**
 * Issue 16, the installable app in Debian's Chromium: the web app manifest and its icons (SVG, and
 * PNG at the sizes it names), Chromium reporting no installability error, and a service worker that
 * keeps the app shell only — after reading a decrypted mail, no cached URL is under /api/ and no
 * cached body holds the mail's text — and opens offline saying the server cannot be reached.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_PATH, screenshotPath, withTestTimeouts } from '../helpers/browser.js';
import { demoVault, importDemoCertificates, startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { sendFromPage, submitSignIn, viewDrawn } from '../helpers/web-client-page.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';

let web: DemoWebClient;
let profile: string;
let context: BrowserContext;
const SECRET = 'The vault code is 4711-BLUE';

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-pwa-' });
  for (const demo of web.org.users) {
    await importDemoCertificates(demo);
  }
  // bob can encrypt to alice (her certificate in his address book).
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  const aliceEncryption = (await (await demoVault(alice)).active('encryption'))!;
  await AddressBook.change(web.org.users.find((u) => u.user.address.startsWith('bob@'))!.user.dir, (book) => book.add(aliceEncryption.certificate, 'import', new Date()));
  // Installability is not reported for incognito profiles: a real (temporary) profile.
  profile = mkdtempSync(join(tmpdir(), 'cachet-pwa-profile-'));
  context = withTestTimeouts(await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 390, height: 844 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  }));
});

after(async () => {
  await context?.close();
  await web?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the manifest names the app, starts standalone, and its icons are there at the sizes it says', async () => {
  const response = await fetch(`${web.server.url}/manifest.webmanifest`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /application\/manifest\+json/);
  const manifest = (await response.json()) as { name: string; start_url: string; display: string; icons: Array<{ src: string; sizes: string; type: string }> };
  assert.equal(manifest.name, 'Cachet Mail');
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const image = await fetch(`${web.server.url}${icon.src}`);
    assert.equal(image.status, 200, icon.src);
    const bytes = Buffer.from(await image.arrayBuffer());
    if (icon.type === 'image/png') {
      assert.equal(bytes.subarray(1, 4).toString(), 'PNG', `${icon.src} is a PNG`);
      const [width, height] = icon.sizes.split('x').map(Number);
      assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [width, height], `${icon.src} is ${icon.sizes}`);
    } else assert.match(bytes.toString(), /^<svg /);
  }
  const worker = await fetch(`${web.server.url}/sw.js`);
  assert.match(worker.headers.get('content-type') ?? '', /javascript/);
  assert.equal(worker.headers.get('cache-control'), 'no-cache', 'a new service worker is looked for on every start');
});

test('installable in Chromium; the service worker keeps the shell only, never /api or decrypted mail, and opens offline', async () => {
  const bob = await context.newPage();
  await bob.goto(web.server.url);
  await submitSignIn(bob, 'bob@example.org', 'bob-password');
  await viewDrawn(bob, 'Inbox');
  const sent = await sendFromPage(bob, { to: 'alice@example.org', subject: 'Vault', body: SECRET, sign: true, encrypt: true });
  assert.deepEqual([sent.kind, sent.encrypted], ['sent', true]);
  await bob.evaluate(async () => {
    const { csrfToken } = (await (await fetch('/api/session')).json()) as { csrfToken: string };
    await fetch('/api/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: '{}' });
  });

  const page = bob;
  await page.goto(web.server.url);
  await submitSignIn(page, 'alice@example.org', 'alice-password');
  await viewDrawn(page, 'Inbox');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  // Controlled from the next load on: read the encrypted mail through the service worker.
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.getByTestId('message-link').filter({ hasText: 'bob@example.org' }).first().click();
  await page.getByText(SECRET).waitFor();
  await page.evaluate(() => (location.hash = '#/settings'));
  await page.getByRole('heading', { level: 1, name: /^Settings/ }).waitFor();

  const cached = await page.evaluate(async () => {
    const out: Array<{ url: string; body: string }> = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) out.push({ url: request.url, body: await ((await cache.match(request))?.text() ?? '') });
    }
    return out;
  });
  assert.ok(cached.some((c) => c.url.includes('/assets/')), `the shell's script and styles are kept: ${cached.map((c) => c.url).join(', ')}`);
  assert.deepEqual(cached.filter((c) => new URL(c.url).pathname.startsWith('/api')).map((c) => c.url), [], 'no /api answer is kept');
  assert.deepEqual(cached.filter((c) => c.body.includes(SECRET) || c.body.includes('4711')).map((c) => c.url), [], 'no decrypted mail is kept');

  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
  assert.deepEqual(installabilityErrors.map((e) => e.errorId), [], 'Chromium can install it');

  await context.setOffline(true);
  await page.reload();
  await page.getByText('The server cannot be reached').waitFor();
  await page.screenshot({ path: screenshotPath('pwa-offline-phone'), fullPage: true });
  await context.setOffline(false);
});
