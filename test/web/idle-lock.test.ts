/**
 * The policy's idle lock in the web client: after vaultIdleMinutes without use the server lets go of
 * the user's password and opened vault, the browser session ends with it (401, then the sign-in form,
 * not a loop), and signing out or an abandoned browser session ends the server side too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoOrganisation } from '../../src/use-cases/demo-org.js';
import { isCachetError } from '../../src/errors.js';
import { createWebApp } from '../../src/front-ends/web/app.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { MemorySessionStore } from '../../src/front-ends/web/middleware/session.js';

let home: string;
let clock = Date.now();
const now = (): number => clock;
const ORIGIN = 'http://localhost';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-web-idle-'));
  await createDemoOrganisation(home, { names: ['alice'], passwords: { alice: 'alice-password' } });
  writeFileSync(join(home, 'policy.yaml'), 'vaultIdleMinutes: 5\n');
});
after(() => rmSync(home, { recursive: true, force: true }));

test('idle past vaultIdleMinutes: the use cases refuse with ERR_SESSION_ENDED until the user signs in again', async () => {
  const service = new ClientMailService(home, now);
  assert.equal(await service.authenticate('alice@example.org', 'alice-password'), true);
  await service.smimeSettings('alice@example.org');
  clock += 4 * 60_000;
  await service.smimeSettings('alice@example.org'); // used within the limit: the clock restarts
  clock += 6 * 60_000;
  await assert.rejects(service.smimeSettings('alice@example.org'), (e: unknown) => isCachetError(e, 'ERR_SESSION_ENDED') && /5 minutes/.test(e.message));
  await assert.rejects(service.listFolders('alice@example.org'), (e: unknown) => isCachetError(e, 'ERR_SESSION_ENDED'));
  assert.equal(await service.authenticate('alice@example.org', 'alice-password'), true);
  await service.smimeSettings('alice@example.org');
});

test('through the HTTP API: 401, and the browser session is over too (no sign-in loop)', async () => {
  const app = createWebApp({ service: new ClientMailService(home, now) });
  const login = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ user: 'alice@example.org', password: 'alice-password' }) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.equal((await app.request('/api/folders', { headers: { cookie } })).status, 200);
  clock += 6 * 60_000;
  const idle = await app.request('/api/folders', { headers: { cookie } });
  assert.equal(idle.status, 401);
  assert.equal(((await idle.json()) as { error: { code: string } }).error.code, 'ERR_SESSION_ENDED');
  assert.deepEqual(await (await app.request('/api/session', { headers: { cookie } })).json(), { user: null });
});

test('a browser session that ends (sign-out, or abandoned and swept) ends the server side when it was the last', async () => {
  const ended: string[] = [];
  let storeClock = 0;
  const store = new MemorySessionStore(1000, () => storeClock);
  store.onEnd((s) => ended.push(s.user));
  const a = await store.create('alice');
  await store.create('alice');
  await store.destroy(a.id);
  assert.deepEqual(ended, ['alice']);
  assert.equal(await store.hasUser('alice'), true, 'her other browser is still signed in');
  storeClock = 5000;
  assert.equal(await store.hasUser('alice'), false);
  await store.sweep();
  assert.deepEqual(ended, ['alice', 'alice']);
  assert.equal(await store.get(a.id), undefined);
});

test('two instances on one session store: the idle lock counts use on either, and holds on one that resumes the session', async () => {
  const store = new MemorySessionStore(60 * 60_000, now);
  const instance = () => {
    const service = new ClientMailService(home, now);
    // The demo's vault passphrase is the sign-in password (cachet server's comes from its KEK).
    return createWebApp({ service, sessions: store, resumeSession: (user, _secrets, lastUsed) => service.openSession(user, 'alice-password', undefined, lastUsed) });
  };
  const [a, b] = [instance(), instance()];
  const login = await a.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ user: 'alice@example.org', password: 'alice-password' }) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.equal((await b.request('/api/folders', { headers: { cookie } })).status, 200, 'B resumes the session it never saw');
  for (let step = 0; step < 3; step++) {
    clock += 3 * 60_000;
    assert.equal((await b.request('/api/folders', { headers: { cookie } })).status, 200);
  }
  assert.equal((await a.request('/api/folders', { headers: { cookie } })).status, 200, 'used on B all along: not idle on A');

  const c = instance();
  clock += 6 * 60_000;
  const idle = await c.request('/api/folders', { headers: { cookie } });
  assert.equal(idle.status, 401, 'a third instance resuming an idle session locks it too');
  assert.equal(((await idle.json()) as { error: { code: string } }).error.code, 'ERR_SESSION_ENDED');
  assert.equal((await a.request('/api/folders', { headers: { cookie } })).status, 401, 'and it is over on every instance');
});
