import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEncodedWords, parseContentType, parseHeaderBlock } from './headers.js';
import { readMimeEntity } from './entity-reader.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';

test('folded fields unfold; raw bytes are kept exactly; lookups ignore case', () => {
  const raw = 'Subject: a long\r\n  subject\r\nContent-Type: Multipart/Signed;\r\n\tprotocol="application/pkcs7-signature"; micalg=SHA-256;\r\n boundary="--=b"\r\n\r\n';
  const block = parseHeaderBlock(Buffer.from(raw));
  assert.equal(block.get('subject'), 'a long  subject');
  const type = block.contentType();
  assert.equal(type.mediaType, 'multipart/signed');
  assert.equal(type.params['protocol'], 'application/pkcs7-signature');
  assert.equal(type.params['micalg'], 'SHA-256');
  assert.equal(type.params['boundary'], '--=b');
  assert.equal(Buffer.concat(block.fields.map((f) => f.raw)).toString() + '\r\n', raw);
});

test('RFC 2231 continuations and charsets; a missing Content-Type means text/plain', () => {
  const type = parseContentType("application/pkcs7-mime; name*0=\"smi\"; name*1=\"me.p7m\"; title*=utf-8''%C3%BCber");
  assert.equal(type.params['name'], 'smime.p7m');
  assert.equal(type.params['title'], 'über');
  assert.equal(parseHeaderBlock(Buffer.from('X-A: b\n\n')).contentType().mediaType, 'text/plain');
  assert.equal(parseContentType('garbage').mediaType, 'text/plain');
});

test('RFC 2047 encoded words decode for display', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?R3LDvMOfZQ==?= =?iso-8859-1?Q?an_Sie?='), 'Grüßean Sie');
});

test('readMimeEntity splits headers from a streamed body, LF-only mail included', async () => {
  const entity = await readMimeEntity(toByteStream('From: a@b\nContent-Type: text/plain\n\nbody\nmore\n'));
  assert.equal(entity.headers.get('from'), 'a@b');
  assert.equal((await collectBytes(entity.body)).toString(), 'body\nmore\n');
});

test('a line that is not a header field is a typed MIME error', () => {
  assert.throws(() => parseHeaderBlock(Buffer.from('not a header\r\n\r\n')), (e) => isCachetError(e, 'ERR_MIME_MALFORMED'));
});

test('an mbox "From " separator on the first line is skipped, not a malformed field', () => {
  const block = parseHeaderBlock(Buffer.from('From alice@example.com Mon Jan  1 10:00:00 2024\nFrom: alice@example.com\nSubject: hi\n\n'));
  assert.equal(block.get('from'), 'alice@example.com');
  assert.deepEqual(block.fields.map((f) => f.name), ['From', 'Subject']);
});
