/**
 * What every web session store must do, run against each implementation (the files of `cachet
 * server`, the memory of `cachet web`; a database store joins the list): which users still have a
 * live session, asked once for all of them by the periodic sweep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FileSessionStore } from '../../src/front-ends/server/file-session-store.js';
import { MemorySessionStore, type WebSessionStore } from '../../src/front-ends/web/middleware/session.js';

const dir = mkdtempSync(join(tmpdir(), 'cachet-session-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const IDLE_MS = 1000;
const stores: Array<[string, (now: () => number) => WebSessionStore]> = [
  ['FileSessionStore', (now) => new FileSessionStore(join(dir, `sessions-${Math.random().toString(36).slice(2)}`), IDLE_MS, now)],
  ['MemorySessionStore', (now) => new MemorySessionStore(IDLE_MS, now)],
];

for (const [name, make] of stores) {
  describe(name, () => {
    test('liveUsers: each user with a live session once; idle and ended sessions do not count', async () => {
      let clock = 0;
      const store = make(() => clock);
      assert.deepEqual([...(await store.liveUsers())], []);
      const alice = await store.create('alice@example.com');
      await store.create('alice@example.com');
      const bob = await store.create('bob@example.com');
      clock = 600;
      const carol = await store.create('carol@example.com');
      assert.deepEqual([...(await store.liveUsers())].sort(), ['alice@example.com', 'bob@example.com', 'carol@example.com']);
      await store.destroy(bob.id);
      await store.destroy(alice.id);
      assert.deepEqual([...(await store.liveUsers())].sort(), ['alice@example.com', 'carol@example.com'], "alice's other browser is still signed in");
      clock = 1500;
      assert.deepEqual([...(await store.liveUsers())], ['carol@example.com'], 'idle past the limit, even before a sweep');
      assert.equal(await store.hasUser('alice@example.com'), false);
      assert.equal(await store.hasUser('carol@example.com'), true);
      await store.destroy(carol.id);
      assert.deepEqual([...(await store.liveUsers())], []);
    });
  });
}

test('FileSessionStore.liveUsers skips a damaged session file', async () => {
  const directory = join(dir, 'damaged');
  const store = new FileSessionStore(directory, IDLE_MS, () => 0);
  await store.create('alice@example.com');
  writeFileSync(join(directory, `${'0'.repeat(64)}.json`), '{ not json');
  assert.deepEqual([...(await store.liveUsers())], ['alice@example.com']);
});
