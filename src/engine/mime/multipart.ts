/**
 * A streaming multipart reader (RFC 2046 §5.1): the parts of a multipart entity, in order, each as a
 * MimeEntity whose header bytes are exact (in canonical CRLF form) and whose body streams — so a part of any size passes
 * without being held in memory. Tolerant as stored mail needs: LF-only line ends (read as CRLF),
 * quoted boundaries, preamble and epilogue, a missing close delimiter, empty parts, a header with no
 * blank line before the next delimiter, a damaged header (the part is then an opaque leaf).
 *
 * Each part's body must be read (or abandoned) before the next part is asked for; what a consumer
 * leaves unread is skipped.
 */
import { CachetError, isCachetError } from '../../errors.js';
import type { ByteStream } from '../stream-types.js';
import { BoundaryReader } from './boundary-reader.js';
import { headerBlock, parseHeaderBlock } from './headers.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';
import { toCrlf } from './line-endings.js';
import type { MimeEntity, MimeHeaderBlock } from './types.js';

/** What a part whose header does not parse is read as: content of unknown type, never shown as text. */
const OPAQUE_LEAF = headerBlock([{ name: 'Content-Type', value: 'application/octet-stream', raw: Buffer.alloc(0) }]);

/**
 * A part's header. A damaged one (a line that is neither a field nor a continuation) makes the part an
 * opaque leaf holding all its bytes, as mail clients keep it, rather than ending the walk: the parts
 * after it are still read (a signed part after it still verified). Limits still apply.
 */
function partHeader(read: Buffer): { headers: MimeHeaderBlock; headerBytes: Buffer; heldBack?: Buffer } {
  try {
    return { headers: parseHeaderBlock(read), headerBytes: read };
  } catch (error) {
    if (!isCachetError(error, 'ERR_MIME_MALFORMED')) throw error;
    return { headers: OPAQUE_LEAF, headerBytes: Buffer.alloc(0), heldBack: Buffer.from(read) }; // a copy: the reader's chunks may be reused
  }
}

/**
 * @throws CachetError ERR_MIME_MALFORMED when the entity is not multipart or has no boundary;
 *         ERR_LIMIT_EXCEEDED beyond MIME_LIMITS.maxParts parts in this entity
 * @example
 * for await (const part of readMultipart(await readMimeEntity(stream))) {
 *   console.log(part.headers.contentType().mediaType, (await collectBytes(part.body)).length);
 * }
 */
export async function* readMultipart(entity: MimeEntity): AsyncGenerator<MimeEntity> {
  const type = entity.headers.contentType();
  const boundary = type.params['boundary'];
  if (type.type !== 'multipart' || !boundary) {
    throw new CachetError('ERR_MIME_MALFORMED', `a ${type.mediaType} entity with no boundary is not multipart`);
  }
  // The header block ended in a blank line, so the body starts at a line start: a delimiter right at
  // the start (no preamble) is found by readUntilDelimiter.
  const reader = new BoundaryReader(toCrlf(entity.body));
  const active = [boundary];
  const preamble = reader.readUntilDelimiter(active)[Symbol.asyncIterator]();
  while (!(await preamble.next()).done) {
    // the preamble belongs to no part
  }
  for (let count = 0; ; count++) {
    const delimiter = await reader.readDelimiterLine(active);
    if (!delimiter || delimiter.closing) return; // the epilogue is not read
    // A delimiter at the end of input, not closed (a cut-off message), opens no part.
    if (await reader.atEnd()) return;
    if (count >= MIME_LIMITS.maxParts) throw mimeLimitExceeded('maxParts', 'a multipart entity has too many parts');
    const { headers, headerBytes, heldBack } = partHeader(await reader.readHeaderBlock(active));
    // Iterated by hand, not with yield*, so that a consumer that stops early does not close the
    // underlying reader: the rest of the part is skipped below and the next delimiter still found.
    const iterator = reader.readUntilDelimiter(active)[Symbol.asyncIterator]();
    const body: ByteStream = (async function* () {
      if (heldBack) yield heldBack;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })();
    yield { headers, headerBytes, body };
    while (!(await iterator.next()).done) {
      // skip what the consumer left unread
    }
  }
}
