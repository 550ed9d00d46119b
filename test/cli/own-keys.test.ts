/**
 * `cachet sign`, `decrypt` and `open` without a key file use the user's own keys from the source the
 * policy names: the vault (email) or a token (derived credentials) — and the results
 * are checked by OpenSSL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { run } from '../interop/signing/support.js';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: own keys\r\nContent-Type: text/plain\r\n\r\nSigned with the key in my vault.\r\n';

function opensslEncryptTo(dir: string, certificate: string): string {
  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, 'Content-Type: text/plain\r\n\r\nFor the vault key only.\r\n');
  const out = join(dir, `enc-${Math.random().toString(36).slice(2)}.eml`);
  assert.equal(run('openssl', ['cms', '-encrypt', '-aes-256-cbc', '-in', plain, '-out', out, pkiFile(certificate)]).status, 0);
  return out;
}

describe('own keys from the vault (certificate source "email")', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cachet-own-keys-'));
    env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'vault pass', CACHET_PASSWORD: P12_PASSWORD };
    writeFileSync(join(home, 'msg.eml'), MESSAGE);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('without a vault: sign says to name a key file or import one (exit 2)', async () => {
    const signed = await runCachet(['sign', '-i', join(home, 'msg.eml')], { env });
    assert.equal(signed.status, 2);
    assert.match(signed.stderr, /--signer|cert import/);
  });

  test('sign and decrypt use the vault; openssl verifies the signature', async () => {
    assert.equal((await runCachet(['cert', 'import', pkiFile('alice.p12'), '--role', 'signing'], { env })).status, 0);
    assert.equal((await runCachet(['cert', 'import', pkiFile('bob.p12'), '--role', 'encryption'], { env })).status, 0);
    const out = join(home, 'signed.eml');
    const signed = await runCachet(['sign', '-i', join(home, 'msg.eml'), '-o', out], { env });
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal(run('openssl', ['cms', '-verify', '-in', out, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']).status, 0);

    const encrypted = opensslEncryptTo(home, 'bob.pem');
    const decrypted = await runCachet(['decrypt', '-i', encrypted], { env });
    assert.equal(decrypted.status, 0, decrypted.stderr);
    assert.match(decrypted.stdout, /For the vault key only/);
    const opened = await runCachet(['open', '-i', encrypted, '--json', '-o', join(home, 'opened.eml')], { env });
    assert.equal(JSON.parse(opened.stdout).encrypted, true);
  });

  test('a wrong vault passphrase: exit 4 for decrypt; opening signed mail asks for no key at all', async () => {
    const encrypted = opensslEncryptTo(home, 'bob.pem');
    const wrong = await runCachet(['decrypt', '-i', encrypted], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'not it' } });
    assert.equal(wrong.status, 4);
    const signedOut = join(home, 'signed.eml');
    const opened = await runCachet(['open', '-i', signedOut, '--trust', pkiFile('ca.pem'), '--json'], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'not it' } });
    assert.equal(JSON.parse(opened.stdout).status, 'valid');
  });
});

describe('own keys on a token (certificate source "derivedCredentials")', () => {
  let home: string;
  let token: SoftHsm;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'cachet-own-token-'));
    token = createSoftHsm([{ name: 'carol', id: 'c1' }], 'carol-card');
    writeFileSync(join(home, 'policy.yaml'), `certificateSource: derivedCredentials\npkcs11Module: ${token.module}\n`);
    writeFileSync(join(home, 'msg.eml'), MESSAGE.replace(/alice/g, 'carol'));
    writeFileSync(join(home, 'pin'), `${token.pin}\n`);
  });
  after(() => {
    token?.remove();
    rmSync(home, { recursive: true, force: true });
  });

  test('sign with the token (ECDSA P-256, PIN from a file); openssl verifies; decrypt (ECDH) on the token', async () => {
    const out = join(home, 'signed.eml');
    const signed = await runCachet(['sign', '--pin-file', join(home, 'pin'), '-i', join(home, 'msg.eml'), '-o', out], { env: { CACHET_HOME: home } });
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal(run('openssl', ['cms', '-verify', '-in', out, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']).status, 0);
    const encrypted = opensslEncryptTo(home, 'carol.pem');
    const decrypted = await runCachet(['decrypt', '--pin-file', join(home, 'pin'), '-i', encrypted], { env: { CACHET_HOME: home } });
    assert.equal(decrypted.status, 0, decrypted.stderr);
    assert.match(decrypted.stdout, /For the vault key only/);
  });
});
