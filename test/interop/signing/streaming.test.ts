/**
 * Streaming: a message with a 256 MiB base64 attachment is signed and verified, detached and opaque,
 * each operation in its own process. Constant memory means the peak RSS of 256 MiB is that of
 * 16 MiB plus little: the growth is bounded (32 MB for sixteen times the data), which does not
 * depend on what tsx and the runtime take for themselves on a given machine; an absolute ceiling
 * (160 MB) stays as a sanity check. The benchmark runs 1 GiB.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { run, tempDir } from './support.js';

const CHILD = fileURLToPath(new URL('./streaming-child.ts', import.meta.url));
const MIB = 256;
const SMALL_MIB = 16;
const MAX_GROWTH_MB = 32;
const CEILING_MB = 160;

let dir: ReturnType<typeof tempDir>;
before(() => (dir = tempDir('cachet-stream-sign-')));
after(() => dir?.remove());

function child(args: string[]): { maxRssMb: number; valid?: boolean; bytes: number } {
  const result = run(process.execPath, ['--import', 'tsx', CHILD, ...args]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.toString().trim().split('\n').pop()!);
}

for (const mode of ['detached', 'opaque'] as const) {
  test(`${mode}: sign and verify ${MIB} MiB in constant memory (peak within ${MAX_GROWTH_MB} MB of ${SMALL_MIB} MiB's)`, { timeout: 90_000 }, () => {
    const peaks = (mebibytes: number) => {
      const file = join(dir.path, `${mode}-${mebibytes}.eml`);
      const signed = child(['sign', mode, file, String(mebibytes)]);
      assert.ok(signed.bytes > mebibytes * 1024 * 1024);
      const verified = child(['verify', '-', file]);
      assert.equal(verified.valid, true);
      assert.ok(verified.bytes > mebibytes * 1024 * 1024);
      return { sign: signed.maxRssMb, verify: verified.maxRssMb };
    };
    const small = peaks(SMALL_MIB);
    const large = peaks(MIB);
    for (const operation of ['sign', 'verify'] as const) {
      const growth = large[operation] - small[operation];
      assert.ok(growth < MAX_GROWTH_MB, `${operation}: peak RSS ${large[operation].toFixed(0)} MB for ${MIB} MiB against ${small[operation].toFixed(0)} MB for ${SMALL_MIB} MiB`);
      assert.ok(large[operation] < CEILING_MB, `${operation} peak RSS ${large[operation].toFixed(0)} MB`);
    }
  });
}
