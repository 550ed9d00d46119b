/**
 * Issue 14: an RSA encryptedKey of the wrong length is refused by its length, which is public,
 * before any private-key operation (RFC 8017 §7.2.2 step 1), not passed to implicit rejection where
 * it ended as an unexplained integrity failure. A ciphertext missing a few leading zero bytes (some
 * encoders strip them) is still padded back and tried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import { certificateDer, privateKey } from '../helpers/pki.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { encryptCms } from '../../src/engine/smime/encrypt.js';
import { decryptCms } from '../../src/engine/smime/decrypt.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';
import type { PrivateKeyHandle } from '../../src/engine/keys.js';

/** Bob's key, counting how often its private half is used. */
function countingBob(): { key: PrivateKeyHandle; uses: () => number } {
  const bob = softwareKey(privateKey('bob'));
  let uses = 0;
  const key: PrivateKeyHandle = {
    ...bob,
    kind: bob.kind,
    ...(bob.modulusBits ? { modulusBits: bob.modulusBits } : {}),
    sign: (...args) => bob.sign(...args),
    decryptKeyTransport: (...args) => {
      uses++;
      return bob.decryptKeyTransport!(...args);
    },
  };
  return { key, uses: () => uses };
}

/** The EnvelopedData with the first KeyTransRecipientInfo's encryptedKey replaced by `mutate(old)`. */
function withEncryptedKey(der: Buffer, mutate: (old: Buffer) => Buffer): Buffer {
  const contentInfo = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  const envelopedData = (contentInfo.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
  const recipientInfos = envelopedData.valueBlock.value.find((v) => v instanceof asn1js.Set) as asn1js.Set;
  const ktri = recipientInfos.valueBlock.value[0] as asn1js.Sequence;
  const encryptedKey = ktri.valueBlock.value[3] as asn1js.OctetString;
  const replaced = mutate(Buffer.from(encryptedKey.valueBlock.valueHexView));
  ktri.valueBlock.value[3] = new asn1js.OctetString({ valueHex: new Uint8Array(replaced).buffer });
  return Buffer.from(contentInfo.toBER());
}

async function decryptWith(der: Buffer, key: PrivateKeyHandle): Promise<Buffer> {
  const out: Buffer[] = [];
  await decryptCms(toByteStream(der), { write: (c) => void out.push(Buffer.from(c)) }, { decryptors: [{ certificate: certificateDer('bob'), key }] });
  return Buffer.concat(out);
}

const MESSAGE = 'Content-Type: text/plain\r\n\r\nsecret\r\n';

test('too long, or far too short: refused by length with ERR_CMS_MALFORMED, the private key never used', async () => {
  for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    const der = await collectBytes(encryptCms(toByteStream(MESSAGE), { recipients: [{ certificate: certificateDer('bob') }], cipher }));
    for (const [what, mutate] of [
      ['512 bytes', (old: Buffer) => Buffer.concat([old, old])],
      ['257 bytes', (old: Buffer) => Buffer.concat([Buffer.alloc(1), old])],
      ['16 bytes', (old: Buffer) => old.subarray(0, 16)],
    ] as const) {
      const bob = countingBob();
      await assert.rejects(
        decryptWith(withEncryptedKey(der, mutate), bob.key),
        (e) => isCachetError(e, 'ERR_CMS_MALFORMED') && /RSA-encrypted key is \d+ bytes; an RSA-2048 key's ciphertext is 256 bytes/.test(e.message),
        `${cipher}, ${what}`,
      );
      assert.equal(bob.uses(), 0, `${cipher}, ${what}: refused before the private key`);
    }
  }
});

test('the right length still decrypts; a stripped leading zero byte is padded back', async () => {
  // A ciphertext below 2^2040 begins with a zero byte about once in 256 encryptions: draw until one does.
  for (let attempt = 0; attempt < 4000; attempt++) {
    const der = await collectBytes(encryptCms(toByteStream(MESSAGE), { recipients: [{ certificate: certificateDer('bob') }], cipher: 'aes-256-gcm' }));
    let leadingZero = false;
    const stripped = withEncryptedKey(der, (old) => {
      leadingZero = old[0] === 0;
      return leadingZero ? old.subarray(1) : old;
    });
    const bob = countingBob();
    assert.equal((await decryptWith(stripped, bob.key)).toString(), MESSAGE);
    if (leadingZero) return;
  }
  assert.fail('no ciphertext with a leading zero byte was drawn');
});
