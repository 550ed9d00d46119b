/**
 * Input and output for commands: `-i FILE` or stdin, `-o FILE` or stdout. A file output is written to
 * a temporary file beside it and renamed into place only when the command succeeds, so a failure
 * (bad signature, full disk) never leaves a half-written or unverified file under the final name.
 */
import { close as fsClose, createWriteStream, fstat as fsFstat, open as fsOpen, read as fsRead } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { CachetError } from '../../errors.js';
import { outputTarget, outputWriteError } from '../../adapters/storage/atomic-file.js';
import { peek, type ByteSink, type ByteStream } from '../../engine/stream-types.js';
import { BARE_CMS_SNIFF_BYTES, looksLikeBareCms } from '../../engine/smime/cms-input.js';
import type { CliContext } from './context.js';
import { byteOutput } from './terminal-text.js';

/**
 * File input is read in pieces of INPUT_CHUNK bytes, INPUT_READS_AHEAD reads in flight. Why not
 * fs.createReadStream: its chunks each pass through the Readable machinery and were read one at a
 * time, so the engine waited for the disk between chunks.
 */
const INPUT_CHUNK = 256 * 1024;
const INPUT_READS_AHEAD = 2;
/**
 * Recycled input (see {@link InputOptions.recycle}) is read in larger pieces from a ring of reused
 * buffers: fresh memory is written at ~300 MB/s on these machines, warm memory ~50x faster, and
 * dead chunks waiting for the garbage collector raised the peak RSS by ~50 MB at 1 MiB per chunk.
 */
const RECYCLED_CHUNK = 1024 * 1024;
/**
 * Buffers in the ring: the reads in flight, the chunk the consumer holds, the one before it (a
 * stage may still hold a view of it while it asks for the next), and one spare.
 */
const RECYCLED_BUFFERS = INPUT_READS_AHEAD + 3;

export interface InputOptions {
  /**
   * The consumer is done with each chunk (and every view of it) by the time it has asked for the
   * chunk after the next one: chunks may then be read into reused memory. True for sign, encrypt
   * and decrypt, whose stages process a chunk and pass on views of it (hashing, encrypting, copying
   * into the output) before they ask for more, and copy whatever they keep longer (a header block,
   * a partial line, a leaf checked in memory). Not for readers that keep parts of their input.
   */
  recycle?: boolean;
}

export function openInput(path: string | undefined, context: CliContext, options: InputOptions = {}): ByteStream {
  if (path === undefined || path === '-') return context.stdin;
  return readFileChunks(path, options.recycle === true);
}

async function* readFileChunks(path: string, recycle: boolean): ByteStream {
  // A plain descriptor, not a FileHandle: a consumer that stops without finishing the iteration (an
  // error in a later stage) leaves this generator suspended, and a FileHandle collected unclosed
  // prints a warning. Errors keep their errno and path (ENOENT, EISDIR…) for ERR_INPUT_READ.
  const fd = await promisify(fsOpen)(path, 'r');
  // A pipe, FIFO or terminal (`-i /dev/stdin`, `-i <(…)`) has no positions to read at: one read at a
  // time from where the last one ended, as fs.createReadStream does.
  const seekable = await promisify(fsFstat)(fd).then(
    (stats) => stats.isFile() || stats.isBlockDevice(),
    () => false,
  );
  const readsAhead = seekable ? INPUT_READS_AHEAD : 1;
  const size = recycle ? RECYCLED_CHUNK : INPUT_CHUNK;
  const ring: Buffer[] = [];
  const reads: Array<Promise<Buffer>> = [];
  let started = 0;
  let failed = false;
  const startRead = () => {
    const buffer = recycle ? (ring[started % RECYCLED_BUFFERS] ??= Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafeSlow(size);
    // Each read has its own file position: the thread pool may run the reads in flight at once.
    const read = new Promise<Buffer>((resolve, reject) => {
      fsRead(fd, buffer, 0, size, seekable ? started * size : null, (error, bytesRead) => {
        if (!error) return resolve(buffer.subarray(0, bytesRead));
        failed = true;
        error.path ??= path;
        reject(error);
      });
    });
    read.catch(() => {}); // awaited in order below; not an unhandled rejection meanwhile
    started++;
    reads.push(read);
  };
  try {
    for (let i = 0; i < readsAhead; i++) startRead();
    for (;;) {
      const chunk = await reads.shift()!;
      // A short read is the end of a file, but not of a pipe: only an empty one ends the input.
      if (chunk.length === 0) return;
      if (!failed) startRead();
      yield chunk;
    }
  } finally {
    await Promise.allSettled(reads);
    await promisify(fsClose)(fd);
  }
}

export async function readInputFully(path: string | undefined, context: CliContext): Promise<Buffer> {
  try {
    if (path !== undefined && path !== '-') return await readFile(path);
  } catch (error) {
    throw new CachetError('ERR_INPUT_READ', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error, details: { file: path } });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of context.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export interface PendingOutput extends ByteSink {
  /** For code that wants a Writable; write() (the ByteSink) is the fast path. */
  readonly stream: Writable;
  /**
   * Copies the chunk into the output (the caller may reuse its memory once this returns or resolves).
   * Resolves at once unless the writes in flight are at their bound (constant memory).
   */
  write(chunk: Uint8Array): Promise<void> | void;
  /** Makes the output visible under its final name (a no-op for stdout). */
  commit(): Promise<void>;
  /** Discards a file output; stdout cannot be taken back, which is why verdicts come before output there. */
  abort(): Promise<void>;
}

export async function openOutput(path: string | undefined, context: CliContext): Promise<PendingOutput> {
  // Bytes arrive exact (to a terminal, they are shown through the text filter: terminal-text.ts).
  if (path === undefined || path === '-') return openStdout(byteOutput(context.stdout));
  if ((await outputTarget(path)) === 'in-place') return openInPlace(path);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temporary, 'wx', 0o600);
  } catch (error) {
    throw outputWriteError(path, error);
  }
  const file = new BufferedFileWriter(handle, path);
  let stream: Writable | undefined;
  let closed = false;
  return {
    get stream() {
      stream ??= new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          Promise.resolve(file.write(chunk)).then(() => done(), done);
        },
        final: (done) => done(),
      });
      return stream;
    },
    write: (chunk) => file.write(chunk),
    async commit() {
      if (stream && !stream.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          stream!.once('error', reject);
          stream!.end(() => resolve());
        });
      }
      await file.finish();
      closed = true;
      await handle.close();
      // No fsync: a CLI output is a file the user can make again from its input, as with openssl
      // or cp, neither of which syncs. What matters is that a failed or interrupted command never
      // leaves a partial file under the final name: the rename gives that (and ext4 flushes the data
      // of a file renamed over another before the rename itself). Syncing cost ~90 ms per 256 MiB
      // here. The vault and the outbox, which hold the only copy of their data, sync in their own
      // modules.
      await rename(temporary, path);
    },
    async abort() {
      stream?.destroy();
      await file.discard();
      if (!closed) await handle.close().catch(() => {});
      closed = true;
      await rm(temporary, { force: true });
    },
  };
}

/**
 * What a failed write to stdout means: a reader that went away (EPIPE, `cachet … | head -1`) ends the
 * command quietly with ERR_OUTPUT_CLOSED, as a Unix tool ends on SIGPIPE; anything else is a write error.
 */
export function stdoutWriteError(error: unknown): CachetError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END') {
    return new CachetError('ERR_OUTPUT_CLOSED', 'the output was closed before everything was written', { cause: error });
  }
  return outputWriteError('standard output', error);
}

/**
 * Stdout as a PendingOutput. Its failure (a closed pipe) arrives as an 'error' event: it is kept and
 * thrown by the next write, and a write waiting for 'drain', which then never comes, is rejected.
 */
function openStdout(stream: Writable): PendingOutput {
  let failure: CachetError | undefined;
  let written: Promise<void> | undefined;
  const onError = (error: unknown) => {
    failure ??= stdoutWriteError(error);
  };
  stream.on('error', onError);
  const drained = () =>
    new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        stream.off('drain', done);
        reject(failure ?? stdoutWriteError(error));
      };
      const done = () => {
        stream.off('error', fail);
        resolve();
      };
      stream.once('drain', done);
      stream.once('error', fail);
    });
  return {
    stream,
    // Copied: a stream keeps what it is given until written, and the caller may reuse its memory.
    write: (chunk) => {
      if (failure) throw failure;
      if (stream.destroyed) throw stdoutWriteError(Object.assign(new Error('stdout is closed'), { code: 'ERR_STREAM_DESTROYED' }));
      written = new Promise<void>((resolve) => stream.write(Buffer.from(chunk), () => resolve()));
      if (stream.writableNeedDrain) return drained();
    },
    commit: async () => {
      // Done only when the last chunk has left: a reader that goes away before is told as a failure.
      await written;
      stream.off('error', onError);
      if (failure) throw failure;
    },
    abort: async () => {
      stream.off('error', onError);
    },
  };
}

/**
 * Writes a device or a named pipe as a stream. Nothing there can be taken back (as with stdout), and
 * each chunk is copied, since the caller may reuse its memory once write() returns.
 */
async function openInPlace(path: string): Promise<PendingOutput> {
  const stream = createWriteStream(path, { flags: 'w' });
  let failure: CachetError | undefined;
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(outputWriteError(path, error)));
  });
  stream.on('error', (error) => {
    failure ??= outputWriteError(path, error);
  });
  const settled = (event: 'drain' | 'finish') =>
    new Promise<void>((resolve, reject) => {
      const onError = () => reject(failure);
      stream.once('error', onError);
      stream.once(event, () => {
        stream.off('error', onError);
        resolve();
      });
    });
  return {
    stream,
    write: (chunk) => {
      if (failure) throw failure;
      if (!stream.write(Buffer.from(chunk))) return settled('drain');
    },
    commit: async () => {
      if (failure) throw failure;
      const finished = settled('finish');
      stream.end();
      await finished;
    },
    abort: async () => {
      stream.destroy();
    },
  };
}

/**
 * Output gathered in reused buffers of this size, written one after the other while the next ones
 * fill. Why 256 KiB: on these machines (Linux 6.18, ext4 with large folios, in a VM) writes of
 * 1 MiB or more made the kernel take large blocks of page cache that were often cold, and writing
 * 256 MiB then cost ~0.6 s of system time instead of ~0.1–0.2 s; 64 KiB writes were steady but
 * cost more calls. Eight of them keep 2 MiB in flight.
 */
const OUTPUT_BUFFER_SIZE = 256 * 1024;
const OUTPUT_BUFFERS = 8;

/**
 * Writes a file from reused buffers: the writes run one after another in the thread pool while the
 * producer fills the next buffers, and it waits only when all of them are queued. Why not
 * fs.createWriteStream: its 'drain' comes only once everything queued is written, so producer and
 * disk took turns (each idle while the other worked); it also keeps every chunk alive until written,
 * while copying into warm reused buffers costs ~20 ms per 256 MiB and lets the producer's chunks die
 * young.
 */
class BufferedFileWriter {
  private readonly buffers: Buffer[] = [];
  private readonly writes: Array<Promise<void> | undefined> = [];
  private current = 0;
  private filled = 0;
  private position = 0;
  private failure: CachetError | undefined;
  private last: Promise<void> | undefined;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
  ) {}

  write(chunk: Uint8Array): Promise<void> | void {
    if (this.failure) throw this.failure;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.writes[this.current]) return this.waitThenWrite(chunk, offset);
      const buffer = (this.buffers[this.current] ??= Buffer.allocUnsafeSlow(OUTPUT_BUFFER_SIZE));
      const take = Math.min(chunk.length - offset, buffer.length - this.filled);
      buffer.set(take === chunk.length ? chunk : chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === buffer.length) this.startWrite();
    }
  }

  private async waitThenWrite(chunk: Uint8Array, offset: number): Promise<void> {
    await this.writes[this.current];
    if (this.failure) throw this.failure;
    await this.write(chunk.subarray(offset));
  }

  /** Starts writing the current buffer and moves on to the next. */
  private startWrite(): void {
    const index = this.current;
    const length = this.filled;
    const position = this.position;
    const previous = this.last;
    // After a failure nothing more is written; the failure is reported by the next write or finish.
    const run = async () => (this.failure ? undefined : this.writeFully(this.buffers[index]!, length, position));
    // One write at a time, in order: concurrent writes to one file only queue on its inode lock.
    const write: Promise<void> = (previous ? previous.then(run) : run())
      .catch((error: unknown) => {
        this.failure ??= outputWriteError(this.path, error);
      })
      .then(() => {
        // The buffer is free again: the next write() into it need not wait.
        if (this.writes[index] === write) this.writes[index] = undefined;
      });
    this.last = write;
    this.writes[index] = write;
    this.position += length;
    this.current = (index + 1) % OUTPUT_BUFFERS;
    this.filled = 0;
  }

  private async writeFully(buffer: Buffer, length: number, position: number): Promise<void> {
    for (let done = 0; done < length; ) {
      const { bytesWritten } = await this.handle.write(buffer, done, length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Writes what is buffered and waits for every write. */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.filled > 0) {
      if (this.writes[this.current]) await this.writes[this.current];
      this.startWrite();
    }
    await Promise.all(this.writes);
    this.writes.length = 0;
    if (this.failure) throw this.failure;
  }

  async discard(): Promise<void> {
    await Promise.allSettled(this.writes);
  }
}

/** What a command was handed: a MIME message, or a bare CMS object (DER, or PEM "CMS"/"PKCS7"). */
export type InputKind = 'mime' | 'cms';

/** Looks at the start of the input without losing it; returns its kind and the whole stream. */
export async function sniffInput(input: AsyncIterable<Uint8Array>): Promise<{ kind: InputKind; stream: AsyncIterable<Uint8Array> }> {
  const { head: start, stream } = await peek(input, BARE_CMS_SNIFF_BYTES);
  if (start.length === 0) throw new CachetError('ERR_INPUT_READ', 'the input is empty');
  const kind: InputKind = looksLikeBareCms(start) ? 'cms' : 'mime';
  return { kind, stream };
}

/** Writes `chunks` to OUT (or stdout): a file appears under its name only once everything succeeded. */
export async function writeOutput(path: string | undefined, context: CliContext, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const output = await openOutput(path, context);
  try {
    for await (const chunk of chunks) {
      const pending = output.write(chunk);
      if (pending) await pending;
    }
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}
