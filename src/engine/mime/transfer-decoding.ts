/**
 * A part's body decoded from its Content-Transfer-Encoding as it streams, tolerant as displayed mail
 * needs (an attachment is saved as its sender's client wrote it, not refused for a stray character):
 * base64 ignoring anything outside its alphabet, quoted-printable line by line, anything else as is.
 * The strict base64 reader (base64.ts) is for CMS content, where a stray byte is damage.
 */
import type { ByteStream } from '../stream-types.js';
import { quotedPrintableDecode } from './quoted-printable.js';
import type { MimeEntity } from './types.js';

export function decodeTransferEncoding(entity: Pick<MimeEntity, 'headers' | 'body'>): ByteStream {
  const encoding = entity.headers.transferEncoding();
  if (encoding === 'base64') return lenientBase64Decode(entity.body);
  if (encoding === 'quoted-printable') return quotedPrintableDecodeStream(entity.body);
  return entity.body;
}

const NOT_BASE64 = /[^A-Za-z0-9+/]+/g;

async function* lenientBase64Decode(stream: ByteStream): ByteStream {
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1').replace(NOT_BASE64, '');
    const whole = text.length - (text.length % 4);
    carry = text.slice(whole);
    if (whole > 0) yield Buffer.from(text.slice(0, whole), 'base64');
  }
  // A last group of two or three characters is one or two bytes (missing padding tolerated).
  if (carry.length > 1) yield Buffer.from(carry, 'base64');
}

/** A quoted-printable line longer than this (RFC 2045 allows 76) is decoded without waiting for its end. */
const MAX_PENDING_LINE = 64 * 1024;

/** Whole lines are decoded at a time, so that neither a "=XX" escape nor a soft line break is ever split. */
async function* quotedPrintableDecodeStream(stream: ByteStream): ByteStream {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const bytes = carry.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([carry, chunk]);
    let cut = bytes.lastIndexOf(0x0a) + 1;
    if (cut === 0 && bytes.length > MAX_PENDING_LINE) {
      // No line end in sight: all but an escape that may continue in the next chunk.
      const escape = bytes.indexOf(0x3d, bytes.length - 2);
      cut = escape === -1 ? bytes.length : escape;
    }
    carry = Buffer.from(bytes.subarray(cut));
    if (cut > 0) yield quotedPrintableDecode(bytes.subarray(0, cut));
  }
  if (carry.length > 0) yield quotedPrintableDecode(carry);
}
