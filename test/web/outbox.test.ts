/**
 * Issue 16, the Outbox page (Debian's Chromium through playwright-core), on the one outbox use case
 * that `cachet outbox` shares: a message delivered to one recipient and not to another lists both —
 * "delivered", and "refused" with the reason — never "not sent" for the one who has it; Retry sends
 * to who is left once that can be done (nobody gets it twice); Delete gives up on a message, and the
 * CLI sees the same Outbox at every step.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { runCachet } from '../helpers/cli.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { sendFromPage } from '../helpers/web-client-page.js';
import { addUser } from '../../src/use-cases/users.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import type { OutboxMessage } from '../../src/use-cases/outbox.js';

let web: DemoWebClient;
const ALICE = 'alice@example.org';

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-outbox-' });
});
after(() => web?.close());

function signIn(viewport: { width: number; height: number }): Promise<Page> {
  return web.signIn('alice', { viewport });
}

/** Sends in clear through the page's API (what Compose posts). */
async function send(page: Page, to: string, subject: string): Promise<void> {
  await sendFromPage(page, { to, subject, body: 'The plan for next week.', sign: false, encrypt: false });
}

async function cliOutbox(): Promise<OutboxMessage[]> {
  const run = await runCachet(['outbox', '--as', ALICE, '--json'], { env: { CACHET_HOME: web.home } });
  return (JSON.parse(run.stdout) as { messages: OutboxMessage[] }).messages;
}

async function inboxCount(address: string): Promise<number> {
  return (await new Maildir(join(web.home, 'users', address, 'mail')).list('INBOX')).length;
}

for (const [size, viewport] of [['desktop', { width: 1280, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`${size}: per-recipient state, Retry delivers to who was left, Delete gives up; the CLI sees the same`, async () => {
    const page = await signIn(viewport);
    const carol = `carol-${size}@example.org`;
    const bobBefore = await inboxCount('bob@example.org');
    await send(page, `bob@example.org, ${carol}`, `Plan ${size}`);

    await page.evaluate(() => (location.hash = '#/folder/Outbox'));
    await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
    const card = page.getByTestId('outbox-message').filter({ hasText: `Plan ${size}` });
    await card.waitFor();
    assert.equal(await card.locator('li[data-address="bob@example.org"]').getAttribute('data-state'), 'delivered');
    assert.match((await card.locator('li[data-address="bob@example.org"]').textContent()) ?? '', /delivered/);
    assert.doesNotMatch((await card.locator('li[data-address="bob@example.org"]').textContent()) ?? '', /not sent|waiting/i, 'bob has it: never "not sent"');
    assert.match((await card.locator(`li[data-address="${carol}"]`).textContent()) ?? '', /refused — there is no local mailbox of that name, and no SMTP server is configured to send it further\. Retry once that is mended, or Delete\./);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no sideways scrolling (${width} px)`);
    await page.screenshot({ path: screenshotPath(`outbox-${size}`), fullPage: true });
    const listed = (await cliOutbox()).find((m) => m.subject === `Plan ${size}`);
    assert.deepEqual(
      listed?.recipients.map((r) => [r.address, r.state]),
      [
        ['bob@example.org', 'delivered'],
        [carol, 'refused'],
      ],
      'the CLI lists the same',
    );

    // carol gets a mailbox: Retry delivers to her, and to her only.
    await addUser(web.home, carol);
    await card.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('outbox-feedback').getByText('Retried.').waitFor();
    assert.equal(await page.getByTestId('outbox-message').filter({ hasText: `Plan ${size}` }).count(), 0, 'gone from the Outbox once everyone has it');
    assert.equal(await inboxCount(carol), 1);
    assert.equal(await inboxCount('bob@example.org'), bobBefore + 1, 'bob got it once');

    // A message nobody can be given: Delete, after a confirmation naming who will not get it.
    const dave = `dave-${size}@example.org`;
    await send(page, dave, `Lost ${size}`);
    await page.evaluate(() => (location.hash = '#/folder/INBOX'));
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    await page.evaluate(() => (location.hash = '#/folder/Outbox'));
    const lost = page.getByTestId('outbox-message').filter({ hasText: `Lost ${size}` });
    await lost.waitFor();
    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await lost.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('outbox-feedback').getByText('Deleted from the Outbox.').waitFor();
    assert.match(question, new RegExp(`will not be sent to ${dave}`));
    assert.equal(await page.getByTestId('outbox-message').filter({ hasText: `Lost ${size}` }).count(), 0);
    assert.equal((await cliOutbox()).some((m) => m.subject === `Lost ${size}`), false, 'the CLI sees it gone too');
    await page.context().close();
  });
}

test('cachet outbox --delete gives up on a message by its Message-ID; an unknown one is ERR_MAIL_NOT_FOUND', async () => {
  const page = await signIn({ width: 1280, height: 860 });
  await send(page, 'erin@example.org', 'For the CLI');
  await page.context().close();
  const queued = (await cliOutbox()).find((m) => m.subject === 'For the CLI')!;
  const text = await runCachet(['outbox', '--as', ALICE], { env: { CACHET_HOME: web.home } });
  assert.equal(text.status, 6);
  assert.match(text.stdout, /erin@example\.org: refused — there is no local mailbox/);
  const deleted = await runCachet(['outbox', '--as', ALICE, '--delete', queued.batch, '--json'], { env: { CACHET_HOME: web.home } });
  assert.equal((JSON.parse(deleted.stdout) as { messages: OutboxMessage[] }).messages.some((m) => m.batch === queued.batch), false);
  const again = await runCachet(['outbox', '--as', ALICE, '--delete', queued.batch, '--json'], { env: { CACHET_HOME: web.home } });
  assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'ERR_MAIL_NOT_FOUND');
});
