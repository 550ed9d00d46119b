import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileThrottleStore, MemoryThrottleStore, SignInThrottle } from './throttle.js';

const RULES = { freeAttempts: 3, freeAttemptsPerClient: 10, baseDelaySeconds: 2, maxDelaySeconds: 60 };

test('the wait doubles with each failure past the free ones, up to the maximum, and a success clears the account', async () => {
  let now = 1_000_000;
  const throttle = new SignInThrottle(new MemoryThrottleStore(), RULES, () => now);
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    await throttle.failed('account:a', 'client:1');
    waits.push(await throttle.waitSeconds(['account:a', 'client:1']));
  }
  assert.deepEqual(waits, [0, 0, 2, 4, 8, 16, 32, 60]);
  now += 59_000;
  assert.equal(await throttle.waitSeconds(['account:a']), 1);
  await throttle.succeeded('account:a');
  assert.equal(await throttle.waitSeconds(['account:a']), 0);
  // The client address keeps its count: 8 of its 10 free failures are spent.
  await throttle.failed('account:b', 'client:1');
  assert.equal(await throttle.waitSeconds(['client:1']), 0);
  await throttle.failed('account:c', 'client:1');
  assert.equal(await throttle.waitSeconds(['account:c', 'client:1']), 2);
});

test('the file store is shared: a second server on the same directory sees the first one’s failures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-throttle-'));
  try {
    const one = new SignInThrottle(new FileThrottleStore(dir), RULES);
    const two = new SignInThrottle(new FileThrottleStore(dir), RULES);
    for (let i = 0; i < 3; i++) await one.failed('account:alice@example.org', 'client:10.0.0.1');
    assert.ok((await two.waitSeconds(['account:alice@example.org'])) > 0);
    assert.ok(readdirSync(dir).every((name) => !name.includes('alice') && !name.includes('10.0.0.1')), 'no address in a file name');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
