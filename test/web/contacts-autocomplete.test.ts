/**
 * Issue 16, contacts in Compose (Chromium through playwright-core, a private slapd as the
 * directory): typing two letters into To suggests people from the directory and the address book,
 * each suggestion showing the certificate state the send would find; a suggestion is picked with the
 * keyboard or a tap and becomes a chip with that state; desktop and phone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { certificateDer } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { importDemoCertificates, startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { openCompose } from '../helpers/web-client-page.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';

let web: DemoWebClient;
let slapd: Slapd | undefined;

before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-contacts-', trustTestPki: true });
  const bob = web.org.users.find((u) => u.user.address.startsWith('bob@'))!;
  const { store } = await importDemoCertificates(bob);
  const bobEncryption = (await store.active('encryption'))!.certificate;
  slapd = await startSlapd({
    entries: [
      { dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'Bob Builder', sn: 'Builder', mail: bob.user.address, 'userCertificate;binary': Buffer.from(bobEncryption) } },
      { dn: 'uid=bobby,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bobby', cn: 'Bobby Tables', sn: 'Tables', mail: `bobby@${web.org.domain}` } },
    ],
  });
  writeFileSync(join(web.home, 'policy.yaml'), `publicCertificateSource: both\nldapUrl: ${slapd.url}\nldapBaseDn: ${slapd.baseDn}\nldapAnonymous: true\nrevocationMode: off\n`);
  // In Alice's address book: bob@example.com's certificate (test PKI), as if from his signed mail.
  const alice = web.org.users.find((u) => u.user.address.startsWith('alice@'))!;
  await AddressBook.change(alice.user.dir, (book) => book.add(certificateDer('bob'), 'import', new Date()));
});

after(async () => {
  await web?.close();
  await slapd?.stop();
});

async function compose(viewport: { width: number; height: number }, phone: boolean): Promise<Page> {
  const page = await web.signIn('alice', { viewport });
  await openCompose(page, { phone });
  return page;
}

for (const [size, viewport] of [['desktop', { width: 1280, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
  test(`${size}: suggestions from the directory and the address book, each with its certificate state`, async () => {
    const page = await compose(viewport, size === 'phone');
    const to = page.locator('#compose-to');
    await to.pressSequentially('bo');
    const list = page.getByRole('listbox', { name: 'Suggested recipients' });
    const option = (address: string) => list.locator(`[role="option"][data-address="${address}"]`);
    await option(`bobby@${web.org.domain}`).waitFor();
    assert.match((await option(`bob@${web.org.domain}`).textContent()) ?? '', /Bob Builder <bob@example\.org>certificate found \(directory/);
    assert.match((await option(`bobby@${web.org.domain}`).textContent()) ?? '', /Bobby Tables <bobby@example\.org>no certificate/);
    assert.match((await option('bob@example.com').textContent()) ?? '', /certificate found \(address book\)/);
    assert.equal(await to.getAttribute('aria-expanded'), 'true');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `no horizontal scroll (${width} px)`);
    await page.screenshot({ path: screenshotPath(`contacts-suggestions-${size}`), fullPage: true });

    // The keyboard: down to Bobby, Enter takes him (not the half-typed "bo").
    const options = await list.locator('[role="option"]').evaluateAll((items) => items.map((i) => i.getAttribute('data-address')));
    for (let i = 0; i <= options.indexOf(`bobby@${web.org.domain}`); i++) await to.press('ArrowDown');
    await to.press('Enter');
    await page.locator(`.chip[data-address="bobby@${web.org.domain}"][data-cert="false"]`).waitFor();
    assert.equal(await to.inputValue(), '');
    assert.equal(await page.getByTestId('compose-to-error').isHidden(), true, 'nothing half-typed was refused');
    // A tap takes Bob.
    await to.pressSequentially('bob');
    await option(`bob@${web.org.domain}`).click();
    await page.locator(`.chip[data-address="bob@${web.org.domain}"][data-cert="true"]`).waitFor();
    await page.screenshot({ path: screenshotPath(`contacts-chips-${size}`), fullPage: true });
  });
}
