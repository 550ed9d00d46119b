/**
 * Input and output for commands: `-i FILE` or stdin, `-o FILE` or stdout. A file output is written to
 * a temporary file beside it and renamed into place only when the command succeeds, so a failure
 * (bad signature, full disk) never leaves a half-written or unverified file under the final name.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CachetError } from '../engine/errors.js';
import type { CliContext } from './context.js';

export function openInput(path: string | undefined, context: CliContext): Readable {
  if (path === undefined || path === '-') return context.stdin;
  // 256 KiB reads: fewer calls than the 64 KiB default, yet little garbage in flight (peak RSS).
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  return stream;
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

export interface PendingOutput {
  readonly stream: Writable;
  /** Makes the output visible under its final name (a no-op for stdout). */
  commit(): Promise<void>;
  /** Discards a file output; stdout cannot be taken back, which is why verdicts come before output there. */
  abort(): Promise<void>;
}

export async function openOutput(path: string | undefined, context: CliContext): Promise<PendingOutput> {
  if (path === undefined || path === '-') {
    return { stream: context.stdout, commit: async () => {}, abort: async () => {} };
  }
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const stream = createWriteStream(temporary, { mode: 0o600, highWaterMark: 256 * 1024 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new CachetError('ERR_OUTPUT_WRITE', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { cause: error })));
  });
  return {
    stream,
    async commit() {
      if (!stream.writableEnded) stream.end();
      await finished(stream);
      const handle = await open(temporary, 'r');
      try { await handle.sync(); } finally { await handle.close(); }
      await rename(temporary, path);
    },
    async abort() {
      stream.destroy();
      await rm(temporary, { force: true });
    },
  };
}

/** What a command was handed: a MIME message, or a bare CMS object (DER, or PEM "CMS"/"PKCS7"). */
export type InputKind = 'mime' | 'cms';

/** Looks at the start of the input without losing it; returns its kind and the whole stream. */
export async function sniffInput(input: AsyncIterable<Uint8Array>): Promise<{ kind: InputKind; stream: AsyncIterable<Uint8Array> }> {
  const iterator = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < 64 && !done) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      head.push(Buffer.from(next.value));
      length += next.value.length;
    }
  }
  const start = Buffer.concat(head);
  if (start.length === 0) throw new CachetError('ERR_INPUT_READ', 'the input is empty');
  const text = start.toString('latin1').trimStart();
  const kind: InputKind = start[0] === 0x30 || /^-----BEGIN (CMS|PKCS7|PKCS #7)/.test(text) ? 'cms' : 'mime';
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield start;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { kind, stream: whole() };
}

/** Writes a stream to a Writable, honouring backpressure. */
export async function writeStream(stream: NodeJS.WritableStream, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
}

/** Writes `chunks` to OUT (or stdout): a file appears under its name only once everything succeeded. */
export async function writeOutput(path: string | undefined, context: CliContext, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const output = await openOutput(path, context);
  try {
    await writeStream(output.stream, chunks);
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}
