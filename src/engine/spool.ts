/**
 * Holds content back until its verdict is known: decrypted or verified entities are written here as
 * they stream, and released only after the GCM tag, the CBC padding or the signature has been
 * checked (EFAIL: never release unauthenticated plaintext). Small content stays in memory; beyond a
 * bound it spills to a private (0600) temporary file, so a 1 GiB message costs no memory.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachetError } from './errors.js';
import type { ByteSink, ByteStream } from './stream-types.js';

export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;

export class Spool implements ByteSink {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: { dir: string; path: string; handle: FileHandle | undefined } | undefined;
  private disposed = false;

  constructor(private readonly memoryLimit = SPOOL_MEMORY_LIMIT) {}

  get length(): number {
    return this.size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.disposed) throw new CachetError('ERR_INTERNAL', 'content was written to a spool after it was disposed');
    if (chunk.length === 0) return;
    this.size += chunk.length;
    if (!this.file && this.size <= this.memoryLimit) {
      // copy: producers may reuse their buffers
      this.chunks.push(Buffer.from(chunk));
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), 'cachet-spool-'));
      const path = join(dir, 'content');
      const handle = await open(path, 'w+', 0o600);
      this.file = { dir, path, handle };
      for (const held of this.chunks) await handle.write(held);
      this.chunks = [];
    }
    await this.file.handle!.write(chunk);
  }

  /** Where the content spilled to, if it did (for tests and diagnostics). */
  get spillPath(): string | undefined {
    return this.file?.path;
  }

  /** The content so far, as a stream; may be read any number of times. */
  async *read(): ByteStream {
    if (!this.file) {
      yield* this.chunks;
      return;
    }
    // No fsync: the file is read back through the same page cache, and durability is not wanted.
    yield* createReadStream(this.file.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
  }

  /** The whole content in memory (for small messages only). */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.read()) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.chunks = [];
    if (this.file) {
      await this.file.handle?.close();
      this.file.handle = undefined;
      await rm(this.file.dir, { recursive: true, force: true });
    }
  }
}
