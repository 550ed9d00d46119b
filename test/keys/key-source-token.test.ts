/** The derivedCredentials source on a real SoftHSM2 token: credentials listed, signing checked by openssl. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { certificateDer, pkiFile, privateKey } from '../helpers/pki.js';
import { firstLaunchSmimeState, openCredentialSource, type CredentialSource } from '../../src/adapters/keys/key-source.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { isCachetError } from '../../src/errors.js';
import { runCachet } from '../helpers/cli.js';

let hsm: SoftHsm | undefined;
let source: CredentialSource | undefined;
let work: string | undefined;
const never = async (): Promise<string> => {
  throw new Error('asked for a secret it does not need');
};
const options = (pin: string, tokenLabel = hsm!.label) => ({ home: work!, passphrase: never, pin: async () => pin, token: { module: hsm!.module, tokenLabel } });

before(async () => {
  hsm = createSoftHsm([
    { name: 'alice', id: '01' },
    { name: 'frank-enc', id: '02' },
  ]);
  work = mkdtempSync(join(tmpdir(), 'cachet-keysource-'));
});
after(async () => {
  await source?.close();
  hsm?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('derivedCredentials: wrong PIN is ERR_TOKEN_PIN_INCORRECT, absent token ERR_TOKEN_ABSENT', async () => {
  await assert.rejects(openCredentialSource('derivedCredentials', options('9999')), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  await assert.rejects(openCredentialSource('derivedCredentials', options(hsm!.pin, 'no-such-token')), (e) => isCachetError(e, 'ERR_TOKEN_ABSENT'));
});

test('derivedCredentials: roles from key usage (dual → both), the token key signs (openssl verifies) and decrypts; add/remove/export refused', async () => {
  source = await openCredentialSource('derivedCredentials', options(hsm!.pin));
  assert.equal(source.source, 'derivedCredentials');
  const list = await source.list();
  const alice = certificateFingerprint(certificateDer('alice'));
  const frankEnc = certificateFingerprint(certificateDer('frank-enc'));
  assert.deepEqual(list.map((c) => `${c.id === alice ? 'alice' : c.id === frankEnc ? 'frank-enc' : c.id}:${c.role}`).sort(), ['alice:encryption', 'alice:signing', 'frank-enc:encryption']);
  assert.ok(list.every((c) => c.exportable === false));
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, source), 'enabled');

  const signing = await source.active('signing');
  assert.equal(signing?.id, alice);
  const data = Buffer.from('to be signed by the token');
  const signature = await (await source.privateKey(alice)).sign(data, 'rsa-pkcs1', 'sha256');
  writeFileSync(join(work!, 'data'), data);
  writeFileSync(join(work!, 'sig'), signature);
  execFileSync('openssl', ['x509', '-in', pkiFile('alice.der'), '-inform', 'DER', '-pubkey', '-noout', '-out', join(work!, 'pub.pem')]);
  const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(work!, 'pub.pem'), '-signature', join(work!, 'sig'), join(work!, 'data')]).toString();
  assert.match(out, /Verified OK/);

  // A key wrapped by openssl for frank-enc (RSA PKCS#1 v1.5) is unwrapped on the token.
  const cek = Buffer.alloc(32, 7);
  writeFileSync(join(work!, 'cek'), cek);
  execFileSync('openssl', ['x509', '-in', pkiFile('frank-enc.der'), '-inform', 'DER', '-pubkey', '-noout', '-out', join(work!, 'frank.pub')]);
  execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', join(work!, 'frank.pub'), '-in', join(work!, 'cek'), '-out', join(work!, 'wrapped')]);
  const wrapped = execFileSync('cat', [join(work!, 'wrapped')]);
  const unwrapped = await (await source.privateKey(frankEnc)).decryptKeyTransport!(wrapped, { scheme: 'rsa-pkcs1', expectedLength: 32 });
  assert.deepEqual(Buffer.from(unwrapped), cek);

  const pkcs8 = privateKey('frank-enc').export({ format: 'der', type: 'pkcs8' });
  await assert.rejects(source.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: pkcs8, role: 'encryption' }), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS') && /issued onto the token/.test((e as Error).message));
  await assert.rejects(source.remove(alice), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
  await assert.rejects(source.exportPrivateKey(alice), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
});

test('cachet token list --json lists the token credentials; a wrong PIN exits with its error', async () => {
  const ok = await runCachet(['token', 'list', '--token-label', hsm!.label, '--json'], { env: { CACHET_TOKEN_PIN: hsm!.pin } });
  assert.equal(ok.status, 0, ok.stderr);
  const parsed = JSON.parse(ok.stdout) as { credentials: Array<{ id: string; role: string }> };
  assert.deepEqual(parsed.credentials.map((c) => `${c.id}:${c.role}`).sort(), ['01:encryption', '01:signing', '02:encryption']);
  const bad = await runCachet(['token', 'list', '--token-label', hsm!.label], { env: { CACHET_TOKEN_PIN: '0000' } });
  assert.equal(bad.status, 4);
  assert.match(bad.stderr, /PIN/);
});

test('derivedCredentials: with a source already open in this process, opening another with a wrong PIN is refused', async () => {
  assert.ok(source, 'a source is open (and logged in) from the test above');
  await assert.rejects(openCredentialSource('derivedCredentials', options('9999')), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  const again = await openCredentialSource('derivedCredentials', options(hsm!.pin));
  try {
    assert.equal((await again.list()).length, 3);
  } finally {
    await again.close();
  }
});
