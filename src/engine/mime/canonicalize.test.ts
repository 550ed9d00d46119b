import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTransportSafeCanonical, isTransportSafe } from './canonicalize.js';
import { collectBytes } from '../stream-types.js';
import { quotedPrintableDecode } from './quoted-printable.js';

async function canonical(text: string | Buffer, chunkSize = 7): Promise<string> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  return (await collectBytes(toTransportSafeCanonical(pieces()))).toString('latin1');
}

test('a safe 7-bit text entity passes unchanged, with CRLF line ends', async () => {
  const out = await canonical('Content-Type: text/plain\n\nHello\nworld\n');
  assert.equal(out, 'Content-Type: text/plain\r\n\r\nHello\r\nworld\r\n');
});

test('8-bit text, trailing whitespace, long lines and "From " lines become quoted-printable', async () => {
  const body = `Grüße   \nFrom the team\n${'x'.repeat(200)}\n`;
  const out = await canonical(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${body}`);
  assert.match(out, /Content-Transfer-Encoding: quoted-printable\r\n\r\n/);
  assert.doesNotMatch(out, /8bit/);
  const [, encoded = ''] = out.split('\r\n\r\n');
  assert.ok(isTransportSafe(Buffer.from(encoded, 'latin1')), 'the encoded body is transport-safe');
  assert.equal(quotedPrintableDecode(Buffer.from(encoded, 'latin1')).toString('utf8'), body.replace(/\n/g, '\r\n'));
});

test('multipart trees are walked: the 8-bit part is re-encoded, the base64 part passes, boundaries stay', async () => {
  const input = [
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    'preamble',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Ünïcödé',
    '--b1',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECAwQF',
    '--b1--',
    'epilogue',
    '',
  ].join('\n');
  const out = await canonical(input, 3);
  assert.match(out, /--b1\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=9Cn=C3=AFc=C3=B6d=C3=A9\r\n--b1\r\n/);
  assert.match(out, /Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--b1--\r\nepilogue\r\n$/);
  assert.ok(out.startsWith('Content-Type: multipart/mixed; boundary="b1"\r\n\r\npreamble\r\n--b1\r\n'));
});

test('a binary non-text leaf becomes base64 and decodes back', async () => {
  const payload = Buffer.from([0xff, 0x00, 0x80, 0x41, 0x42]);
  const out = await canonical(Buffer.concat([Buffer.from('Content-Type: application/x-thing\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), payload]));
  assert.match(out, /Content-Transfer-Encoding: base64\r\n\r\n/);
  assert.equal(Buffer.from(out.split('\r\n\r\n')[1] ?? '', 'base64').toString('hex'), payload.toString('hex'));
});

test('a nested boundary that extends the outer one ("b" and "b-inner") is not mistaken for it', async () => {
  const entity = [
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: multipart/alternative; boundary="b-inner"',
    '',
    '--b-inner',
    'Content-Type: text/plain',
    '',
    'caf\u00e9',
    '--b-inner--',
    '--b--',
    '',
  ].join('\r\n');
  const out = await canonical(entity);
  assert.match(out, /--b-inner\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--b-inner--\r\n--b--/);
});
