/**
 * New mail without reloading: a signed-in browser's /api/events stream (server-sent events) says
 * "mail" when a message arrives in the user's INBOX; it needs a session, and shutting the server
 * down ends the stream instead of waiting for it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { findUser } from '../../src/use-cases/users.js';
import { nextEvent, startInProcess, type InProcessServer } from './support.js';
import { MAX_EVENT_STREAMS_PER_USER } from '../../src/front-ends/web/app.js';
import { httpStatusFor } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let web: InProcessServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-events-'));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  writeFileSync(join(dir, 'password'), 'alice-web-password\n');
  assert.equal((await runCachet(['account', 'add', 'alice@example.org', '--web-password-file', join(dir, 'password')], { env: { CACHET_HOME: join(dir, 'state') } })).status, 0);
  web = await startInProcess(dir, `listen:\n  host: 127.0.0.1\n  port: 0\nstate:\n  directory: ${join(dir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\nlimits:\n  shutdownGraceSeconds: 60\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the event stream needs a session', async () => {
  assert.equal((await fetch(`${web.server.url}/api/events`)).status, 401);
});

test('one user holds a few event streams at once; one more is refused with its code (429), from the error table', async () => {
  const { cookie } = await web.login('alice@example.org', 'alice-web-password');
  const readers: Array<ReadableStreamDefaultReader<Uint8Array>> = [];
  try {
    for (let i = 0; i < MAX_EVENT_STREAMS_PER_USER; i++) {
      const response = await fetch(`${web.server.url}/api/events`, { headers: { cookie: cookie! } });
      assert.equal(response.status, 200);
      readers.push(response.body!.getReader());
      assert.equal(await nextEvent(readers.at(-1)!, { text: '' }), 'ready');
    }
    const refused = await fetch(`${web.server.url}/api/events`, { headers: { cookie: cookie! } });
    assert.equal(refused.status, httpStatusFor('ERR_TOO_MANY_STREAMS'));
    assert.equal(refused.status, 429);
    assert.deepEqual(await refused.json(), { error: { code: 'ERR_TOO_MANY_STREAMS', message: `too many open windows: at most ${MAX_EVENT_STREAMS_PER_USER} receive new mail at once` } });
  } finally {
    for (const reader of readers) await reader.cancel();
  }
  // A closed window gives its place back (once the server has seen it close).
  await waitFor(async () => {
    const response = await fetch(`${web.server.url}/api/events`, { headers: { cookie: cookie! } });
    await response.body?.cancel();
    return response.status === 200;
  }, 'a stream accepted again after the others closed');
});

test('a message arriving in the INBOX is pushed as a "mail" event; shutdown ends the stream', async () => {
  const { cookie } = await web.login('alice@example.org', 'alice-web-password');
  const response = await fetch(`${web.server.url}/api/events`, { headers: { cookie: cookie! } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = response.body!.getReader();
  const buffer = { text: '' };
  assert.equal(await nextEvent(reader, buffer), 'ready');
  const alice = (await findUser(join(dir, 'state'), 'alice@example.org'))!;
  await alice.maildir.deliver('INBOX', Buffer.from('From: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n'));
  assert.equal(await nextEvent(reader, buffer), 'mail');
  // With a 60 s grace time, a shutdown that waited for the open stream would time this test out.
  await web.server.shutdown();
  assert.equal(await nextEvent(reader, buffer), 'end');
});
