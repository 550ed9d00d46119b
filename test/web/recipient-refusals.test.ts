/**
 * Issue 16, why a recipient's certificate is refused, shown in Compose before sending (Chromium
 * through playwright-core, desktop and phone): the address book holds the test PKI's expired
 * (oscar), server-only (tls-only: wrong key usage) and untrusted-issuer (eve, claiming
 * alice@example.com) certificates; each chip says the refusal in short and the details under the
 * field give each certificate's reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { certificateDer } from '../helpers/pki.js';
import { startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { openCompose } from '../helpers/web-client-page.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';

let web: DemoWebClient;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-refusals-', trustTestPki: true });
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  await AddressBook.change(alice.user.dir, (book) => {
    for (const name of ['oscar', 'tls-only', 'eve']) book.add(certificateDer(name), 'import', new Date());
  });
});

after(() => web?.close());

async function composeTo(viewport: { width: number; height: number }, phone: boolean): Promise<Page> {
  const page = await web.signIn('alice', { viewport });
  await openCompose(page, { phone });
  await page.locator('#compose-to').fill('oscar@example.com, tls@example.com, alice@example.com, nobody@example.com');
  await page.locator('#compose-to').press('Enter');
  return page;
}

const EXPECTED: Array<[string, RegExp, RegExp]> = [
  ['oscar@example.com', /certificate refused: expired/, /it expired on/],
  ['tls@example.com', /certificate refused: not for encryption \(key usage\)/, /cannot be used for encryption/],
  ['alice@example.com', /certificate refused: untrusted issuer/, /./],
];

for (const [size, viewport] of [['desktop', { width: 1280, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`${size}: each chip says why the certificate is refused, the details give each reason`, async () => {
    const page = await composeTo(viewport, size === 'phone');
    for (const [address, chip, detail] of EXPECTED) {
      const item = page.locator(`.chip[data-address="${address}"][data-cert="false"]`);
      await item.waitFor();
      assert.match((await item.getAttribute('title')) ?? '', chip, address);
      const details = page.locator(`.refusals details[data-address="${address}"]`);
      await details.locator('summary').click();
      assert.match((await details.textContent()) ?? '', detail, address);
    }
    // No certificate at all is not a refusal: said as such.
    assert.match((await page.locator('.chip[data-address="nobody@example.com"]').getAttribute('title')) ?? '', /^no certificate/);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scroll (${width} px)`);
    await page.screenshot({ path: screenshotPath(`recipient-refusals-${size}`), fullPage: true });
  });
}

test('the details of a refusal stay open while another recipient\'s lookup redraws the chips', async () => {
  const page = await (await web.browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await page.goto(web.server.url);
  await page.getByLabel('User name').fill(`alice@${web.org.domain}`);
  await page.getByLabel('Password').fill('alice-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await page.getByRole('link', { name: 'Compose' }).click();
  await page.getByRole('heading', { name: 'New message' }).waitFor();
  await page.locator('#compose-to').fill('oscar@example.com');
  await page.locator('#compose-to').press('Enter');
  await page.locator('.chip[data-address="oscar@example.com"][data-cert="false"]').waitFor();
  const oscar = page.locator('.refusals details[data-address="oscar@example.com"]');
  await oscar.locator('summary').click();
  assert.equal(await oscar.evaluate((d) => (d as HTMLDetailsElement).open), true);

  // Another recipient: its lookup finishing redraws every chip and the details under the field.
  await page.locator('#compose-cc').fill('tls@example.com');
  await page.locator('#compose-cc').press('Enter');
  await page.locator('.chip[data-address="tls@example.com"][data-cert="false"]').waitFor();
  await page.locator('#compose-to').fill('alice@example.com');
  await page.locator('#compose-to').press('Enter');
  await page.locator('.chip[data-address="alice@example.com"][data-cert="false"]').waitFor();
  await page.locator('.refusals details[data-address="alice@example.com"]').waitFor();
  assert.equal(await oscar.evaluate((d) => (d as HTMLDetailsElement).open), true, 'the reader’s open details stayed open');
  assert.match((await oscar.textContent()) ?? '', /it expired on/);
  assert.equal(await page.locator('.refusals details[data-address="alice@example.com"]').evaluate((d) => (d as HTMLDetailsElement).open), false, 'the new one starts closed');
  await page.context().close();
});
