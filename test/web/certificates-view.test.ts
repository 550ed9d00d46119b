/**
 * Issue 16, certificates managed in the browser (Chromium through playwright-core): the two .pfx of
 * the administrator's mail imported with their one shared password; the Certificates view lists each
 * credential's role, expiry, issuer and fingerprint; an uploaded dual-purpose .p12 asks its role and,
 * replacing the signing certificate (a renewal), asks first; a backup .p12 under a password the user
 * chooses, read by openssl with its chain; removal asked first, with what it costs; an expiring
 * certificate warned in the list and as a banner (the policy's renewDaysBefore); desktop and phone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { runToolOk } from '../helpers/oracles.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { demoVault, importDemoCertificates, startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { viewDrawn } from '../helpers/web-client-page.js';
import type { DemoUser } from '../../src/use-cases/demo-org.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer } from '../../src/front-ends/web/node-adapter.js';

let web: DemoWebClient;
let scratch: string;
const DAY = 86_400_000;

function demoUser(name: string): DemoUser {
  return web.org.users.find((u) => u.user.address.startsWith(`${name}@`))!;
}


before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-certs-' });
  scratch = mkdtempSync(join(tmpdir(), 'cachet-web-certs-out-'));
  const bob = demoUser('bob');
  await importDemoCertificates(bob);
});

after(async () => {
  await web?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function signIn(url: string, name: string, viewport: { width: number; height: number }): Promise<Page> {
  return web.signIn(name, { url, viewport, context: { acceptDownloads: true } });
}

async function noHorizontalScroll(page: Page, width: number): Promise<void> {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `no horizontal scroll (${scroll} px)`);
}

test('desktop: import both files of one mail with one password, list, renew by upload, back up, remove', async () => {
  const alice = demoUser('alice');
  const page = await signIn(web.server.url, 'alice', { width: 1280, height: 860 });
  await page.getByRole('link', { name: /Your certificates for secure mail/ }).click();
  const all = page.getByTestId('import-all');
  await all.getByLabel('One password for all certificate files').fill(alice.pfxPassword);
  await all.getByRole('button', { name: 'Import all certificates' }).click();
  await all.getByText(/alice-sign\.pfx: a signing-only certificate .* imported automatically/).waitFor();
  await all.getByText(/alice-enc\.pfx: an encryption-only certificate .* imported automatically/).waitFor();
  await page.screenshot({ path: screenshotPath('certificates-import-all'), fullPage: true });

  await page.getByRole('link', { name: 'Certificates' }).click();
  await viewDrawn(page, 'Certificates');
  const vault = await demoVault(alice);
  for (const credential of await vault.list()) {
    const item = page.locator(`.credential[data-id="${credential.id}"]`);
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    assert.match(text, credential.role === 'signing' ? /^Signing/ : /^Encryption/);
    assert.match(text, /Issued by CN=Example Org S\/MIME CA/);
    assert.match(text, /valid until .*\(7\d\d days left\)/, 'the expiry, as a date and days left');
    assert.ok(text.replace(/:/g, '').includes(credential.id), 'the SHA-256 fingerprint');
    assert.equal(await item.getAttribute('data-expiry'), 'valid');
  }
  assert.equal(await page.getByTestId('expiry-banner').count(), 0, 'nothing to warn of');

  // Renewal by upload: a dual-purpose .p12 asks its role, then before replacing the signing certificate.
  const upload = page.getByTestId('upload');
  await upload.getByLabel('Certificate files (.p12, .pfx)').setInputFiles(pkiFile('alice.p12'));
  await upload.getByLabel('Password of the files').fill(P12_PASSWORD);
  await upload.getByRole('button', { name: 'Import', exact: true }).click();
  await upload.getByRole('button', { name: 'Use for both' }).click();
  const confirm = upload.getByRole('alertdialog', { name: 'Replace your signing certificate?' });
  await confirm.getByText(/You already sign with .*alice@example\.org/).waitFor();
  await page.screenshot({ path: screenshotPath('certificates-confirm-renewal'), fullPage: true });
  await confirm.getByRole('button', { name: 'Replace signing certificate' }).click();
  await upload.getByText(/imported as your signing and encryption certificate, as you chose/).waitFor();
  const renewed = page.locator('.credential[data-role="both"]', { hasText: 'alice@example.com' });
  await renewed.waitFor();
  assert.deepEqual((await vault.list()).map((c) => `${c.email[0]} ${c.role} ${c.active}`).sort(), [
    'alice@example.com both true',
    'alice@example.org encryption false',
    'alice@example.org signing false',
  ]);

  // A backup: a short password is refused, then openssl reads the file with the chosen one, chain included.
  await renewed.getByRole('button', { name: 'Export backup…' }).click();
  const exportForm = renewed.getByTestId('export-form');
  await exportForm.getByLabel('Password for the backup').fill('short');
  await exportForm.getByLabel('The same password again').fill('short');
  await exportForm.evaluate((form) => form.setAttribute('novalidate', ''));
  await exportForm.getByRole('button', { name: 'Download backup' }).click();
  await exportForm.getByText(/at least 8 characters/).waitFor();
  await exportForm.getByLabel('Password for the backup').fill('a backup passphrase');
  await exportForm.getByLabel('The same password again').fill('a backup passphrase');
  const [download] = await Promise.all([page.waitForEvent('download'), exportForm.getByRole('button', { name: 'Download backup' }).click()]);
  assert.match(download.suggestedFilename(), /^alice@example\.com-both-[0-9a-f]{8}\.p12$/);
  const file = join(scratch, 'backup.p12');
  await download.saveAs(file);
  const certificates = runToolOk('openssl', ['pkcs12', '-in', file, '-passin', 'pass:a backup passphrase', '-nokeys']).toString();
  assert.equal(certificates.match(/BEGIN CERTIFICATE/g)?.length, 2, 'the certificate and its chain');
  assert.match(runToolOk('openssl', ['pkcs12', '-in', file, '-passin', 'pass:a backup passphrase', '-nocerts', '-nodes']).toString(), /BEGIN PRIVATE KEY/);
  assert.notEqual(readFileSync(file).length, 0);

  // Removal of the old encryption key: asked first, with what it costs; "Keep it" keeps it.
  const old = page.locator('.credential[data-role="encryption"]');
  await old.getByRole('button', { name: 'Remove…' }).click();
  const question = old.getByRole('alertdialog', { name: 'Remove this certificate?' });
  await question.getByText(/makes the mail encrypted to it unreadable/).waitFor();
  await page.screenshot({ path: screenshotPath('certificates-remove-confirm'), fullPage: true });
  await question.getByRole('button', { name: 'Keep it' }).click();
  assert.equal((await vault.list()).length, 3, 'kept');
  await old.getByRole('button', { name: 'Remove…' }).click();
  await old.getByRole('alertdialog').getByRole('button', { name: 'Remove', exact: true }).click();
  await page.getByText(/Removed the certificate of alice@example\.org/).waitFor();
  assert.equal(await page.locator('.credential[data-role="encryption"]').count(), 0);
  assert.deepEqual((await (await demoVault(alice)).list()).map((c) => c.role).sort(), ['both', 'signing']);
  await page.screenshot({ path: screenshotPath('certificates-desktop'), fullPage: true });
});

test('phone, 20 days before expiry: the list and a banner on the Inbox warn, and nothing scrolls sideways', async () => {
  // The same home served with a clock 710 days on: the demo certificates (730 days) have 20 left, within renewDaysBefore (30).
  const later = new ClientMailService(web.home, () => Date.now() + 710 * DAY);
  const server = await startWebServer({ service: later, port: 0 });
  let page: Page | undefined;
  try {
    page = await signIn(server.url, 'bob', { width: 390, height: 844 });
    const banner = page.getByTestId('expiry-banner');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /Your signing certificate bob@example\.org is valid until .*\((19|20) days left\)/);
    await noHorizontalScroll(page, 390);
    await page.screenshot({ path: screenshotPath('certificates-banner-phone'), fullPage: true });
    await banner.getByRole('link', { name: 'Renew or replace it' }).click();
    await viewDrawn(page, 'Certificates');
    const items = page.locator('.credential');
    assert.equal(await items.count(), 2);
    for (const item of await items.all()) {
      assert.equal(await item.getAttribute('data-expiry'), 'expiring');
      assert.match((await item.getByTestId('expiry').textContent()) ?? '', /days left\): renew it/);
    }
    await items.first().locator('summary').click();
    await noHorizontalScroll(page, 390);
    await page.screenshot({ path: screenshotPath('certificates-phone'), fullPage: true });
  } finally {
    // The page's event stream keeps a connection open: the browser goes first, then the server.
    await page?.context().close();
    await server.close();
  }
});
