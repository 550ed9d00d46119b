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
