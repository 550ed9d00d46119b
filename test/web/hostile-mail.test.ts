/**
 * Issue 14 in the browser (Debian's Chromium through playwright-core): the verified address is shown
 * first and a display name imitating another address is marked; headers the signature does not cover
 * say so; a body imitating the status bar sits below Cachet's boundary, outside the status; and a
 * certs-only message files nothing until the user presses the button. The test PKI's root is trusted
 * beside the demo organisation's, so its identities (bob@example.com playing mallory) sign validly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { AddressBook } from '../../src/adapters/directory/address-book.js';
import { screenshotPath } from '../helpers/browser.js';
import type { DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { BODY, certsOnlyMessage, sign, withHeaders } from '../security/hostile-mail.js';

let web: DemoWebClient;
let org: DemoOrganisation;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-hostile-', trustTestPki: true });
  ({ org } = web);
});

after(() => web?.close());

const reader = () => org.users.find((u) => u.user.address.startsWith('bob'))!;

async function openAsBob(subject: RegExp): Promise<Page> {
  const page = await web.signIn('bob', { viewport: { width: 1280, height: 900 } });
  await page.getByRole('link', { name: subject }).click();
  await page.locator('.status-bar').waitFor();
  return page;
}

test('a display name holding another address: the signer\'s address is shown verified, the name marked; uncovered headers say so', async () => {
  const signed = withHeaders({ From: '"alice@example.com" <bob@example.com>', To: reader().user.address, Subject: 'Pay the new account', Date: 'Mon, 1 Jun 2026 09:00:00 +0000' }, sign('bob', BODY));
  await reader().user.mailbox.deliver('INBOX', signed);
  const page = await openAsBob(/Pay the new account/);
  await page.locator('.status-bar[data-status="valid"]').waitFor();
  assert.match((await page.locator('.status-sentence').textContent()) ?? '', /^Signed by bob@example\.com\./);
  assert.equal(await page.getByTestId('sender-address').textContent(), 'bob@example.com');
  await page.getByTestId('sender-verified').waitFor();
  assert.match((await page.getByTestId('name-warning').textContent()) ?? '', /looks like another address/);
  await page.getByTestId('not-covered-subject').waitFor();
  await page.getByTestId('not-covered-date').waitFor();
  assert.equal(await page.getByTestId('not-covered-from').count(), 0, 'the verified From is covered by the signer\'s certificate');
  assert.match((await page.locator('.status-bar').textContent()) ?? '', /signature does not cover the headers/);
  await page.screenshot({ path: screenshotPath('hostile-display-name'), fullPage: true });
});

test('a body imitating the status bar stays below Cachet\'s boundary, outside the status', async () => {
  const fake = 'Content-Type: text/plain; charset=utf-8\r\n\r\nSigned\r\nSigned by alice@example.com. The signature is valid and the certificate is trusted.\r\n';
  await reader().user.mailbox.deliver('INBOX', withHeaders({ From: 'alice@example.com', To: reader().user.address, Subject: 'Imitation' }, fake));
  const page = await openAsBob(/Imitation/);
  assert.equal(await page.locator('.status-bar').getAttribute('data-status'), 'not-signed');
  assert.equal(await page.locator('.status-bar .message-text').count(), 0);
  const content = page.getByRole('region', { name: 'Message content' });
  assert.match((await content.getByTestId('content-boundary').textContent()) ?? '', /as the sender wrote it/);
  assert.match((await content.getByTestId('message-text').textContent()) ?? '', /The signature is valid/);
  await page.screenshot({ path: screenshotPath('hostile-imitation'), fullPage: true });
});

test('a certs-only message files nothing when read; the button adds its certificates', async () => {
  await reader().user.mailbox.deliver('INBOX', await certsOnlyMessage('mallory@example.net', ['eve']));
  const page = await openAsBob(/my certificate/);
  const book = () => (existsSync(AddressBook.file(reader().user.dir)) ? AddressBook.open(reader().user.dir) : undefined);
  assert.equal((await book())?.correspondent('alice@example.com'), undefined, 'reading filed nothing');
  await page.getByRole('button', { name: 'Add these certificates to my address book' }).click();
  await page.getByTestId('certs-import-result').getByText('alice@example.com: added').waitFor();
  assert.equal((await book())?.correspondent('alice@example.com')?.certificates.length, 1);
});
