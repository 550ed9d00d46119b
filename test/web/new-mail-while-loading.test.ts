/**
 * Issue 16, new mail without reload, for a mail that arrives while the page loads (Chromium through
 * playwright-core, the demo web client with its Maildir watch). The Inbox's list is asked for before
 * the server has started watching the INBOX for the page's event stream: a mail delivered between
 * the two is in neither the list nor a "mail" event, and stayed unseen until the user moved. The test
 * holds the page's event stream back until the mail is delivered, which makes that window certain.
 * And a folder the user opened, redrawn for new mail before it was drawn, still gives its heading the
 * focus (the redraw took it away: a keyboard user's next Tab started from the top of the page).
 */
import { after, before, test } from 'node:test';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { signInForm, submitSignIn, viewDrawn } from '../helpers/web-client-page.js';

const deliverTo = async (name: string, subject: string): Promise<void> => {
  const user = web.org.users.find((u) => u.user.address.startsWith(`${name}@`))!;
  await user.user.mailbox.deliver('INBOX', Buffer.from(`From: bob@${web.org.domain}\r\nTo: ${user.user.address}\r\nSubject: ${subject}\r\n\r\nHello.\r\n`));
};

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
  await deliverTo('alice', 'Came while the page loaded');
  // The server watches the INBOX from now on: the mail above came before, and no event will name it.
  const ready = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/events' && response.ok());
  release();
  await ready;
  await page.getByTestId('message-link').filter({ hasText: 'Came while the page loaded' }).waitFor();
  await page.context().close();
});

test('the Inbox the user opened, redrawn for new mail before it was drawn, still gives its heading the focus', async () => {
  const page = await web.signIn('bob', { watchingMail: true });
  await page.evaluate(() => (location.hash = '#/settings'));
  await viewDrawn(page, /^Settings/);
  // The Inbox's first list is held at the browser: the mail below comes while that view is being drawn.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  await page.route('**/api/folders/INBOX/messages*', async (route) => {
    if (first) {
      first = false;
      await held;
    }
    await route.continue().catch(() => undefined); // the overtaken view's request was cancelled meanwhile
  });
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: /Inbox/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
  await deliverTo('bob', 'Came while the Inbox was drawn');
  await page.getByTestId('message-link').filter({ hasText: 'Came while the Inbox was drawn' }).waitFor();
  await viewDrawn(page, 'Inbox');
  release();
  await page.context().close();
});
