import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base64Decode, base64Encode } from './base64.js';
import { collectBytes } from '../stream-types.js';
import { isCachetError } from '../../errors.js';

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

/**
 * The decoder as it was before the fast path (strict, one regex pass per chunk), with text after the
 * padding rejected in the same chunk too (before, a short tail there slipped through): the oracle.
 */
async function referenceDecode(chunks: Uint8Array[]): Promise<Buffer> {
  let carry = '';
  let finished = false;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const text = Buffer.from(chunk).toString('latin1').replace(/[\r\n\t ]+/g, '');
    if (text.length === 0) continue;
    if (/[^A-Za-z0-9+/=]/.test(text)) throw new Error('not base64');
    if (finished && /[^=]/.test(text)) throw new Error('after padding');
    const all = carry + text;
    const usable = all.length - (all.length % 4);
    carry = all.slice(usable);
    if (usable > 0) {
      const quads = all.slice(0, usable);
      if (quads.includes('=')) {
        if (/=[^=]/.test(quads)) throw new Error('mid padding');
        finished = true;
      }
      out.push(Buffer.from(quads, 'base64'));
    }
    if (finished && /[^=]/.test(carry)) throw new Error('after padding');
  }
  if (carry.replace(/=+$/, '').length === 1) throw new Error('truncated');
  if (carry.length > 0) out.push(Buffer.from(carry, 'base64'));
  return Buffer.concat(out);
}

function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] ?? 1);
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

async function* fromChunks(chunks: Uint8Array[]) {
  for (const chunk of chunks) yield chunk;
}

test('encoding crosses batch boundaries and keeps any line length, for any chunking', async () => {
  // Batches are 57 × 1024 input bytes for 76-character lines: sizes around and across that.
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 200_000 }),
      fc.constantFrom(76, 64, 4, 1000),
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 6 }),
      async (length, lineLength, sizes) => {
        const bytes = Buffer.alloc(length);
        for (let i = 0; i < length; i++) bytes[i] = (i * 131 + (i >> 8)) & 0xff;
        const encoded = (await collectBytes(base64Encode(fromChunks(chunked(bytes, sizes)), lineLength))).toString('latin1');
        const lines = bytes.toString('base64').match(new RegExp(`.{1,${lineLength}}`, 'g')) ?? [];
        assert.equal(encoded, lines.map((line) => `${line}\r\n`).join(''));
      },
    ),
    { numRuns: 40 },
  );
});

test('the encoder copies what it keeps: a producer may reuse its chunk memory', async () => {
  const reused = Buffer.alloc(1000);
  async function* producer() {
    for (let i = 0; i < 100; i++) {
      reused.fill(i);
      yield reused;
    }
  }
  const expected = Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.alloc(1000, i)));
  const encoded = await collectBytes(base64Encode(producer()));
  assert.deepEqual(await collectBytes(base64Decode(fromChunks([encoded]))), expected);
});

test('decoding agrees with the strict reference for mail-like text, damaged or not, in any chunking', async () => {
  // Regular lines (the fast path) mixed with what must take the strict path: spaces, tabs, LF-only
  // or bare-CR line ends, odd widths, padding in the middle, base64url characters, garbage.
  const damage = fc.constantFrom(' ', '\t', '\r', '\n', '\r\n', '=', '==', '-', '_', '*', '\u00e9', 'A', '');
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }),
      fc.constantFrom(76, 64, 4, 72, 75, 3),
      fc.constantFrom('\r\n', '\n'),
      fc.array(fc.tuple(fc.nat(), damage), { maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
      async (bytes, width, lineEnd, damages, sizes) => {
        let text = (Buffer.from(bytes).toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).map((l) => l + lineEnd).join('');
        for (const [at, insert] of damages) {
          const position = text.length === 0 ? 0 : at % text.length;
          text = text.slice(0, position) + insert + text.slice(position);
        }
        const input = Buffer.from(text, 'latin1');
        let expected: Buffer | Error;
        try {
          expected = await referenceDecode(chunked(input, sizes));
        } catch (error) {
          expected = error as Error;
        }
        const actual = await collectBytes(base64Decode(fromChunks(chunked(input, sizes)))).catch((error: unknown) => error);
        if (expected instanceof Error) {
          assert.ok(isCachetError(actual, 'ERR_MIME_MALFORMED'), `expected a failure (${expected.message}) for ${JSON.stringify(text.slice(0, 200))}`);
        } else {
          assert.deepEqual(actual, expected);
          if (damages.length === 0) assert.deepEqual(actual, Buffer.from(bytes));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('base64 without line breaks, longer than a pending line may grow, decodes as it streams', async () => {
  const bytes = Buffer.alloc(300_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  const text = Buffer.from(bytes.toString('base64'), 'latin1');
  for (const sizes of [[65_536], [1, 4099, 100_000], [300_000 * 2]]) {
    assert.deepEqual(await collectBytes(base64Decode(fromChunks(chunked(text, sizes)))), bytes);
  }
});

test('a CR at the end of one chunk and its LF at the start of the next', async () => {
  const bytes = Buffer.alloc(57 * 40, 0xab);
  const text = await collectBytes(base64Encode(fromChunks([bytes])));
  const split = text.indexOf('\r\n', 200) + 1;
  const chunks = [text.subarray(0, split), text.subarray(split)];
  assert.deepEqual(await collectBytes(base64Decode(fromChunks(chunks))), bytes);
});

/** Reads a stream the way a ByteSource does: each chunk is used (here: copied) before the next is asked for. */
async function collectCopies(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

test('reuseOutput decodes exactly as the default, across chunk and region boundaries, damaged or not', async () => {
  const damage = fc.constantFrom(' ', '\r\n', '=', '*', 'A', '');
  await fc.assert(
    fc.asyncProperty(
      // Up to ~1.5 MiB decoded: beyond one reused output, so the fallback allocation is crossed too.
      fc.integer({ min: 0, max: 1_200_000 }),
      fc.constantFrom(76, 64, 72),
      fc.option(fc.tuple(fc.nat(), damage), { nil: undefined }),
      fc.array(fc.integer({ min: 1, max: 2_200_000 }), { minLength: 1, maxLength: 4 }),
      async (length, width, damaged, sizes) => {
        const bytes = Buffer.alloc(length);
        for (let i = 0; i < length; i++) bytes[i] = (i * 131 + length) & 0xff;
        let text = (bytes.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).map((l) => l + '\r\n').join('');
        if (damaged) {
          const position = text.length === 0 ? 0 : damaged[0] % text.length;
          text = text.slice(0, position) + damaged[1] + text.slice(position);
        }
        const input = Buffer.from(text, 'latin1');
        const expected = await collectCopies(base64Decode(fromChunks(chunked(input, sizes)))).catch((error: unknown) => error);
        const actual = await collectCopies(base64Decode(fromChunks(chunked(input, sizes)), { reuseOutput: true })).catch((error: unknown) => error);
        if (expected instanceof Error) assert.ok(isCachetError(actual, 'ERR_MIME_MALFORMED'), String(actual));
        else {
          assert.deepEqual(actual, expected);
          if (!damaged) assert.deepEqual(actual, bytes);
        }
      },
    ),
    { numRuns: 25 },
  );
});
