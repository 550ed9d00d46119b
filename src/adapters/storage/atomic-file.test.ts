/** writeFileAtomically: a regular file is replaced whole; a device or a FIFO is written in place, never replaced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import { isCachetError } from '../../errors.js';

test('a regular file is replaced whole with the given mode; a device or a FIFO stays what it is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-atomic-'));
  try {
    const file = join(dir, 'out.p12');
    writeFileSync(file, 'old contents');
    await writeFileAtomically(file, 'new contents', 'the export');
    assert.equal(readFileSync(file, 'utf8'), 'new contents');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['out.p12'], 'no temporary file is left');

    await writeFileAtomically('/dev/null', 'discarded', 'the export');
    assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still a character device');

    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const cat = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    cat.stdout.on('data', (chunk: Buffer) => parts.push(chunk));
    const closed = once(cat, 'close');
    await writeFileAtomically(fifo, 'through the pipe', 'the export');
    await closed;
    assert.equal(Buffer.concat(parts).toString(), 'through the pipe');
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
    // A directory is refused before anything is written, with the file named in the error.
    await assert.rejects(writeFileAtomically(dir, 'x', 'the export'), (e) => isCachetError(e, 'ERR_OUTPUT_WRITE') && /the export .* it is a directory/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
