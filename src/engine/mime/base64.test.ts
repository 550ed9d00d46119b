import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base64Decode, base64Encode } from './base64.js';
import { collectBytes } from '../stream-types.js';
import { isCachetError } from '../errors.js';

async function* split(bytes: Uint8Array, sizes: number[]) {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    yield bytes.subarray(i, i + size);
    i += size;
  }
}

test('encode → decode round-trips for any bytes and any chunking, with 76-character CRLF lines', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }), async (bytes, sizes) => {
      const encoded = await collectBytes(base64Encode(split(bytes, sizes)));
      const text = encoded.toString('latin1');
      for (const line of text.split('\r\n').slice(0, -1)) assert.ok(line.length <= 76);
      assert.equal(text, bytes.length === 0 ? '' : Buffer.from(bytes).toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '') + '\r\n');
      const decoded = await collectBytes(base64Decode(split(encoded, sizes.map((s) => s + 1))));
      assert.deepEqual(decoded, Buffer.from(bytes));
    }),
    { numRuns: 200 },
  );
});

test('decoding ignores LF-only line ends and tolerates missing padding', async () => {
  const decoded = await collectBytes(base64Decode(split(Buffer.from('SGVs\nbG8gd29y\nbGQ'), [5])));
  assert.equal(decoded.toString(), 'Hello world');
});

test('garbage in base64 is a typed error, not silently skipped', async () => {
  await assert.rejects(collectBytes(base64Decode(split(Buffer.from('SGVs*bG8='), [4]))), (e) => isCachetError(e, 'ERR_MIME_MALFORMED'));
});
