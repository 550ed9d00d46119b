/**
 * Holds content back until its verdict is known: decrypted or verified entities are written here as
 * they stream, and released only after the GCM tag, the CBC padding or the signature has been
 * checked (EFAIL: never release unauthenticated plaintext). Small content stays in memory; beyond a
 * bound it spills to a private (0600) temporary file, so a 1 GiB message costs no memory.
 */
import { constants } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachetError } from '../errors.js';
import type { ByteSink, ByteStream } from './stream-types.js';

export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;

/**
 * Spilled content is gathered into a few reused 1 MiB buffers and written from there, several writes
 * in flight while decryption goes on: a write per decrypted chunk, each awaited, kept the CPU idle
 * during every write and cost thousands of system calls; reused buffers are also warm memory.
 */
const SPILL_BUFFER_SIZE = 1024 * 1024;
const SPILL_BUFFERS = 3;
/**
 * Read-back size, and reads kept in flight while the reader handles a chunk: one read at a time
 * left the disk idle half the time (520 MB/s for 256 MiB, 1.1 GB/s with several). Each chunk handed
 * out is a fresh buffer the reader keeps; at the size of the decrypted chunks written before, it
 * reuses their freed memory, where larger ones raised the peak RSS of a decryption by ~8 MB.
 */
const READ_SIZE = 64 * 1024;
const READS_AHEAD = 8;
/**
 * Read-back for a reader that copies what it keeps ({@link SpoolReadOptions.reuse}): larger reads
 * into a ring of reused buffers. Releasing 256 MiB to a file took ~0.75 s in 64 KiB fresh chunks
 * (each a small direct read, then a copy into fresh memory), and 1 MiB fresh chunks raised the peak
 * RSS by ~50 MB; reused 1 MiB buffers cost neither.
 */
const REUSED_READ_SIZE = 1024 * 1024;
const REUSED_READS_AHEAD = 4;

export interface SpoolReadOptions {
  /**
   * The reader is done with each chunk (and every view of it) by the time it has asked for the
   * chunk after the next one, as a file writer that copies into its own buffers is: the chunks are
   * then read into reused memory (the ring holds the reads in flight, the chunk handed out and the
   * one before it). Not for a reader that keeps chunks (a collector, a stream that queues them).
   */
  reuse?: boolean;
}

/**
 * O_DIRECT transfers need block-aligned memory, offsets and lengths. 4096 covers the usual logical
 * block sizes. Buffer memory comes from malloc (16-byte aligned); a WebAssembly memory is page-aligned.
 */
const DIRECT_ALIGNMENT = 4096;

interface SpillFile {
  dir: string;
  path: string;
  handle: FileHandle | undefined;
  /**
   * Opened with O_DIRECT: the content is written once and read once, so the page cache gains nothing
   * from it, and on these machines filling the cache with new pages is what costs (fresh pages are
   * written at ~300–400 MB/s, direct transfers at 1–2 GB/s); it also leaves the cache to the output
   * file. Where the file system refuses O_DIRECT (older tmpfs, some network file systems) or there
   * is no WebAssembly for aligned memory, the file is an ordinary one.
   */
  direct: boolean;
  buffers: Buffer[];
  /** Per buffer: its write in flight, if any. */
  writes: Array<Promise<void> | undefined>;
  /** The buffer being filled, and how far. */
  current: number;
  filled: number;
  /** File offset of the current buffer (everything before it has been handed to writes). */
  offset: number;
}

export class Spool implements ByteSink {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: SpillFile | undefined;
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
      this.file = await createSpillFile();
      for (const held of this.chunks) await this.append(this.file, held);
      this.chunks = [];
    }
    // Copied into a spill buffer before this resolves, so the producer may reuse its chunk.
    await this.append(this.file, chunk);
  }

  private async append(file: SpillFile, chunk: Uint8Array): Promise<void> {
    const source = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let offset = 0; offset < source.length; ) {
      // A buffer is refilled only once its previous write has completed.
      const inFlight = file.writes[file.current];
      file.writes[file.current] = undefined;
      if (inFlight) await inFlight;
      const buffer = file.buffers[file.current]!;
      const copied = source.copy(buffer, file.filled, offset);
      file.filled += copied;
      offset += copied;
      if (file.filled === buffer.length) {
        this.startWrite(file, file.filled);
        file.offset += file.filled;
        file.current = (file.current + 1) % file.buffers.length;
        file.filled = 0;
      }
    }
  }

  /** Starts writing the current buffer's first `length` bytes at its file offset. */
  private startWrite(file: SpillFile, length: number): void {
    const write = writeFully(file.handle!, file.buffers[file.current]!, length, file.offset);
    // Awaited later (next use of this buffer, or flush); this keeps an early failure from being
    // reported as unhandled in the meantime.
    write.catch(() => {});
    file.writes[file.current] = write;
  }

  /** Everything written so far is in the file. */
  private async flush(file: SpillFile): Promise<void> {
    if (file.filled > 0) {
      const inFlight = file.writes[file.current];
      if (inFlight) await inFlight;
      // A partly filled buffer is written but kept: later content continues in it, and it is
      // written again, whole, at the same offset. O_DIRECT writes whole blocks (the padding beyond
      // the content is never read).
      this.startWrite(file, file.direct ? roundUp(file.filled, DIRECT_ALIGNMENT) : file.filled);
    }
    for (let i = 0; i < file.writes.length; i++) {
      const inFlight = file.writes[i];
      file.writes[i] = undefined;
      if (inFlight) await inFlight;
    }
  }

  /** Where the content spilled to, if it did (for tests and diagnostics). */
  get spillPath(): string | undefined {
    return this.file?.path;
  }

  /** Whether the spilled content bypasses the page cache (O_DIRECT), for tests and diagnostics. */
  get spillDirect(): boolean | undefined {
    return this.file?.direct;
  }

  /** The content so far, as a stream; may be read any number of times. */
  async *read(options: SpoolReadOptions = {}): ByteStream {
    const file = this.file;
    if (!file) {
      yield* this.chunks;
      return;
    }
    await this.flush(file);
    // No fsync: the content is read back from the same file, and durability is not wanted.
    // Positional reads on the spool's own handle, so several readers do not disturb one another.
    const handle = file.handle;
    if (!handle) throw new CachetError('ERR_INTERNAL', 'a spool was read after it was disposed');
    const end = this.size;
    const reuse = options.reuse === true;
    const size = reuse ? REUSED_READ_SIZE : READ_SIZE;
    const readsAhead = reuse ? REUSED_READS_AHEAD : READS_AHEAD;
    const slots = reuse ? takeReusedSlots(file.direct) : undefined;
    const read = (file.direct ? directReader : bufferedReader)(handle, size, slots);
    const ahead: Array<Promise<Buffer>> = [];
    let requested = 0;
    const request = () => {
      while (ahead.length < readsAhead && requested < end) {
        const length = Math.min(size, end - requested);
        const next = read(requested, length);
        next.catch(() => {}); // awaited in turn, unless the reader stops early
        ahead.push(next);
        requested += length;
      }
    };
    try {
      request();
      while (ahead.length > 0) {
        const chunk: Buffer = await ahead.shift()!;
        request();
        yield chunk;
      }
    } finally {
      if (slots) {
        // A reader that stopped early: its reads in flight still fill the slots, which are handed on
        // only once they are done. (A reader never finished nor stopped keeps its slots.)
        await Promise.allSettled(ahead);
        returnReusedSlots(slots, file.direct);
      }
    }
  }

  /** The whole content in memory (for small messages only). */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.read()) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts);
  }

  /** ByteSink.restart: forgets what was written, and its spill file. */
  async restart(): Promise<void> {
    await this.dropContent();
    this.size = 0;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.dropContent();
  }

  private async dropContent(): Promise<void> {
    this.chunks = [];
    if (this.file) {
      const file = this.file;
      // Outstanding writes finish (or fail) before the file goes; their errors no longer matter.
      await Promise.allSettled(file.writes);
      file.writes = [];
      file.buffers = [];
      await file.handle?.close();
      file.handle = undefined;
      this.file = undefined;
      await rm(file.dir, { recursive: true, force: true });
    }
  }
}

async function createSpillFile(): Promise<SpillFile> {
  const dir = await mkdtemp(join(tmpdir(), 'cachet-spool-'));
  const path = join(dir, 'content');
  const common = { dir, path, writes: [], current: 0, filled: 0, offset: 0 };
  // Aligned memory comes from WebAssembly, absent under node --jitless: then an ordinary file.
  if (constants.O_DIRECT && typeof WebAssembly === 'object') {
    const buffers = alignedBuffers(SPILL_BUFFERS, SPILL_BUFFER_SIZE);
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o600);
      // Some file systems accept the flag at open and refuse the transfer: try one block.
      await writeFully(handle, buffers[0]!, DIRECT_ALIGNMENT, 0);
      return { ...common, handle, direct: true, buffers };
    } catch (error) {
      await handle?.close();
      await rm(path, { force: true });
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const handle = await open(path, 'w+', 0o600);
  const buffers = Array.from({ length: SPILL_BUFFERS }, () => Buffer.allocUnsafe(SPILL_BUFFER_SIZE));
  return { ...common, handle, direct: false, buffers };
}

/** `count` buffers of `size` bytes, page-aligned (a WebAssembly memory's base is), for O_DIRECT. */
function alignedBuffers(count: number, size: number): Buffer[] {
  const pages = Math.ceil((count * size) / 65536);
  const memory = Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  return Array.from({ length: count }, (_, i) => memory.subarray(i * size, (i + 1) * size));
}

function roundUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

async function writeFully(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let offset = 0; offset < length; ) {
    const { bytesWritten } = await handle.write(buffer, offset, length - offset, position + offset);
    offset += bytesWritten;
  }
}

/** A function reading `length` bytes at `position` into the buffer it returns. */
type ChunkReader = (position: number, length: number) => Promise<Buffer>;

/** Slots in a reused ring: the reads in flight, the chunk handed out, and the one before it. */
const REUSED_SLOTS = REUSED_READS_AHEAD + 2;
/**
 * Rings of finished reuse reads, kept for the next read of any spool: an open reads several spools
 * (each layer's, then the innermost twice), and the aligned memory of a WebAssembly.Memory goes back
 * only with a full garbage collection, rare with a heap this small (fresh rings raised the peak RSS
 * of opening a signed and encrypted 256 MiB message by ~20 MB).
 */
const idleRings: Record<'direct' | 'buffered', Buffer[][]> = { direct: [], buffered: [] };

function takeReusedSlots(direct: boolean): Buffer[] {
  const idle = idleRings[direct ? 'direct' : 'buffered'].pop();
  if (idle) return idle;
  return direct ? alignedBuffers(REUSED_SLOTS, REUSED_READ_SIZE) : Array.from({ length: REUSED_SLOTS }, () => Buffer.allocUnsafeSlow(REUSED_READ_SIZE));
}

function returnReusedSlots(slots: Buffer[], direct: boolean): void {
  const idle = idleRings[direct ? 'direct' : 'buffered'];
  // Two are enough for the reads one open makes at a time; more would only hold memory.
  if (idle.length < 2) idle.push(slots);
}

/**
 * Reads into fresh buffers (the reader keeps what it is given), or in turn into the given reused
 * slots (each handed out as it is, and read into again `slots.length` reads later).
 */
function bufferedReader(handle: FileHandle, size: number, slots?: Buffer[]): ChunkReader {
  let turn = 0;
  return async (position, length) => {
    const buffer = slots ? slots[turn++ % slots.length]! : Buffer.allocUnsafe(length);
    await readFully(handle, buffer, length, position, length);
    return buffer.subarray(0, length);
  };
}

/**
 * Reads whole blocks into aligned memory. Without reused `slots`, into staging slots of its own (one
 * per read in flight), copied out into a fresh buffer the reader keeps; with them, each slot is handed
 * out as it is, and read into again `slots.length` reads later.
 */
function directReader(handle: FileHandle, size: number, slots?: Buffer[]): ChunkReader {
  const staging = slots ?? alignedBuffers(READS_AHEAD + 1, size);
  let turn = 0;
  return async (position, length) => {
    const slot = staging[turn++ % staging.length]!;
    await readFully(handle, slot, roundUp(length, DIRECT_ALIGNMENT), position, length);
    return slots ? slot.subarray(0, length) : Buffer.from(slot.subarray(0, length));
  };
}

/** Reads `length` bytes at `position`, at least `needed` of which must exist. */
async function readFully(handle: FileHandle, buffer: Buffer, length: number, position: number, needed: number): Promise<void> {
  let filled = 0;
  while (filled < needed) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new CachetError('ERR_INTERNAL', 'the spool file is shorter than what was written to it');
    filled += bytesRead;
  }
}
