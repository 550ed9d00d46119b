/**
 * Issue 16, drafts in the browser (Debian's Chromium through playwright-core): Compose saves as the
 * user types, encrypted to the author's own certificate in the Drafts folder — what lies on the server
 * names neither the recipients, the subject nor the text, and OpenSSL decrypts it with the author's
 * key — and the draft comes back after a reload, after going elsewhere (the Drafts folder), and
 * after the idle lock, where signing in again lands on the draft with what was typed after the lock
 * (and the view from before the lock never saves its older text over it). Sending deletes it, also
 * when a save was still on its way. Without an encryption certificate nothing is stored on the server: the page
 * says so and keeps the draft in the browser tab only, until sign-out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { runTool } from '../helpers/oracles.js';
import { waitFor } from '../helpers/wait.js';
import { createDemoOrganisation, type DemoOrganisation, type DemoUser } from '../../src/use-cases/demo-org.js';
import { importFromMail } from '../../src/use-cases/import-from-mail.js';
import { readMessage } from '../../src/use-cases/read.js';
import { collectBytes } from '../../src/engine/stream-types.js';
import { readPfx } from '../../src/engine/pkcs12/pfx-read.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';

let home: string;
let org: DemoOrganisation;
let server: RunningWebServer;
let browser: Browser;
/** The server's clock: moved on to strike the idle lock (the policy's vaultIdleMinutes: 5). */
let clock = Date.now();
/** alice's private keys from her mailed PKCS#12 files, as PEM files for OpenSSL. */
const aliceKeys: string[] = [];

const demoUser = (name: string): DemoUser => org.users.find((u) => u.user.address.startsWith(`${name}@`))!;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-drafts-'));
  org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
  writeFileSync(join(home, 'policy.yaml'), 'vaultIdleMinutes: 5\n');
  // alice has her certificates (signing and encryption); bob has imported none.
  const alice = demoUser('alice');
  const store = await openFileCredentialStore(join(alice.user.dir, VAULT_FILE_NAME), alice.password, { createIfMissing: true });
  const results = await importFromMail(alice.user, 'INBOX', alice.distributionMailId, store, { password: async () => alice.pfxPassword });
  assert.ok(results.every((r) => r.kind === 'imported'), JSON.stringify(results));
  await readMessage('INBOX', alice.distributionMailId, { user: alice.user, store, validator: undefined }, {
    attachments: async (a, content) => {
      if (!/\.(p12|pfx)$/i.test(a.filename)) return;
      for (const credential of (await readPfx(await collectBytes(content), alice.pfxPassword)).credentials) {
        const file = join(home, `alice-key-${aliceKeys.length}.pem`);
        writeFileSync(file, createPrivateKey({ key: Buffer.from(credential.privateKeyPkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }));
        aliceKeys.push(file);
      }
    },
  });
  assert.ok(aliceKeys.length >= 1);
  server = await startWebServer({ service: new ClientMailService(home, () => clock), port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

async function signIn(page: Page, name: string): Promise<void> {
  await page.getByLabel('User name').fill(`${name}@${org.domain}`);
  await page.getByLabel('Password').fill(`${name}-password`);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function newPage(name: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(server.url);
  await signIn(page, name);
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  return page;
}

async function storedDrafts(name: string): Promise<string[]> {
  const { mailbox } = demoUser(name).user;
  // A draft replaced between the listing and the reading is skipped: the next look finds its successor.
  const read = await Promise.all((await mailbox.list('Drafts')).map((m) => mailbox.read('Drafts', m.id).then((bytes) => bytes.toString('latin1'), () => null)));
  return read.filter((raw): raw is string => raw !== null);
}

/** OpenSSL's reading of a stored draft with alice's keys (the one that is a recipient decrypts it). */
function opensslDecrypt(raw: string): string {
  const input = join(home, 'draft.eml');
  writeFileSync(input, raw);
  for (const key of aliceKeys) {
    const result = runTool('openssl', ['cms', '-decrypt', '-in', input, '-inkey', key]);
    if (result.status === 0) return result.stdout.toString();
  }
  throw new Error('OpenSSL could not decrypt the draft with any of alice’s keys');
}

async function waitForDraftText(name: string, text: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const drafts = await storedDrafts(name);
    if (drafts.length === 1 && opensslDecrypt(drafts[0]!).includes(text)) return drafts[0]!;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const drafts = await storedDrafts(name);
  assert.fail(`no single stored draft holding "${text}": ${drafts.length} drafts, ${JSON.stringify(drafts.map((d) => opensslDecrypt(d).split('\r\n\r\n').slice(1).join('')))}`);
}

/** To the Inbox, then the draft opened from the Drafts folder: Compose comes back holding `body`. */
async function backThroughDraftsFolder(page: Page, body: string): Promise<void> {
  await page.getByRole('link', { name: 'Inbox' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await page.getByRole('link', { name: 'Drafts' }).click();
  await page.getByRole('heading', { name: 'Drafts' }).waitFor();
  await page.getByTestId('message-link').first().click();
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.waitForFunction((text) => (document.getElementById('compose-body') as HTMLTextAreaElement | null)?.value === text, body);
}

test('a draft is saved encrypted to its author, comes back after a reload, from the Drafts folder and after the idle lock, and goes once sent', async () => {
  const page = await newPage('alice');
  await page.getByRole('link', { name: 'Compose' }).click();
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.getByLabel('To', { exact: true }).fill('bob@example.org');
  await page.getByLabel('To', { exact: true }).press('Enter');
  await page.getByLabel('Subject').fill('Board minutes');
  await page.getByLabel('Message', { exact: true }).fill('The merger closes on Friday.');
  await page.getByTestId('draft-status').getByText(/Draft saved, encrypted/).waitFor();
  assert.match(page.url(), /#\/compose\?draft=/, 'the address names the draft');

  const raw = await waitForDraftText('alice', 'The merger closes on Friday.');
  assert.match(raw, /^Content-Type: application\/pkcs7-mime; smime-type=authEnveloped-data/m);
  for (const secret of ['merger', 'Board minutes', 'bob@example.org']) assert.ok(!raw.includes(secret), `"${secret}" is not on the server in clear`);
  const inner = opensslDecrypt(raw);
  assert.match(inner, /^Subject: Board minutes/m);
  assert.match(inner, /^To: bob@example\.org/m);

  // A reload: the same draft, filled in again.
  await page.reload();
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.waitForFunction(() => (document.getElementById('compose-subject') as HTMLInputElement | null)?.value === 'Board minutes');
  assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), 'The merger closes on Friday.');
  await page.locator('.chip[data-address="bob@example.org"]').waitFor();

  // Elsewhere and back through the Drafts folder.
  await backThroughDraftsFolder(page, 'The merger closes on Friday.');

  // The idle lock strikes while the page is open; what is typed afterwards is not lost.
  clock += 6 * 60_000;
  await page.getByLabel('Message', { exact: true }).pressSequentially(' Keep it quiet.');
  await page.getByRole('heading', { name: 'Cachet Mail' }).waitFor();
  await page.screenshot({ path: screenshotPath('drafts-idle-lock'), fullPage: true });
  await signIn(page, 'alice');
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.waitForFunction(() => (document.getElementById('compose-body') as HTMLTextAreaElement | null)?.value === 'The merger closes on Friday. Keep it quiet.');
  await waitForDraftText('alice', 'Keep it quiet.');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cachet.draft.unsaved')), null, 'the tab holds nothing once the server has it');

  // Typing goes on after signing in again. The view drawn before the lock is retired: leaving now must
  // not make it save its older text over the newer draft (the Drafts folder would hold the text
  // without " Signed.", or its link name a draft already replaced).
  await page.getByLabel('Message', { exact: true }).pressSequentially(' Signed.');
  await waitForDraftText('alice', 'Keep it quiet. Signed.');
  await backThroughDraftsFolder(page, 'The merger closes on Friday. Keep it quiet. Signed.');
  await waitForDraftText('alice', 'Keep it quiet. Signed.');

  // Sent: the draft is gone.
  await page.getByRole('switch', { name: 'Encrypt' }).uncheck();
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('compose-feedback').getByText(/^Sent/).waitFor();
  // The delete waits in the line of saves: polled up to the suite's deadline, not for a fixed 5 s.
  const left = await waitFor(async () => { const drafts = await storedDrafts('alice'); return drafts.length === 0 ? drafts : undefined; }, 'the sent draft to be deleted').catch(() => storedDrafts('alice'));
  assert.equal(left.length, 0, `the draft was deleted once sent: ${JSON.stringify(left.map((d) => opensslDecrypt(d).split('\r\n\r\n').slice(1).join('')))}`);
  await page.waitForURL(/#\/compose$/);
  await page.context().close();
});

test('phone, no encryption certificate: nothing is stored on the server, the page says so, the tab keeps the draft until sign-out', async () => {
  const page = await newPage('bob', { width: 390, height: 844 });
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Compose' }).click();
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.getByLabel('Subject').fill('Travel plans');
  await page.getByLabel('Message', { exact: true }).fill('Leaving on the 9th.');
  await page.getByTestId('draft-status').getByText(/no encryption certificate.*kept in this browser tab only/).waitFor();
  await page.screenshot({ path: screenshotPath('drafts-no-certificate-phone'), fullPage: true });
  assert.deepEqual(await storedDrafts('bob'), [], 'nothing on the server');
  assert.match(page.url(), /#\/compose\?draft=local$/);

  await page.reload();
  await page.waitForFunction(() => (document.getElementById('compose-body') as HTMLTextAreaElement | null)?.value === 'Leaving on the 9th.');
  assert.equal(await page.getByLabel('Subject').inputValue(), 'Travel plans');
  assert.deepEqual(await storedDrafts('bob'), []);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width} px)`);

  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Cachet Mail' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'signed out: no draft left in the tab');
  await page.context().close();
});
