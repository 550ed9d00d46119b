/**
 * encrypt/decrypt round trips through the public API: the framing chosen per cipher, the report,
 * recipients by subjectKeyIdentifier, option checks, and constant memory for large content (the
 * content is never materialised: peak RSS must not grow with the size).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { certificateDer, privateKey } from '../../../test/helpers/pki.js';
import { decryptCms, decryptEnvelopedEntity } from './decrypt.js';
import { encryptCms, encryptEntity, encryptMessage } from './encrypt.js';
import { readMimeEntity } from '../mime/entity-reader.js';
import { softwareKey } from '../software-key.js';
import { collectBytes, toByteStream, type ByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';
import type { ContentCipher, Decryptor } from '../keys.js';
import { OID } from '../oids.js';
import { objectIdentifier } from '../asn1/ber-writer.js';

const ENTITY = 'Content-Type: text/plain; charset=utf-8\r\n\r\nround trip\r\n';

function decryptor(name: string): Decryptor {
  return { certificate: certificateDer(name), key: softwareKey(privateKey(name)) };
}

async function decryptMime(bytes: ByteStream, names: string[]) {
  const parts: Buffer[] = [];
  const report = await decryptEnvelopedEntity(await readMimeEntity(bytes), { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: names.map(decryptor) });
  return { report, plaintext: Buffer.concat(parts).toString('utf8') };
}

describe('round trips', () => {
  const cases: Array<[ContentCipher, string, 'rsa-pkcs1' | 'rsa-oaep' | undefined, string]> = [
    ['aes-256-cbc', 'bob', 'rsa-pkcs1', 'rsa'],
    ['aes-192-cbc', 'bob', 'rsa-oaep', 'rsa-oaep'],
    ['aes-128-cbc', 'carol', undefined, 'ecdh'],
    ['aes-256-gcm', 'erin', undefined, 'ecdh'],
    ['aes-128-gcm', 'bob', 'rsa-oaep', 'rsa-oaep'],
  ];
  for (const [cipher, name, keyTransport, keyManagement] of cases) {
    test(`${cipher} to ${name}: GCM only in AuthEnvelopedData, report complete`, async () => {
      const bytes = await collectBytes(encryptEntity(toByteStream(ENTITY), { recipients: [{ certificate: certificateDer(name), ...(keyTransport ? { keyTransport } : {}) }], cipher }));
      const text = bytes.toString('latin1');
      const gcm = cipher.endsWith('gcm');
      assert.match(text, gcm ? /smime-type=authEnveloped-data; name="smime.p7m"/ : /smime-type=enveloped-data; name="smime.p7m"/);
      assert.match(text, /Content-Transfer-Encoding: base64\r\n/);
      const der = Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'base64');
      const authOid = objectIdentifier(OID.id_ct_authEnvelopedData);
      assert.equal(der.includes(authOid), gcm, 'GCM ⇔ AuthEnvelopedData');
      const { report, plaintext } = await decryptMime(toByteStream(bytes), [name]);
      assert.equal(plaintext, ENTITY);
      assert.equal(report.kind, 'encrypted');
      assert.equal(report.contentEncryption, cipher);
      assert.equal(report.keyManagement, keyManagement);
      assert.equal(report.authenticated, gcm);
      assert.equal(report.recipientCount, 1);
      assert.ok(report.recipient.issuer && report.recipient.serialNumber);
    });
  }

  test('several recipients, the sender among them; subjectKeyIdentifier is read back', async () => {
    const bytes = await collectBytes(
      encryptCms(toByteStream(ENTITY), {
        recipients: [{ certificate: certificateDer('alice') }, { certificate: certificateDer('bob'), identifier: 'subjectKeyIdentifier' }, { certificate: certificateDer('carol'), identifier: 'subjectKeyIdentifier' }],
        cipher: 'aes-256-gcm',
      }),
    );
    for (const name of ['alice', 'bob', 'carol']) {
      const parts: Buffer[] = [];
      const report = await decryptCms(toByteStream(bytes), { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: [decryptor(name)] });
      assert.equal(Buffer.concat(parts).toString('utf8'), ENTITY);
      assert.equal(report.recipientCount, 3);
      if (name !== 'alice') assert.match(report.recipient.subjectKeyIdentifier ?? '', /^[0-9a-f]+$/);
    }
  });

  test('a whole message keeps its routing headers outside the envelope', async () => {
    const message = `From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hidden?\r\n${ENTITY}`;
    const bytes = await collectBytes(encryptMessage(toByteStream(message), { recipients: [{ certificate: certificateDer('bob') }] }));
    const text = bytes.toString('latin1');
    assert.match(text, /^From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hidden\?\r\n/);
    assert.doesNotMatch(text, /round trip/);
    const { plaintext } = await decryptMime(toByteStream(bytes), ['bob']);
    assert.equal(plaintext, ENTITY);
  });
});

describe('refusals', () => {
  test('no recipients, unknown cipher, unknown option', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isCachetError(error) ? error.code : 'not a CachetError';
      }
      return 'no error';
    };
    assert.equal(code(() => encryptEntity(toByteStream(ENTITY), { recipients: [] })), 'ERR_NO_RECIPIENTS');
    assert.equal(code(() => encryptEntity(toByteStream(ENTITY), { recipients: [{ certificate: certificateDer('bob') }], cipher: 'des-ede3-cbc' as ContentCipher })), 'ERR_UNSUPPORTED_ALGORITHM');
    assert.equal(code(() => encryptEntity(toByteStream(ENTITY), { recipients: [{ certificate: certificateDer('bob') }], bcc: true } as never)), 'ERR_USAGE');
  });

  test('a failing input fails the encryption after what was already produced, and a reader may stop early', async () => {
    const failing = (async function* () {
      yield Buffer.from('Content-Type: text/plain\r\n\r\n');
      for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 0x61);
      throw new Error('the disk went away');
    })();
    let produced = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of encryptEntity(failing, { recipients: [{ certificate: certificateDer('bob') }], cipher: 'aes-256-gcm' })) produced += chunk.length;
      })(),
      /the disk went away/,
    );
    assert.ok(produced > 4 * 1024 * 1024, `only ${produced} bytes came out before the failure`);
    let chunks = 0;
    for await (const chunk of encryptEntity(largeContent(8 * 1024 * 1024, createHash('sha256')), { recipients: [{ certificate: certificateDer('bob') }] })) {
      assert.ok(chunk.length > 0);
      if (++chunks === 3) break;
    }
  });

  test('a signed entity is not mistaken for an encrypted one', async () => {
    const entity = await readMimeEntity(toByteStream('Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n'));
    await assert.rejects(decryptEnvelopedEntity(entity, { write: () => {} }, { decryptors: [decryptor('bob')] }), (e: unknown) => isCachetError(e) && e.code === 'ERR_NOT_ENCRYPTED');
  });
});

/** `size` bytes of mail-like text from one reused buffer, hashed on the way. */
function largeContent(size: number, hash: ReturnType<typeof createHash>): ByteStream {
  const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU2Nzg5QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\r\n');
  const chunk = Buffer.concat(Array.from({ length: Math.floor((1 << 20) / line.length) }, () => line));
  return (async function* () {
    for (let sent = 0; sent < size; sent += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
      hash.update(part);
      yield part;
    }
  })();
}

describe('constant memory', () => {
  const MiB = 1024 * 1024;

  test('1 GiB of bare CMS (AES-256-GCM) encrypts and decrypts as one stream with bounded memory', async () => {
    const before = process.memoryUsage().rss;
    const inHash = createHash('sha256');
    const outHash = createHash('sha256');
    let length = 0;
    const cms = encryptCms(largeContent(1024 * MiB, inHash), { recipients: [{ certificate: certificateDer('bob') }], cipher: 'aes-256-gcm' });
    const report = await decryptCms(cms, { write: (c) => void ((length += c.length), outHash.update(c)) }, { decryptors: [decryptor('bob')] });
    const growthMiB = (process.resourceUsage().maxRSS * 1024 - before) / MiB;
    assert.equal(report.authenticated, true);
    assert.equal(length, 1024 * MiB);
    assert.equal(outHash.digest('hex'), inHash.digest('hex'));
    assert.ok(growthMiB < 96, `peak RSS grew by ${growthMiB.toFixed(0)} MiB for 1 GiB`);
  });

  test('256 MiB as an S/MIME message (base64 both ways) with bounded memory', async () => {
    const before = process.memoryUsage().rss;
    const inHash = createHash('sha256');
    const outHash = createHash('sha256');
    const header = 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
    inHash.update(header);
    const entity = (async function* () {
      yield Buffer.from(header);
      yield* largeContent(256 * MiB, inHash);
    })();
    const encrypted = encryptEntity(entity, { recipients: [{ certificate: certificateDer('bob') }], cipher: 'aes-256-cbc' });
    await decryptEnvelopedEntity(await readMimeEntity(encrypted), { write: (c) => void outHash.update(c) }, { decryptors: [decryptor('bob')] });
    const growthMiB = (process.resourceUsage().maxRSS * 1024 - before) / MiB;
    assert.equal(outHash.digest('hex'), inHash.digest('hex'));
    assert.ok(growthMiB < 192, `peak RSS grew by ${growthMiB.toFixed(0)} MiB for 256 MiB`);
  });
});
