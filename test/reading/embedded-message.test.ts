/**
 * An attached message (message/rfc822) without Content-Disposition, as Python's email package writes
 * one (MIMEMessage) and another client signs it (OpenSSL): it is an attachment named after its Subject
 * (.eml), listed and saved by `cachet read --save-attachments` (the web client: test/web/embedded-message.test.ts),
 * and its text is never shown merged into the signed message's own text.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { pythonBuiltBareForward, signedForward } from '../helpers/python-mail.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';

let message: Buffer;
let home: MailHome;
let saved: string;

before(async () => {
  message = signedForward();
  home = await createMailHome({ prefix: 'cachet-embedded-message-', users: [{ address: 'bob@example.com' }] });
  saved = mkdtempSync(join(tmpdir(), 'cachet-embedded-saved-'));
});

after(() => {
  home?.remove();
  if (saved) rmSync(saved, { recursive: true, force: true });
});

test('cachet read: the embedded message is an attachment named after its Subject, saved whole, not part of the signed text', async () => {
  const id = await new Maildir(join(home.userDir('bob@example.com'), 'mail')).deliver('INBOX', message);
  const read = await runCachet(['read', id, '--json', '--save-attachments', saved], { env: home.env });
  assert.equal(read.status, 0, read.stderr);
  const result = JSON.parse(read.stdout) as { status: string; text: string; attachments: Array<{ filename: string; contentType: string; savedAs?: string }> };
  assert.equal(result.status, 'valid');
  assert.match(result.text, /See the message below\./);
  assert.doesNotMatch(result.text, /budget is 4 million/, 'the other message is not merged into the signed text');
  assert.deepEqual(result.attachments.map((a) => [a.filename, a.contentType]), [['Q3 budget.eml', 'message/rfc822']]);
  assert.deepEqual(readdirSync(saved), ['Q3 budget.eml']);
  // The saved file is the message itself: Python's own parser reads it back.
  const check = execFileSync('python3', ['-c', 'import sys, email; m = email.message_from_binary_file(open(sys.argv[1], "rb")); print(m["Subject"]); print(m.get_payload().strip())', join(saved, 'Q3 budget.eml')]).toString();
  assert.equal(check, 'Q3 budget\nThe budget is 4 million.\n');

  const text = await runCachet(['read', id], { env: home.env });
  assert.match(text.stdout, /^Attached: {2}Q3 budget\.eml \(message\/rfc822, \d+ bytes\)$/m);
});

test("a signed message whose whole content is another's message (no text part): that message is an attachment, not the signer's text", async () => {
  const id = await new Maildir(join(home.userDir('bob@example.com'), 'mail')).deliver('INBOX', signedForward('bob@example.com', pythonBuiltBareForward()));
  const read = await runCachet(['read', id, '--json'], { env: home.env });
  assert.equal(read.status, 0, read.stderr);
  const result = JSON.parse(read.stdout) as { status: string; text: string | null; headers: { from: string; subject: string }; attachments: Array<{ filename: string; contentType: string }> };
  assert.deepEqual([result.status, result.headers.from, result.headers.subject], ['valid', 'alice@example.com', 'Budget, passed on']);
  assert.doesNotMatch(result.text ?? '', /budget is 4 million/, "Carol's text is not shown as what alice signed as her own");
  assert.deepEqual(result.attachments.map((a) => [a.filename, a.contentType]), [['Q3 budget.eml', 'message/rfc822']]);
});
