/**
 * Compressed data (RFC 3274) as BouncyCastle and MimeKit send it: alone, signed around it (compress,
 * then sign), compressed around a signature (sign, then compress), and encrypted around it — signing
 * and encryption by OpenSSL. Compression is unpacked but proves nothing; a compressed part inside
 * unsigned content is not unpacked into the view; damaged, foreign and explosive content is refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { decompressContentInfo } from '../cms/compressed-data-reader.js';
import { toByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';
import { pkiFile } from '../../../test/helpers/pki.js';
import { openTestMessage } from '../../../test/helpers/open-message.js';
import { compressedDataDer, compressedEntity } from '../../../test/helpers/compressed-data.js';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-compressed-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const INNER = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe quarterly figures, compressed to save the relay some bytes.\r\n';

function openssl(args: string[], input: Buffer): Buffer {
  const file = join(work, `in-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, input);
  return execFileSync('openssl', ['cms', ...args, '-in', file], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const signedBy = (name: string, entity: Buffer, opaque = false) =>
  openssl(['-sign', '-signer', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`), '-md', 'sha256', ...(opaque ? ['-nodetach'] : [])], entity);
const encryptedFor = (name: string, entity: Buffer) => openssl(['-encrypt', '-aes-256-cbc', '-recip', pkiFile(`${name}.pem`)], entity);
const withHeaders = (message: Buffer) => Buffer.concat([Buffer.from('From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Figures\r\n'), message]);

test('compressed alone (DER and BER streamed in segments): unpacked, and not signed', async () => {
  for (const indefinite of [false, true]) {
    const { report, content } = await openTestMessage(withHeaders(compressedEntity(INNER, { indefinite })));
    assert.equal(content, INNER);
    assert.equal(report.status, 'not-signed');
    assert.equal(report.encrypted, false);
    assert.deepEqual(report.layers.map((l) => l.kind), ['compressed']);
    assert.equal(report.layers[0]?.kind === 'compressed' && report.layers[0].decompressedBytes, INNER.length);
  }
});

test('a few MiB in BouncyCastle\'s 1,000-byte segments come out byte for byte', async () => {
  const content = Buffer.from(`Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${randomBytes(3 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`);
  const written: Buffer[] = [];
  const report = await decompressContentInfo(toByteStream(compressedDataDer(content, { indefinite: true })), { write: (c) => void written.push(Buffer.from(c)) });
  assert.ok(Buffer.concat(written).equals(content));
  assert.equal(report.decompressedBytes, content.length);
});

test('compress, then sign (opaque and detached): valid, the signature covers the compressed layer', async () => {
  for (const opaque of [true, false]) {
    const { report, content } = await openTestMessage(withHeaders(signedBy('alice', compressedEntity(INNER, { indefinite: true }), opaque)));
    assert.equal(report.status, 'valid', `opaque=${opaque}`);
    assert.deepEqual(report.layers.map((l) => l.kind), ['signed', 'compressed']);
    assert.equal(content, INNER);
  }
});

test('sign, then compress: the signature under the compression is the root: valid; a changed byte inside: invalid', async () => {
  const signed = signedBy('alice', Buffer.from(INNER), true);
  const { report, content } = await openTestMessage(withHeaders(compressedEntity(signed)));
  assert.deepEqual(report.layers.map((l) => l.kind), ['compressed', 'signed']);
  assert.equal(report.status, 'valid');
  assert.match(content, /quarterly figures/);
  const detached = signedBy('alice', Buffer.from(INNER)).toString('latin1').replace('quarterly', 'quarterlY');
  assert.equal((await openTestMessage(withHeaders(compressedEntity(Buffer.from(detached, 'latin1'))))).report.status, 'invalid');
});

test('encrypted around compressed data: decrypted, unpacked, reported encrypted and not signed', async () => {
  const { report, content } = await openTestMessage(withHeaders(encryptedFor('bob', compressedEntity(INNER))), { key: 'bob' });
  assert.deepEqual(report.layers.map((l) => l.kind), ['encrypted', 'compressed']);
  assert.equal(report.encrypted, true);
  assert.equal(report.status, 'not-signed');
  assert.equal(content, INNER);
});

test('without smime-type (Outlook style), the CMS content type tells compressed data apart', async () => {
  const entity = compressedEntity(INNER).toString('latin1').replace('; smime-type=compressed-data', '');
  const { report, content } = await openTestMessage(withHeaders(Buffer.from(entity, 'latin1')));
  assert.deepEqual(report.layers.map((l) => l.kind), ['compressed']);
  assert.equal(content, INNER);
});

test('relabelled by a gateway as application/octet-stream named smime.p7z: still unpacked', async () => {
  const entity = compressedEntity(INNER).toString('latin1').replace('application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"', 'application/octet-stream; name="smime.p7z"');
  const { report, content } = await openTestMessage(withHeaders(Buffer.from(entity, 'latin1')));
  assert.deepEqual(report.layers.map((l) => l.kind), ['compressed']);
  assert.equal(content, INNER);
});

test('a compressed part inside unsigned content is not unpacked into the view: it is an unsigned part', async () => {
  const signedPart = signedBy('alice', Buffer.from(INNER));
  const message = Buffer.concat([
    Buffer.from('From: alice@example.com\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'),
    signedPart,
    Buffer.from('\r\n--outer\r\n'),
    compressedEntity('Content-Type: text/plain\r\n\r\nI was not signed.\r\n'),
    Buffer.from('\r\n--outer--\r\n'),
  ]);
  const { report, content } = await openTestMessage(message);
  assert.equal(report.status, 'partially-signed');
  assert.deepEqual(report.unsignedParts, ['2']);
  assert.doesNotMatch(content, /I was not signed/);
});

test('damaged, truncated or foreign compression: a typed error, never content', async () => {
  const zlib = deflateSync(Buffer.from(INNER));
  const damaged = Buffer.from(zlib);
  damaged[damaged.length - 6] = damaged[damaged.length - 6]! ^ 0xff;
  const cases: Array<[string, Buffer, string]> = [
    ['damaged', compressedDataDer(INNER, { compressed: damaged }), 'ERR_CMS_MALFORMED'],
    ['truncated', compressedDataDer(INNER, { compressed: zlib.subarray(0, zlib.length - 8) }), 'ERR_CMS_MALFORMED'],
    ['not zlib', compressedDataDer(INNER, { algorithm: '1.2.3.4' }), 'ERR_CMS_UNSUPPORTED'],
    ['cut short', compressedDataDer(INNER, { indefinite: true }).subarray(0, 60), 'ERR_CMS_MALFORMED'],
  ];
  for (const [name, der, code] of cases) {
    const written: Uint8Array[] = [];
    await assert.rejects(decompressContentInfo(toByteStream(der), { write: (c) => void written.push(c) }), (e) => isCachetError(e, code as 'ERR_CMS_MALFORMED'), name);
  }
});

test('a decompression bomb is stopped at its ratio limit, before it fills the spool', async () => {
  const zeros = Buffer.alloc(48 * 1024 * 1024);
  const bomb = compressedDataDer(zeros, { indefinite: true });
  assert.ok(bomb.length < 100_000, 'a few dozen KB that would expand to 48 MiB');
  let written = 0;
  await assert.rejects(
    decompressContentInfo(toByteStream(bomb), { write: (c) => void (written += c.length) }),
    (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && /decompression bomb/.test((e as Error).message),
  );
  assert.ok(written <= 16 * 1024 * 1024 + 256 * bomb.length, `stopped at ${written} bytes`);
  // The same content within generous limits is unpacked whole.
  let total = 0;
  await decompressContentInfo(toByteStream(bomb), { write: (c) => void (total += c.length) }, { maxRatio: 2000 });
  assert.equal(total, zeros.length);
});

test('a sink that fails (a full disk) is reported as its own failure, never as damaged content', async () => {
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
  await assert.rejects(
    decompressContentInfo(toByteStream(compressedDataDer(INNER, { indefinite: true })), {
      write: () => {
        throw full;
      },
    }),
    (e) => e === full,
  );
});
