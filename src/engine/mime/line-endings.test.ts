import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toCrlf } from './line-endings.js';
import { collectBytes } from '../stream-types.js';

async function* chunks(bytes: Buffer, sizes: number[]) {
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] ?? 1);
    yield bytes.subarray(i, i + size);
    i += size;
  }
}

/** Every CRLF, lone CR and lone LF becomes one CRLF: the whole text at once, as the oracle. */
function reference(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

test('toCrlf equals the whole-text conversion for any mix of line ends and any chunking', async () => {
  const piece = fc.constantFrom('a', 'line', ' ', '\r', '\n', '\r\n', '\n\r', '\r\r\n', 'é');
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), async (pieces, sizes) => {
      const text = pieces.join('');
      const out = await collectBytes(toCrlf(chunks(Buffer.from(text, 'latin1'), sizes)));
      assert.equal(out.toString('latin1'), reference(text));
    }),
    { numRuns: 1000 },
  );
});

test('a CR at the end of one chunk and the LF at the start of the next make one CRLF', async () => {
  const out = await collectBytes(toCrlf(chunks(Buffer.from('one\r\ntwo\r\nthree\r\n'), [4, 5, 4, 6])));
  assert.equal(out.toString(), 'one\r\ntwo\r\nthree\r\n');
  const lone = await collectBytes(toCrlf(chunks(Buffer.from('one\rtwo\r'), [4, 4])));
  assert.equal(lone.toString(), 'one\r\ntwo\r\n');
});

test('canonical input passes through without being copied', async () => {
  const input = Buffer.from('already\r\ncanonical\r\n');
  const parts: Uint8Array[] = [];
  for await (const part of toCrlf(chunks(input, [input.length]))) parts.push(part);
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.buffer, input.buffer);
});

test('one stray line end anywhere in a large chunk is found (windows of 64 KiB, blocks of 16 bytes)', async () => {
  const canonical = 'x'.repeat(70) + '\r\n';
  const base = canonical.repeat(Math.ceil(200_000 / canonical.length)).slice(0, 200_000 - 2) + '\r\n';
  const around = (n: number) => [n - 17, n - 16, n - 2, n - 1, n, n + 1, n + 15, n + 16];
  const positions = fc.oneof(fc.integer({ min: 0, max: base.length - 1 }), fc.constantFrom(...around(65_536), ...around(131_072), 0, 1, base.length - 1));
  await fc.assert(
    fc.asyncProperty(positions, fc.constantFrom('\r', '\n', 'a'), fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 3 }), async (at, replacement, sizes) => {
      const text = base.slice(0, at) + replacement + base.slice(at + 1);
      const out = await collectBytes(toCrlf(chunks(Buffer.from(text, 'latin1'), sizes)));
      assert.equal(out.toString('latin1'), reference(text));
    }),
    { numRuns: 100 },
  );
});
