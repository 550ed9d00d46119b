/**
 * The bounds of reading a MIME message that anyone can send, in one place so that the parsers
 * (header blocks, the in-memory tree, the streaming multipart reader, the reader's displayed parts)
 * cannot drift apart. Each is far above what real mail needs; a message beyond one is refused with
 * ERR_LIMIT_EXCEEDED (details.limit names it), never half-read.
 */
import { CachetError } from '../../errors.js';

export const MIME_LIMITS = {
  /** Bytes of one header block (a message's or a part's). */
  maxHeaderBytes: 1024 * 1024,
  /** Fields in one header block. */
  maxHeaderFields: 1000,
  /** Bytes of all header blocks of one message together, for a reader that keeps them. */
  maxTotalHeaderBytes: 4 * 1024 * 1024,
  /** MIME parts of one message, at every level together (a flood of empty parts is an attack). */
  maxParts: 1000,
  /** Nesting of multiparts and embedded messages. */
  maxDepth: 32,
  /**
   * Encoded bytes of the text and HTML parts shown to the reader, together. A text part beyond what
   * is left of this is offered as an attachment instead (so nothing is lost or cut).
   */
  maxDisplayedBytes: 4 * 1024 * 1024,
} as const;

export type MimeLimit = keyof typeof MIME_LIMITS;

/** The error for a message beyond `limit`; `what` says what went over it, for the user. */
export function mimeLimitExceeded(limit: MimeLimit, what: string): CachetError {
  return new CachetError('ERR_LIMIT_EXCEEDED', `${what} (a safety limit of ${MIME_LIMITS[limit]})`, { details: { limit, value: MIME_LIMITS[limit] } });
}
