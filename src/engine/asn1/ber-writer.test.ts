import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { segmentedOctetString, OCTET_STRING_SEGMENT } from './ber-writer.js';
import { ByteSource } from './byte-source.js';
import { readHeader, streamOctetString } from './ber-reader.js';
import { collectBytes } from '../stream-types.js';

/** Yields `content` in the given sizes from ONE reused buffer, overwritten as soon as the next chunk is asked for. */
async function* reusingProducer(content: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  const reused = Buffer.alloc(Math.max(1, ...sizes));
  let offset = 0;
  for (let k = 0; offset < content.length; k++) {
    const size = Math.min(sizes[k % sizes.length]!, content.length - offset);
    reused.fill(0xee);
    content.copy(reused, 0, offset, offset + size);
    yield reused.subarray(0, size);
    offset += size;
  }
  reused.fill(0xee);
}

/** Copies each output chunk on arrival, as a writer that copies into its own buffers does. */
async function collectCopies(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

test('segmented OCTET STRING: the content reads back whole for any chunking, even when the producer reuses its memory', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 3 * OCTET_STRING_SEGMENT + 7 }),
      fc.array(fc.integer({ min: 1, max: OCTET_STRING_SEGMENT + 100 }), { minLength: 1, maxLength: 5 }),
      async (length, sizes) => {
        const content = Buffer.alloc(length);
        for (let i = 0; i < length; i++) content[i] = (i * 7 + 1) & 0xff;
        const encoded = await collectCopies(segmentedOctetString(reusingProducer(content, sizes)));
        const source = ByteSource.fromBuffer(encoded);
        const header = await readHeader(source);
        assert.equal(header.length, null);
        assert.deepEqual(await collectBytes(streamOctetString(source, header)), content);
        assert.ok(await source.atEnd());
      },
    ),
    { numRuns: 60 },
  );
});
