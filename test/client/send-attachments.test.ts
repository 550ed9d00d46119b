/**
 * cachet send reads attachments from their files while it sends (use-cases/send.ts opens each first):
 * one that cannot be read stops the send with a clear error naming it (exit 3, ERR_INPUT_READ) and
 * nothing is queued or saved; a readable one goes out as it is on disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
let mail: MailHome;

before(async () => (mail = await createMailHome({ prefix: 'cachet-send-attach-', users: [{ address: ALICE }, { address: BOB }] })));
after(() => mail?.remove());

const aliceMail = () => new Maildir(join(mail.userDir(ALICE), 'mail'));

for (const [what, path] of [
  ['a missing file', () => join(mail.home, 'no-such-file.pdf')],
  ['a directory', () => {
    mkdirSync(join(mail.home, 'a-folder'), { recursive: true });
    return join(mail.home, 'a-folder');
  }],
] as const) {
  test(`${what} as an attachment: ERR_INPUT_READ naming it, exit 3, nothing queued or in Sent`, async () => {
    const file = path();
    const sent = await runCachet(['send', '--as', ALICE, '--to', BOB, '--subject', 'report', '--attach', file, '--no-sign', '--no-encrypt', '--json'], { env: mail.env, stdin: 'attached\n' });
    assert.equal(sent.status, 3, sent.stderr);
    const error = (JSON.parse(sent.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'ERR_INPUT_READ');
    assert.ok(error.message.includes(file), error.message);
    assert.deepEqual(await aliceMail().list('Outbox'), []);
    assert.deepEqual(await aliceMail().list('Sent'), []);
  });
}

test('a file attachment goes out as it is on disk (relative to the working directory)', async () => {
  writeFileSync(join(mail.home, 'notes.txt'), 'line one\nline two\n');
  const sent = await runCachet(['send', '--as', ALICE, '--to', BOB, '--subject', 'notes', '--attach', 'notes.txt', '--no-sign', '--no-encrypt'], { env: mail.env, stdin: 'attached\n', cwd: mail.home });
  assert.equal(sent.status, 0, sent.stderr);
  const inbox = new Maildir(join(mail.userDir(BOB), 'mail'));
  const [message] = await inbox.list('INBOX');
  const raw = (await inbox.read('INBOX', message!.id)).toString('latin1');
  assert.match(raw, /filename=notes\.txt/);
  assert.ok(raw.includes(Buffer.from('line one\nline two\n').toString('base64')), 'the file, base64-encoded as composed');
});
