/**
 * Only a user's S/MIME credentials on a token count as derived credentials: a CA's key and
 * certificate on the same token (`cachet ca init --token-label`) and a certificate with no S/MIME use
 * (certificate role "none", e.g. TLS only) are neither listed nor made active — on a real SoftHSM2
 * token, where the CA objects are written before the user's. That includes a certificate signer that
 * forgot its basicConstraints (keyCertSign with cA false, which RFC 5280 forbids) but claims e-mail
 * protection and digitalSignature.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addToSoftHsm, createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { Pkcs11Token } from '../../src/adapters/keys/pkcs11/token.js';
import { tokenCredentialStore, tokenEntries } from '../../src/adapters/keys/token-credential-store.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { isCachetError } from '../../src/errors.js';
import { runCachet } from '../helpers/cli.js';

let hsm: SoftHsm | undefined;
let token: Pkcs11Token | undefined;
let work: string | undefined;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-token-roles-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'signer.key'), '-out', join(work, 'signer.pem'), '-days', '30',
    '-subj', '/CN=Certificate Signer/emailAddress=alice@example.com',
    '-addext', 'basicConstraints=CA:FALSE', '-addext', 'keyUsage=digitalSignature,keyCertSign', '-addext', 'extendedKeyUsage=emailProtection',
  ], { stdio: 'pipe' });
  // The CA keys first: a naive "first certificate of a role is the active one" would pick them.
  hsm = createSoftHsm([]);
  addToSoftHsm(hsm, join(work, 'signer.key'), join(work, 'signer.pem'), 'c2', 'certificate signer');
  addToSoftHsm(hsm, pkiFile('ca.key'), pkiFile('ca.pem'), 'c0', 'Test SMIME Root CA');
  addToSoftHsm(hsm, pkiFile('inter.key'), pkiFile('inter.pem'), 'c1', 'Test SMIME Issuing CA');
  addToSoftHsm(hsm, pkiFile('tls-only.key'), pkiFile('tls-only.pem'), 'a0', 'tls-only');
  addToSoftHsm(hsm, pkiFile('alice.key'), pkiFile('alice.pem'), '01', 'alice');
  addToSoftHsm(hsm, pkiFile('frank-enc.key'), pkiFile('frank-enc.pem'), '02', 'frank-enc');
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
});
after(() => {
  token?.close();
  hsm?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the token holds the CA and TLS key pairs (the raw PKCS#11 view lists all six)', () => {
  assert.deepEqual(token!.credentials().map((c) => c.id).sort(), ['01', '02', 'a0', 'c0', 'c1', 'c2']);
});

test('the credential store lists only the S/MIME credentials; the active ones are the user\'s', async () => {
  const store = tokenCredentialStore(token!);
  const alice = certificateFingerprint(certificateDer('alice'));
  const frankEnc = certificateFingerprint(certificateDer('frank-enc'));
  const name = (id: string) => (id === alice ? 'alice' : id === frankEnc ? 'frank-enc' : id);
  assert.deepEqual((await store.list()).map((c) => `${name(c.id)}:${c.role}`).sort(), ['alice:encryption', 'alice:signing', 'frank-enc:encryption']);
  assert.equal((await store.active('signing'))?.id, alice);
  assert.ok([alice, frankEnc].includes((await store.active('encryption'))?.id ?? ''));
  for (const other of [pkiFile('ca.pem'), pkiFile('inter.pem'), pkiFile('tls-only.pem'), join(work!, 'signer.pem')]) {
    await assert.rejects(store.privateKey(certificateFingerprint(new X509Certificate(readFileSync(other)).raw)), (e) => isCachetError(e, 'ERR_CERT_NOT_FOUND'), `${other} is no credential`);
  }
  assert.deepEqual(tokenEntries(token!).map((e) => e.token.id).sort(), ['01', '01', '02']);
});

test('cachet token list shows neither the CA nor the TLS certificate', async () => {
  const listed = await runCachet(['token', 'list', '--token-label', hsm!.label, '--json'], { env: { CACHET_TOKEN_PIN: hsm!.pin } });
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { credentials: Array<{ id: string; role: string }> }).credentials.map((c) => `${c.id}:${c.role}`).sort(), ['01:encryption', '01:signing', '02:encryption']);
});
