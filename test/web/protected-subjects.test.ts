/**
 * Issue 16, encrypted subjects (Chromium through playwright-core): an encrypted message's outer
 * Subject is "[...]"; once the user has opened it, the list shows its protected Subject and the
 * search finds it — for this user only: Bob, in the same home, does not see it, and no file of the
 * server's state (the home, the state directory) holds the subject in clear.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { importDemoCertificates, startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { protectHeaders } from '../../src/engine/smime/header-protection.js';
import { encryptEntity } from '../../src/engine/smime/encrypt.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';

let web: DemoWebClient;
const SUBJECT = 'Merger codename Bluebird';

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-subjects-' });
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  const { store } = await importDemoCertificates(alice);
  const encryption = (await store.active('encryption'))!.certificate;
  const composed = Buffer.from([`From: Bob <bob@${web.org.domain}>`, `To: ${alice.user.address}`, `Subject: ${SUBJECT}`, 'Message-ID: <bluebird@example.org>', 'Date: Mon, 7 Dec 2026 00:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Keep it quiet.', ''].join('\r\n'));
  const { payload, outerHeader } = await protectHeaders(toByteStream(composed), { mode: 'cipher', obscureSubject: true });
  const sealed = Buffer.concat([outerHeader, await collectBytes(encryptEntity(payload, { recipients: [{ certificate: encryption }], cipher: 'aes-256-gcm' }))]);
  assert.doesNotMatch(sealed.toString('latin1'), /Bluebird/, 'the outer message hides the subject');
  await alice.user.mailbox.deliver('INBOX', sealed);
  // The same message in Bob's mailbox: he has opened nothing.
  const bob = web.org.users.find((u) => u.user.address.startsWith('bob@'))!;
  await bob.user.mailbox.deliver('INBOX', sealed);
});

after(() => web?.close());

function signIn(name: string): Promise<Page> {
  return web.signIn(name, { viewport: { width: 390, height: 844 } });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function search(page: Page, text: string): Promise<void> {
  await page.getByRole('searchbox').first().fill(text);
  await page.getByRole('searchbox').first().press('Enter');
  await page.waitForFunction((wanted) => decodeURIComponent(location.hash).includes(wanted), text);
  await page.locator('.list-container p.muted, .list-container .message-list').first().waitFor();
}

test('the protected Subject is shown and found once opened, for the user who opened it only, never in clear on the server', async () => {
  const page = await signIn('alice');
  const link = page.getByTestId('message-link').filter({ hasText: '[...]' });
  await link.waitFor();
  await search(page, 'Bluebird');
  assert.equal(await page.getByTestId('message-link').filter({ hasText: SUBJECT }).count(), 0, 'not found before it was opened');

  await page.goto(`${web.server.url}/#/folder/INBOX`);
  await page.getByTestId('message-link').filter({ hasText: '[...]' }).click();
  await page.getByText('Keep it quiet.').waitFor();
  await page.getByRole('heading', { name: SUBJECT }).waitFor();
  await page.goto(`${web.server.url}/#/folder/INBOX`);
  await page.getByTestId('message-link').filter({ hasText: SUBJECT }).waitFor();
  await search(page, 'bluebird');
  await page.getByTestId('message-link').filter({ hasText: SUBJECT }).waitFor();
  await page.screenshot({ path: screenshotPath('protected-subject-found'), fullPage: true });

  const bob = await signIn('bob');
  await bob.getByTestId('message-link').filter({ hasText: '[...]' }).waitFor();
  assert.equal(await bob.getByTestId('message-link').filter({ hasText: SUBJECT }).count(), 0, "Bob's list keeps [...]");

  // Nothing the server keeps names the subject in clear.
  const roots = [web.home, ...(process.env.CACHET_STATE_DIR ? [process.env.CACHET_STATE_DIR] : [])];
  for (const file of roots.flatMap(filesUnder)) assert.ok(!readFileSync(file).includes('Bluebird'), `${file} holds the subject in clear`);
});
