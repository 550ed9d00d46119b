import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from '../mime/headers.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { protectHeaders, type HeaderProtectionOptions } from './header-protection.js';
import { effectiveHeaders } from './protected-headers.js';

const composed = Buffer.from(
  'From: Alice <alice@example.com>\r\nTo: bob@example.com,\r\n carol@example.com\r\nSubject: =?UTF-8?Q?Caf=C3=A9?=\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n' +
    'Message-ID: <1@example.com>\r\nX-Mailer: test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n',
);

/** The payload collected, for the assertions below. */
async function protect(message: Buffer, options: HeaderProtectionOptions): Promise<{ payload: Buffer; outerHeader: Buffer }> {
  const { payload, outerHeader } = await protectHeaders(toByteStream(message), options);
  return { payload: await collectBytes(payload), outerHeader };
}

const headerOf = (bytes: Buffer) => parseHeaderBlock(bytes.subarray(0, bytes.indexOf('\r\n\r\n') + 4));

test('cipher: the payload keeps every field, marks its Content-Type, and records each field left outside', async () => {
  const { payload, outerHeader } = await protect(composed, { mode: 'cipher' });
  const inner = headerOf(payload);
  assert.equal(inner.contentType().params.hp, 'cipher');
  assert.equal(inner.contentType().params['protected-headers'], 'v1');
  assert.equal(inner.contentType().params.charset, 'utf-8', "the media type's own parameters stay");
  assert.equal(inner.get('x-mailer'), 'test', 'the payload holds the whole composed header');
  assert.deepEqual(inner.getAll('hp-outer'), [
    'From: Alice <alice@example.com>',
    'To: bob@example.com, carol@example.com',
    'Subject: [...]',
    'Date: Mon, 1 Jan 2024 10:00:00 +0000',
    'Message-ID: <1@example.com>',
  ]);
  assert.ok(payload.toString('latin1').endsWith('\r\n\r\nHello\r\n'), 'the body is untouched');
  const outer = outerHeader.toString('latin1');
  assert.match(outer, /^Subject: \[\.\.\.\]$/m);
  assert.doesNotMatch(outer, /X-Mailer|Content-/, 'left out, so no HP-Outer line for it either');
  assert.ok(outer.endsWith('MIME-Version: 1.0\r\n'));
  // Read back: the protected Subject, and the outer header exactly as HP-Outer declared it.
  const shown = effectiveHeaders(parseHeaderBlock(Buffer.concat([outerHeader, Buffer.from('\r\n')])), inner);
  assert.equal(shown.subject, 'Café');
  assert.equal(shown.scheme, 'rfc9788');
  assert.deepEqual(shown.differences, []);
});

test('cipher with obscureSubject false: the real Subject outside, and declared so', async () => {
  const { payload, outerHeader } = await protect(composed, { mode: 'cipher', obscureSubject: false });
  assert.match(outerHeader.toString('latin1'), /^Subject: =\?UTF-8\?Q\?Caf=C3=A9\?=$/m);
  assert.ok(headerOf(payload).getAll('hp-outer').includes('Subject: =?UTF-8?Q?Caf=C3=A9?='));
});

test('clear: hp="clear", no HP-Outer (RFC 9788 §2.2), the composed non-structural fields outside', async () => {
  const { payload, outerHeader } = await protect(composed, { mode: 'clear' });
  const inner = headerOf(payload);
  assert.equal(inner.contentType().params.hp, 'clear');
  assert.deepEqual(inner.getAll('hp-outer'), []);
  const outer = outerHeader.toString('latin1');
  assert.match(outer, /^X-Mailer: test$/m);
  assert.match(outer, /^Subject: =\?UTF-8\?Q\?Caf=C3=A9\?=$/m);
  assert.doesNotMatch(outer, /Content-/);
});

test('a message without Content-Type (text/plain by RFC 2045 §5.2) gets one that carries hp; LF-only input too', async () => {
  const { payload } = await protect(Buffer.from('From: a@example.com\nSubject: s\n\nbody\n'), { mode: 'cipher' });
  const inner = headerOf(Buffer.from(payload.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
  assert.equal(inner.contentType().mediaType, 'text/plain');
  assert.equal(inner.contentType().params.hp, 'cipher');
  assert.ok(payload.toString('latin1').endsWith('\r\n\r\nbody\n'));
});

test('only the header block is read before the outer header is known: the body streams through', async () => {
  let pulled = 0;
  const body = Buffer.alloc(64 * 1024, 'x');
  const source = (async function* () {
    pulled++;
    yield Buffer.from('From: a@example.com\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n');
    for (let i = 0; i < 16; i++) {
      pulled++;
      yield body;
    }
  })();
  const { payload, outerHeader } = await protectHeaders(source, { mode: 'cipher' });
  assert.equal(pulled, 1, 'no body chunk was read to choose the outer header');
  assert.match(outerHeader.toString('latin1'), /^Subject: \[\.\.\.\]$/m);
  let bytes = 0;
  for await (const chunk of payload) bytes += chunk.length;
  assert.equal(pulled, 17);
  assert.ok(bytes > 16 * body.length);
});
