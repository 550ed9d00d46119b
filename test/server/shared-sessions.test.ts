/**
 * A session any instance can resume: two `cachet server` processes on the same config and state
 * directory (different ports on 127.0.0.1), real Dovecot and Postfix. Alice signs in on A; with the
 * same cookie B, which never saw her sign in, lists her IMAP INBOX and sends through Postfix as her;
 * signing out on B ends the session on A too. Her mail password is nowhere in the state files: the
 * session store keeps it only sealed under the key the cookie carries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { runCachet } from '../helpers/cli.js';
import { organisationMailYaml, runServerProcess, type ServerProcess } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** Distinctive enough that finding its bytes in a file can only mean it was stored. */
const ALICE_PASSWORD = 'Quince-7f3a9c-Lantern';

let mail: MailServers;
let dir: string;
let a: ServerProcess;
let b: ServerProcess;

before(async () => {
  mail = await startMailServers(['alice', 'bob']);
  // Dovecot rereads its passwd-file: alice's password becomes one that appears nowhere else.
  writeFileSync(join(mail.stateDir, 'dovecot', 'users'), `alice:{PLAIN}${ALICE_PASSWORD}\nbob:{PLAIN}bob\n`);
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-shared-'));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  const config = join(dir, 'server.yaml');
  writeFileSync(
    config,
    `listen:\n  host: 127.0.0.1\n  port: 0\nsignIn:\n  method: imap\n${organisationMailYaml(mail)}state:\n  directory: ${join(dir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
  );
  [a, b] = await Promise.all([runServerProcess(config), runServerProcess(config)]);
});
after(async () => {
  for (const server of [a, b]) {
    if (!server) continue;
    server.child.kill('SIGTERM');
    await server.exited;
  }
  mail?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function call(server: ServerProcess, path: string, cookie: string, init: { method?: string; body?: FormData | string; csrf?: string } = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: init.body } : {}),
    headers: { cookie, origin: server.url, ...(init.csrf ? { 'x-csrf-token': init.csrf } : {}) },
  });
}

async function json<T>(response: Response): Promise<T> {
  assert.ok(response.ok, `${response.url}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('signed in on A, the same cookie reads and sends on B; signed out on B, refused on A; no password at rest', async () => {
  assert.notEqual(a.url, b.url);
  const login = await fetch(`${a.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: a.url }, body: JSON.stringify({ user: 'alice@example.com', password: ALICE_PASSWORD }) });
  const { csrfToken } = await json<{ csrfToken: string }>(login);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

  // B never saw this sign-in: it unseals the mail password with the cookie's key and reopens the session.
  const folders = await json<Array<{ name: string }>>(await call(b, '/api/folders', cookie));
  assert.deepEqual(folders.map((f) => f.name).sort(), ['Drafts', 'INBOX', 'Sent'], 'her IMAP account, on B');
  const form = new FormData();
  form.set('to', 'alice@example.com');
  form.set('subject', 'sent from instance B');
  form.set('body', 'resumed');
  form.set('sign', 'false');
  form.set('encrypt', 'false');
  const outcome = await json<{ kind: string }>(await call(b, '/api/send', cookie, { method: 'POST', body: form, csrf: csrfToken }));
  assert.equal(outcome.kind, 'sent', JSON.stringify(outcome));
  // Delivered through Postfix into her IMAP INBOX, listed on B.
  await waitFor(async () => (await json<Array<{ subject: string }>>(await call(b, '/api/folders/INBOX/messages', cookie))).some((m) => m.subject === 'sent from instance B'), 'the mail sent from instance B in her INBOX, listed on B');

  // The session's record is there, sealed; the password's bytes are in no state file.
  const state = join(dir, 'state');
  const sessionFiles = filesUnder(join(state, 'server', 'sessions')).filter((f) => f.endsWith('.json'));
  assert.equal(sessionFiles.length, 1);
  assert.ok(JSON.parse(readFileSync(sessionFiles[0]!, 'utf8')).sealed?.ciphertext, 'the secrets are sealed in the record');
  for (const encoding of ['utf8', 'base64', 'base64url', 'hex'] as const) {
    const needle = Buffer.from(encoding === 'utf8' ? ALICE_PASSWORD : Buffer.from(ALICE_PASSWORD).toString(encoding));
    for (const file of filesUnder(state)) assert.ok(!readFileSync(file).includes(needle), `the password (${encoding}) is in ${file}`);
  }

  // A cookie with the right id but another key is no session, even where the session is held.
  const [id] = cookie.split('=')[1]!.split('.');
  assert.equal((await call(a, '/api/folders', `cachet_session=${id}.${Buffer.alloc(32, 7).toString('base64url')}`)).status, 401);
  assert.equal((await call(b, '/api/folders', `cachet_session=${id}`)).status, 401, 'an id without its key');

  assert.equal((await call(b, '/api/logout', cookie, { method: 'POST', csrf: csrfToken })).status, 200);
  assert.equal((await call(a, '/api/folders', cookie)).status, 401, 'signed out on B is signed out on A');
  assert.deepEqual(await json(await call(a, '/api/session', cookie)), { user: null });
  assert.deepEqual(filesUnder(join(state, 'server', 'sessions')).filter((f) => f.endsWith('.json')), [], 'the sealed record is gone');
});
