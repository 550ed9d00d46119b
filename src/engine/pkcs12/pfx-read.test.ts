import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readPfx } from './pfx-read.js';
import { certificateDer, pkiBytes, pkiFile, P12_PASSWORD } from '../../../test/helpers/pki.js';
import { isCachetError } from '../../errors.js';

function keyMatches(pkcs8: Uint8Array, certificate: Uint8Array): boolean {
  const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return fromKey.equals(new X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'der', type: 'spki' }));
}

for (const name of ['alice', 'carol', 'erin', 'dan']) {
  for (const variant of ['', '-legacy']) {
    test(`${name}${variant}.p12 (OpenSSL ${variant ? '-legacy: RC2-40 + 3DES, SHA-1 MAC' : '3 default: PBES2 AES-256, SHA-256 MAC'})`, async () => {
      const contents = await readPfx(pkiBytes(`${name}${variant}.p12`), P12_PASSWORD);
      assert.equal(contents.credentials.length, 1);
      const credential = contents.credentials[0]!;
      assert.deepEqual(Buffer.from(credential.certificate), certificateDer(name));
      assert.ok(keyMatches(credential.privateKeyPkcs8, credential.certificate));
      assert.equal(credential.friendlyName, name);
      const root = new X509Certificate(readFileSync(pkiFile('ca.pem')));
      const last = credential.chain[credential.chain.length - 1]!;
      assert.equal(new X509Certificate(Buffer.from(last)).fingerprint256, root.fingerprint256);
      if (name === 'dan') assert.equal(credential.chain.length, 2, 'the intermediate, then the root');
    });
  }
}

test('a wrong password is ERR_PKCS12_BAD_PASSWORD, for modern and legacy files', async () => {
  for (const file of ['bob.p12', 'bob-legacy.p12']) {
    await assert.rejects(readPfx(pkiBytes(file), 'wrong'), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
  }
});

test('a truncated or garbage file is ERR_PKCS12_MALFORMED', async () => {
  const good = pkiBytes('bob.p12');
  await assert.rejects(readPfx(good.subarray(0, 200), 'test'), (e) => isCachetError(e, 'ERR_PKCS12_MALFORMED'));
  await assert.rejects(readPfx(Buffer.from('not a pfx at all'), 'test'), (e) => isCachetError(e, 'ERR_PKCS12_MALFORMED'));
});

test('other OpenSSL variants: 3DES everywhere, SHA-1 MAC, no MAC iteration, several certificates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-p12-'));
  try {
    const out = join(dir, 'x.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', pkiFile('frank-sign.key'), '-in', pkiFile('frank-sign.pem'), '-certfile', pkiFile('chain.pem'),
      '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-name', 'Frank signing', '-passout', 'pass:pässwörd', '-out', out]);
    const contents = await readPfx(readFileSync(out), 'pässwörd');
    assert.equal(contents.credentials[0]?.friendlyName, 'Frank signing');
    assert.equal(contents.certificates.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
