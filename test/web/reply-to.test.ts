/**
 * Reply and reply all in Chromium honour Reply-To (RFC 5322 §3.6.2): Compose starts with the
 * addresses the server computed (use-cases/reply-all.ts, the same as `cachet reply`), the Reply-To
 * instead of the From, never the user; without a Reply-To, the From. The message view says where
 * replies go, and marks a Reply-To the signature does not cover.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { sign, withHeaders } from '../security/hostile-mail.js';

let web: DemoWebClient;
let bob: string;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-reply-to-', trustTestPki: true });
  const reader = web.org.users.find((u) => u.user.address.startsWith('bob'))!;
  bob = reader.user.address;
  const message = (subject: string, replyTo: string | null) =>
    Buffer.from(
      [
        'From: Carol <carol@example.net>',
        ...(replyTo ? [`Reply-To: ${replyTo}`] : []),
        `To: ${bob}, erin@example.net`,
        'Cc: dave@example.net',
        `Subject: ${subject}`,
        'Date: Mon, 1 Jun 2026 09:00:00 +0000',
        `Message-ID: <${subject.replace(/\W/g, '')}@example.net>`,
        'Content-Type: text/plain',
        '',
        `Text of ${subject}.`,
        '',
      ].join('\r\n'),
    );
  await reader.user.mailbox.deliver('INBOX', message('Answers to the team', '"Team, the" <team@example.net>'));
  await reader.user.mailbox.deliver('INBOX', message('Answers to me', null));
  // Signed by alice (OpenSSL), with a Reply-To added outside the signature.
  const signed = sign('alice', 'Content-Type: text/plain\r\n\r\nPlease answer.\r\n');
  await reader.user.mailbox.deliver('INBOX', withHeaders({ From: 'alice@example.com', 'Reply-To': 'mallory@example.net', To: bob, Subject: 'Signed, answers elsewhere', Date: 'Mon, 1 Jun 2026 10:00:00 +0000' }, signed));
});

after(() => web?.close());

const chips = (page: Page, field: string) => page.getByRole('list', { name: `${field} recipients` }).locator('.chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-address')));

async function answer(page: Page, subject: RegExp, button: 'Reply' | 'Reply all'): Promise<void> {
  await page.goto(`${web.server.url}/#/folder/INBOX`);
  await page.getByRole('link', { name: subject }).click();
  await page.getByRole('toolbar', { name: 'Message actions' }).waitFor();
  await page.getByRole(button === 'Reply' ? 'link' : 'button', { name: button, exact: true }).click();
  await page.getByRole('heading', { name: button, exact: true }).waitFor();
  await page.getByRole('list', { name: 'TO recipients' }).locator('.chip').first().waitFor();
}

test('Reply writes to the Reply-To; Reply all to the Reply-To and the others, never to the user nor the From', async () => {
  const page = await web.signIn('bob');
  await answer(page, /Answers to the team/, 'Reply');
  assert.deepEqual(await chips(page, 'TO'), ['team@example.net']);
  assert.deepEqual(await chips(page, 'CC'), []);
  assert.equal(await page.getByLabel('Subject').inputValue(), 'Re: Answers to the team');
  await page.screenshot({ path: screenshotPath('reply-to-reply'), fullPage: true });
  await answer(page, /Answers to the team/, 'Reply all');
  assert.deepEqual(await chips(page, 'TO'), ['team@example.net', 'erin@example.net']);
  assert.deepEqual(await chips(page, 'CC'), ['dave@example.net']);
  assert.ok(!(await chips(page, 'TO')).includes(bob));
  await page.context().close();
});

test('without a Reply-To, Reply writes to the From', async () => {
  const page = await web.signIn('bob');
  await page.getByRole('link', { name: /Answers to me/ }).click();
  await page.getByRole('toolbar', { name: 'Message actions' }).waitFor();
  assert.equal(await page.getByTestId('reply-to').count(), 0);
  await answer(page, /Answers to me/, 'Reply');
  assert.deepEqual(await chips(page, 'TO'), ['carol@example.net']);
  await page.context().close();
});

test('the message says where replies go, and that the signature does not cover a Reply-To added outside it', async () => {
  const page = await web.signIn('bob');
  await page.getByRole('link', { name: /Signed, answers elsewhere/ }).click();
  await page.locator('.status-bar[data-status="valid"]').waitFor();
  assert.match((await page.getByTestId('reply-to').textContent()) ?? '', /^Replies go to mallory@example\.net/);
  await page.getByTestId('reply-to').getByTestId('not-covered-reply-to').waitFor();
  await page.screenshot({ path: screenshotPath('reply-to-not-covered'), fullPage: true });
  await answer(page, /Signed, answers elsewhere/, 'Reply');
  assert.deepEqual(await chips(page, 'TO'), ['mallory@example.net']);
  await page.context().close();
});
