/**
 * A large message sent as users send it (`cachet send --attach`, signed and encrypted) arrives byte
 * for byte: a 20 MB attachment through the embedded Maildir delivery, and through a real Postfix
 * (STARTTLS, SASL) into a real Dovecot, read back over IMAPS. The recipient's copy decrypts and
 * verifies in Cachet and in OpenSSL, and the sender's Sent copy (in the Maildir, or appended over
 * IMAP) opens too. The send streams (use-cases/send.ts); test/client/send-memory.test.ts bounds its memory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { waitFor } from '../helpers/wait.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const ATTACHMENT_MB = 20;

let work: string;
let attachment: string;
let attachmentDigest: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-large-send-'));
  attachment = join(work, 'large.bin');
  // Random bytes, 1 MiB at a time: every byte of the attachment has to come through.
  const fd = openSync(attachment, 'w');
  const digest = createHash('sha256');
  for (let i = 0; i < ATTACHMENT_MB; i++) {
    const chunk = randomBytes(1024 * 1024);
    digest.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  attachmentDigest = digest.digest('hex');
});
after(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function homeWithAliceAndBob(prefix: string): Promise<MailHome> {
  const mail = await createMailHome({ prefix, users: [{ address: ALICE, p12: 'alice', role: 'both' }, { address: BOB, p12: 'bob', role: 'both' }] });
  await AddressBook.change(mail.userDir(ALICE), (book) => void book.add(certificateDer('bob'), 'import', new Date()));
  return mail;
}

async function sendLarge(mail: MailHome, subject: string): Promise<string> {
  const sent = await runCachet(['send', '--as', ALICE, '--to', BOB, '--subject', subject, '--attach', attachment, '--sign', '--encrypt', '--json'], { env: mail.env, stdin: 'The measurements are attached.\n' });
  assert.equal(sent.status, 0, sent.stderr);
  const outcome = JSON.parse(sent.stdout) as { kind: string; messageId: string; signed: boolean; encrypted: boolean };
  assert.deepEqual([outcome.kind, outcome.signed, outcome.encrypted], ['sent', true, true]);
  return outcome.messageId;
}

/** `cachet read` as `address`, the attachments saved; returns the report and where the attachment went. */
async function readAndSave(mail: MailHome, address: string, id: string, folder: string): Promise<{ status: string; encrypted: boolean; saved: string; text: string }> {
  const dir = join(work, `saved-${address}-${folder}-${id}`);
  const read = await runCachet(['read', id, '--as', address, '--folder', folder, '--json', '--save-attachments', dir], { env: mail.env });
  assert.equal(read.status, 0, read.stderr);
  const report = JSON.parse(read.stdout) as { status: string; encrypted: boolean; text: string; attachments: Array<{ filename: string; savedAs?: string }> };
  const large = report.attachments.find((a) => a.filename === 'large.bin');
  assert.ok(large?.savedAs, JSON.stringify(report.attachments));
  return { status: report.status, encrypted: report.encrypted, saved: large.savedAs, text: report.text };
}

/** OpenSSL as the other implementation: bob's key decrypts the message, and the inner signature verifies against the test root. */
function opensslOpens(message: Buffer): Buffer {
  const file = join(work, `openssl-${Date.now()}.eml`);
  writeFileSync(file, message);
  const decrypted = spawnSync('openssl', ['cms', '-decrypt', '-in', file, '-recip', pkiFile('bob.pem'), '-inkey', pkiFile('bob.key')], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(decrypted.status, 0, decrypted.stderr?.toString());
  writeFileSync(`${file}.signed`, decrypted.stdout);
  const verified = spawnSync('openssl', ['cms', '-verify', '-in', `${file}.signed`, '-CAfile', pkiFile('ca.pem')], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(verified.status, 0, verified.stderr?.toString());
  assert.match(verified.stderr.toString(), /Verification successful/);
  rmSync(file, { force: true });
  rmSync(`${file}.signed`, { force: true });
  return verified.stdout;
}

describe('a 20 MB attachment through the embedded Maildir delivery', () => {
  let mail: MailHome;
  before(async () => (mail = await homeWithAliceAndBob('cachet-large-local-')));
  after(() => mail?.remove());

  test('bob reads it valid and encrypted, the attachment byte for byte; OpenSSL opens it; alice’s Sent copy opens too', { timeout: 240_000 }, async () => {
    await sendLarge(mail, 'Large, locally');
    const inbox = new Maildir(join(mail.userDir(BOB), 'mail'));
    const [delivered] = await inbox.list('INBOX');
    assert.ok(delivered && delivered.size > ATTACHMENT_MB * 1024 * 1024, 'one message, larger than its attachment');
    const bob = await readAndSave(mail, BOB, delivered.id, 'INBOX');
    assert.deepEqual([bob.status, bob.encrypted], ['valid', true]);
    assert.match(bob.text, /measurements are attached/);
    assert.equal(sha256(bob.saved), attachmentDigest, 'the saved attachment is the one sent');
    const inner = opensslOpens(await inbox.read('INBOX', delivered.id));
    assert.match(inner.toString('latin1'), /filename=large\.bin/);

    const aliceMail = new Maildir(join(mail.userDir(ALICE), 'mail'));
    const [sent] = await aliceMail.list('Sent');
    assert.ok(sent, 'a copy in Sent');
    const own = await readAndSave(mail, ALICE, sent.id, 'Sent');
    assert.deepEqual([own.status, own.encrypted], ['valid', true]);
    assert.equal(sha256(own.saved), attachmentDigest);
    assert.deepEqual(await aliceMail.list('Outbox'), [], 'nothing left in the Outbox');
  });
});

describe('a 20 MB attachment through a real Postfix into a real Dovecot', () => {
  let servers: MailServers;
  let mail: MailHome;

  before(async () => {
    servers = await startMailServers(['alice', 'bob']);
    mail = await homeWithAliceAndBob('cachet-large-smtp-');
    const imap = (user: string) => ({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user, password: user, ca: servers.ca, servername: 'localhost' });
    const smtp = { host: '127.0.0.1', port: servers.smtpPort, requireTls: true, user: 'alice', password: 'alice', ca: servers.ca, timeoutMs: 60_000 };
    writeFileSync(join(mail.userDir(ALICE), 'account.json'), JSON.stringify({ imap: imap('alice'), smtp }));
    writeFileSync(join(mail.userDir(BOB), 'account.json'), JSON.stringify({ imap: imap('bob') }));
  });
  after(() => {
    servers?.stop();
    mail?.remove();
  });

  test('bob reads it over IMAPS valid and encrypted, byte for byte; OpenSSL opens it; the Sent copy is on the server', { timeout: 300_000 }, async () => {
    const messageId = await sendLarge(mail, 'Large, through Postfix');
    const bobImap = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'bob', password: 'bob', ca: servers.ca, servername: 'localhost' });
    try {
      // Postfix delivers asynchronously (queue, then LMTP).
      const delivered = await waitFor(async () => (await bobImap.list('INBOX'))[0], "the large mail in bob's IMAP INBOX");
      assert.ok(delivered.size > ATTACHMENT_MB * 1024 * 1024, 'delivered, larger than its attachment');
      const raw = await bobImap.read('INBOX', delivered.id);
      assert.ok(raw.includes(messageId.slice(1, -1)), 'the message sent');
      const bob = await readAndSave(mail, BOB, delivered.id, 'INBOX');
      assert.deepEqual([bob.status, bob.encrypted], ['valid', true]);
      assert.equal(sha256(bob.saved), attachmentDigest, 'the saved attachment is the one sent');
      assert.match(opensslOpens(raw).toString('latin1'), /filename=large\.bin/);
    } finally {
      await bobImap.close();
    }
    const aliceImap = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'alice', password: 'alice', ca: servers.ca, servername: 'localhost' });
    try {
      const folder = (await aliceImap.folders()).find((f) => /sent/i.test(f))!;
      const [sent] = await aliceImap.list(folder);
      assert.ok(sent && sent.size > ATTACHMENT_MB * 1024 * 1024, 'the Sent copy, appended over IMAP');
      const own = await readAndSave(mail, ALICE, sent.id, folder);
      assert.deepEqual([own.status, own.encrypted], ['valid', true]);
      assert.equal(sha256(own.saved), attachmentDigest);
    } finally {
      await aliceImap.close();
    }
    assert.deepEqual(await new Maildir(join(mail.userDir(ALICE), 'mail')).list('Outbox'), [], 'nothing left in the Outbox');
  });
});
