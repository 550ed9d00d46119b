/**
 * A pull reader over an async stream of byte chunks: the base of Cachet's streaming BER decoder.
 *
 * Why hand-written: asn1js and PKI.js parse whole buffers only (and asn1js refuses content over
 * 16 MiB by default), so a 1 GiB S/MIME message cannot go through them. The streaming decoder reads
 * the few framing headers of a CMS object itself and hands each small element (certificates,
 * SignerInfos, RecipientInfos) to @peculiar/asn1-schema as a buffer, while the large content octets
 * flow through in chunks.
 */
import { CachetError } from '../../errors.js';

export class ByteSource {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private current: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private ended = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    const iterable = source as AsyncIterable<Uint8Array> & Iterable<Uint8Array>;
    this.iterator =
      typeof iterable[Symbol.asyncIterator] === 'function'
        ? iterable[Symbol.asyncIterator]()
        : toAsyncIterator(iterable[Symbol.iterator]());
  }

  static fromBuffer(buffer: Uint8Array): ByteSource {
    return new ByteSource([buffer]);
  }

  /** Ensures at least one unread byte is buffered; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.offset >= this.current.length) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.current = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      this.offset = 0;
    }
    return true;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  async peekByte(): Promise<number | undefined> {
    if (!(await this.fill())) return undefined;
    return this.current[this.offset];
  }

  async readByte(): Promise<number> {
    if (!(await this.fill())) throw truncated(this.position);
    this.position++;
    return this.current[this.offset++]!;
  }

  /** Reads exactly `length` bytes into one buffer (for small elements only: callers bound `length`). */
  async readExact(length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(length - filled, this.current.length - this.offset);
      out.set(this.current.subarray(this.offset, this.offset + take), filled);
      this.offset += take;
      filled += take;
      this.position += take;
    }
    return out;
  }

  /** Yields the next `length` bytes as they arrive, without copying them into one buffer. */
  async *readChunks(length: number): AsyncGenerator<Uint8Array> {
    let remaining = length;
    while (remaining > 0) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(remaining, this.current.length - this.offset);
      const chunk = this.current.subarray(this.offset, this.offset + take);
      this.offset += take;
      remaining -= take;
      this.position += take;
      yield chunk;
    }
  }

  /** Yields everything left in the stream. */
  async *readRest(): AsyncGenerator<Uint8Array> {
    while (await this.fill()) {
      const chunk = this.current.subarray(this.offset);
      this.position += chunk.length;
      this.offset = this.current.length;
      yield chunk;
    }
  }
}

async function* toAsyncGenerator(iterator: Iterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const next = iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

function toAsyncIterator(iterator: Iterator<Uint8Array>): AsyncIterator<Uint8Array> {
  return toAsyncGenerator(iterator);
}

function truncated(position: number): CachetError {
  return new CachetError('ERR_CMS_MALFORMED', `the data ends too early (truncated at byte ${position})`, {
    details: { position },
  });
}
