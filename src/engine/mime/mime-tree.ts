/**
 * An in-memory MIME tree of a (bounded) message, with the exact byte range of every part, so that a
 * signed part found inside unsigned content can be verified over exactly its own bytes and the
 * unsigned parts around it can be shown as such. Tolerant of LF-only mail, preambles and epilogues.
 */
import { isCachetError } from '../../errors.js';
import { headerBlock, parseHeaderBlock } from './headers.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';
import type { MimeHeaderBlock } from './types.js';

export interface MimePart {
  headers: MimeHeaderBlock;
  /** The whole part: header block and body. */
  bytes: Buffer;
  body: Buffer;
  children: MimePart[];
  /** Dotted position in the tree: "" for the root, "1", "1.2", … */
  path: string;
}

function headerEnd(bytes: Buffer): number {
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return bytes.length;
  if (crlf === -1) return lf + 2;
  if (lf === -1) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

/**
 * Splits a multipart body into its parts' bytes (without the delimiters and their line breaks).
 * @throws CachetError ERR_LIMIT_EXCEEDED beyond `maxParts` parts: the split stops there, for 8 MiB of
 *         empty parts are two million delimiters, and a position kept for each cost ~500 MB.
 */
export function splitMultipartBody(body: Buffer, boundary: string, maxParts: number = MIME_LIMITS.maxParts): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const starts: Array<{ lineStart: number; afterLine: number; closing: boolean }> = [];
  let position = 0;
  while (position <= body.length) {
    const found = body.indexOf(delimiter, position);
    if (found === -1) break;
    const atLineStart = found === 0 || body[found - 1] === 0x0a;
    const after = found + delimiter.length;
    const next = body[after];
    // "--b-x" is not a delimiter of "b" (a nested boundary may extend the outer one); "--b--" closes.
    const boundaryEnds =
      next === undefined || next === 0x0d || next === 0x0a || next === 0x20 || next === 0x09 || (next === 0x2d && body[after + 1] === 0x2d);
    if (atLineStart && boundaryEnds) {
      const closing = next === 0x2d && body[after + 1] === 0x2d;
      let lineEnd = body.indexOf(0x0a, after);
      lineEnd = lineEnd === -1 ? body.length : lineEnd + 1;
      // the line break before the delimiter belongs to the delimiter (RFC 2046 §5.1.1)
      let lineStart = found;
      if (lineStart > 0 && body[lineStart - 1] === 0x0a) lineStart--;
      if (lineStart > 0 && body[lineStart - 1] === 0x0d) lineStart--;
      starts.push({ lineStart, afterLine: lineEnd, closing });
      if (closing) break;
      // n + 1 opening delimiters make at least n parts
      if (starts.length > maxParts + 1) throw mimeLimitExceeded('maxParts', 'the message has too many MIME parts');
    }
    position = after;
  }
  const parts: Buffer[] = [];
  for (let i = 0; i < starts.length - 1; i++) {
    const current = starts[i]!;
    if (current.closing) break;
    parts.push(body.subarray(current.afterLine, Math.max(current.afterLine, starts[i + 1]!.lineStart)));
  }
  return parts;
}

export function parseMimeTree(bytes: Buffer): MimePart {
  let count = 0;
  const parse = (entity: Buffer, path: string, depth: number): MimePart => {
    if (depth > MIME_LIMITS.maxDepth) throw mimeLimitExceeded('maxDepth', 'the message nests MIME parts too deeply');
    if (++count > MIME_LIMITS.maxParts) throw mimeLimitExceeded('maxParts', 'the message has too many MIME parts');
    const split = headerEnd(entity);
    let headers: MimeHeaderBlock;
    let body = entity.subarray(split);
    try {
      headers = parseHeaderBlock(entity.subarray(0, split));
    } catch (error) {
      // A damaged part inside a message (no blank line, a stray line) is kept as an opaque leaf of
      // unknown content rather than failing the whole message: it is simply not signed.
      if (depth === 0 || !isCachetError(error) || error.code !== 'ERR_MIME_MALFORMED') throw error;
      headers = headerBlock([{ name: 'Content-Type', value: 'application/octet-stream', raw: Buffer.alloc(0) }]);
      body = entity;
    }
    const type = headers.contentType();
    const boundary = type.params['boundary'];
    const children =
      type.type === 'multipart' && boundary
        ? splitMultipartBody(body, boundary, MIME_LIMITS.maxParts - count).map((part, index) => parse(part, path ? `${path}.${index + 1}` : String(index + 1), depth + 1))
        : [];
    return { headers, bytes: entity, body, children, path };
  };
  return parse(bytes, '', 0);
}
