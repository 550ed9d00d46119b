/**
 * Issue 16, the details a reader sees, in the browser (Debian's Chromium through playwright-core):
 * certificate details fit a 390 px phone (no horizontal scroll), "valid until" is a date a person
 * reads, an attachment of a few dozen bytes says so in bytes (not "1 KiB"), and the upload limit is stated in Compose and
 * checked before anything is uploaded. The test PKI's root is trusted beside the demo organisation's,
 * so its bob@example.com signs validly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import type { DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { viewDrawn } from '../helpers/web-client-page.js';
import { sign, withHeaders } from '../security/hostile-mail.js';

const UPLOAD_LIMIT = 200 * 1024;
let web: DemoWebClient;
let org: DemoOrganisation;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-details-', trustTestPki: true, uploadBytes: UPLOAD_LIMIT });
  ({ org } = web);
});

after(() => web?.close());

const reader = () => org.users.find((u) => u.user.address.startsWith('bob'))!;

function signIn(viewport: { width: number; height: number }): Promise<Page> {
  return web.signIn('bob', { viewport });
}

test('phone (390 px): certificate details do not widen the page, dates are readable, a few dozen bytes are not "1 KiB"', async () => {
  const entity = [
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The notes are attached.',
    '--b',
    'Content-Type: text/plain; name="notes.txt"',
    'Content-Disposition: attachment; filename="notes.txt"',
    '',
    'forty-nine bytes of notes, counted one by one...',
    '--b--',
    '',
  ].join('\r\n');
  await reader().user.mailbox.deliver('INBOX', withHeaders({ From: 'bob@example.com', To: reader().user.address, Subject: 'Notes' }, sign('bob', entity)));
  const page = await signIn({ width: 390, height: 844 });
  await page.getByRole('link', { name: /Notes/ }).click();
  await page.locator('.status-bar[data-status="valid"]').waitFor();
  await page.locator('.cert-details summary').first().click();
  const details = page.locator('.cert-details').first();
  const validUntil = (await details.locator('.cert-row', { hasText: 'Valid until' }).locator('dd').textContent()) ?? '';
  assert.doesNotMatch(validUntil, /T\d\d:\d\d|Z$/, `a readable date, not ISO text: ${validUntil}`);
  assert.match(validUntil, /\b20\d\d\b/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scrolling with the certificate details open (${width} px)`);
  const fingerprintWidth = await details.locator('.cert-row', { hasText: 'SHA-256' }).locator('dd').evaluate((dd) => dd.getBoundingClientRect().width);
  assert.ok(fingerprintWidth > 150, `the fingerprint has room to be read (${fingerprintWidth} px)`);
  const size = (await page.locator('.attachments li', { hasText: 'notes.txt' }).textContent()) ?? '';
  assert.match(size, /\b\d{2} bytes\b/, `a few dozen bytes are said in bytes: ${size}`);
  assert.doesNotMatch(size, /KiB/);
  await page.screenshot({ path: screenshotPath('details-phone-certificate'), fullPage: true });
});

test('the upload limit is stated in Compose and checked before anything is uploaded', async () => {
  const page = await signIn({ width: 1280, height: 860 });
  await page.getByRole('link', { name: 'Compose' }).click();
  await viewDrawn(page, 'New message');
  assert.match((await page.getByTestId('attachment-limit').textContent()) ?? '', /Up to 200 KiB in all/);
  const sends: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/send')) sends.push(request.url());
  });
  await page.getByLabel('To', { exact: true }).fill('alice@example.org');
  await page.getByLabel('Subject').fill('Big file');
  await page.getByLabel('Attachments').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(300 * 1024) });
  await page.getByTestId('attachment-limit').getByText(/Too large to send: .* the limit is 200 KiB/).waitFor();
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'compose-attachments');
  assert.equal(sends.length, 0, 'nothing was uploaded');
  await page.screenshot({ path: screenshotPath('details-upload-limit'), fullPage: true });
});

test('the unread count drops when a message is opened (not stale until the next view)', async () => {
  await reader().user.mailbox.deliver('INBOX', withHeaders({ From: 'bob@example.com', To: reader().user.address, Subject: 'Unread one' }, sign('bob', 'Content-Type: text/plain\r\n\r\nRead me.\r\n')));
  const page = await signIn({ width: 1280, height: 860 });
  const inbox = page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: /Inbox/ });
  const unread = async () => Number((await inbox.locator('.badge').textContent().catch(() => '0')) || '0');
  await inbox.locator('.badge').waitFor();
  const before = await unread();
  assert.ok(before >= 1);
  await page.getByRole('link', { name: /Unread one/ }).click();
  await page.locator('.status-bar').waitFor();
  await page.waitForFunction((count) => {
    const badge = document.querySelector('nav.folders a[href="#/folder/INBOX"] .badge');
    return Number(badge?.textContent ?? '0') === count - 1;
  }, before);
});
