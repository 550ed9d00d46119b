/**
 * The web client under the shared vault source with a directory that answers bound users only. There
 * the user's credentials.vault belongs to the vault service, locked with the vault owner's passphrase,
 * which is not the web sign-in password: the directory password is kept in the web client's own
 * secrets file instead, and recipient lookups bind with it. Real slapd, real vault service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { addUser, setLoginPassword } from '../../src/use-cases/users.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';

let home: string;
let aliceDir: string;
let service: RunningVaultService | undefined;
let slapd: Slapd | undefined;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-shared-dir-'));
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  slapd = await startSlapd({
    anonymousRead: false,
    entries: [{ dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: 'bob@example.com', 'userCertificate;binary': certificateDer('bob') } }],
  });
  writeFileSync(
    join(home, 'policy.yaml'),
    `certificateSource: sharedVault\npublicCertificateSource: ldap\nldapUrl: ${slapd.url}\nldapBaseDn: ${slapd.baseDn}\nldapAnonymous: false\nldapBindDn: ${slapd.readerDn}\nrevocationMode: off\n`,
  );
  const alice = await addUser(home, 'alice@example.com');
  aliceDir = alice.dir;
  await setLoginPassword(alice, 'alice-password');
  assert.equal((await runCachet(['vault', 'init'], { env: { CACHET_HOME: alice.dir, CACHET_VAULT_PASSPHRASE: 'the vault owner passphrase' } })).status, 0);
  service = await startVaultService({ home: alice.dir, idleSeconds: 600, passphrase: 'the vault owner passphrase' });
});

after(async () => {
  await service?.close();
  await slapd?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('the settings show the directory login although the shared vault is locked with another passphrase', async () => {
  const client = new ClientMailService(home);
  assert.equal(await client.authenticate('alice@example.com', 'alice-password'), true);
  const view = await client.smimeSettings('alice@example.com');
  assert.equal(view.source, 'sharedVault');
  assert.deepEqual(view.directory, { url: slapd!.url, bindDn: slapd!.readerDn, bindDnLocked: true, loggedIn: false });
});

test('directory login keeps the password in the web secrets file (encrypted), lookups bind with it, logout forgets it', async () => {
  const client = new ClientMailService(home);
  await client.authenticate('alice@example.com', 'alice-password');
  assert.deepEqual((await client.lookupRecipients('alice@example.com', ['bob@example.com'])).map((r) => r.found), [false], 'no password kept yet');
  const state = await client.directoryLogin('alice@example.com', { password: slapd!.readerPassword });
  assert.equal(state.loggedIn, true);
  const secrets = join(aliceDir, 'web-secrets.vault');
  assert.ok(existsSync(secrets));
  assert.equal(readFileSync(secrets).includes(Buffer.from(slapd!.readerPassword)), false, 'the password is encrypted at rest');
  const vaultService = readFileSync(join(aliceDir, 'credentials.vault'));
  // A fresh session (as after signing in again) finds the kept password and binds with it.
  const again = new ClientMailService(home);
  await again.authenticate('alice@example.com', 'alice-password');
  const [bob] = await again.lookupRecipients('alice@example.com', ['bob@example.com']);
  assert.equal(bob?.found, true, bob?.reason ?? '');
  assert.equal(bob?.source, 'ldap');
  assert.deepEqual(readFileSync(join(aliceDir, 'credentials.vault')), vaultService, 'the service\'s vault is not touched');
  assert.equal((await again.directoryLogout('alice@example.com'))?.loggedIn, false);
});
