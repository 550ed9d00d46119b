import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSource } from './byte-source.js';
import { captureElement, readHeader, streamOctetString } from './ber-reader.js';
import { segmentedOctetString } from './ber-writer.js';
import { isCachetError } from '../../errors.js';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of iterable) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

test('a segmented indefinite OCTET STRING written in odd chunks reads back whole', async () => {
  const payload = Buffer.alloc(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  async function* pieces() {
    for (let i = 0; i < payload.length; i += 9_999) yield payload.subarray(i, i + 9_999);
  }
  const encoded = await collect(segmentedOctetString(pieces()));
  // feed it back one byte-ish chunk at a time, to exercise headers split across chunks
  const chunks = [];
  for (let i = 0; i < encoded.length; i += 3) chunks.push(encoded.subarray(i, i + 3));
  const source = new ByteSource(chunks);
  const header = await readHeader(source);
  assert.equal(header.length, null);
  const decoded = await collect(streamOctetString(source, header));
  assert.deepEqual(decoded, payload);
  assert.equal(await source.atEnd(), true);
});

test('captureElement re-encodes indefinite lengths as definite', async () => {
  // SEQUENCE (indefinite) { INTEGER 5, OCTET STRING constructed indefinite { "ab" } }
  const ber = Buffer.from('308002010524800402616200000000', 'hex');
  const source = ByteSource.fromBuffer(ber);
  const header = await readHeader(source);
  const der = await captureElement(source, header);
  assert.equal(der.toString('hex'), '3009020105240404026162');
  assert.equal(await source.atEnd(), true);
});

test('truncated input is a typed error, not a hang', async () => {
  const source = ByteSource.fromBuffer(Buffer.from('3082ffff0201', 'hex'));
  const header = await readHeader(source);
  await assert.rejects(captureElement(source, header), (e) => isCachetError(e, 'ERR_CMS_MALFORMED'));
});

test('an element larger than the capture limit is refused before allocation', async () => {
  const source = ByteSource.fromBuffer(Buffer.from('3084ffffffff', 'hex'));
  const header = await readHeader(source);
  await assert.rejects(captureElement(source, header), (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED'));
});
