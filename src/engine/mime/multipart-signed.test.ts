import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCachetError } from '../../errors.js';
import { collectBytes } from '../stream-types.js';
import { FirstPartAsSent, splitMultipartSigned } from './multipart-signed.js';

async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}

async function split(body: Buffer, boundary: string, sizes: number[] = [1 << 20]): Promise<{ content: Buffer; signature: Buffer }> {
  const parts = splitMultipartSigned(chunked(body, sizes), boundary);
  const content = await collectBytes(parts.signedContent);
  return { content, signature: Buffer.from(await parts.signaturePart()) };
}

const B = '----=_cachet_abc';

test('keeps the exact first part and drops the CRLF that belongs to the delimiter', async () => {
  const first = 'Content-Type: text/plain\r\n\r\nline one \r\n--not-a-boundary\r\n\r\n';
  const body = Buffer.from(`preamble\r\n--${B}\r\n${first}\r\n--${B}\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--${B}--\r\nepilogue\r\n`);
  for (const sizes of [[1], [3, 7], [1 << 20]]) {
    const { content, signature } = await split(body, B, sizes);
    assert.equal(content.toString(), first);
    assert.equal(signature.toString(), 'Content-Type: application/pkcs7-signature\r\n\r\nAAAA');
  }
});

test('LF-only stored mail is read back in canonical CRLF form', async () => {
  const body = Buffer.from(`--${B}\nContent-Type: text/plain\n\nhello\n--${B}  \nX: y\n\nAAAA\n--${B}--`);
  const { content, signature } = await split(body, B, [5]);
  assert.equal(content.toString(), 'Content-Type: text/plain\r\n\r\nhello');
  assert.equal(signature.toString(), 'X: y\r\n\r\nAAAA');
});

test('a body without the boundary, or without a signature part, is malformed', async () => {
  for (const body of [`no boundary here\r\n`, `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n`]) {
    await assert.rejects(split(Buffer.from(body), B), (e) => isCachetError(e, 'ERR_MIME_MALFORMED'));
  }
});

test('any chunking gives the same split as a reference on whole lines', async () => {
  const line = fc.stringMatching(/^[ -~]{0,20}$/).filter((s) => !s.startsWith('--'));
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), async (lines, lfOnly, sizes) => {
      const eol = lfOnly ? '\n' : '\r\n';
      const text = [`--${B}`, ...lines, `--${B}`, 'A: b', '', 'QUJD', `--${B}--`, ''].join(eol);
      const { content } = await split(Buffer.from(text), B, sizes);
      assert.equal(content.toString(), lines.join('\r\n'));
    }),
    { numRuns: 200 },
  );
});

test('fuzz: arbitrary bodies end in a split or a typed error', async () => {
  const piece = fc.constantFrom(`--${B}`, `--${B}--`, '\r\n', '\n', '\r', 'text', ' ', '-', 'x'.repeat(300));
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 3 }), async (pieces, sizes) => {
      try {
        await split(Buffer.from(pieces.join('')), B, sizes);
      } catch (error) {
        assert.ok(isCachetError(error), String(error));
      }
    }),
    { numRuns: 300 },
  );
});

/** The first part as sent, found by FirstPartAsSent over `body` fed in chunks of `sizes`. */
function firstPart(body: Buffer, boundary: string, sizes: number[] = [1 << 20]): Buffer | undefined {
  const out: Buffer[] = [];
  const part = new FirstPartAsSent(boundary, (bytes) => void out.push(Buffer.from(bytes)));
  let pos = 0;
  for (let i = 0; pos < body.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    part.update(body.subarray(pos, pos + size));
    pos += size;
  }
  return part.finish() ? Buffer.concat(out) : undefined;
}

/** A reference over the whole body, line by line: the first part's bytes between its delimiter lines. */
function firstPartReference(body: string, boundary: string): string | undefined {
  const lines = body.split('\n');
  const isDelimiter = (line: string) => new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \t]*\r?$`).test(line);
  const first = lines.findIndex(isDelimiter);
  if (first === -1 || lines[first]!.startsWith(`--${boundary}--`)) return undefined;
  const next = lines.findIndex((line, i) => i > first && isDelimiter(line));
  if (next === -1) return undefined;
  // The line end before the next delimiter belongs to it: drop the LF joining, and a CR before it.
  const part = lines.slice(first + 1, next).join('\n');
  return next === first + 1 ? '' : part.endsWith('\r') ? part.slice(0, -1) : part;
}

test('the first part as sent: exact bytes, bare LFs and CRs kept, the line end before the delimiter dropped', () => {
  const part = 'Content-Type: application/octet-stream\n\nUNA\r\nUNB\rBGM\n\u0000\u00ff\r';
  for (const sizes of [[1], [2, 5], [1 << 20]]) {
    const body = Buffer.from(`preamble\n--${B}\n${part}\r\n--${B}\nX: y\n\nAAAA\n--${B}--\n`, 'latin1');
    assert.equal(firstPart(body, B, sizes)?.toString('latin1'), part, `chunks ${sizes}`);
  }
  assert.equal(firstPart(Buffer.from(`--${B}\r\n--${B}--\r\n`), B)?.length, 0, 'an empty first part');
  assert.equal(firstPart(Buffer.from(`--${B}\r\nabc\r\n--${B}`), B)?.toString(), 'abc', 'a delimiter at the end of input, without a line end');
  assert.equal(firstPart(Buffer.from(`--${B}--\r\nabc\r\n--${B}\r\n`), B), undefined, 'a close delimiter first');
  assert.equal(firstPart(Buffer.from(`--${B}\r\nabc\r\n`), B), undefined, 'no delimiter after the part');
  assert.equal(firstPart(Buffer.from(`--${B}\r\n--${B}x\r\n--${B}-\r\n--${B} \t\r\n`), B)?.toString(), `--${B}x\r\n--${B}-`, 'lines that only start like a delimiter');
});

test('the first part as sent: any chunking agrees with a reference over the whole body', async () => {
  const piece = fc.constantFrom(`--${B}`, `--${B}--`, '\r\n', '\n', '\r', 'text', ' ', '\t', '-', 'x'.repeat(300));
  await fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 }), (pieces, sizes) => {
      const body = pieces.join('');
      assert.equal(firstPart(Buffer.from(body, 'latin1'), B, sizes)?.toString('latin1'), firstPartReference(body, B));
    }),
    { numRuns: 1000 },
  );
});
