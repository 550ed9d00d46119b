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
import { Pkcs11Token } from '../../src/keys/pkcs11/token.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { decryptEnvelopedEntity } from '../../src/engine/smime/decrypt.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/engine/errors.js';

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

test('a wrong PIN and a missing token are clear, typed errors', () => {
  token.close(); // log out, so that the PIN is checked again
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: '0000' }), (e) => isCachetError(e, 'ERR_TOKEN_PIN_INCORRECT'));
  assert.throws(() => Pkcs11Token.open({ module: hsm.module, tokenLabel: 'no-such-token', pin: hsm.pin }), (e) => isCachetError(e, 'ERR_TOKEN_ABSENT'));
  token = Pkcs11Token.open({ module: hsm.module, tokenLabel: hsm.label, pin: hsm.pin });
});
