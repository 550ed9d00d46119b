/**
 * Settings → Directory in a real browser: the policy names a directory (a private slapd) that answers
 * bound users only; the user types the directory password, the server checks it with the directory and
 * keeps it in the user's vault, and the composer then finds a recipient's certificate there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { signedInPage } from '../helpers/web-client-page.js';
import { importDemoCertificates } from '../helpers/demo-web-client.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { createDemoOrganisation, type DemoOrganisation } from '../../src/use-cases/demo-org.js';
import { VAULT_FILE_NAME } from '../../src/adapters/keys/open-store.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { startWebServer, type RunningWebServer } from '../../src/front-ends/web/node-adapter.js';

let home: string;
let org: DemoOrganisation;
let slapd: Slapd | undefined;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-dir-'));
  org = await createDemoOrganisation(home, { passwords: { alice: 'alice-password', bob: 'bob-password' } });
  // bob's encryption certificate, as his organisation publishes it in the directory.
  const bob = org.users.find((u) => u.user.address.startsWith('bob'))!;
  const { store: bobStore } = await importDemoCertificates(bob);
  const bobEncryption = (await bobStore.active('encryption'))!.certificate;
  slapd = await startSlapd({
    anonymousRead: false,
    entries: [{ dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: bob.user.address, 'userCertificate;binary': Buffer.from(bobEncryption) } }],
  });
  writeFileSync(join(home, 'policy.yaml'), `publicCertificateSource: ldap\nldapUrl: ${slapd.url}\nldapBaseDn: ${slapd.baseDn}\nldapAnonymous: false\nldapBindDn: ${slapd.readerDn}\nrevocationMode: off\n`);
  server = await startWebServer({ service: new ClientMailService(home), port: 0 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await slapd?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the directory password is checked, kept in the vault, and used to find a recipient', async () => {
  const alice = org.users.find((u) => u.user.address.startsWith('alice'))!;
  const page = await signedInPage(browser!, server!.url, alice.user.address, 'alice-password');

  await page.getByRole('link', { name: 'Settings' }).click();
  const section = page.getByTestId('directory');
  await section.getByText(/needs your password/).waitFor();
  assert.equal(await section.getByLabel(/Bind DN/).inputValue(), slapd!.readerDn);
  assert.equal(await section.getByLabel(/Bind DN/).getAttribute('readonly'), '');

  await section.getByLabel('Directory password').fill('not the password');
  await section.getByRole('button', { name: 'Check and keep' }).click();
  await section.getByRole('alert').getByText(/refused/).waitFor();

  await section.getByLabel('Directory password').fill(slapd!.readerPassword);
  await section.getByRole('button', { name: 'Check and keep' }).click();
  await section.getByText('The directory accepted your password; it is kept in your vault.').waitFor();
  await page.screenshot({ path: screenshotPath('alice-directory-login'), fullPage: true });
  const vault = readFileSync(join(alice.user.dir, VAULT_FILE_NAME));
  assert.equal(vault.includes(Buffer.from(slapd!.readerPassword)), false, 'the password is encrypted in the vault');

  await page.getByRole('link', { name: 'Compose' }).click();
  const bobAddress = org.users.find((u) => u.user.address.startsWith('bob'))!.user.address;
  await page.getByLabel('To', { exact: true }).fill(bobAddress);
  await page.getByLabel('To', { exact: true }).press('Enter');
  await page.locator(`.chip[data-address="${bobAddress}"][data-cert="true"]`).waitFor();

  await page.getByRole('link', { name: 'Settings' }).click();
  await section.getByRole('button', { name: 'Forget the password' }).click();
  await section.getByText('The directory password is forgotten.').waitFor();
  await section.getByLabel('Directory password').waitFor();
});
