/**
 * Reads a MIME entity from a stream: the header block (bounded), then the body as a stream that is
 * never copied whole. Tolerant of LF-only stored mail and of a message with no blank line (all headers).
 */
import type { ByteStream } from '../stream-types.js';
import { parseHeaderBlock } from './headers.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';
import type { MimeEntity } from './types.js';

/**
 * Where the header block ends in `bytes` (just after its blank line), or -1 when no blank line is in
 * it yet. A blank line is "\n" or "\r\n" at the start of a line; the block may itself be empty.
 */
export function headerBlockEnd(bytes: Buffer, from = 0): number {
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const lf = bytes.indexOf('\n\n', from);
  const crlf = bytes.indexOf('\n\r\n', from);
  if (lf === -1 && crlf === -1) return -1;
  if (crlf === -1 || (lf !== -1 && lf < crlf)) return lf + 2;
  return crlf + 3;
}

/**
 * Reads the header block chunk by chunk with Buffer.indexOf (a byte-at-a-time reader costs more than
 * the signature check of a small message), then hands back the rest of the stream as the body —
 * the chunk holding the blank line split, never the whole body copied.
 * @throws CachetError ERR_LIMIT_EXCEEDED when the header block exceeds MIME_LIMITS.maxHeaderBytes
 */
export async function readMimeEntity(stream: ByteStream): Promise<MimeEntity> {
  const iterator = stream[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let rest: Buffer | undefined;
  let ended = false;
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    if (next.value.length === 0) continue;
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    // Search from a little before the join, for a blank line split across chunks.
    const from = Math.max(0, head.length - 2);
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = headerBlockEnd(head, from);
    if (end !== -1) {
      if (end > MIME_LIMITS.maxHeaderBytes) break;
      rest = head.subarray(end);
      head = head.subarray(0, end);
      break;
    }
    if (head.length > MIME_LIMITS.maxHeaderBytes) break;
  }
  if (head.length > MIME_LIMITS.maxHeaderBytes) throw mimeLimitExceeded('maxHeaderBytes', 'a header block is too large');
  // No blank line at all: the whole input is header (tolerated, as a message with an empty body).
  const headerBytes = Buffer.from(head);
  const headers = parseHeaderBlock(headerBytes);
  const body = (async function* (): AsyncGenerator<Uint8Array> {
    if (rest !== undefined && rest.length > 0) yield rest;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  return { headers, headerBytes, body };
}
