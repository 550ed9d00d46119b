/**
 * The organisation's web mail in Chromium: over HTTPS, alice and bob sign in with the passwords
 * Dovecot knows and see their IMAP folders; alice sends signed and encrypted mail that goes through
 * Postfix into bob's IMAP INBOX, where bob's open page shows it without a reload (IMAP IDLE →
 * server-sent events) and opens it as valid and encrypted; bob signs out; wrong passwords are throttled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { signedInPage, signInForm, submitSignIn, viewDrawn } from '../helpers/web-client-page.js';
import { startOrganisationWebMail, type OrganisationWebMail } from './organisation-web-mail.js';

let org: OrganisationWebMail;
let web: OrganisationWebMail['web'];
let browser: Browser;
const state = () => org.state;

before(async () => {
  org = await startOrganisationWebMail(['alice', 'bob'], { signInYaml: '  freeAttempts: 2\n' });
  ({ web } = org);
  await org.provision('alice');
  await org.provision('bob');
  // alice knows bob's encryption certificate (from her address book).
  const book = await runCachet(['addressbook', 'import', pkiFile('bob.pem'), '--as', 'alice@example.com'], { env: { CACHET_HOME: state() } });
  assert.equal(book.status, 0, book.stderr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await org?.stop();
});

/** The sign-in sent, its outcome (the Inbox, or a refusal) still to come. */
async function signIn(name: string, password: string): Promise<Page> {
  // The server's certificate comes from a CA made for this test, which this browser does not know.
  const page = await signInForm(browser, web.server.url, { context: { ignoreHTTPSErrors: true } });
  await submitSignIn(page, `${name}@example.com`, password);
  return page;
}

test('sign in over HTTPS with the Dovecot password, send signed and encrypted through Postfix, new mail without reload, sign out', async () => {
  assert.match(web.server.url, /^https:/);
  // Watched from here on (IMAP IDLE): alice's mail is pushed to bob's open page.
  const bob = await signedInPage(browser, web.server.url, 'Bob@example.com', 'bob', { context: { ignoreHTTPSErrors: true }, watchingMail: true });

  const alice = await signIn('alice', 'alice');
  await viewDrawn(alice, 'Inbox');
  for (const folder of ['Sent', 'Drafts']) await alice.locator('#sidebar').getByRole('link', { name: new RegExp(folder) }).waitFor();
  await alice.getByRole('link', { name: 'Compose' }).click();
  await alice.getByLabel('To', { exact: true }).fill('Bob@Example.com');
  await alice.getByLabel('To', { exact: true }).press('Enter');
  await alice.locator('.chip[data-address="bob@example.com"][data-cert="true"]').waitFor();
  await alice.getByLabel('Subject').fill('Board minutes');
  await alice.getByLabel('Message', { exact: true }).fill('Confidential: for Bob only.');
  assert.equal(await alice.getByRole('switch', { name: 'Encrypt' }).isChecked(), true);
  await alice.getByRole('switch', { name: 'Sign' }).check();
  await alice.getByRole('button', { name: 'Send' }).click();
  await alice.getByTestId('compose-feedback').getByText('Sent, encrypted and signed.').waitFor();

  // No reload: bob's Inbox shows it when his event stream says "mail".
  await bob.getByRole('link', { name: /\[\.\.\.\]/ }).click();
  await bob.locator('.status-bar[data-status="valid"]').waitFor();
  assert.match((await bob.getByTestId('encryption-status').textContent()) ?? '', /Encrypted/);
  assert.match((await bob.getByTestId('message-text').textContent()) ?? '', /for Bob only/);
  await bob.screenshot({ path: screenshotPath('server-bob-reads-imap'), fullPage: true });
  await bob.getByRole('button', { name: 'Sign out' }).click();
  await bob.getByRole('button', { name: 'Sign in' }).waitFor();
});

test('wrong passwords are throttled with a clear wait', async () => {
  const page = await signIn('alice', 'wrong-1');
  await page.getByText('wrong user name or password').waitFor();
  await page.getByLabel('Password').fill('wrong-2');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('wrong user name or password').waitFor();
  await page.getByLabel('Password').fill('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/too many failed sign-ins: try again in \d+ s/).waitFor();
});
