/** The MIME vocabulary shared by the engine's modules (implemented in headers.ts and entity-reader.ts). */
import type { ByteStream } from '../stream-types.js';

export interface HeaderField {
  /** The field name as written (case preserved). */
  name: string;
  /** The unfolded value, RFC 2047 encoded-words left as they are. */
  value: string;
  /** The exact bytes of the field, folding and CRLF included (needed to reproduce signed bytes). */
  raw: Uint8Array;
}

export interface ContentType {
  /** Lower-cased "type/subtype", e.g. "multipart/signed". */
  mediaType: string;
  type: string;
  subtype: string;
  /** Parameters with lower-cased names; values unquoted (RFC 2231 continuations joined). */
  params: Record<string, string>;
}

export interface MimeHeaderBlock {
  readonly fields: readonly HeaderField[];
  /** The first value of a field, by case-insensitive name. */
  get(name: string): string | undefined;
  getAll(name: string): string[];
  /** Content-Type, defaulting to text/plain; charset=us-ascii (RFC 2045 §5.2). */
  contentType(): ContentType;
  /** Content-Transfer-Encoding, lower-cased, default "7bit". */
  transferEncoding(): string;
}

/** A MIME entity being read: its header block and the rest of its bytes (the body) as a stream. */
export interface MimeEntity {
  headers: MimeHeaderBlock;
  /** The exact header bytes including the blank line that ends them. */
  headerBytes: Uint8Array;
  body: ByteStream;
}
