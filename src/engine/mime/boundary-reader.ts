/**
 * Reads a CRLF-canonical MIME stream part by part (RFC 2046 §5.1.1): header blocks, content up to the
 * next delimiter ("CRLF--boundary"), and delimiter lines — streaming, so that parts of any size pass
 * through without being held in memory. The CRLF before a delimiter belongs to the delimiter.
 */
import { CachetError } from '../../errors.js';
import type { ByteStream } from '../stream-types.js';
import { MIME_LIMITS, mimeLimitExceeded } from './limits.js';

const CRLF_DASH_DASH = Buffer.from('\r\n--', 'latin1');

export interface DelimiterLine {
  boundary: string;
  closing: boolean;
  /** The delimiter's bytes as read: the leading CRLF (if any), the line and its CRLF. */
  bytes: Buffer;
}

/** How many trailing bytes of `buffer` could begin a "\r\n--" delimiter that the next chunk completes. */
function possibleDelimiterStart(buffer: Buffer): number {
  for (let keep = Math.min(3, buffer.length); keep > 0; keep--) {
    if (buffer.subarray(buffer.length - keep).equals(CRLF_DASH_DASH.subarray(0, keep))) return keep;
  }
  return 0;
}

export class BoundaryReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(stream: ByteStream) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  private async fill(minimum: number): Promise<boolean> {
    while (this.buffer.length < minimum && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength); // a view, not a copy
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      }
    }
    return this.buffer.length >= minimum;
  }

  private take(length: number): Buffer {
    const out = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return out;
  }

  unread(bytes: Buffer): void {
    this.buffer = Buffer.concat([bytes, this.buffer]);
  }

  /**
   * The header block, through the blank line (or to the end of input when there is none). With the
   * `boundaries` the part is delimited by, a delimiter line also ends it: a part whose header runs
   * into the next delimiter ("--b\r\n--b\r\n", or fields and no blank line) has that header and an
   * empty body, as the in-memory readers of other clients see it. The block is then returned without
   * the CRLF before the delimiter (it belongs to the delimiter, RFC 2046 §5.1.1), so the bytes stay
   * exact; without this, two million empty parts read as one header and hit maxHeaderBytes instead
   * of maxParts.
   */
  async readHeaderBlock(boundaries: readonly string[] = []): Promise<Buffer> {
    if (boundaries.length > 0 && (await this.delimiterAt(0, boundaries))) return this.take(0); // an empty part
    let searchFrom = 0;
    let delimiterFrom = 0;
    for (;;) {
      if (this.buffer.length >= 2 && this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) return this.take(2); // no headers
      // What was read when this round began: delimiterAt may read more, which the next round searches.
      const scanned = this.buffer.length;
      const end = this.buffer.indexOf('\r\n\r\n', searchFrom, 'latin1');
      if (boundaries.length > 0) {
        const before = end === -1 ? scanned : end;
        for (let hit = this.buffer.indexOf(CRLF_DASH_DASH, delimiterFrom); hit !== -1 && hit < before; hit = this.buffer.indexOf(CRLF_DASH_DASH, hit + 1)) {
          if (await this.delimiterAt(hit + 2, boundaries)) return this.take(hit);
          delimiterFrom = hit + 1;
        }
        delimiterFrom = Math.max(delimiterFrom, before - 3);
      }
      if (end !== -1) return this.take(end + 4);
      if (this.buffer.length > MIME_LIMITS.maxHeaderBytes) throw mimeLimitExceeded('maxHeaderBytes', 'a MIME header block is too large');
      searchFrom = Math.max(0, scanned - 3);
      if (!(await this.fill(this.buffer.length + 1))) {
        // no blank line: everything left is header (a part with no body)
        const rest = this.take(this.buffer.length);
        return rest.length === 0 ? rest : Buffer.concat([rest, rest.subarray(-2).toString('latin1') === '\r\n' ? Buffer.from('\r\n') : Buffer.from('\r\n\r\n')]);
      }
    }
  }

  /** Whether `position` holds a delimiter line for one of `boundaries` ("--b" then "--", space, tab, CR or end). */
  private async delimiterAt(position: number, boundaries: readonly string[]): Promise<string | undefined> {
    const longest = Math.max(0, ...boundaries.map((b) => b.length));
    await this.fill(position + 2 + longest + 2);
    if (this.buffer[position] !== 0x2d || this.buffer[position + 1] !== 0x2d) return undefined;
    for (const boundary of boundaries) {
      const end = position + 2 + boundary.length;
      if (end > this.buffer.length) continue;
      if (this.buffer.toString('latin1', position + 2, end) !== boundary) continue;
      const next = this.buffer[end];
      // "--b-x" is not a delimiter of "b" (a nested boundary may extend the outer one); "--b--" closes.
      if (next === undefined || next === 0x0d || next === 0x20 || next === 0x09) return boundary;
      if (next === 0x2d && this.buffer[end + 1] === 0x2d) return boundary;
    }
    return undefined;
  }

  /**
   * Streams content up to (not including) the next delimiter of `boundaries`, or to the end. Every call
   * starts at the beginning of a line (after a header block or a delimiter line), so a delimiter
   * right here needs no CRLF of its own.
   */
  async *readUntilDelimiter(boundaries: readonly string[]): ByteStream {
    if (boundaries.length > 0 && (await this.delimiterAt(0, boundaries))) return;
    let searchFrom = 0;
    for (;;) {
      const hit = boundaries.length === 0 ? -1 : this.buffer.indexOf(CRLF_DASH_DASH, searchFrom);
      if (hit !== -1) {
        if (await this.delimiterAt(hit + 2, boundaries)) {
          if (hit > 0) yield this.take(hit);
          return;
        }
        searchFrom = hit + 1;
        continue;
      }
      // keep only a tail that could be the start of "\r\n--" (usually none: no copy on the next fill)
      const keep = possibleDelimiterStart(this.buffer);
      const emit = this.buffer.length - keep;
      if (emit > 0) {
        yield this.take(emit);
        searchFrom = 0;
      } else searchFrom = Math.max(0, this.buffer.length - 3);
      if (!(await this.fill(this.buffer.length + 1))) {
        if (this.buffer.length > 0) yield this.take(this.buffer.length);
        return;
      }
    }
  }

  /** Like readUntilDelimiter, but into memory up to `limit` bytes; `complete` is false when cut off. */
  async readUntilDelimiterBuffered(boundaries: readonly string[], limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
    const parts: Buffer[] = [];
    let total = 0;
    const iterator = this.readUntilDelimiter(boundaries)[Symbol.asyncIterator]();
    for (;;) {
      if (total >= limit) {
        // Hand back what the generator has not yet delivered by stopping here; it holds nothing itself.
        await iterator.return?.(undefined);
        return { bytes: Buffer.concat(parts), complete: false };
      }
      const next = await iterator.next();
      if (next.done) return { bytes: Buffer.concat(parts), complete: true };
      parts.push(Buffer.from(next.value));
      total += next.value.length;
    }
  }

  /** Whether all input has been read: a delimiter line at the very end starts no part. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Reads the delimiter line at the current position; undefined at the end of input. */
  async readDelimiterLine(boundaries: readonly string[]): Promise<DelimiterLine | undefined> {
    await this.fill(2);
    if (this.buffer.length === 0) return undefined;
    const lead = this.buffer[0] === 0x0d && this.buffer[1] === 0x0a ? 2 : 0;
    const boundary = await this.delimiterAt(lead, boundaries);
    if (!boundary) throw new CachetError('ERR_MIME_MALFORMED', 'a multipart delimiter was expected');
    const after = lead + 2 + boundary.length;
    await this.fill(after + 2);
    const closing = this.buffer[after] === 0x2d && this.buffer[after + 1] === 0x2d;
    let lineEnd = this.buffer.indexOf('\r\n', after, 'latin1');
    while (lineEnd === -1 && (await this.fill(this.buffer.length + 1))) lineEnd = this.buffer.indexOf('\r\n', after, 'latin1');
    if (lineEnd > after + 1024) throw new CachetError('ERR_MIME_MALFORMED', 'a multipart delimiter line is too long');
    const end = lineEnd === -1 ? this.buffer.length : lineEnd + 2;
    return { boundary, closing, bytes: this.take(end) };
  }
}
