/**
 * Issue 16, composing safely in the browser (Debian's Chromium through playwright-core), at desktop
 * and phone size: Send is disabled while a mail is on its way (a double click sends once) and says
 * what the server is doing; Enter in the Subject does not send; the form is empty after sending (no
 * attachment carried into the next mail); Compose while composing opens a fresh form with the focus
 * on its heading; `Name <address>` is read, a bare name is refused with a visible reason and kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import type { DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { openCompose } from '../helpers/web-client-page.js';

let web: DemoWebClient;
let home: string;
let org: DemoOrganisation;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-compose-' });
  ({ home, org } = web);
});

after(() => web?.close());

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

function signIn(viewport: { width: number; height: number }): Promise<Page> {
  return web.signIn('alice', { viewport });
}

/** A user's messages in a folder, as stored (header fields and all). */
async function rawMessages(name: 'alice' | 'bob', folder: string): Promise<string[]> {
  const { mailbox } = org.users.find((u) => u.user.address.startsWith(name))!.user;
  return Promise.all((await mailbox.list(folder)).map(async (m) => (await mailbox.read(folder, m.id)).toString('latin1')));
}


for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
  test(`${size}: one mail per send, progress while the server works, Enter in Subject does not send, an empty form afterwards`, async () => {
    const page = await signIn(viewport);
    await openCompose(page, { phone: size === 'phone' });
    const sends: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/send', async (route: Route) => {
      sends.push(route.request().method());
      await held;
      await route.continue();
    });
    await page.getByLabel('To', { exact: true }).fill('bob@example.org');
    await page.getByLabel('To', { exact: true }).press('Enter');
    await page.locator('.chip[data-address="bob@example.org"]').waitFor();
    await page.getByLabel('Subject').fill('Report');
    await page.getByLabel('Subject').press('Enter');
    await page.getByRole('switch', { name: 'Encrypt' }).uncheck();
    await page.getByLabel('Message', { exact: true }).fill('The report is attached.');
    await page.getByLabel('Attachments').setInputFiles({ name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('figures') });
    await page.getByRole('button', { name: 'Send' }).dblclick();
    await page.getByTestId('send-progress').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true, 'Send is disabled while the mail is on its way');
    await page.screenshot({ path: screenshotPath(`compose-sending-${size}`), fullPage: true });
    release();
    await page.getByTestId('compose-feedback').getByText('Sent.').waitFor();
    // Send is enabled again once the sent draft is deleted too (it answers after the feedback is shown).
    await page.locator('form.compose button[type="submit"]:enabled').waitFor();
    assert.equal(sends.length, 1, 'Enter in Subject sent nothing, and the double click sent once');
    assert.equal(await page.getByLabel('Subject').inputValue(), '');
    assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), '');
    assert.equal(await page.getByLabel('Attachments').evaluate((input) => (input as HTMLInputElement).files?.length), 0, 'no attachment carried into the next mail');
    assert.equal(await page.locator('.chip').count(), 0);

    await page.getByLabel('Subject').fill('Half written');
    const halfWritten = await page.locator('#compose-subject').elementHandle();
    await openCompose(page, { phone: size === 'phone' });
    // A fresh form (not the old one emptied), drawn, the focus on its heading.
    assert.equal(await halfWritten!.evaluate((input) => input.isConnected), false, 'the half-written form is gone');
    assert.equal(await page.getByLabel('Subject').inputValue(), '');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scrolling (${width} px)`);
  });
}

test('recipients: "Name <address>" is read, a bare name is refused with a reason and kept; a missing certificate is said once', async () => {
  const page = await signIn(PHONE);
  await openCompose(page, { phone: true });
  const to = page.getByLabel('To', { exact: true });
  await to.fill('Bob Smith <Bob@Example.org>, Carol; stranger@example.net');
  await to.press('Enter');
  await page.locator('.chip[data-address="bob@example.org"]').waitFor();
  await page.locator('.chip[data-address="stranger@example.net"][data-cert="false"]').waitFor();
  assert.equal(await to.inputValue(), 'Carol', 'what could not be read stays in the field');
  assert.match((await page.getByTestId('compose-to-error').textContent()) ?? '', /Carol.*a name alone is not an address/);
  // What a screen reader reads (the icon is decorative) and what is seen: the chip's own words.
  const chip = await page.locator('.chip[data-address="stranger@example.net"]').evaluate((li) => Array.from(li.querySelectorAll('span')).map((s) => s.textContent).join(''));
  assert.match(chip, /no certificate/);
  assert.doesNotMatch(chip, /no certificate.*no certificate/, `said once: ${chip}`);
  // Sending with unread text sends nothing: the field is focused instead.
  const sends: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/send')) sends.push(request.url());
  });
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'compose-to');
  assert.equal(sends.length, 0);
  await page.screenshot({ path: screenshotPath('compose-recipients-phone'), fullPage: true });
});

test('after "send unencrypted to everyone", the page says who got it and who waits in the Outbox, never "not sent" for a delivered mail', async () => {
  writeFileSync(join(home, 'policy.yaml'), 'groupRule: ask\nencryptByDefault: true\n');
  try {
    const page = await signIn(DESKTOP);
    await openCompose(page);
    await page.getByLabel('To', { exact: true }).fill('bob@example.org, stranger@example.net');
    await page.getByLabel('To', { exact: true }).press('Enter');
    await page.locator('.chip[data-address="stranger@example.net"][data-cert="false"]').waitFor();
    await page.getByLabel('Subject').fill('Lunch');
    await page.getByLabel('Message', { exact: true }).fill('Noon?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Send unencrypted to everyone' }).click();
    const feedback = page.getByTestId('compose-feedback');
    await feedback.getByTestId('delivered').waitFor();
    assert.ok((await rawMessages('bob', 'INBOX')).some((m) => /^Subject: Lunch$/m.test(m)), 'bob has the mail');
    assert.match((await feedback.getByTestId('delivered').textContent()) ?? '', /^Sent to bob@example\.org\.$/);
    assert.match((await feedback.getByTestId('refused').textContent()) ?? '', /stranger@example\.net: there is no local mailbox of that name/);
    assert.equal(await feedback.getByTestId('waiting').count(), 0, 'nobody is said to be waiting: the one left was refused');
    assert.doesNotMatch((await feedback.textContent()) ?? '', /Not sent yet/);
    assert.match((await feedback.textContent()) ?? '', /sent UNENCRYPTED to everyone/);
    await page.screenshot({ path: screenshotPath('compose-partly-delivered'), fullPage: true });
  } finally {
    rmSync(join(home, 'policy.yaml'), { force: true });
  }
});

test('a reply carries In-Reply-To and References, so that it threads', async () => {
  const alice = org.users.find((u) => u.user.address.startsWith('alice'))!;
  const original = [
    'From: Bob <bob@example.org>',
    `To: ${alice.user.address}`,
    'Subject: Budget',
    'Message-ID: <budget-2@example.org>',
    'References: <budget-1@example.org>',
    'In-Reply-To: <budget-1@example.org>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Is the budget final?',
    '',
  ].join('\r\n');
  await alice.user.mailbox.deliver('INBOX', Buffer.from(original));
  const page = await signIn(DESKTOP);
  await page.getByRole('link', { name: /Budget/ }).click();
  await page.getByRole('link', { name: 'Reply' }).click();
  await page.getByRole('heading', { name: 'Reply' }).waitFor();
  await page.locator('.chip[data-address="bob@example.org"]').waitFor();
  await page.getByRole('switch', { name: 'Encrypt' }).uncheck();
  await page.getByLabel('Message', { exact: true }).fill('Yes, final.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('compose-feedback').getByText('Sent.').waitFor();
  const reply = (await rawMessages('bob', 'INBOX')).find((m) => /^Subject: Re: Budget$/m.test(m));
  assert.ok(reply, 'bob has the reply');
  assert.match(reply, /^In-Reply-To: <budget-2@example\.org>\r?$/m);
  assert.match(reply, /^References: <budget-1@example\.org> <budget-2@example\.org>\r?$/m);
});
