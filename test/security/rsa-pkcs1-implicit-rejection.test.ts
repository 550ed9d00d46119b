/**
 * Bleichenbacher / Marvin: RSA PKCS#1 v1.5 key transport must not be a padding oracle. A ciphertext
 * whose padding is wrong yields a deterministic synthetic key (no error), and the message then fails
 * exactly as it does with a correctly padded but wrong content key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, publicEncrypt, randomBytes, createPublicKey } from 'node:crypto';
import { certificateDer, pkiBytes, privateKey } from '../helpers/pki.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { encryptCms } from '../../src/engine/smime/encrypt.js';
import { decryptCms } from '../../src/engine/smime/decrypt.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { CachetError } from '../../src/errors.js';

const bobPublic = createPublicKey(pkiBytes('bob.pem'));
const bob = softwareKey(privateKey('bob'));

/** Raw RSA of a chosen encoded message: lets the test build any padding, good or bad. */
function rawEncrypt(em: Buffer): Buffer {
  return publicEncrypt({ key: bobPublic, padding: constants.RSA_NO_PADDING }, em);
}

function encodedMessage(kind: 'good' | 'no-separator' | 'wrong-type' | 'short-padding' | 'wrong-length', key: Buffer): Buffer {
  const k = 256;
  const em = Buffer.alloc(k);
  em[1] = kind === 'wrong-type' ? 1 : 2;
  const keyLength = kind === 'wrong-length' ? key.length - 1 : key.length;
  const separator = kind === 'short-padding' ? 6 : k - keyLength - 1;
  for (let i = 2; i < k; i++) em[i] = (i * 7) % 255 + 1; // non-zero padding
  if (kind !== 'no-separator') em[separator] = 0;
  key.subarray(0, keyLength).copy(em, k - keyLength);
  return em;
}

test('a correctly padded key is recovered', async () => {
  const key = randomBytes(32);
  const recovered = await bob.decryptKeyTransport!(rawEncrypt(encodedMessage('good', key)), { scheme: 'rsa-pkcs1', expectedLength: 32 });
  assert.deepEqual(Buffer.from(recovered), key);
});

test('bad padding of every kind returns a synthetic key: no error, deterministic, unrelated to the real key', async () => {
  const key = randomBytes(32);
  for (const kind of ['no-separator', 'wrong-type', 'short-padding', 'wrong-length'] as const) {
    const ciphertext = rawEncrypt(encodedMessage(kind, key));
    const first = Buffer.from(await bob.decryptKeyTransport!(ciphertext, { scheme: 'rsa-pkcs1', expectedLength: 32 }));
    const second = Buffer.from(await bob.decryptKeyTransport!(ciphertext, { scheme: 'rsa-pkcs1', expectedLength: 32 }));
    assert.equal(first.length, 32, kind);
    assert.deepEqual(first, second, `${kind}: the synthetic key is deterministic`);
    assert.notDeepEqual(first, key, kind);
  }
});

/** Replaces the 256-byte encryptedKey of the first KeyTransRecipientInfo in the DER. */
function withEncryptedKey(der: Buffer, ciphertext: Buffer): Buffer {
  const marker = Buffer.from([0x04, 0x82, 0x01, 0x00]);
  const at = der.indexOf(marker);
  assert.ok(at > 0, 'the encryptedKey OCTET STRING is found');
  const copy = Buffer.from(der);
  ciphertext.copy(copy, at + marker.length);
  return copy;
}

/**
 * The error of decrypting `make()`. With CBC a wrong key still has a 1-in-256 chance of ending in a
 * valid padding (garbage, but no error), so a few fresh attempts are allowed.
 */
async function failure(make: () => Buffer): Promise<CachetError> {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      await decryptCms(toByteStream(make()), { write: () => {} }, { decryptors: [{ certificate: certificateDer('bob'), key: bob }] });
    } catch (error) {
      return error as CachetError;
    }
  }
  throw new Error('decryption with a wrong key kept succeeding');
}

test('bad padding and a wrong content key end in the same error, for CBC and GCM alike', async () => {
  for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    const der = await collectBytes(encryptCms(toByteStream('Content-Type: text/plain\r\n\r\nsecret\r\n'), { recipients: [{ certificate: certificateDer('bob') }], cipher }));
    const badPadding = await failure(() => withEncryptedKey(der, rawEncrypt(encodedMessage('no-separator', randomBytes(32)))));
    const wrongKey = await failure(() => withEncryptedKey(der, rawEncrypt(encodedMessage('good', randomBytes(32)))));
    assert.equal(badPadding.code, wrongKey.code, cipher);
    assert.equal(badPadding.message, wrongKey.message, cipher);
    assert.equal(badPadding.code, cipher === 'aes-256-gcm' ? 'ERR_AUTH_TAG_INVALID' : 'ERR_DECRYPT_FAILED');
  }
});
