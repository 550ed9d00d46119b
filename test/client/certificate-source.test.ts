/**
 * The admin's "S/MIME certificate source" decides where the mail client takes the user's keys from:
 * a PKCS#11 token (derived credentials, SoftHSM2 here) or the shared vault service (keys deposited by
 * the identity-provider app). Sending signs through that source and reading decrypts through it; the
 * local vault is not used, and importing files into it is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { enrolApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { readAudit } from '../../src/adapters/keys/vault-service/audit-log.js';
import { startVaultService, type RunningVaultService } from '../../src/adapters/keys/vault-service/server.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { vaultServicePaths } from '../../src/adapters/keys/vault-service/paths.js';

async function homeWithUsers(policy: string): Promise<MailHome> {
  return createMailHome({ prefix: 'cachet-source-', policy: `${policy}revocationMode: off\n`, users: [{ address: 'alice@example.com' }, { address: 'bob@example.com' }] });
}

function passwordFile(dir: string): string {
  const file = join(dir, 'p12-password');
  writeFileSync(file, `${P12_PASSWORD}\n`);
  return file;
}

async function inboxIds(env: NodeJS.ProcessEnv, user: string): Promise<string[]> {
  const run = await runCachet(['inbox', '--as', user, '--json'], { env });
  return (JSON.parse(run.stdout) as { messages: Array<{ id: string }> }).messages.map((m) => m.id);
}

describe('certificate source: derived credentials on a PKCS#11 token', () => {
  let token: SoftHsm;
  let setup: MailHome;
  before(async () => {
    token = createSoftHsm([{ name: 'alice', id: 'a1' }, { name: 'bob', id: 'b1' }], 'people');
    setup = await homeWithUsers(`certificateSource: derivedCredentials\npkcs11Module: ${token.module}\n`);
    setup.env.CACHET_TOKEN_PIN = token.pin;
  });
  after(() => {
    token?.remove();
    setup?.remove();
  });

  test('alice signs on the token and bob, reading with his key on the token, sees a valid signature', async () => {
    // Both people's keys are on one test token; a real deployment has one card each.
    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'signed on the card', '--no-encrypt', '--sign'], { env: setup.env, stdin: 'From my smart card.' });
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, /signed/);
    assert.equal(existsSync(vaultFilePath(setup.userDir('alice@example.com'))), false, 'no key was put in a local vault');
    const [id] = await inboxIds(setup.env, 'bob@example.com');
    const read = JSON.parse((await runCachet(['read', id!, '--as', 'bob@example.com', '--json'], { env: setup.env })).stdout) as { status: string; text: string };
    assert.equal(read.status, 'valid');
    assert.match(read.text, /From my smart card/);
  });

  test("bob replies encrypted to the certificate harvested from alice's signature; alice decrypts on the token", async () => {
    const sent = await runCachet(['send', '--as', 'bob@example.com', '--to', 'alice@example.com', '--subject', 'for your card only', '--encrypt'], { env: setup.env, stdin: 'Only your token can open this.' });
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, /encrypted/);
    const [id] = await inboxIds(setup.env, 'alice@example.com');
    const run = await runCachet(['read', id!, '--as', 'alice@example.com', '--json'], { env: setup.env });
    const read = JSON.parse(run.stdout) as { status: string; encrypted: boolean; text: string };
    assert.equal(read.encrypted, true);
    assert.equal(read.status, 'valid');
    assert.match(read.text, /Only your token can open this/);
    assert.equal(existsSync(vaultFilePath(setup.userDir('alice@example.com'))), false);
  });

  test('a wrong PIN is a clear error (exit 4) and nothing is sent', async () => {
    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'wrong pin', '--no-encrypt', '--sign'], { env: { ...setup.env, CACHET_TOKEN_PIN: '0000' }, stdin: 'x' });
    assert.equal(sent.status, 4, sent.stderr);
    assert.match(sent.stderr, /PIN/);
    assert.equal((await inboxIds(setup.env, 'bob@example.com')).length, 1);
    // Reading signed mail needs no key: no PIN is asked, and the status is still shown.
    const [id] = await inboxIds(setup.env, 'bob@example.com');
    const read = await runCachet(['read', id!, '--as', 'bob@example.com', '--json'], { env: { ...setup.env, CACHET_TOKEN_PIN: '0000' } });
    assert.equal(JSON.parse(read.stdout).status, 'valid');
  });

  test('importing a .p12 from mail is refused: keys come from the token only', async () => {
    const sent = await runCachet(['send', '--as', 'bob@example.com', '--to', 'alice@example.com', '--subject', 'your certificate', '--no-sign', '--no-encrypt', '--attach', pkiFile('alice.p12')], { env: setup.env, stdin: 'attached' });
    assert.equal(sent.status, 0, sent.stderr);
    const ids = await inboxIds(setup.env, 'alice@example.com');
    const run = await runCachet(['import-from-mail', ids[ids.length - 1]!, '--as', 'alice@example.com', '--password-file', passwordFile(setup.home)], { env: setup.env });
    assert.equal(run.status, 7, run.stderr);
    assert.match(run.stderr, /token/);
    assert.equal(existsSync(vaultFilePath(setup.userDir('alice@example.com'))), false);
  });
});

describe('certificate source: the shared vault service', () => {
  let setup: MailHome;
  let service: RunningVaultService | undefined;
  let aliceHome: string;
  before(async () => {
    setup = await homeWithUsers('certificateSource: sharedVault\n');
    aliceHome = setup.userDir('alice@example.com');
    // The identity-provider app deposits alice's credentials; the mail client is enrolled apart.
    const idpToken = await enrolApp(aliceHome, 'identity-provider', ['deposit']);
    const mailToken = await enrolApp(aliceHome, 'cachet-mail');
    writeFileSync(join(aliceHome, 'vault-app-token'), `${mailToken}\n`, { mode: 0o600 });
    chmodSync(join(aliceHome, 'vault-app-token'), 0o600);
    const init = await runCachet(['vault', 'init'], { env: { ...setup.env, CACHET_HOME: aliceHome } });
    assert.equal(init.status, 0, init.stderr);
    service = await startVaultService({ home: aliceHome, idleSeconds: 600, passphrase: 'vault passphrase' });
    const deposit = await runCachet(['vault', 'deposit', pkiFile('alice.p12'), '--role', 'signing', '--password-file', passwordFile(setup.home)], { env: { ...setup.env, CACHET_HOME: aliceHome, CACHET_VAULT_APP_TOKEN: idpToken } });
    assert.equal(deposit.status, 0, deposit.stderr);
  });
  after(async () => {
    await service?.close();
    setup?.remove();
  });

  test('alice signs through the service; bob sees a valid signature; the audit log names the mail app', async () => {
    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'signed by the vault', '--no-encrypt', '--sign'], { env: setup.env, stdin: 'Through the shared vault.' });
    assert.equal(sent.status, 0, sent.stderr);
    const [id] = await inboxIds(setup.env, 'bob@example.com');
    const read = JSON.parse((await runCachet(['read', id!, '--as', 'bob@example.com', '--json'], { env: setup.env })).stdout) as { status: string };
    assert.equal(read.status, 'valid');
    const audit = await readAudit(aliceHome);
    assert.ok(audit.some((e) => e.app === 'cachet-mail' && e.operation === 'sign'), JSON.stringify(audit));
    // The vault commands act for a mail user of the organisation's home with --as.
    const listed = await runCachet(['vault', 'list', '--as', 'alice@example.com', '--json'], { env: setup.env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /alice@example\.com/);
  });

  test('the mail client cannot put keys into the shared vault', async () => {
    assert.ok(existsSync(vaultServicePaths(aliceHome).endpoint));
    const sent = await runCachet(['send', '--as', 'bob@example.com', '--to', 'alice@example.com', '--subject', 'p12', '--no-sign', '--no-encrypt', '--attach', pkiFile('alice.p12')], { env: setup.env, stdin: 'x' });
    assert.equal(sent.status, 0, sent.stderr);
    const [id] = await inboxIds(setup.env, 'alice@example.com');
    const run = await runCachet(['import-from-mail', id!, '--as', 'alice@example.com', '--password-file', passwordFile(setup.home)], { env: setup.env });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /vault/);
  });

  test('with the service stopped, signing says the vault cannot be reached (exit 6)', async () => {
    await service?.close();
    service = undefined;
    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'no vault', '--no-encrypt', '--sign'], { env: setup.env, stdin: 'x' });
    assert.equal(sent.status, 6, sent.stderr);
    assert.match(sent.stderr, /vault/);
  });
});

describe('cert commands act for a mail user (--as)', () => {
  let setup: MailHome;
  before(async () => {
    setup = await homeWithUsers('');
  });
  after(() => setup?.remove());

  test("import and list go to the named user's vault; with several users and no --as, a clear usage error", async () => {
    const imported = await runCachet(['cert', 'import', pkiFile('alice.p12'), '--role', 'signing', '--as', 'alice@example.com'], { env: setup.env });
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(existsSync(vaultFilePath(setup.userDir('alice@example.com'))), true);
    assert.equal(existsSync(vaultFilePath(setup.userDir('bob@example.com'))), false);
    assert.equal(existsSync(vaultFilePath(setup.home)), false, 'not in the organisation home');
    const listed = await runCachet(['cert', 'list', '--as', 'alice@example.com', '--json'], { env: setup.env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /alice@example\.com/);
    const ambiguous = await runCachet(['cert', 'list', '--json'], { env: setup.env });
    assert.equal(ambiguous.status, 2, ambiguous.stderr);
  });
});
