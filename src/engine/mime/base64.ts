/**
 * Streaming base64 (RFC 2045 §6.8) for S/MIME bodies and attachments of any size. The codec work is
 * done by Buffer's native base64; this module only keeps the 3-byte / 4-character carry between chunks
 * and lays out 76-character CRLF lines.
 */
import { CachetError } from '../errors.js';
import type { ByteStream } from '../stream-types.js';

/** Input bytes per full output line (76 base64 characters). */
function bytesPerLine(lineLength: number): number {
  return (lineLength / 4) * 3;
}

/** Input is gathered to about this size before encoding: few large codec calls, not many tiny ones. */
const ENCODE_BATCH = 57 * 2 * 1024;

export async function* base64Encode(stream: ByteStream, lineLength = 76): ByteStream {
  if (lineLength % 4 !== 0 || lineLength <= 0) throw new RangeError('lineLength must be a positive multiple of 4');
  const perLine = bytesPerLine(lineLength);
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (chunk.length === 0) continue;
    pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    size += chunk.length;
    if (size < ENCODE_BATCH) continue;
    const input = pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
    const whole = input.length - (input.length % perLine);
    yield encodeLines(input.subarray(0, whole), lineLength);
    // copy the short tail: the producer may reuse the chunk's memory
    const tail = Buffer.from(input.subarray(whole));
    pending = tail.length > 0 ? [tail] : [];
    size = tail.length;
  }
  if (size > 0) yield encodeLines(pending.length === 1 ? pending[0]! : Buffer.concat(pending, size), lineLength);
}

/** Encodes bytes into CRLF-terminated lines of `lineLength` characters (the last may be shorter). */
function encodeLines(bytes: Buffer, lineLength: number): Buffer {
  const text = Buffer.from(bytes.toString('base64'), 'latin1');
  const lines = Math.ceil(text.length / lineLength);
  const out = Buffer.allocUnsafe(text.length + lines * 2);
  let o = 0;
  for (let i = 0; i < text.length; i += lineLength) {
    const end = Math.min(i + lineLength, text.length);
    o += text.copy(out, o, i, end);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out;
}

const INVALID = /[^A-Za-z0-9+/=]/;

/**
 * Decodes base64 as mail carries it: line breaks, spaces and tabs ignored; missing final padding
 * tolerated; any other character is an error (ERR_MIME_MALFORMED), never silently skipped.
 */
export async function* base64Decode(stream: ByteStream): ByteStream {
  let carry = '';
  let finished = false;
  for await (const chunk of stream) {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1').replace(/[\r\n\t ]+/g, '');
    if (text.length === 0) continue;
    if (INVALID.test(text)) throw new CachetError('ERR_MIME_MALFORMED', 'the base64 content contains characters that are not base64');
    if (finished && /[^=]/.test(text)) throw new CachetError('ERR_MIME_MALFORMED', 'base64 content continues after its padding');
    const all = carry + text;
    const usable = all.length - (all.length % 4);
    carry = all.slice(usable);
    if (usable > 0) {
      const quads = all.slice(0, usable);
      if (quads.includes('=')) finished = /=[^=]/.test(quads) ? failMidPadding() : true;
      yield Buffer.from(quads, 'base64');
    }
  }
  if (carry.replace(/=+$/, '').length === 1) throw new CachetError('ERR_MIME_MALFORMED', 'the base64 content is truncated');
  if (carry.length > 0) yield Buffer.from(carry, 'base64');
}

function failMidPadding(): never {
  throw new CachetError('ERR_MIME_MALFORMED', 'base64 padding appears in the middle of the content');
}
