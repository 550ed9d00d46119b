import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMultipart } from './multipart.js';
import { readMimeEntity } from './entity-reader.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';

const MESSAGE = [
  'Content-Type: Multipart/Mixed; boundary="=_b"',
  '',
  'preamble',
  '--=_b',
  'Content-Type: text/plain',
  '',
  'first',
  '--=_b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAEC',
  'AwQF',
  '--=_b--',
  'epilogue',
  '',
];

async function parts(text: string, chunkSize: number) {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: Array<{ type: string; header: string; body: string }> = [];
  for await (const part of readMultipart(await readMimeEntity(toByteStream(chunks)))) {
    out.push({ type: part.headers.contentType().mediaType, header: Buffer.from(part.headerBytes).toString(), body: (await collectBytes(part.body)).toString() });
  }
  return out;
}

test('parts in order with exact header bytes, CRLF or LF-only, any chunking', async () => {
  for (const eol of ['\r\n', '\n']) {
    for (const size of [1, 3, 7, 1000]) {
      const got = await parts(MESSAGE.join(eol), size);
      assert.deepEqual(got.map((p) => p.type), ['text/plain', 'application/octet-stream']);
      assert.equal(got[0]!.header, 'Content-Type: text/plain\r\n\r\n');
      assert.equal(got[0]!.body, 'first');
      assert.equal(got[1]!.body, 'AAEC\r\nAwQF');
    }
  }
});

test('a consumer that stops reading a part early still gets the next part', async () => {
  const types: string[] = [];
  for await (const part of readMultipart(await readMimeEntity(toByteStream(Buffer.from(MESSAGE.join('\r\n')))))) {
    types.push(part.headers.contentType().mediaType);
    for await (const _ of part.body) break;
  }
  assert.deepEqual(types, ['text/plain', 'application/octet-stream']);
});

test('not multipart is a typed error', async () => {
  const entity = await readMimeEntity(toByteStream(Buffer.from('Content-Type: text/plain\r\n\r\nx')));
  await assert.rejects(async () => {
    for await (const _ of readMultipart(entity)) void _;
  }, (e) => isCachetError(e) && e.code === 'ERR_MIME_MALFORMED');
});

test('a nested boundary extending the outer one, transport padding after a delimiter, an uppercase quoted type', async () => {
  const message = [
    'Content-Type: MULTIPART/MIXED; BOUNDARY="b"',
    '',
    '--b  ',
    'Content-Type: multipart/alternative; boundary="b-inner"',
    '',
    '--b-inner',
    'Content-Type: text/plain',
    '',
    'two',
    '--b-inner--',
    '--b--\t',
    'an epilogue',
    '',
  ];
  for (const eol of ['\r\n', '\n']) {
    const outer: string[] = [];
    const inner: string[] = [];
    for await (const part of readMultipart(await readMimeEntity(toByteStream(Buffer.from(message.join(eol)))))) {
      outer.push(part.headers.contentType().mediaType);
      for await (const child of readMultipart(part)) inner.push((await collectBytes(child.body)).toString());
    }
    assert.deepEqual(outer, ['multipart/alternative']);
    assert.deepEqual(inner, ['two']);
  }
});

test('a damaged part is an opaque leaf holding its bytes, and the parts after it are still read', async () => {
  const message = ['Content-Type: multipart/mixed; boundary=x', '', '--x', 'no header here at all', '', 'body', '--x', 'Content-Type: text/plain', '', 'ok', '--x--', ''].join('\r\n');
  for (const size of [1, 5, 1000]) {
    const got = await parts(message, size);
    assert.deepEqual(got, [
      { type: 'application/octet-stream', header: '', body: 'no header here at all\r\n\r\nbody' },
      { type: 'text/plain', header: 'Content-Type: text/plain\r\n\r\n', body: 'ok' },
    ], `chunks of ${size}`);
  }
});
