/**
 * The streaming boundary reader on malformed structure, as strangers send it: empty parts, parts
 * whose header runs into the next delimiter, a boundary at the end of input without a close
 * delimiter, nesting. Each case is read in chunks of several sizes (a delimiter split across chunks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCachetError } from '../../errors.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { BoundaryReader } from './boundary-reader.js';
import { readMimeEntity } from './entity-reader.js';
import { MIME_LIMITS } from './limits.js';
import { readMultipart } from './multipart.js';

const SIZES = [1, 2, 3, 5, 7, 1000];

function chunked(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text, 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return toByteStream(chunks);
}

interface ReadPart {
  header: string;
  body: string;
}

/** The parts of a multipart body read with BoundaryReader alone (as canonicalize and readMultipart use it). */
async function readParts(body: string, boundaries: string[], size: number): Promise<{ parts: ReadPart[]; delimiters: string[] }> {
  const reader = new BoundaryReader(chunked(body, size));
  await collectBytes(reader.readUntilDelimiter(boundaries)); // preamble
  const parts: ReadPart[] = [];
  const delimiters: string[] = [];
  for (;;) {
    const delimiter = await reader.readDelimiterLine(boundaries);
    if (!delimiter) break;
    delimiters.push(delimiter.bytes.toString('latin1'));
    if (delimiter.closing || (await reader.atEnd())) break;
    const header = (await reader.readHeaderBlock(boundaries)).toString('latin1');
    parts.push({ header, body: (await collectBytes(reader.readUntilDelimiter(boundaries))).toString('latin1') });
  }
  return { parts, delimiters };
}

test('an empty part ("--b" right after "--b") has an empty header and an empty body', async () => {
  for (const size of SIZES) {
    const { parts, delimiters } = await readParts('--b\r\n--b\r\n--b\r\nX: 1\r\n\r\nthird\r\n--b--\r\n', ['b'], size);
    assert.deepEqual(parts, [
      { header: '', body: '' },
      { header: '', body: '' },
      { header: 'X: 1\r\n\r\n', body: 'third' },
    ], `chunks of ${size}`);
    assert.deepEqual(delimiters, ['--b\r\n', '--b\r\n', '--b\r\n', '\r\n--b--\r\n']);
  }
});

test('a part without a blank line ends its header at the next delimiter, its bytes exact', async () => {
  const body = '--b\r\nContent-Type: text/plain\r\nX-Folded: a\r\n b\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>ok</p>\r\n--b--\r\n';
  for (const size of SIZES) {
    const { parts, delimiters } = await readParts(body, ['b'], size);
    assert.deepEqual(parts, [
      { header: 'Content-Type: text/plain\r\nX-Folded: a\r\n b', body: '' },
      { header: 'Content-Type: text/html\r\n\r\n', body: '<p>ok</p>' },
    ], `chunks of ${size}`);
    // Nothing lost or added: the pieces put together are the input.
    assert.equal(delimiters[0]! + parts[0]!.header + parts[0]!.body + delimiters[1]! + parts[1]!.header + parts[1]!.body + delimiters[2]!, body);
  }
});

test('a line that only looks like a delimiter does not end a header ("--b-x", "--bx", a field named "--b")', async () => {
  for (const size of SIZES) {
    const { parts } = await readParts('--b\r\nX: 1\r\n--b-x\r\n--bx\r\n\r\nbody\r\n--b--\r\n', ['b'], size);
    assert.deepEqual(parts, [{ header: 'X: 1\r\n--b-x\r\n--bx\r\n\r\n', body: 'body' }], `chunks of ${size}`);
  }
});

test('a boundary at the end of input without a close delimiter: the last part is read, then the end', async () => {
  for (const size of SIZES) {
    assert.deepEqual((await readParts('--b\r\nX: 1\r\n\r\nfirst\r\n--b\r\n--b', ['b'], size)).parts, [
      { header: 'X: 1\r\n\r\n', body: 'first' },
      { header: '', body: '' },
    ], `chunks of ${size}`);
    // A header cut off by the end of input is completed with its blank line, as before.
    assert.deepEqual((await readParts('--b\r\nX: 1', ['b'], size)).parts, [{ header: 'X: 1\r\n\r\n', body: '' }]);
  }
});

test('nested: an enclosing boundary ends an inner part\'s header too', async () => {
  // The inner multipart "i" loses its close delimiter; its last part has no blank line.
  for (const size of SIZES) {
    const { parts } = await readParts('--i\r\nX: 1\r\n--o\r\nY: 2\r\n\r\nouter\r\n--o--\r\n', ['i', 'o'], size);
    assert.deepEqual(parts, [
      { header: 'X: 1', body: '' },
      { header: 'Y: 2\r\n\r\n', body: 'outer' },
    ], `chunks of ${size}`);
  }
});

test('readMultipart: empty parts and headers without blank lines are parts, nested multiparts read inside', async () => {
  const message = [
    'Content-Type: multipart/mixed; boundary=o',
    '',
    '--o',
    '--o',
    'Content-Type: text/plain',
    '--o',
    'Content-Type: multipart/alternative; boundary=i',
    '',
    '--i',
    '--i',
    'Content-Type: text/html',
    '',
    '<p>hi</p>',
    '--i',
    '--o--',
    '',
  ];
  for (const eol of ['\r\n', '\n']) {
    for (const size of SIZES) {
      const outer: string[] = [];
      const inner: string[] = [];
      for await (const part of readMultipart(await readMimeEntity(chunked(message.join(eol), size)))) {
        outer.push(part.headers.contentType().mediaType);
        if (part.headers.contentType().type !== 'multipart') continue;
        for await (const child of readMultipart(part)) inner.push(`${child.headers.contentType().mediaType}:${(await collectBytes(child.body)).toString()}`);
      }
      assert.deepEqual(outer, ['text/plain', 'text/plain', 'multipart/alternative'], `eol ${JSON.stringify(eol)}, chunks of ${size}`);
      assert.deepEqual(inner, ['text/plain:', 'text/html:<p>hi</p>']);
    }
  }
});

test('readMultipart: a flood of empty parts is refused by the part limit, not the header limit', async () => {
  // Without a delimiter ending a header, "--b\r\n--b\r\n…" read as one header block of the whole input.
  const flood = `Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n'.repeat(MIME_LIMITS.maxParts + 10)}--b--\r\n`;
  await assert.rejects(
    async () => {
      for await (const part of readMultipart(await readMimeEntity(toByteStream(Buffer.from(flood))))) await collectBytes(part.body);
    },
    (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && e.details['limit'] === 'maxParts',
  );
});
