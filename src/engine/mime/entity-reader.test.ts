import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readMimeEntity } from './entity-reader.js';
import { MIME_LIMITS } from './limits.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';

/** The same bytes cut into chunks at the given positions. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

test('header and body split exactly, whatever the chunking, CRLF or LF', async () => {
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(fc.nat(200), { maxLength: 8 }), async (lf, cuts) => {
      let message = 'From: a@example.com\r\nSubject: x\r\n  folded\r\nContent-Type: text/plain\r\n\r\nbody\r\n\r\nmore\r\n';
      if (lf) message = message.replace(/\r\n/g, '\n');
      const bytes = Buffer.from(message);
      const entity = await readMimeEntity(toByteStream(chunked(bytes, cuts)));
      const split = bytes.indexOf(lf ? '\n\n' : '\r\n\r\n') + (lf ? 2 : 4);
      assert.equal(Buffer.from(entity.headerBytes).toString(), message.slice(0, split));
      assert.equal((await collectBytes(entity.body)).toString(), message.slice(split));
      assert.equal(entity.headers.get('subject'), 'x  folded');
    }),
  );
});

test('no header at all (a blank first line), and no blank line at all', async () => {
  const empty = await readMimeEntity(toByteStream(Buffer.from('\r\nbody')));
  assert.equal(empty.headers.fields.length, 0);
  assert.equal((await collectBytes(empty.body)).toString(), 'body');
  const onlyHeaders = await readMimeEntity(toByteStream(Buffer.from('Subject: x\r\n')));
  assert.equal(onlyHeaders.headers.get('subject'), 'x');
  assert.equal((await collectBytes(onlyHeaders.body)).length, 0);
});

test('a header block over the limit is refused with ERR_LIMIT_EXCEEDED', async () => {
  const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
  const chunks = Array.from({ length: Math.ceil(MIME_LIMITS.maxHeaderBytes / line.length) + 2 }, () => line);
  await assert.rejects(readMimeEntity(toByteStream(chunks)), (e) => isCachetError(e) && e.code === 'ERR_LIMIT_EXCEEDED');
});
