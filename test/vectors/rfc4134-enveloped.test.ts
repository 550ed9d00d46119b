/**
 * RFC 4134 §5 EnvelopedData examples (IETF Trust), to Bob: 5.1 (3DES, bare CMS) and 5.3 (an S/MIME
 * message). 5.2 uses RC2-128 for the content, read with Cachet's own RC2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decryptCms, decryptEnvelopedEntity } from '../../src/engine/smime/decrypt.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';
import type { Decryptor } from '../../src/engine/keys.js';

const vector = (name: string) => readFileSync(fileURLToPath(new URL(`./rfc4134/${name}`, import.meta.url)));
const bob: Decryptor = {
  certificate: vector('BobRSASignByCarl.cer'),
  key: softwareKey(createPrivateKey({ key: vector('BobPrivRSAEncrypt.pri'), format: 'der', type: 'pkcs8' })),
};
const expected = vector('ExContent.bin');

function sink(parts: Buffer[]) {
  return { write: (chunk: Uint8Array) => void parts.push(Buffer.from(chunk)) };
}

test('5.1.bin: EnvelopedData, 3DES, decrypts to ExContent', async () => {
  const parts: Buffer[] = [];
  const report = await decryptCms(toByteStream(vector('5.1.bin')), sink(parts), { decryptors: [bob] });
  assert.equal(report.contentEncryption, 'des-ede3-cbc');
  assert.equal(report.keyManagement, 'rsa');
  assert.deepEqual(Buffer.concat(parts), expected);
});

test('5.3.eml: an enveloped S/MIME message decrypts to ExContent', async () => {
  const parts: Buffer[] = [];
  await decryptEnvelopedEntity(await readMimeEntity(toByteStream(vector('5.3.eml'))), sink(parts), { decryptors: [bob] });
  assert.deepEqual(Buffer.concat(parts), expected);
});

test('5.2.bin: RC2-128 content (which OpenSSL 3 cannot read) decrypts to ExContent', async () => {
  const parts: Buffer[] = [];
  const report = await decryptCms(toByteStream(vector('5.2.bin')), sink(parts), { decryptors: [bob] });
  assert.equal(report.contentEncryption, 'rc2-cbc');
  assert.deepEqual(Buffer.concat(parts), expected);
});

test('a damaged vector is a typed error, never a crash', async () => {
  const damaged = Buffer.from(vector('5.1.bin'));
  damaged[damaged.length - 5]! ^= 0xff;
  await assert.rejects(decryptCms(toByteStream(damaged), sink([]), { decryptors: [bob] }), (e) => isCachetError(e));
});
