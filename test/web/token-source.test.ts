/**
 * Derived credentials in the web client, in a real browser: the admin's policy puts the users' keys on
 * a PKCS#11 token (SoftHSM2). Settings say where the keys are and ask for the token's PIN; a wrong PIN
 * is refused; once unlocked, the user's certificate is listed and mail is signed on the token.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { signedInPage } from '../helpers/web-client-page.js';
import { runCachet } from '../helpers/cli.js';
import { pkiFile } from '../helpers/pki.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { addUser, setLoginPassword } from '../../src/use-cases/users.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';

let home: string;
let token: SoftHsm | undefined;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-token-'));
  token = createSoftHsm([{ name: 'alice', id: 'a1' }], 'alice-card');
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  writeFileSync(join(home, 'policy.yaml'), `certificateSource: derivedCredentials\npkcs11Module: ${token.module}\nrevocationMode: off\n`);
  for (const address of ['alice@example.com', 'bob@example.com']) await setLoginPassword(await addUser(home, address), `${address.split('@')[0]}-password`);
  server = await startWebServer({ service: new ClientMailService(home), port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  token?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the token is unlocked with its PIN in Settings, and mail is signed on it', async () => {
  const page = await signedInPage(browser!, server!.url, 'alice@example.com', 'alice-password');

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByTestId('certificate-source').getByText(/on your token/).waitFor();
  const unlock = page.getByTestId('token-unlock');
  await unlock.getByLabel('PIN of your token').fill('0000');
  await unlock.getByRole('button', { name: 'Unlock token' }).click();
  await unlock.getByRole('alert').getByText(/PIN/).waitFor();

  await unlock.getByLabel('PIN of your token').fill(token!.pin);
  await unlock.getByRole('button', { name: 'Unlock token' }).click();
  await page.locator('.credentials li', { hasText: 'alice@example.com' }).first().waitFor();
  assert.equal(await page.getByTestId('token-unlock').count(), 0);
  await page.screenshot({ path: screenshotPath('alice-token-unlocked'), fullPage: true });

  await page.getByRole('link', { name: 'Compose' }).click();
  await page.getByLabel('To', { exact: true }).fill('bob@example.com');
  await page.getByLabel('To', { exact: true }).press('Enter');
  await page.getByLabel('Subject').fill('Signed on my card');
  await page.getByLabel('Message', { exact: true }).fill('This signature was made by my token.');
  await page.getByRole('switch', { name: 'Encrypt' }).uncheck();
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('compose-feedback').getByText('Sent and signed.').waitFor();

  // bob reads it (signed mail needs no key of his): valid, signed by alice's token key.
  const env = { CACHET_HOME: home };
  const inbox = JSON.parse((await runCachet(['inbox', '--as', 'bob@example.com', '--json'], { env })).stdout) as { messages: Array<{ id: string }> };
  const read = JSON.parse((await runCachet(['read', inbox.messages[0]!.id, '--as', 'bob@example.com', '--json'], { env })).stdout) as { status: string; text: string };
  assert.equal(read.status, 'valid');
  assert.match(read.text, /made by my token/);
  assert.equal(existsSync(vaultFilePath(join(home, 'users', 'alice@example.com'))), false, 'no key copied into a vault');
});
