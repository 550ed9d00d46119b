/**
 * Issue 16, the group rule's third answer in the browser (Chromium through playwright-core), at
 * desktop and phone size: a recipient without a certificate stops an encrypted mail (block) or asks
 * (ask); "Send encrypted to the others, leave them out" sends it encrypted to those who have one —
 * the one left out is in neither the envelope nor the To header — and the report after sending names
 * who was left out and why. And Compose's Sign switch starts on for a credential of role "both".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotPath } from '../helpers/browser.js';
import { P12_PASSWORD, pkiBytes } from '../helpers/pki.js';
import { demoVault, importDemoCertificates, startDemoWebClient, type DemoWebClient } from '../helpers/demo-web-client.js';
import { openCompose } from '../helpers/web-client-page.js';
import type { DemoUser } from '../../src/use-cases/demo-org.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';
import { readPfx } from '../../src/engine/pkcs12/pfx-read.js';

let web: DemoWebClient;
const STRANGER = 'stranger@example.net';

function demoUser(name: string): DemoUser {
  return web.org.users.find((u) => u.user.address.startsWith(`${name}@`))!;
}


before(async () => {
  web = await startDemoWebClient({ prefix: 'cachet-web-leave-out-' });
  // The demo org knows only alice and bob; carol is added with a dual-purpose certificate below.
  for (const name of ['alice', 'bob']) {
    const user = demoUser(name);
    const { results } = await importDemoCertificates(user);
    assert.ok(results.every((r) => r.kind === 'imported'), JSON.stringify(results));
  }
  // Alice knows Bob's encryption certificate (as if harvested from a signed mail of his).
  const bobEncryption = (await (await demoVault(demoUser('bob'))).active('encryption'))!;
  await AddressBook.change(demoUser('alice').user.dir, (book) => book.add(bobEncryption.certificate, 'import', new Date()));
});

after(() => web?.close());

function signIn(name: string, viewport: { width: number; height: number }, password = `${name}-password`): Promise<Page> {
  return web.signIn(name, { viewport, password });
}

async function composeTo(page: Page, phone: boolean, recipients: string[], subject: string): Promise<void> {
  await openCompose(page, { phone });
  for (const address of recipients) {
    await page.locator('#compose-to').fill(address);
    await page.locator('#compose-to').press('Enter');
  }
  await page.locator(`.chip[data-address="${STRANGER}"][data-cert="false"]`).waitFor();
  await page.locator('#compose-subject').fill(subject);
  await page.locator('#compose-body').fill('For those who can read it.');
  assert.equal(await page.locator('#compose-encrypt').isChecked(), true, 'encrypted by default');
}

/** Bob's copies (and Alice's Sent copies) with this subject, as stored. */
async function stored(name: string, folder: string, marker: string): Promise<string[]> {
  const { mailbox } = demoUser(name).user;
  const all = await Promise.all((await mailbox.list(folder)).map(async (m) => (await mailbox.read(folder, m.id)).toString('latin1')));
  return all.filter((m) => m.includes(marker));
}

test('desktop, group rule "block": leave the stranger out, Bob gets it encrypted, the report names who was left out', async () => {
  const page = await signIn('alice', { width: 1280, height: 860 });
  const bob = demoUser('bob').user.address;
  const before = (await demoUser('bob').user.mailbox.list('INBOX')).length;
  await composeTo(page, false, [bob, STRANGER], 'Quarterly figures');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const refusal = page.getByTestId('compose-feedback').getByRole('alert');
  await refusal.getByText(/not sent: no usable encryption certificate for stranger@example\.net/).waitFor();
  assert.equal((await demoUser('bob').user.mailbox.list('INBOX')).length, before, 'nothing left while the rule refused');
  await page.screenshot({ path: screenshotPath('leave-out-refused-desktop'), fullPage: true });
  await refusal.getByRole('button', { name: 'Send encrypted to the others, leave them out' }).click();

  const leftOut = page.getByTestId('left-out');
  await leftOut.waitFor();
  assert.match((await page.getByTestId('compose-feedback').textContent()) ?? '', /Sent, encrypted and signed\./);
  assert.match((await leftOut.textContent()) ?? '', /stranger@example\.net: /);
  await page.screenshot({ path: screenshotPath('leave-out-sent-desktop'), fullPage: true });

  const received = (await Promise.all((await demoUser('bob').user.mailbox.list('INBOX')).map(async (m) => (await demoUser('bob').user.mailbox.read('INBOX', m.id)).toString('latin1')))).slice(before);
  assert.equal(received.length, 1, 'Bob received it once');
  assert.match(received[0]!, /application\/(x-)?pkcs7-mime/, 'encrypted');
  assert.doesNotMatch(received[0]!, /stranger@example\.net/, 'the one left out is not named in the header');
  const sent = await stored('alice', 'Sent', 'pkcs7-mime');
  assert.ok(sent.length > 0 && sent.every((m) => !m.includes(STRANGER)), 'nor in the Sent copy');
  // Nothing queued for the stranger either.
  const outbox = join(demoUser('alice').user.dir, 'outbox.json');
  assert.ok(!existsSync(outbox) || !readFileSync(outbox, 'utf8').includes(STRANGER));
});

test('phone, group rule "ask": both answers are offered; leaving out sends encrypted, never in clear', async () => {
  writeFileSync(join(web.home, 'policy.yaml'), 'groupRule: ask\n');
  try {
    const page = await signIn('alice', { width: 390, height: 844 });
    const bob = demoUser('bob').user.address;
    await composeTo(page, true, [bob, STRANGER], 'Lunch plans');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const decision = page.getByRole('alertdialog');
    await decision.getByRole('button', { name: 'Send unencrypted to everyone' }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scroll (${width} px)`);
    await page.screenshot({ path: screenshotPath('leave-out-ask-phone'), fullPage: true });
    await decision.getByRole('button', { name: 'Send encrypted to the others, leave them out' }).click();
    await page.getByTestId('left-out').waitFor();
    await page.screenshot({ path: screenshotPath('leave-out-sent-phone'), fullPage: true });
    const { mailbox } = demoUser('bob').user;
    const latest = (await Promise.all((await mailbox.list('INBOX')).map(async (m) => (await mailbox.read('INBOX', m.id)).toString('latin1')))).filter((m) => m.includes('From: Alice'));
    assert.ok(latest.length >= 2);
    assert.ok(latest.every((m) => /pkcs7-mime/.test(m) && !m.includes('For those who can read it.')), 'no copy went out in clear');
  } finally {
    rmSync(join(web.home, 'policy.yaml'), { force: true });
  }
});

test('Compose: the Sign switch is on for a credential of role "both"', async () => {
  // A second home user with only a dual-purpose certificate, used for both.
  const { addUser, setLoginPassword } = await import('../../src/use-cases/users.js');
  const carol = await addUser(web.home, `carol@${web.org.domain}`, 'Carol');
  await setLoginPassword(carol, 'carol-password');
  const contents = await readPfx(pkiBytes('alice.p12'), P12_PASSWORD);
  const credential = contents.credentials[0]!;
  const vault = await openFileCredentialStore(join(carol.dir, VAULT_FILE_NAME), 'carol-password', { createIfMissing: true });
  await vault.add({ certificate: credential.certificate, chain: credential.chain, privateKeyPkcs8: credential.privateKeyPkcs8, role: 'both' });
  const page = await signIn('carol', { width: 1280, height: 860 });
  await openCompose(page);
  assert.equal(await page.locator('#compose-sign').isChecked(), true, 'a "both" credential signs by default');
});
