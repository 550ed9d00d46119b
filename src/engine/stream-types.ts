/** The engine's stream vocabulary: bytes flow as async iterables of chunks, into sinks. */

export type ByteStream = AsyncIterable<Uint8Array>;

/** Where the engine writes content it produces (decrypted or verified inner entities). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
  /**
   * Drops everything written so far: another form of the content follows (a multipart/signed part
   * that verified over its bytes as sent rather than in canonical form). A sink without it is never
   * asked to take content back, and so never gets that other form.
   */
  restart?(): Promise<void> | void;
}

/** Turns a buffer, a Node stream or an iterable into a ByteStream. */
export function toByteStream(input: Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): ByteStream {
  if (typeof input === 'string') return oneChunk(Buffer.from(input, 'utf8'));
  if (input instanceof Uint8Array) return oneChunk(input);
  if (Symbol.asyncIterator in (input as object)) return input as AsyncIterable<Uint8Array>;
  return fromIterable(input as Iterable<Uint8Array>);
}

async function* oneChunk(chunk: Uint8Array): ByteStream {
  yield chunk;
}

async function* fromIterable(iterable: Iterable<Uint8Array>): ByteStream {
  yield* iterable;
}

/** The start of a stream, read ahead by {@link peek}, and the whole stream handed back. */
export interface Peeked {
  /**
   * The first bytes: at least as many as asked for unless the stream ended first, possibly more (the
   * chunks are not split). A copy: a producer may reuse its buffers.
   */
  head: Buffer;
  /** Whether the stream ended within `head`. */
  ended: boolean;
  /** The whole stream: `head`, then the rest, read from the source only as it is asked for. */
  stream: ByteStream;
}

/**
 * Reads at least `bytes` bytes of a stream (to decide what it is, or whether it fits in memory) and
 * hands back the whole stream with those bytes in front, so that nothing is read twice or lost. The
 * rest is pulled from the source chunk by chunk as the caller reads it (back-pressure is kept), an
 * error of the source reaches whoever reads there, and a reader that stops early closes the source.
 * @example
 * const { head, stream } = await peek(input, 64);
 * if (head[0] === 0x30) return readDer(stream);
 */
export async function peek(source: AsyncIterable<Uint8Array>, bytes: number): Promise<Peeked> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    if (next.value.length === 0) continue;
    chunks.push(Buffer.from(next.value));
    length += next.value.length;
  }
  const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const stream: ByteStream = (async function* () {
    if (head.length > 0) yield head;
    if (ended) return;
    let done = false;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          return;
        }
        yield next.value;
      }
    } finally {
      // A reader that stopped early (or failed) lets the source go: a file is closed, not left open.
      if (!done) await iterator.return?.();
    }
  })();
  return { head, ended, stream };
}

/** Collects a stream into one buffer: for small messages and tests only. */
export async function collectBytes(stream: AsyncIterable<Uint8Array>, limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw new RangeError(`more than ${limit} bytes`);
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts);
}
