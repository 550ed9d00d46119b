/**
 * Derived credentials on a real PKCS#11 token (SoftHSM2): Cachet signs and decrypts through the token
 * without ever extracting the key, and OpenSSL confirms the results.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.js';
import { pkiFile } from '../helpers/pki.js';
import { Pkcs11Token } from '../../src/adapters/keys/pkcs11/token.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { decryptEnvelopedEntity } from '../../src/engine/smime/decrypt.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';

let hsm: SoftHsm;
let token: Pkcs11Token;
let work: string;

before(() => {
  hsm = createSoftHsm([{ name: 'alice', id: '01' }, { name: 'carol', id: '02' }]);
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
  work = mkdtempSync(join(tmpdir(), 'cachet-token-'));
});
after(() => {
  token?.close();
  hsm?.remove();
  rmSync(work, { recursive: true, force: true });
});

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: from the token\r\nContent-Type: text/plain\r\n\r\nSigned on a smart card.\r\n';

function credential(label: string) {
  const found = token.credentials().find((c) => c.label === label);
  assert.ok(found, `${label} is on the token`);
  return found;
}

test('the token lists its certificate and key pairs by CKA_ID', () => {
  assert.deepEqual(token.credentials().map((c) => [c.label, c.id]).sort(), [['alice', '01'], ['carol', '02']]);
});

for (const name of ['alice', 'carol']) {
  test(`${name === 'alice' ? 'RSA' : 'ECDSA P-256'}: a message signed through the token verifies in OpenSSL`, async () => {
    const c = credential(name);
    const signed = await collectBytes(signMessage(toByteStream(MESSAGE), { signers: [{ certificate: c.certificate, key: token.privateKey(c) }], mode: 'detached' }));
    const file = join(work, `${name}-signed.eml`);
    writeFileSync(file, signed);
    execFileSync('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null'], { stdio: 'pipe' });
  });
}

// SoftHSM 2.6 does RSA-OAEP with SHA-1 only (OpenSSL's default OAEP digest).
for (const [name, options] of [['alice', []], ['alice', ['-keyopt', 'rsa_padding_mode:oaep']], ['carol', []]] as const) {
  test(`decrypts through the token: openssl ${name}${options.length ? ' OAEP' : ''}`, async () => {
    const input = join(work, 'plain.txt');
    writeFileSync(input, 'Content-Type: text/plain\r\n\r\nFor the card holder only.\r\n');
    const encrypted = execFileSync('openssl', ['cms', '-encrypt', '-aes-256-cbc', '-in', input, '-recip', pkiFile(`${name}.pem`), ...options], { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = credential(name);
    const parts: Buffer[] = [];
    const report = await decryptEnvelopedEntity(await readMimeEntity(toByteStream(encrypted)), { write: (chunk) => void parts.push(Buffer.from(chunk)) }, { decryptors: [{ certificate: c.certificate, key: token.privateKey(c) }] });
    assert.match(Buffer.concat(parts).toString(), /For the card holder only/);
    assert.equal(report.keyManagement, name === 'carol' ? 'ecdh' : options.length ? 'rsa-oaep' : 'rsa');
  });
}

test('RSA-OAEP with SHA-256, which SoftHSM lacks, is a clear typed error, through the engine and on the key', async () => {
  const input = join(work, 'plain-oaep256.txt');
  writeFileSync(input, 'Content-Type: text/plain\r\n\r\nOAEP with SHA-256.\r\n');
  const encrypted = execFileSync('openssl', ['cms', '-encrypt', '-aes-256-cbc', '-in', input, '-recip', pkiFile('alice.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = credential('alice');
  const unsupported = (e: unknown) => isCachetError(e, 'ERR_UNSUPPORTED_ALGORITHM') && /this token cannot do RSA-OAEP with SHA-256/.test((e as Error).message);
  await assert.rejects(
    decryptEnvelopedEntity(await readMimeEntity(toByteStream(encrypted)), { write: () => undefined }, { decryptors: [{ certificate: c.certificate, key: token.privateKey(c) }] }),
    unsupported,
  );
  await assert.rejects(token.privateKey(c).decryptKeyTransport!(new Uint8Array(256), { scheme: 'rsa-oaep', hash: 'sha256' }), unsupported);
  // The session is still usable afterwards: SHA-1 OAEP decrypts.
  const sha1 = execFileSync('openssl', ['cms', '-encrypt', '-aes-256-cbc', '-in', input, '-recip', pkiFile('alice.pem'), '-keyopt', 'rsa_padding_mode:oaep'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const parts: Buffer[] = [];
  await decryptEnvelopedEntity(await readMimeEntity(toByteStream(sha1)), { write: (chunk) => void parts.push(Buffer.from(chunk)) }, { decryptors: [{ certificate: c.certificate, key: token.privateKey(c) }] });
  assert.match(Buffer.concat(parts).toString(), /OAEP with SHA-256/);
});

test('a wrong PIN and a missing token are clear, typed errors', () => {
  token.close(); // log out, so that the PIN is checked again
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: '0000' }), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: 'no-such-token', pin: hsm.pin }), (e) => isCachetError(e, 'ERR_TOKEN_ABSENT'));
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
});

test('in a process already logged in, a second open with a wrong PIN is still refused; the right PIN opens', async () => {
  // `token` (opened with the right PIN) keeps this process logged in to the token.
  const again = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: '0000' }), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: '12345' }), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  again.close();
  token.close();
  // After the refusals, the right PIN logs in again and the key works.
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
  const second = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
  // Closing one session does not log out the other: the login is shared.
  second.close();
  const c = credential('alice');
  const signature = await token.privateKey(c).sign(Buffer.from('still logged in'), 'rsa-pkcs1', 'sha256');
  assert.equal(signature.length, 256);
});
