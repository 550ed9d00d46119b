/**
 * Issue 16, new mail without reload, for a mail that arrives while the page loads (Chromium through
 * playwright-core, the demo web client with its Maildir watch). The Inbox's list is asked for before
 * the server has started watching the INBOX for the page's event stream: a mail delivered between
 * the two is in neither the list nor a "mail" event, and stayed unseen until the user moved. The test
 * holds the page's event stream back until the mail is delivered, which makes that window certain.
 */
import { after, before, test } from 'node:test';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { signInForm, submitSignIn, viewDrawn } from '../helpers/web-client-page.js';

let web: DemoWebClient;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-loading-' });
});
after(() => web?.close());

test('a mail delivered after the Inbox was listed and before the server watched it is shown without a reload', async () => {
  const page = await signInForm(web.browser, web.server.url);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/events', async (route) => {
    await held;
    await route.continue();
  });
  await submitSignIn(page, `alice@${web.org.domain}`, 'alice-password');
  await viewDrawn(page, 'Inbox');
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  await alice.user.mailbox.deliver('INBOX', Buffer.from(`From: bob@${web.org.domain}\r\nTo: ${alice.user.address}\r\nSubject: Came while the page loaded\r\n\r\nHello.\r\n`));
  // The server watches the INBOX from now on: the mail above came before, and no event will name it.
  const ready = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/events' && response.ok());
  release();
  await ready;
  await page.getByTestId('message-link').filter({ hasText: 'Came while the page loaded' }).waitFor();
  await page.context().close();
});
