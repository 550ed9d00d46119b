/**
 * In Chromium: an attached message (message/rfc822) without Content-Disposition, built by Python's
 * email package and signed with OpenSSL at test time, is listed as an attachment named after its
 * Subject and downloads whole; the text shown is the signed note only, never the other message's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshotPath } from '../helpers/browser.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { signedForward } from '../helpers/python-mail.js';

let web: DemoWebClient;
let saved: string;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-embedded-', trustTestPki: true });
  saved = mkdtempSync(join(tmpdir(), 'cachet-web-embedded-saved-'));
});

after(async () => {
  await web?.close();
  if (saved) rmSync(saved, { recursive: true, force: true });
});

test('web client: the embedded message is listed for download, and downloads whole; the text shown is the signed note only', async () => {
  const bob = web.org.users.find((u) => u.user.address.startsWith('bob'))!;
  await bob.user.mailbox.deliver('INBOX', signedForward(bob.user.address));
  const page = await web.signIn('bob');
  await page.getByRole('link', { name: /Budget, passed on/ }).click();
  await page.locator('.status-bar').waitFor();
  assert.match((await page.getByTestId('message-text').textContent()) ?? '', /See the message below\./);
  assert.doesNotMatch((await page.locator('.message-content').textContent()) ?? '', /budget is 4 million/);
  const link = page.getByRole('region', { name: 'Attachments' }).getByRole('link', { name: 'Q3 budget.eml' });
  await link.waitFor();
  await page.screenshot({ path: screenshotPath('embedded-message-attachment'), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'Q3 budget.eml');
  const file = join(saved, 'downloaded.eml');
  await download.saveAs(file);
  assert.match(readFileSync(file, 'utf8'), /^From: Carol <carol@example\.com>\r?\n(.*\r?\n)*Subject: Q3 budget\r?\n(.*\r?\n)*\r?\nThe budget is 4 million\.\r?\n$/);
  await page.context().close();
});
