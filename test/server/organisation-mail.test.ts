/**
 * `cachet server` on the organisation's mail servers: signed in with her Dovecot password, alice sees
 * her IMAP folders and sends through Postfix (submission with AUTH, as herself); bob, signed in the
 * same way, is told of the new mail by his event stream (IMAP IDLE → server-sent events) and finds it
 * in his IMAP INBOX; alice's copy is in her IMAP Sent folder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { runCachet } from '../helpers/cli.js';
import { nextEvent, organisationMailYaml, startInProcess, type InProcessServer } from './support.js';

let mail: MailServers;
let dir: string;
let web: InProcessServer;

before(async () => {
  mail = await startMailServers(['alice', 'bob']);
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-orgmail-'));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  web = await startInProcess(
    dir,
    `listen:\n  host: 127.0.0.1\n  port: 0\nsignIn:\n  method: imap\n${organisationMailYaml(mail)}state:\n  directory: ${join(dir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
  );
});
after(async () => {
  await web?.server.shutdown();
  mail?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = <T>(path: string, cookie: string, init: RequestInit = {}): Promise<T> => web.api<T>(path, cookie, init);

test('IMAP folders, a send through Postfix, new mail pushed to the recipient, the copy in Sent', async () => {
  const alice = await web.login('alice@example.com', 'alice');
  assert.equal(alice.status, 200, JSON.stringify(alice.body));
  const folders = await api<Array<{ name: string }>>('/api/folders', alice.cookie!);
  assert.deepEqual(folders.map((f) => f.name).sort(), ['Drafts', 'INBOX', 'Sent'], 'the IMAP account, not a local Maildir (which has an Outbox)');

  const bob = await web.login('bob@example.com', 'bob');
  const events = await fetch(`${web.server.url}/api/events`, { headers: { cookie: bob.cookie! } });
  const reader = events.body!.getReader();
  const buffer = { text: '' };
  assert.equal(await nextEvent(reader, buffer), 'ready');

  const form = new FormData();
  form.set('to', 'Bob@Example.com');
  form.set('subject', 'through the organisation');
  form.set('body', 'hello bob');
  form.set('sign', 'false');
  form.set('encrypt', 'false');
  const outcome = await api<{ kind: string }>('/api/send', alice.cookie!, { method: 'POST', body: form, headers: { 'x-csrf-token': String(alice.body['csrfToken']) } });
  assert.equal(outcome.kind, 'sent', JSON.stringify(outcome));

  assert.equal(await nextEvent(reader, buffer), 'mail', "bob's stream hears of it without a reload");
  const inbox = await api<Array<{ subject: string; from: string }>>('/api/folders/INBOX/messages', bob.cookie!);
  assert.ok(inbox.some((m) => m.subject === 'through the organisation' && m.from.includes('alice@example.com')), JSON.stringify(inbox));
  const sent = await api<Array<{ subject: string }>>('/api/folders/Sent/messages', alice.cookie!);
  assert.ok(sent.some((m) => m.subject === 'through the organisation'));
  await reader.cancel();

  const out = await fetch(`${web.server.url}/api/logout`, { method: 'POST', headers: { cookie: alice.cookie!, origin: web.server.url, 'x-csrf-token': String(alice.body['csrfToken']) } });
  assert.equal(out.status, 200);
  assert.equal((await fetch(`${web.server.url}/api/folders`, { headers: { cookie: alice.cookie! } })).status, 401);
});
