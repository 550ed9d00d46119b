/**
 * The daily mail operations in Chromium, against the organisation's real Dovecot and Postfix through
 * `cachet server`: folders with their counts; flag, mark unread; delete into Trash with an Undo toast
 * reached from the keyboard; archive; the search on the IMAP server (sender, subject, attachments)
 * with its limits said; a conversation; reply all without the user's own address; forward as
 * attachment of an encrypted message, re-encrypted to the new recipient (who gets it as an attachment
 * to download, never merged into the forwarder's text) and refused for one without a certificate
 * (never sent in clear). Desktop and phone (390×844) sizes, with screenshots.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { signedInPage } from '../helpers/web-client-page.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { startOrganisationWebMail, type OrganisationWebMail } from './organisation-web-mail.js';

let org: OrganisationWebMail;
let mail: OrganisationWebMail['mail'];
let web: OrganisationWebMail['web'];
let browser: Browser;
const boxes: ImapMailbox[] = [];
const state = () => org.state;

function imapOf(name: string): ImapMailbox {
  const box = new ImapMailbox({ host: '127.0.0.1', port: mail.imapsPort, secure: true, user: name, password: name, ca: mail.ca, servername: 'localhost' });
  boxes.push(box);
  return box;
}

/**
 * Runs `send`, then waits until Postfix has put the mail into `name`'s IMAP INBOX, so that the
 * recipient who signs in next finds it in the list: these tests are about the forward, not about a
 * mail that arrives while the page loads (test/web/new-mail-while-loading.test.ts).
 */
async function sentAndDelivered(name: string, send: () => Promise<void>): Promise<void> {
  const inbox = imapOf(name);
  const before = (await inbox.list('INBOX')).length;
  await send();
  await waitFor(async () => (await inbox.list('INBOX')).length > before, `the mail in ${name}'s IMAP INBOX`);
}

async function provision(name: 'alice' | 'bob'): Promise<void> {
  await org.provision(name);
  const other = name === 'alice' ? 'bob' : 'alice';
  const book = await runCachet(['addressbook', 'import', pkiFile(`${other}.pem`), '--as', `${name}@example.com`], { env: { CACHET_HOME: state() } });
  assert.equal(book.status, 0, book.stderr);
}

function plain(fields: { from: string; to: string; cc?: string; subject: string; date: string; id: string; references?: string; attachment?: boolean }): Buffer {
  const header = [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${fields.subject}`,
    `Date: ${fields.date}`,
    `Message-ID: ${fields.id}`,
    ...(fields.references ? [`In-Reply-To: ${fields.references.split(' ').at(-1)}`, `References: ${fields.references}`] : []),
    'MIME-Version: 1.0',
  ].join('\r\n');
  if (!fields.attachment) return Buffer.from(`${header}\r\nContent-Type: text/plain\r\n\r\nText of ${fields.subject}.\r\n`);
  return Buffer.from(
    `${header}\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe figures are attached.\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="q1.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b1--\r\n`,
  );
}

before(async () => {
  org = await startOrganisationWebMail(['alice', 'bob', 'carol']);
  ({ mail, web } = org);
  await provision('alice');
  await provision('bob');
  const bob = imapOf('bob');
  await bob.deliver('INBOX', plain({ from: 'Carol <carol@example.com>', to: 'bob@example.com, alice@example.com', cc: 'dave@example.org, Bob@example.com', subject: 'Quarterly figures', date: 'Tue, 10 Mar 2026 09:00:00 +0000', id: '<q1@example.com>', attachment: true }));
  await bob.deliver('INBOX', plain({ from: 'carol@example.com', to: 'bob@example.com', subject: 'Lunch on Friday?', date: 'Mon, 02 Mar 2026 12:00:00 +0000', id: '<l1@example.com>' }));
  await bob.deliver('Sent', plain({ from: 'bob@example.com', to: 'carol@example.com', subject: 'Re: Lunch on Friday?', date: 'Mon, 02 Mar 2026 12:30:00 +0000', id: '<l2@example.com>', references: '<l1@example.com>' }), { seen: true });
  await bob.deliver('INBOX', plain({ from: 'carol@example.com', to: 'bob@example.com', subject: 'Re: Lunch on Friday?', date: 'Mon, 02 Mar 2026 13:00:00 +0000', id: '<l3@example.com>', references: '<l1@example.com> <l2@example.com>' }));
  browser = await launchBrowser();
});

after(async () => {
  for (const box of boxes) await box.close().catch(() => undefined);
  await browser?.close();
  await org?.stop();
});

function signIn(name: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
  // The server's certificate comes from a CA made for this test, which this browser does not know.
  return signedInPage(browser, web.server.url, `${name}@example.com`, name, { viewport, context: { ignoreHTTPSErrors: true } });
}

const inboxLink = (page: Page) => page.locator('nav.folders a[href="#/folder/INBOX"]');

async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide in a ${width} px window`);
}

test('folders with counts; flag and mark unread; delete with a keyboard Undo; archive', async () => {
  const page = await signIn('bob');
  assert.equal(await inboxLink(page).locator('.badge').textContent(), '3');
  assert.equal(await inboxLink(page).locator('.folder-total').textContent(), '3');
  await page.getByRole('link', { name: /Quarterly figures/ }).click();
  await page.getByRole('toolbar', { name: 'Message actions' }).waitFor();
  await page.getByTestId('flag').click();
  await page.locator('[data-testid="flag"][aria-pressed="true"]').waitFor();
  await page.screenshot({ path: screenshotPath('mailops-message-desktop'), fullPage: true });
  await page.getByRole('button', { name: 'Mark unread' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const row = page.locator('li', { has: page.getByRole('link', { name: /Quarterly figures/ }) });
  await row.locator('.icon-flag').waitFor();
  assert.equal(await row.getAttribute('class'), 'unseen');

  // Delete: into Trash; the toast's Undo has the focus, and Enter puts the message back.
  await page.getByRole('link', { name: /Quarterly figures/ }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByTestId('toast').getByText('Message moved to Trash.').waitFor();
  // The Inbox's list drawn again (the focus stays on Undo, so its heading does not take it): without it.
  await page.getByTestId('message-link').filter({ hasText: 'Re: Lunch on Friday?' }).waitFor();
  assert.equal(await page.getByRole('link', { name: /Quarterly figures/ }).count(), 0);
  await page.locator('nav.folders a[href="#/folder/Trash"]').waitFor();
  await page.screenshot({ path: screenshotPath('mailops-undo-toast-desktop') });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Undo');
  await page.keyboard.press('Enter');
  await page.getByTestId('toast').getByText('Message put back in Inbox.').waitFor();
  await page.getByRole('link', { name: /Quarterly figures/ }).waitFor();
  assert.deepEqual((await imapOf('bob').list('Trash')).length, 0);

  // Archive: the folder is made on first use and listed with its count.
  await page.getByTestId('message-link').filter({ hasText: 'Lunch on Friday?' }).filter({ hasNotText: 'Re:' }).click();
  await page.getByRole('button', { name: 'Archive' }).click();
  await page.getByTestId('toast').getByText('Message archived.').waitFor();
  await page.locator('nav.folders a[href="#/folder/Archive"] .folder-total', { hasText: '1' }).waitFor();
  await page.context().close();
});

test('search on the IMAP server by subject, sender and attachments, its limits said; a conversation; reply all', async () => {
  const page = await signIn('bob');
  await page.getByText('Search on the server').first().click();
  assert.match((await page.getByTestId('search-limits').textContent()) ?? '', /encrypted message.s subject and content are not searched/);
  await page.getByLabel('Attachments').selectOption('yes');
  await page.getByRole('button', { name: 'Search on the server' }).click();
  await page.getByTestId('search-summary').getByText('1 message found by the mail server.').waitFor();
  await page.getByRole('link', { name: /Quarterly figures/ }).waitFor();
  await page.getByLabel('Attachments').selectOption('');
  await page.getByLabel('Sender', { exact: true }).fill('carol');
  await page.getByLabel('Subject', { exact: true }).fill('lunch');
  await page.getByRole('button', { name: 'Search on the server' }).click();
  await page.getByTestId('search-summary').getByText('1 message found by the mail server.').waitFor();
  await page.screenshot({ path: screenshotPath('mailops-search-desktop'), fullPage: true });

  // The conversation: the first message (archived meanwhile is not here), bob's reply in Sent, and this one.
  await page.getByRole('link', { name: /Re: Lunch on Friday\?/ }).click();
  const conversation = page.getByRole('region', { name: 'Conversation' });
  await conversation.waitFor();
  assert.match((await conversation.textContent()) ?? '', /You to carol@example.com/);

  // Reply all to Carol's message: Carol and Alice in To, Dave in Cc, never Bob himself.
  await page.goto(`${web.server.url}/#/folder/INBOX`);
  await page.getByRole('link', { name: /Quarterly figures/ }).click();
  await page.getByRole('button', { name: 'Reply all' }).click();
  await page.getByRole('heading', { name: 'Reply all' }).waitFor();
  const chips = async (field: string) => page.getByRole('list', { name: `${field} recipients` }).locator('.chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-address')));
  assert.deepEqual(await chips('TO'), ['carol@example.com', 'alice@example.com']);
  assert.deepEqual(await chips('CC'), ['dave@example.org']);
  assert.equal(await page.getByLabel('Subject').inputValue(), 'Re: Quarterly figures');
  // The quote as the CLI's reply writes it (one use case for both): who wrote it, then "> " lines.
  assert.match(await page.getByLabel('Message', { exact: true }).inputValue(), /^\n\nOn .+, Carol <carol@example\.com> wrote:\n> The figures are attached\./);
  await page.context().close();
});

test('forward as attachment of an encrypted message: encrypted to the new recipient, refused in clear for one without a certificate', async () => {
  const alice = await signIn('alice');
  await alice.getByRole('link', { name: 'Compose' }).click();
  await alice.getByLabel('To', { exact: true }).fill('bob@example.com');
  await alice.getByLabel('To', { exact: true }).press('Enter');
  await alice.locator('.chip[data-address="bob@example.com"][data-cert="true"]').waitFor();
  await alice.getByLabel('Subject').fill('Merger plans');
  await alice.getByLabel('Message', { exact: true }).fill('Secret: the merger is on.');
  await alice.getByRole('switch', { name: 'Encrypt' }).check();
  await sentAndDelivered('bob', async () => {
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    await alice.getByTestId('compose-feedback').getByText(/^Sent, encrypted/).waitFor();
  });

  const bob = await signIn('bob', { width: 390, height: 844 });
  await bob.getByRole('link', { name: /\[\.\.\.\]|Merger plans/ }).first().click();
  await bob.getByTestId('message-text').getByText(/the merger is on/).waitFor();
  await bob.screenshot({ path: screenshotPath('mailops-message-phone'), fullPage: true });
  await noSidewaysScroll(bob, 'the message with its toolbar');
  await bob.getByText('Forward', { exact: true }).click();
  await bob.getByRole('button', { name: 'Forward as attachment' }).click();
  await bob.getByRole('heading', { name: 'Forward as attachment' }).waitFor();
  assert.match((await bob.getByTestId('forward-note').textContent()) ?? '', /attached \(message\/rfc822\), decrypted.*never sent in clear/);
  assert.equal(await bob.getByRole('switch', { name: 'Encrypt' }).isChecked(), true);
  assert.equal(await bob.getByLabel('Subject').inputValue(), 'Fwd: Merger plans');

  // To a recipient without a certificate: refused (the default group rule), nothing sent in clear.
  await bob.getByLabel('To', { exact: true }).fill('carol@example.com');
  await bob.getByLabel('To', { exact: true }).press('Enter');
  await bob.locator('.chip[data-address="carol@example.com"][data-cert="false"]').waitFor();
  await bob.getByRole('button', { name: 'Send', exact: true }).click();
  await bob.getByTestId('compose-feedback').locator('.form-error').waitFor();
  assert.equal((await imapOf('carol').list('INBOX')).length, 0);

  await bob.getByRole('button', { name: 'Remove carol@example.com' }).click();
  await bob.getByLabel('To', { exact: true }).fill('alice@example.com');
  await bob.getByLabel('To', { exact: true }).press('Enter');
  await bob.locator('.chip[data-address="alice@example.com"][data-cert="true"]').waitFor();
  await bob.screenshot({ path: screenshotPath('mailops-forward-phone'), fullPage: true });
  await noSidewaysScroll(bob, 'forward as attachment');
  await bob.getByRole('button', { name: 'Send', exact: true }).click();
  await bob.getByTestId('compose-feedback').getByText(/^Sent, encrypted/).waitFor();

  // On the wire and in alice's INBOX, the forward is encrypted: the secret is nowhere in clear.
  const inbox = imapOf('alice');
  const raw = await waitFor(async () => {
    const messages = await inbox.list('INBOX');
    return messages.length > 0 ? (await inbox.read('INBOX', messages.at(-1)!.id)).toString() : undefined;
  }, "bob's forward in alice's IMAP INBOX");
  assert.match(raw, /application\/pkcs7-mime/);
  // A forward is never only the attached message (that would read as a header-protection wrapper).
  assert.doesNotMatch(raw, /merger is on/);
  // alice opens it: bob's own signed forward (never read as alice's message), the original inside it.
  await alice.goto(`${web.server.url}/#/folder/INBOX`);
  await alice.getByRole('link', { name: /\[\.\.\.\]|Fwd: Merger plans/ }).first().click();
  await alice.getByRole('toolbar', { name: 'Message actions' }).waitFor();
  await alice.screenshot({ path: screenshotPath('mailops-forward-received'), fullPage: true });
  await alice.locator('.status-bar[data-status="valid"]').waitFor();
  assert.equal(await alice.getByTestId('sender-address').textContent(), 'bob@example.com');
  // The original is an attachment named after its Subject, never merged into bob's signed text.
  const original = alice.getByRole('region', { name: 'Attachments' }).getByRole('link', { name: 'Merger plans.eml' });
  await original.waitFor();
  assert.doesNotMatch((await alice.getByTestId('message-text').textContent()) ?? '', /merger is on/);
  const [download] = await Promise.all([alice.waitForEvent('download'), original.click()]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  assert.match(Buffer.concat(chunks).toString(), /Subject: Merger plans[\s\S]*the merger is on/);
  await alice.context().close();
  await bob.context().close();
});

test('phone: the folder view with the server search opens without sideways scrolling', async () => {
  const page = await signIn('bob', { width: 390, height: 844 });
  await page.getByText('Search on the server').first().click();
  await page.getByLabel('Sender', { exact: true }).waitFor();
  await page.screenshot({ path: screenshotPath('mailops-search-phone'), fullPage: true });
  await noSidewaysScroll(page, 'the folder view with the search open');
  await page.context().close();
});

test('forward inline: the quote with its header, and the original attachments carried', async () => {
  const bob = await signIn('bob');
  await bob.getByRole('link', { name: /Quarterly figures/ }).click();
  await bob.getByText('Forward', { exact: true }).click();
  await bob.getByRole('button', { name: 'Forward inline' }).click();
  await bob.getByRole('heading', { name: 'Forward', exact: true }).waitFor();
  assert.match((await bob.getByTestId('forward-note').textContent()) ?? '', /attachment is forwarded with it: q1\.pdf/);
  assert.match(await bob.getByLabel('Message', { exact: true }).inputValue(), /---------- Forwarded message ----------\nFrom: Carol <carol@example.com>[\s\S]*The figures are attached\./);
  await bob.getByLabel('To', { exact: true }).fill('alice@example.com');
  await bob.getByLabel('To', { exact: true }).press('Enter');
  await bob.locator('.chip[data-address="alice@example.com"][data-cert="true"]').waitFor();
  await sentAndDelivered('alice', async () => {
    await bob.getByRole('button', { name: 'Send', exact: true }).click();
    await bob.getByTestId('compose-feedback').getByText(/^Sent/).waitFor();
  });
  await bob.context().close();

  const alice = await signIn('alice');
  await alice.getByRole('link', { name: /Fwd: Quarterly figures|\[\.\.\.\]/ }).first().click();
  await alice.getByRole('heading', { name: 'Fwd: Quarterly figures' }).waitFor();
  await alice.getByRole('region', { name: 'Attachments' }).getByText('q1.pdf').waitFor();
  await alice.context().close();
});
