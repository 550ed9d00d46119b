/** The CLI's file input and output (io.ts): chunked reads, the recycled input ring, the buffered atomic output. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { openInput, openOutput, writeOutput } from './io.js';
import type { CliContext } from './context.js';
import { isCachetError } from '../../errors.js';

const MiB = 1024 * 1024;
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-io-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const context = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: process.cwd(), interactive: false, prompt: async () => '' } as unknown as CliContext;

function content(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** Sizes around the chunk sizes: empty, one byte, 256 KiB and 1 MiB and a few of them, ± 1. */
const BOUNDARY_SIZES = [0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 5, 5 * MiB + 17];

describe('openInput', () => {
  for (const recycle of [false, true]) {
    test(`reads every byte in order at sizes around chunk boundaries (recycle: ${recycle})`, async () => {
      for (const [index, size] of BOUNDARY_SIZES.entries()) {
        const path = join(dir, `in-${recycle}-${index}`);
        const bytes = content(size, index);
        writeFileSync(path, bytes);
        const parts: Buffer[] = [];
        for await (const chunk of openInput(path, context, { recycle })) parts.push(Buffer.from(chunk));
        assert.deepEqual(Buffer.concat(parts), bytes, `size ${size}`);
      }
    });
  }

  test('recycled chunks stay intact until the consumer asks for the chunk after the next', async () => {
    const path = join(dir, 'ring');
    const bytes = content(9 * MiB + 3, 5);
    writeFileSync(path, bytes);
    const held: Array<{ view: Uint8Array; copy: Buffer }> = [];
    for await (const chunk of openInput(path, context, { recycle: true })) {
      // The chunk before the previous one may be reused now; the previous one and this one may not.
      for (const { view, copy } of held.slice(-2)) assert.deepEqual(Buffer.from(view), copy);
      held.push({ view: chunk, copy: Buffer.from(chunk) });
    }
    assert.deepEqual(Buffer.concat(held.map((h) => h.copy)), bytes);
  });

  test('a missing file or a directory keeps its errno and path (the CLI reports ERR_INPUT_READ)', async () => {
    const missing = join(dir, 'missing');
    await assert.rejects(
      (async () => {
        for await (const _ of openInput(missing, context)) void _;
      })(),
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.path === missing,
    );
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    await assert.rejects(
      (async () => {
        for await (const _ of openInput(directory, context, { recycle: true })) void _;
      })(),
      (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && e.path === directory,
    );
  });

  test('a FIFO (as with -i <(…) or -i /dev/stdin) is read in order, one read at a time', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const bytes = content(3 * MiB + 11, 9);
    const writer = (async () => {
      const out = createWriteStream(fifo);
      // Small pieces: reads from a pipe come back short, which must not end the input.
      for (let offset = 0; offset < bytes.length; offset += 100_000) {
        if (!out.write(bytes.subarray(offset, offset + 100_000))) await once(out, 'drain');
      }
      out.end();
      await once(out, 'close');
    })();
    const parts: Buffer[] = [];
    for await (const chunk of openInput(fifo, context, { recycle: true })) parts.push(Buffer.from(chunk));
    await writer;
    assert.deepEqual(Buffer.concat(parts), bytes);
  });

  test('"-" and no path read stdin', () => {
    assert.equal(openInput('-', context), context.stdin);
    assert.equal(openInput(undefined, context), context.stdin);
  });
});

describe('openOutput', () => {
  test('whatever the chunking, the file holds exactly what was written, and only after commit', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, MiB - 1, MiB, MiB + 1, 4 * MiB + 9, 6 * MiB + 1),
        fc.array(fc.integer({ min: 1, max: 3 * MiB }), { minLength: 1, maxLength: 5 }),
        async (length, sizes) => {
          const path = join(dir, `out-${run++}`);
          const bytes = content(length, run);
          const output = await openOutput(path, context);
          // The writer copies: the caller reuses one buffer for every chunk, scribbling over it after each write.
          const scratch = Buffer.alloc(Math.max(...sizes));
          for (let offset = 0, k = 0; offset < length; k++) {
            const size = Math.min(sizes[k % sizes.length]!, length - offset);
            bytes.copy(scratch, 0, offset, offset + size);
            await output.write(scratch.subarray(0, size));
            scratch.fill(0xee);
            offset += size;
          }
          assert.equal(existsSync(path), false);
          await output.commit();
          assert.deepEqual(readFileSync(path), bytes);
          assert.equal(statSync(path).mode & 0o777, 0o600);
          rmSync(path);
        },
      ),
      { numRuns: 25 },
    );
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });

  test('abort leaves neither the output nor a temporary file', async () => {
    const path = join(dir, 'aborted');
    const output = await openOutput(path, context);
    await output.write(content(3 * MiB + 1, 1));
    await output.abort();
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.aborted')), []);
  });

  test('the Writable view writes through the same file', async () => {
    const path = join(dir, 'writable');
    const output = await openOutput(path, context);
    output.stream.write(Buffer.from('one, '));
    output.stream.write(content(2 * MiB, 3));
    await output.commit();
    assert.deepEqual(readFileSync(path), Buffer.concat([Buffer.from('one, '), content(2 * MiB, 3)]));
  });

  test('writeOutput: a failing stream leaves nothing behind; a directory that does not exist is ERR_OUTPUT_WRITE', async () => {
    const path = join(dir, 'failing');
    async function* failing() {
      yield content(2 * MiB, 4);
      throw new Error('the producer failed');
    }
    await assert.rejects(writeOutput(path, context, failing()), /the producer failed/);
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.failing')), []);
    await assert.rejects(openOutput(join(dir, 'no-such-dir', 'out'), context), (e) => isCachetError(e, 'ERR_OUTPUT_WRITE'));
  });

  test('a device or a named pipe is written in place, never replaced by a file; a directory is ERR_OUTPUT_WRITE', async () => {
    // -o /dev/null: the device node must stay a device (a temporary renamed over it once made it a file).
    await writeOutput('/dev/null', context, (async function* () {
      yield content(3 * MiB, 5);
    })());
    assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still a character device');
    assert.deepEqual(readdirSync('/dev').filter((name) => name.startsWith('.null.')), []);
    // A FIFO gets every byte in order, and stays a FIFO.
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = createWriteStream(join(dir, 'from-fifo'));
    const cat = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    cat.stdout.pipe(reader);
    const received = once(reader, 'finish');
    const expected = content(2 * MiB + 17, 6);
    const reused = Buffer.alloc(expected.length);
    await writeOutput(fifo, context, (async function* () {
      // the producer reuses its memory as soon as write() returns: the output must have copied
      for (let offset = 0; offset < expected.length; offset += 65_536) {
        const size = Math.min(65_536, expected.length - offset);
        expected.copy(reused, 0, offset, offset + size);
        yield reused.subarray(0, size);
        reused.fill(0xee, 0, size);
      }
    })());
    await received;
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
    assert.ok(readFileSync(join(dir, 'from-fifo')).equals(expected), 'the reader of the FIFO got every byte in order');
    await assert.rejects(openOutput(dir, context), (e) => isCachetError(e, 'ERR_OUTPUT_WRITE') && /directory/.test(e.message));
  });

  test('stdout: chunks go to the context stream, commit and abort do nothing', async () => {
    // Not read until the end: the stream holds every chunk meanwhile, as a slow pipe would.
    const stdout = new PassThrough();
    const output = await openOutput('-', { ...context, stdout } as CliContext);
    await output.write(Buffer.from('abc'));
    // The caller reuses its memory once write() returns: what the stream holds must be a copy.
    const reused = Buffer.from('def');
    await output.write(reused);
    reused.fill(0x78);
    await output.commit();
    assert.equal(String(stdout.read()), 'abcdef');
  });
});
