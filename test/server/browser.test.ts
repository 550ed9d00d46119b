/**
 * The organisation's web mail in Chromium: over HTTPS, alice and bob sign in with the passwords
 * Dovecot knows and see their IMAP folders; alice sends signed and encrypted mail that goes through
 * Postfix into bob's IMAP INBOX, where bob's open page shows it without a reload (IMAP IDLE →
 * server-sent events) and opens it as valid and encrypted; bob signs out; wrong passwords are throttled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { webUiAssets } from '../../src/front-ends/web/node-adapter.js';
import { FileWrappedSecretStore, readKeyEncryptionKey, UserKeyCustody } from '../../src/front-ends/server/user-keys.js';
import { httpsRequest, makeTestCa, startInProcess, type InProcessServer, type TestCa } from './support.js';

let mail: MailServers;
let dir: string;
let ca: TestCa;
let web: InProcessServer;
let browser: Browser;
const state = () => join(dir, 'state');

async function provision(name: 'alice' | 'bob'): Promise<void> {
  const address = `${name}@example.com`;
  // A first sign-in makes the user's home and their vault key; then the admin imports their PKCS#12.
  const first = await httpsRequest(`${web.server.url}/api/login`, ca.ca, { method: 'POST', headers: { 'content-type': 'application/json', origin: web.server.url }, body: JSON.stringify({ user: address, password: name }) });
  assert.equal(first.status, 200, first.body);
  const custody = new UserKeyCustody(await readKeyEncryptionKey(join(dir, 'kek')), new FileWrappedSecretStore(join(state(), 'server', 'keys')));
  writeFileSync(join(dir, `${name}-vault`), `${await custody.vaultPassphrase(address)}\n`, { mode: 0o600 });
  const env = { CACHET_HOME: state() };
  const imported = await runCachet(['cert', 'import', pkiFile(`${name}.p12`), '--role', 'both', '--password-file', join(dir, 'p12-password'), '--passphrase-file', join(dir, `${name}-vault`), '--as', address], { env });
  assert.equal(imported.status, 0, imported.stderr);
}

before(async () => {
  mail = await startMailServers(['alice', 'bob']);
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-browser-'));
  ca = makeTestCa(join(dir, 'tls'));
  const [cert, key] = ca.issue('cachet.example.com');
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  writeFileSync(join(dir, 'p12-password'), `${P12_PASSWORD}\n`);
  mkdirSync(join(dir, 'state', 'trust'), { recursive: true });
  copyFileSync(pkiFile('ca.pem'), join(dir, 'state', 'trust', 'test-ca.pem'));
  web = await startInProcess(
    dir,
    `listen:\n  host: 127.0.0.1\n  port: 0\ntls:\n  certificate: ${cert}\n  key: ${key}\nsignIn:\n  method: imap\n  freeAttempts: 2\nmail:\n  imap:\n    host: 127.0.0.1\n    port: ${mail.imapsPort}\n    ca: ${pkiFile('ca.pem')}\n    servername: localhost\n  smtp:\n    host: 127.0.0.1\n    port: ${mail.smtpPort}\n    starttls: true\n    ca: ${pkiFile('ca.pem')}\nstate:\n  directory: ${state()}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
    { staticAssets: webUiAssets() },
  );
  await provision('alice');
  await provision('bob');
  // alice knows bob's encryption certificate (from her address book).
  const book = await runCachet(['addressbook', 'import', pkiFile('bob.pem'), '--as', 'alice@example.com'], { env: { CACHET_HOME: state() } });
  assert.equal(book.status, 0, book.stderr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await web?.server.shutdown();
  mail?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(name: string, password: string): Promise<Page> {
  // The server's certificate comes from a CA made for this test, which this browser does not know.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(web.server.url);
  await page.getByLabel('User name').fill(`${name}@example.com`);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

test('sign in over HTTPS with the Dovecot password, send signed and encrypted through Postfix, new mail without reload, sign out', async () => {
  assert.match(web.server.url, /^https:/);
  const bob = await signIn('Bob', 'bob');
  await bob.getByRole('heading', { name: 'Inbox' }).waitFor();

  const alice = await signIn('alice', 'alice');
  await alice.getByRole('heading', { name: 'Inbox' }).waitFor();
  for (const folder of ['Sent', 'Drafts']) await alice.locator('#sidebar').getByRole('link', { name: new RegExp(folder) }).waitFor();
  await alice.getByRole('link', { name: 'Compose' }).click();
  await alice.getByLabel('To', { exact: true }).fill('Bob@Example.com');
  await alice.getByLabel('To', { exact: true }).press('Enter');
  await alice.locator('.chip[data-address="bob@example.com"][data-cert="true"]').waitFor();
  await alice.getByLabel('Subject').fill('Board minutes');
  await alice.getByLabel('Message', { exact: true }).fill('Confidential: for Bob only.');
  assert.equal(await alice.getByRole('switch', { name: 'Encrypt' }).isChecked(), true);
  await alice.getByRole('switch', { name: 'Sign' }).check();
  await alice.getByRole('button', { name: 'Send' }).click();
  await alice.getByTestId('compose-feedback').getByText('Sent, encrypted and signed.').waitFor();

  // No reload: bob's Inbox shows it when his event stream says "mail".
  await bob.getByRole('link', { name: /\[\.\.\.\]/ }).click({ timeout: 30_000 });
  await bob.locator('.status-bar[data-status="valid"]').waitFor();
  assert.match((await bob.getByTestId('encryption-status').textContent()) ?? '', /Encrypted/);
  assert.match((await bob.getByTestId('message-text').textContent()) ?? '', /for Bob only/);
  await bob.screenshot({ path: screenshotPath('server-bob-reads-imap'), fullPage: true });
  await bob.getByRole('button', { name: 'Sign out' }).click();
  await bob.getByRole('button', { name: 'Sign in' }).waitFor();
});

test('wrong passwords are throttled with a clear wait', async () => {
  const page = await signIn('alice', 'wrong-1');
  await page.getByText('wrong user name or password').waitFor();
  await page.getByLabel('Password').fill('wrong-2');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('wrong user name or password').waitFor();
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/too many failed sign-ins: try again in \d+ s/).waitFor();
});
