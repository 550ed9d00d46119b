/**
 * Streaming: a message with a 256 MiB base64 attachment is signed and verified, detached and opaque,
 * each operation in its own process whose peak RSS must stay under 128 MB (tsx's own share
 * included). The benchmark runs 1 GiB.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { run, tempDir } from './support.js';

const CHILD = fileURLToPath(new URL('./streaming-child.ts', import.meta.url));
const MIB = 256;

let dir: ReturnType<typeof tempDir>;
before(() => (dir = tempDir('cachet-stream-sign-')));
after(() => dir?.remove());

function child(args: string[]): { maxRssMb: number; valid?: boolean; bytes: number } {
  const result = run(process.execPath, ['--import', 'tsx', CHILD, ...args]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.toString().trim().split('\n').pop()!);
}

for (const mode of ['detached', 'opaque'] as const) {
  test(`${mode}: sign and verify ${MIB} MiB in under 128 MB each`, { timeout: 60_000 }, () => {
    const file = join(dir.path, `${mode}.eml`);
    const signed = child(['sign', mode, file, String(MIB)]);
    assert.ok(signed.bytes > MIB * 1024 * 1024);
    assert.ok(signed.maxRssMb < 128, `sign peak RSS ${signed.maxRssMb.toFixed(0)} MB`);
    const verified = child(['verify', '-', file]);
    assert.equal(verified.valid, true);
    assert.ok(verified.bytes > MIB * 1024 * 1024);
    assert.ok(verified.maxRssMb < 128, `verify peak RSS ${verified.maxRssMb.toFixed(0)} MB`);
  });
}
