import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock.js';
import { isCachetError } from '../../errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cachet-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('holders run one at a time, and the lock is removed after each (also after a throw)', async () => {
  const lock = join(dir, 'a.lock');
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      withFileLock(lock, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(5);
        order.push(i);
        inside--;
      }),
    ),
  );
  assert.equal(most, 1);
  assert.equal(order.length, 8);
  await assert.rejects(withFileLock(lock, async () => { throw new Error('boom'); }), /boom/);
  assert.equal(existsSync(lock), false);
});

test('a live holder makes a waiter give up after its timeout with a clear error', async () => {
  const lock = join(dir, 'b.lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, nonce: 'someone', time: Date.now() }));
  await assert.rejects(withFileLock(lock, async () => 1, { timeoutMs: 200, what: 'the test file' }), (e) => isCachetError(e, 'ERR_OUTPUT_WRITE') && /the test file is being changed by another program/.test((e as Error).message));
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).nonce, 'someone', 'the holder keeps its lock');
  rmSync(lock);
});

test('a lock of a dead process, a too old lock and an unreadable old lock are broken', async () => {
  const lock = join(dir, 'c.lock');
  writeFileSync(lock, JSON.stringify({ pid: 2147483647, nonce: 'dead', time: Date.now() }));
  assert.equal(await withFileLock(lock, async () => 'dead holder', { timeoutMs: 1000 }), 'dead holder');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, nonce: 'old', time: Date.now() - 120_000 }));
  assert.equal(await withFileLock(lock, async () => 'old holder', { timeoutMs: 1000 }), 'old holder');
  writeFileSync(lock, '{"pid": 12');
  const past = new Date(Date.now() - 5000);
  utimesSync(lock, past, past);
  assert.equal(await withFileLock(lock, async () => 'half-written', { timeoutMs: 3000 }), 'half-written');
  assert.equal(existsSync(lock), false);
});
