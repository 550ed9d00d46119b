/**
 * Issue 16, in Debian's Chromium: the keyboard shortcuts (c compose, / search, j/k along the list, r
 * reply, ? the list, nothing while typing in a field), and the optional new-mail notification —
 * permission asked only when the user presses the button, never on load, and a notification for new
 * mail pushed by the server (server-sent events) that shows the sender and a neutral text, never the
 * subject. The browser's Notification is replaced by a recorder (a headless browser shows none), and
 * the page is told it has not the focus (the user is in another window).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { sendFromPage, viewDrawn } from '../helpers/web-client-page.js';

let web: DemoWebClient;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-keys-' });
});
after(() => web?.close());

function signIn(name: string, init?: string): Promise<Page> {
  // Watched from the start: mail sent to the page's user once it is open is pushed to it.
  return web.signIn(name, { watchingMail: true, ...(init ? { initScript: init } : {}) });
}

async function send(page: Page, to: string, subject: string): Promise<void> {
  await sendFromPage(page, { to, subject, body: 'hello', sign: false, encrypt: false });
}

const activeHeading = (page: Page) => page.evaluate(() => (document.activeElement?.tagName === 'H1' ? document.activeElement.textContent : null));

test('keyboard shortcuts: c, /, j/k, r and ?; a key typed into a field stays there', async () => {
  const bob = await signIn('bob');
  await send(bob, 'alice@example.org', 'First note');
  await send(bob, 'alice@example.org', 'Second note');
  await bob.context().close();
  const page = await signIn('alice');
  await page.getByTestId('message-link').filter({ hasText: 'Second note' }).waitFor();

  await page.keyboard.press('c');
  await page.getByRole('heading', { level: 1, name: 'New message' }).waitFor();
  await page.getByLabel('Subject').press('c');
  await page.getByLabel('Subject').press('r');
  assert.equal(await page.getByLabel('Subject').inputValue(), 'cr', 'typed into the field, not taken as shortcuts');
  assert.equal(await activeHeading(page), null);

  await page.evaluate(() => (location.hash = '#/folder/INBOX'));
  await viewDrawn(page, 'Inbox');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search');
  await page.keyboard.press('Escape');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const focusedLink = () => page.evaluate(() => [Array.from(document.querySelectorAll('[data-testid="message-link"]')).indexOf(document.activeElement!), document.activeElement?.outerHTML.slice(0, 80)] as const);
  await page.keyboard.press('j');
  assert.equal((await focusedLink())[0], 0, `j focuses the first message: ${(await focusedLink())[1]}`);
  await page.keyboard.press('j');
  assert.equal((await focusedLink())[0], 1, 'j moves to the next message');
  await page.keyboard.press('k');
  assert.equal((await focusedLink())[0], 0, 'k moves back');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: /note/ }).waitFor();
  await page.keyboard.press('r');
  await page.getByRole('heading', { level: 1, name: 'Reply' }).waitFor();
  assert.match(await page.getByLabel('Subject').inputValue(), /^Re: .*note/);

  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await dialog.waitFor();
  for (const key of ['c', 'r', 'a', 'f', '/', 'j', 'k', 'Delete', '#', '?']) assert.equal(await dialog.locator('kbd', { hasText: new RegExp(`^${key.replace(/[?/#]/g, '\\$&')}$`) }).count(), 1, `${key} is listed`);
  await page.screenshot({ path: screenshotPath('shortcut-list'), fullPage: true });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.context().close();
});

test('new-mail notification: asked only on the button, then the sender and a neutral text for mail pushed by the server', async () => {
  // A string, not a function: the test's compiled helpers (class fields) do not exist in the page.
  const page = await signIn(
    'alice',
    `window.notes = []; window.asked = 0;
    window.Notification = class {
      static permission = 'default';
      static async requestPermission() { window.asked++; this.permission = 'granted'; return 'granted'; }
      constructor(title, options) { window.notes.push({ title, body: (options && options.body) || '' }); }
      addEventListener() {}
    };
    Document.prototype.hasFocus = () => false;`,
  );
  assert.equal(await page.evaluate(() => (window as unknown as { asked: number }).asked), 0, 'never asked on load');
  await page.getByRole('button', { name: 'Notify me of new mail' }).click();
  await page.getByRole('button', { name: 'Notifications on' }).waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { asked: number }).asked), 1, 'asked once, on the user\'s press');

  const bob = await signIn('bob');
  await send(bob, 'alice@example.org', 'Salary review for Alice');
  await bob.context().close();
  await page.waitForFunction(() => (window as unknown as { notes: unknown[] }).notes.length > 0);
  const [note] = await page.evaluate(() => (window as unknown as { notes: Array<{ title: string; body: string }> }).notes);
  assert.match(note!.title, /bob@example\.org/, 'the sender is shown');
  assert.equal(note!.body, 'New message in your Inbox');
  assert.doesNotMatch(`${note!.title} ${note!.body}`, /Salary/, 'never the subject');
  await page.context().close();
});
