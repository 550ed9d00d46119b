/**
 * Issue 18 in the web client (Chromium through playwright-core): a dual-purpose certificate mailed
 * as a .p12 is offered for signing, encryption or both; "Use for both" imports it for both, and
 * Settings says so. A second dual-purpose certificate for both would replace the active signing
 * certificate (a renewal): the browser asks first; "Keep the current one" imports nothing, "Replace
 * signing certificate" imports it, and the first stays in the vault, inactive.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { signedInPage } from '../helpers/web-client-page.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { createDemoOrganisation, type DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';

let home: string;
let org: DemoOrganisation;
let server: RunningWebServer;
let browser: Browser;

/** A mail carrying two dual-purpose PKCS#12 files of the test PKI (openssl-made, password "test"). */
function renewalMail(to: string): Buffer {
  const part = (name: string): string => [
    '--b',
    `Content-Type: application/x-pkcs12; name="${name}.p12"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${name}.p12"`,
    '',
    readFileSync(pkiFile(`${name}.p12`)).toString('base64').replace(/.{76}/g, '$&\r\n'),
  ].join('\r\n');
  return Buffer.from([
    'From: admin@example.org', `To: ${to}`, 'Subject: Your renewed certificate', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain', '', 'Your certificate, and its renewal.', part('alice'), part('bob'), '--b--', '',
  ].join('\r\n'));
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-dual-'));
  org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
  const alice = org.users.find((u) => u.user.address.startsWith('alice'))!;
  await alice.user.maildir.deliver('INBOX', renewalMail(alice.user.address));
  server = await startWebServer({ service: new ClientMailService(home), port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test('a dual-purpose certificate for both roles, then its renewal, confirmed in the browser', async () => {
  const alice = org.users.find((u) => u.user.address.startsWith('alice'))!;
  const page = await signedInPage(browser, server.url, alice.user.address, 'alice-password');
  await page.getByRole('link', { name: /Your renewed certificate/ }).click();

  const importFile = async (file: string, openForm = true): Promise<ReturnType<typeof page.locator>> => {
    const item = page.locator('.attachments li', { hasText: file });
    if (openForm) await item.getByRole('button', { name: 'Import certificate…' }).click();
    await item.getByLabel(`Password for ${file}`).fill(P12_PASSWORD);
    await item.getByRole('button', { name: 'Import certificate' }).click();
    for (const label of ['Use for signing', 'Use for encryption', 'Use for both']) await item.getByRole('button', { name: label }).waitFor();
    await item.getByRole('button', { name: 'Use for both' }).click();
    return item;
  };

  const first = await importFile('alice.p12');
  await first.getByText(/imported as your signing and encryption certificate, as you chose/).waitFor();

  const second = await importFile('bob.p12');
  const dialog = second.getByRole('alertdialog', { name: 'Replace your signing certificate?' });
  await dialog.getByText(/You already sign with .*alice/).waitFor();
  await page.screenshot({ path: screenshotPath('alice-confirm-renewal'), fullPage: true });
  await dialog.getByRole('button', { name: 'Keep the current one' }).click();
  await second.getByText(/Nothing was imported/).waitFor();

  const again = await importFile('bob.p12', false);
  await again.getByRole('alertdialog').getByRole('button', { name: 'Replace signing certificate' }).click();
  await again.getByText(/imported as your signing and encryption certificate, as you chose/).waitFor();

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.locator('.credentials li[data-role="both"]', { hasText: 'bob@example.com' }).waitFor();
  await page.screenshot({ path: screenshotPath('alice-renewed-both'), fullPage: true });

  // What the vault holds: bob's certificate active for both uses, alice's kept, inactive, to read old mail.
  const vault = await openFileCredentialStore(join(alice.user.dir, VAULT_FILE_NAME), 'alice-password');
  const credentials = (await vault.list()).map((c) => ({ email: c.email[0], role: c.role, active: c.active })).sort((a, b) => a.email!.localeCompare(b.email!));
  assert.deepEqual(credentials, [
    { email: 'alice@example.com', role: 'both', active: false },
    { email: 'bob@example.com', role: 'both', active: true },
  ]);
});
