/**
 * The Outbox retries by itself: with Postfix stopped, alice's mail to bob waits in her Outbox (the
 * server cannot be reached); once Postfix is back and the first delay (a minute) is over, `cachet
 * server` sends it without anyone pressing Retry, bob finds it once in his IMAP INBOX, and her Outbox
 * is empty. A recipient Postfix refused for good is not offered it again by the automatic retry: it
 * waits for alice's own Retry. The server's clock is moved on instead of waiting a minute.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { runCachet } from '../helpers/cli.js';
import { organisationMailYaml, startInProcess, type InProcessServer } from './support.js';
import type { OutboxMessage } from '../../src/use-cases/outbox.js';

let mail: MailServers;
let dir: string;
let web: InProcessServer;
/** The server's clock: moved on past a retry delay. */
let clock = Date.now();

before(async () => {
  mail = await startMailServers(['alice', 'bob']);
  dir = mkdtempSync(join(tmpdir(), 'cachet-server-outbox-retry-'));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  web = await startInProcess(
    dir,
    `listen:\n  host: 127.0.0.1\n  port: 0\nsignIn:\n  method: imap\n${organisationMailYaml(mail)}state:\n  directory: ${join(dir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\n`,
    { clock: () => clock, outboxRetryCheckMs: 100 },
  );
});
after(async () => {
  await web?.server.shutdown();
  mail?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = <T>(path: string, cookie: string, init: RequestInit = {}): Promise<T> => web.api<T>(path, cookie, init);

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function smtpAnswers(): boolean {
  try {
    execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${mail.smtpPort}`]);
    return true;
  } catch {
    return false;
  }
}

test('mail queued while Postfix was down goes out by itself once it is back; a recipient refused for good waits for the user', async () => {
  const alice = await web.login('alice@example.com', 'alice');
  assert.equal(alice.status, 200, JSON.stringify(alice.body));
  const csrf = { 'x-csrf-token': String(alice.body['csrfToken']) };
  const send = async (to: string, subject: string) => {
    const form = new FormData();
    Object.entries({ to, subject, body: 'Sent while the server was away.', sign: 'false', encrypt: 'false' }).forEach(([k, v]) => form.set(k, v));
    return api<{ kind: string; waiting?: string[]; refused?: Array<{ address: string }>; reason?: string }>('/api/send', alice.cookie!, { method: 'POST', body: form, headers: csrf });
  };

  // A recipient Postfix does not know: refused for good, kept in the Outbox.
  const refused = await send('nobody@example.com', 'for nobody');
  assert.equal(refused.kind, 'queued');
  assert.deepEqual(refused.refused?.map((r) => r.address), ['nobody@example.com']);

  mail.stopSmtp();
  let queued;
  try {
    queued = await send('bob@example.com', 'while postfix was down');
  } finally {
    mail.startSmtp();
  }
  assert.equal(queued.kind, 'queued', JSON.stringify(queued));
  assert.deepEqual(queued.waiting, ['bob@example.com']);
  assert.match(queued.reason ?? '', /cannot be reached/);
  await until(async () => (smtpAnswers() ? true : undefined), 'Postfix to answer again');

  const outbox = () => api<OutboxMessage[]>('/api/outbox', alice.cookie!);
  const attemptsOf = async (subject: string) => (await outbox()).find((m) => m.subject === subject)?.attempts;
  // Within the first minute nothing is tried again (the server's clock reads the real time here).
  clock = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await attemptsOf('while postfix was down'), 1, 'not retried before its delay');

  clock = Date.now() + 61_000;
  await until(async () => ((await outbox()).some((m) => m.subject === 'while postfix was down') ? undefined : true), 'the Outbox to send it by itself');

  const bob = await web.login('bob@example.com', 'bob');
  const inbox = await until(async () => {
    const messages = await api<Array<{ subject: string }>>('/api/folders/INBOX/messages', bob.cookie!);
    return messages.some((m) => m.subject === 'while postfix was down') ? messages : undefined;
  }, "bob's copy");
  assert.equal(inbox.filter((m) => m.subject === 'while postfix was down').length, 1, 'bob has it once');

  // The one refused for good was not offered it again by the automatic retry, only shown as refused.
  const left = (await outbox()).find((m) => m.subject === 'for nobody');
  assert.equal(left?.attempts, 1);
  assert.deepEqual(left?.recipients.map((r) => [r.address, r.state]), [['nobody@example.com', 'refused']]);
  // Alice's own Retry offers it again (she may know it is mended): Postfix refuses again.
  const retried = await api<OutboxMessage[]>('/api/outbox/retry', alice.cookie!, { method: 'POST', headers: { ...csrf, 'content-type': 'application/json' }, body: JSON.stringify({ batch: left!.batch }) });
  assert.equal(retried.find((m) => m.subject === 'for nobody')?.attempts, 2);
  assert.ok(web.lines.some((l) => l['event'] === 'outbox-retried' && l['user'] === 'alice@example.com'), 'the retry is in the log');
});
