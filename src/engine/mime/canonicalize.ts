/**
 * Makes a MIME entity safe to sign (RFC 8551 §3.1.1, §3.1.2): whatever a relay could rewrite is
 * rewritten first, so the signature covers bytes that arrive unchanged.
 *
 * - CRLF canonical line endings everywhere;
 * - leaves that are already base64 or quoted-printable pass through untouched (streamed, so a
 *   1 GiB attachment costs no memory);
 * - 7bit/8bit/binary leaves are checked: 8-bit bytes, lines over 76 characters, trailing whitespace
 *   (stripped by some relays), or a line starting with "From " (mangled by mbox) make the leaf
 *   re-encoded — quoted-printable for text, base64 otherwise — with its Content-Transfer-Encoding
 *   updated;
 * - multipart trees are walked recursively with their boundaries, preambles and epilogues preserved.
 *
 * Binary content declared "binary" is treated as lines like everything else: mail user agents encode
 * attachments as base64, and an entity in "binary" form cannot be signed for transport as it is.
 */
import { CachetError } from '../../errors.js';
import type { ByteStream } from '../stream-types.js';
import { base64Encode } from './base64.js';
import { BoundaryReader } from './boundary-reader.js';
import { parseHeaderBlock } from './headers.js';
import { toCrlf } from './line-endings.js';
import { quotedPrintableEncode } from './quoted-printable.js';

/** Leaves of 7bit/8bit content up to this size are checked in memory; larger ones become base64. */
export const MAX_CHECKED_LEAF_BYTES = 16 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 32;
const MAX_LINE = 76;

export async function* toTransportSafeCanonical(entity: ByteStream): ByteStream {
  const reader = new BoundaryReader(toCrlf(entity));
  yield* canonicalEntity(reader, [], 0);
}

async function* canonicalEntity(reader: BoundaryReader, enclosing: string[], depth: number): ByteStream {
  if (depth > MAX_NESTING_DEPTH) throw new CachetError('ERR_LIMIT_EXCEEDED', `MIME nesting deeper than ${MAX_NESTING_DEPTH} levels`);
  // A copy: it is written only after a leaf has been read (and checked), and the reader's chunks may
  // be reused memory by then (see the `recycle` input of the CLI).
  const headerBytes = Buffer.from(await reader.readHeaderBlock(enclosing));
  const headers = parseHeaderBlock(headerBytes);
  const contentType = headers.contentType();
  const boundary = contentType.params['boundary'];
  if (contentType.type === 'multipart' && boundary) {
    yield headerBytes;
    yield* canonicalMultipartBody(reader, boundary, enclosing, depth);
    return;
  }
  const encoding = headers.transferEncoding();
  if (encoding === 'base64' || encoding === 'quoted-printable') {
    yield headerBytes;
    yield* reader.readUntilDelimiter(enclosing);
    return;
  }
  const { bytes, complete } = await reader.readUntilDelimiterBuffered(enclosing, MAX_CHECKED_LEAF_BYTES);
  if (complete && isTransportSafe(bytes)) {
    yield headerBytes;
    yield bytes;
    return;
  }
  const useQuotedPrintable = complete && contentType.type === 'text';
  yield withTransferEncoding(headerBytes, useQuotedPrintable ? 'quoted-printable' : 'base64', contentType.type === 'text' && !contentType.params['charset']);
  if (useQuotedPrintable) {
    yield quotedPrintableEncode(bytes);
    return;
  }
  async function* rest(): ByteStream {
    yield bytes;
    if (!complete) yield* reader.readUntilDelimiter(enclosing);
  }
  // base64 output ends in CRLF; the delimiter that follows brings its own CRLF, so drop ours.
  let previous: Uint8Array | undefined;
  for await (const chunk of base64Encode(rest())) {
    if (previous) yield previous;
    previous = chunk;
  }
  if (previous) yield previous.subarray(0, previous.length - 2);
}

async function* canonicalMultipartBody(reader: BoundaryReader, boundary: string, enclosing: string[], depth: number): ByteStream {
  const active = [boundary, ...enclosing];
  yield* reader.readUntilDelimiter(active); // preamble
  for (;;) {
    const delimiter = await reader.readDelimiterLine(active);
    if (!delimiter) return; // end of input without a closing delimiter: tolerated
    if (delimiter.boundary !== boundary) {
      // an enclosing boundary closes this multipart early (missing close delimiter): give it back
      reader.unread(delimiter.bytes);
      return;
    }
    yield delimiter.bytes;
    if (delimiter.closing) {
      yield* reader.readUntilDelimiter(enclosing); // epilogue
      return;
    }
    yield* canonicalEntity(reader, active, depth + 1);
  }
}

/** 7-bit, lines ≤ 76 characters, no trailing whitespace, no "From " at a line start. */
export function isTransportSafe(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let lineStart = 0;
  for (let i = 0; i <= buffer.length; i++) {
    const byte = i < buffer.length ? buffer[i]! : 0x0d;
    if (byte > 0x7e || byte === 0) return false;
    if (byte === 0x0d) {
      const lineLength = i - lineStart;
      if (lineLength > MAX_LINE) return false;
      if (lineLength > 0) {
        const last = buffer[i - 1];
        if (last === 0x20 || last === 0x09) return false;
      }
      if (lineLength >= 5 && buffer.toString('latin1', lineStart, lineStart + 5) === 'From ') return false;
      lineStart = i + 2;
      i++;
    }
  }
  return true;
}

/** Rewrites Content-Transfer-Encoding in a header block (adding it, or a UTF-8 charset, as needed). */
function withTransferEncoding(headerBytes: Buffer, encoding: string, addCharset: boolean): Buffer {
  const text = headerBytes.toString('latin1').replace(/\r\n$/, '');
  const lines = text.length === 0 ? [] : text.split(/\r\n(?![ \t])/);
  const kept = lines.filter((line) => !/^content-transfer-encoding\s*:/i.test(line) && line.length > 0);
  if (!kept.some((line) => /^content-type\s*:/i.test(line))) kept.push('Content-Type: text/plain; charset=utf-8');
  else if (addCharset) {
    const index = kept.findIndex((line) => /^content-type\s*:/i.test(line));
    kept[index] = `${kept[index]}; charset=utf-8`;
  }
  kept.push(`Content-Transfer-Encoding: ${encoding}`);
  return Buffer.from(`${kept.join('\r\n')}\r\n\r\n`, 'latin1');
}
