/**
 * Properties of the transport-safe canonical form (RFC 8551 §3.1.1): whatever text an entity holds,
 * what is signed has CRLF line ends only, 7-bit bodies, lines of at most 76 characters, no trailing
 * whitespace and no line starting with "From " — and decodes back to the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toCrlf } from './line-endings.js';
import { quotedPrintableDecode, quotedPrintableEncode } from './quoted-printable.js';
import { toTransportSafeCanonical } from './canonicalize.js';
import { readMimeEntity } from './entity-reader.js';
import { collectBytes, toByteStream } from '../stream-types.js';

/** Tab and printable ASCII only (what survives any relay). */
function isSevenBitLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 9 && (c < 0x20 || c > 0x7e)) return false;
  }
  return true;
}

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Text with the shapes relays break: CR/LF mixtures, trailing blanks, "From ", long lines, 8-bit. */
const awkwardText = fc
  .array(
    fc.oneof(
      fc.constantFrom('\r\n', '\n', '\r', ' ', '\t', 'From ', '=', 'é', '.', 'x'.repeat(90), '\u00a0'),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 40 },
  )
  .map((pieces) => pieces.join(''));

test('toCrlf: any chunking gives the reference result, with no bare CR or LF left', async () => {
  await fc.assert(
    fc.asyncProperty(awkwardText, fc.integer({ min: 1, max: 17 }), async (text, size) => {
      const bytes = Buffer.from(text, 'utf8');
      const out = (await collectBytes(toCrlf(toByteStream(chunks(bytes, size))))).toString('utf8');
      assert.equal(out, text.replace(/\r\n|\r|\n/g, '\r\n'));
    }),
  );
});

test('quoted-printable: 7-bit lines of at most 76, no trailing blanks, no "From ", and it decodes back', () => {
  fc.assert(
    fc.property(awkwardText, (text) => {
      const canonical = Buffer.from(text.replace(/\r\n|\r|\n/g, '\r\n'), 'utf8');
      const encoded = quotedPrintableEncode(canonical);
      for (const line of encoded.toString('latin1').split('\r\n')) {
        assert.ok(line.length <= 76, `line of ${line.length}: ${line}`);
        assert.doesNotMatch(line, /[ \t]$/);
        assert.doesNotMatch(line, /^From /);
        assert.ok(isSevenBitLine(line), `not 7-bit printable: ${line}`);
      }
      assert.deepEqual(quotedPrintableDecode(encoded), canonical);
    }),
  );
});

test('toTransportSafeCanonical: an 8-bit text entity comes out safe and with the same text', async () => {
  await fc.assert(
    fc.asyncProperty(awkwardText, fc.integer({ min: 1, max: 64 }), async (text, size) => {
      const entity = Buffer.from(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${text}`, 'utf8');
      const safe = await collectBytes(toTransportSafeCanonical(toByteStream(chunks(entity, size))));
      const split = safe.indexOf('\r\n\r\n');
      assert.ok(split > 0);
      const body = safe.subarray(split + 4).toString('latin1');
      assert.doesNotMatch(body, /\r(?!\n)|(?<!\r)\n/, 'CRLF only');
      for (const line of body.split('\r\n')) {
        assert.ok(line.length <= 76, `line of ${line.length}`);
        assert.doesNotMatch(line, /[ \t]$/);
        assert.doesNotMatch(line, /^From /);
        assert.ok(isSevenBitLine(line), `not 7-bit printable: ${line}`);
      }
      const read = await readMimeEntity(toByteStream(safe));
      const encoding = read.headers.transferEncoding();
      const bodyBytes = await collectBytes(read.body);
      const decoded = encoding === 'quoted-printable' ? quotedPrintableDecode(bodyBytes) : bodyBytes;
      assert.equal(decoded.toString('utf8'), text.replace(/\r\n|\r|\n/g, '\r\n'));
    }),
    { numRuns: 150 },
  );
});
