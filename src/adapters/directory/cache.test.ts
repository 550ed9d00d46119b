import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DirectoryCache, NEGATIVE_TTL_MS, POSITIVE_TTL_MS } from './cache.js';

test('positive and negative answers expire after their TTL, survive a reopen, and are written atomically', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-cache-'));
  try {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const cache = await DirectoryCache.open(home);
    cache.put('A@x.example', [Buffer.from([1, 2, 3])], t0);
    cache.put('none@x.example', [], t0);
    await cache.save();
    assert.deepEqual(readdirSync(home), ['directory-cache.json']);
    const again = await DirectoryCache.open(home);
    const hit = again.get('a@x.example', new Date(t0.getTime() + POSITIVE_TTL_MS - 1));
    assert.equal(hit?.fresh, true);
    assert.deepEqual([...hit!.certificates[0]!], [1, 2, 3]);
    assert.equal(again.get('a@x.example', new Date(t0.getTime() + POSITIVE_TTL_MS + 1))?.fresh, false);
    assert.equal(again.get('none@x.example', new Date(t0.getTime() + NEGATIVE_TTL_MS + 1))?.fresh, false);
    assert.equal(again.get('none@x.example', t0)?.certificates.length, 0);
    assert.equal(again.get('other@x.example', t0), undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a damaged cache file is an empty cache', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-cache-'));
  try {
    writeFileSync(join(home, 'directory-cache.json'), '{not json');
    assert.equal((await DirectoryCache.open(home)).get('a@x', new Date()), undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
