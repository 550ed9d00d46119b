/**
 * The web client's use cases under the shared vault source: the settings list what the identity-provider
 * app deposited (no key leaves the service), say plainly when the service is stopped, and refuse to
 * import mailed .pfx files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { addUser, findUser, setLoginPassword } from '../../src/use-cases/users.js';
import { buildDistributionMail } from '../../src/adapters/ca/distribution-mail.js';
import { isCachetError } from '../../src/errors.js';
import { enrolApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';

let home: string;
let service: RunningVaultService | undefined;
const web = (): ClientMailService => new ClientMailService(home);

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-shared-'));
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  writeFileSync(join(home, 'policy.yaml'), 'certificateSource: sharedVault\nrevocationMode: off\n');
  const alice = await addUser(home, 'alice@example.com');
  await setLoginPassword(alice, 'alice-password');
  const idp = await enrolApp(alice.dir, 'identity-provider', ['deposit']);
  writeFileSync(join(alice.dir, 'vault-app-token'), `${await enrolApp(alice.dir, 'cachet-web')}\n`, { mode: 0o600 });
  assert.equal((await runCachet(['vault', 'init'], { env: { CACHET_HOME: alice.dir, CACHET_VAULT_PASSPHRASE: 'vault pass' } })).status, 0);
  service = await startVaultService({ home: alice.dir, idleSeconds: 600, passphrase: 'vault pass' });
  writeFileSync(join(home, 'p12pw'), `${P12_PASSWORD}\n`);
  const deposit = await runCachet(['vault', 'deposit', pkiFile('alice.p12'), '--role', 'signing', '--password-file', join(home, 'p12pw')], { env: { CACHET_HOME: alice.dir, CACHET_VAULT_APP_TOKEN: idp } });
  assert.equal(deposit.status, 0, deposit.stderr);
});

after(async () => {
  await service?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('settings list the deposited credential, from the service', async () => {
  const client = web();
  assert.equal(await client.authenticate('alice@example.com', 'alice-password'), true);
  const view = await client.smimeSettings('alice@example.com');
  assert.equal(view.source, 'sharedVault');
  assert.equal(view.sourceProblem, null);
  assert.deepEqual(view.credentials.map((c) => [c.role, c.email[0]]), [['signing', 'alice@example.com']]);
  assert.equal(view.firstLaunch, 'enabled');
});

test('a mailed .pfx is not offered for import, and importing it is refused, under the shared vault', async () => {
  const client = web();
  await client.authenticate('alice@example.com', 'alice-password');
  const alice = (await findUser(home, 'alice@example.com'))!;
  const mail = await buildDistributionMail({ from: 'pki@example.com', to: 'alice@example.com', files: [{ role: 'signing', filename: 'alice-sign.pfx', content: readFileSync(pkiFile('alice.p12')) }] });
  const id = await alice.mailbox.deliver('INBOX', mail);
  const view = await client.readMessage('alice@example.com', 'INBOX', id);
  assert.deepEqual(view.attachments.map((a) => [a.filename, a.importable]), [['alice-sign.pfx', false]]);
  await assert.rejects(client.importFromMail('alice@example.com', { folder: 'INBOX', id: 'x', index: 0 }, 'pw'), (e: unknown) => isCachetError(e, 'ERR_POLICY_FORBIDS') && /shared vault/.test(e.message));
});

test('with the service stopped, the settings say so instead of failing', async () => {
  await service?.close();
  service = undefined;
  const client = web();
  await client.authenticate('alice@example.com', 'alice-password');
  const view = await client.smimeSettings('alice@example.com');
  assert.deepEqual(view.credentials, []);
  assert.match(view.sourceProblem ?? '', /vault service .* cannot be reached/);
});
