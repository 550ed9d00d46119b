/**
 * The CLI's daily mail commands, as an administrator or a mutt user runs them, on both mailboxes a
 * Cachet user can have — the embedded Maildir with local delivery, and IMAP/SMTP on a real Dovecot
 * and Postfix — each checked against the mailbox as stored afterwards: `cachet folders`, `search`,
 * `flag`, `move`, `archive`, `delete` (Trash, --for-good only from Trash), `reply` (Reply-To, --all,
 * --quote) and `forward` (inline, --as-attachment), both through the send path (signed, encrypted,
 * the group rule; an encrypted original never forwarded in clear).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet, type CliRun } from '../helpers/cli.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { waitFor } from '../helpers/wait.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { pkiFile } from '../helpers/pki.js';
import { encrypt, sign, withHeaders } from '../security/hostile-mail.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import type { Mailbox } from '../../src/adapters/mail/mailbox.js';
import { listFolder } from '../../src/use-cases/folder-listing.js';

const BOB = 'bob@example.com';
const ALICE = 'alice@example.com';

function plain(fields: Record<string, string>, body = 'Content-Type: text/plain\r\n\r\nText of the message.\r\n'): Buffer {
  return withHeaders({ 'MIME-Version': '1.0', ...fields }, body);
}

const TEAM = plain({ From: 'Carol <carol@example.com>', 'Reply-To': `Alice <${ALICE}>`, To: `${BOB}, carol@example.com`, Cc: 'dave@example.com', Subject: 'Team plans', Date: 'Wed, 11 Mar 2026 09:00:00 +0000', 'Message-ID': '<team@example.com>' }, 'Content-Type: text/plain\r\n\r\nShall we meet on Friday?\r\n');
const FIGURES = plain(
  { From: 'carol@example.com', To: BOB, Subject: 'Quarterly figures', Date: 'Tue, 10 Mar 2026 09:00:00 +0000', 'Message-ID': '<figures@example.com>' },
  'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe figures are attached.\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="q1.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b1--\r\n',
);
const LUNCH = plain({ From: 'dave@example.com', To: BOB, Subject: 'Lunch', Date: 'Mon, 02 Mar 2026 12:00:00 +0000', 'Message-ID': '<lunch@example.com>' });
/** Made by OpenSSL: signed by alice, encrypted to bob. */
const SECRET = withHeaders(
  { From: ALICE, To: BOB, Subject: 'Secret plans', Date: 'Thu, 12 Mar 2026 09:00:00 +0000', 'Message-ID': '<secret@example.com>', 'MIME-Version': '1.0' },
  encrypt('bob', sign('alice', 'Content-Type: text/plain\r\n\r\nThe merger is on.\r\n')),
);

interface Backend {
  env: NodeJS.ProcessEnv;
  mailbox(address: string): Mailbox;
  close(): Promise<void>;
}

function mailCommandsOn(name: string, open: () => Promise<Backend>): void {
  describe(name, () => {
    let backend: Backend;
    const ids = new Map<string, string>();
    const cachet = (args: string[], options: { stdin?: string; as?: string } = {}): Promise<CliRun> =>
      runCachet([...args, '--as', options.as ?? BOB], { env: backend.env, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
    const entries = async (address: string, folder: string) => listFolder(backend.mailbox(address), folder);
    const idIn = async (address: string, folder: string, messageId: string) => (await entries(address, folder)).find((e) => e.messageId === messageId)?.id;
    /** The message a send printed ("sent <id>, …"), in the user's folder once it has arrived (its outer Subject is "[...]"). */
    const arrived = (address: string, sent: CliRun, folder = 'INBOX') => {
      const messageId = /^sent (<[^>]+>)/m.exec(sent.stdout)?.[1];
      assert.ok(messageId, sent.stdout);
      return waitFor(async () => (await entries(address, folder)).find((e) => e.messageId === messageId), `${messageId} in ${address}'s ${folder}`);
    };

    before(async () => {
      backend = await open();
      const bob = backend.mailbox(BOB);
      for (const message of [TEAM, FIGURES, LUNCH, SECRET]) await bob.deliver('INBOX', message);
      for (const messageId of ['<team@example.com>', '<figures@example.com>', '<lunch@example.com>', '<secret@example.com>']) ids.set(messageId, (await idIn(BOB, 'INBOX', messageId))!);
    });
    after(() => backend?.close());

    test('folders: roles, totals and unread counts', async () => {
      const listed = await cachet(['folders', '--json']);
      assert.equal(listed.status, 0, listed.stderr);
      const folders = (JSON.parse(listed.stdout) as { folders: Array<{ name: string; role: string | null; total: number; unread: number }> }).folders;
      assert.deepEqual(folders.find((f) => f.name === 'INBOX'), { name: 'INBOX', role: 'inbox', total: 4, unread: 4 });
      assert.equal(folders.find((f) => f.name === 'Sent')?.role, 'sent');
      const text = await cachet(['folders']);
      assert.match(text.stdout, /^INBOX\s+inbox\s+4\s+4$/m);
    });

    test('search: sender, subject, days, attachments; a bad day is a usage error', async () => {
      const found = async (...criteria: string[]) => {
        const run = await cachet(['search', ...criteria, '--json']);
        assert.equal(run.status, 0, run.stderr);
        return (JSON.parse(run.stdout) as { messages: Array<{ subject: string }> }).messages.map((m) => m.subject).sort();
      };
      assert.deepEqual(await found('--from', 'carol'), ['Quarterly figures', 'Team plans']);
      assert.deepEqual(await found('--subject', 'FIGURES'), ['Quarterly figures']);
      assert.deepEqual(await found('--before', '2026-03-05'), ['Lunch']);
      assert.deepEqual(await found('--since', '2026-03-11', '--from', 'alice'), ['Secret plans']);
      // The encrypted message's structure is not visible: only the clear one has an attachment.
      assert.deepEqual(await found('--has-attachment'), ['Quarterly figures']);
      const text = await cachet(['search', '--subject', 'lunch']);
      assert.match(text.stdout, new RegExp(`^\\* ${ids.get('<lunch@example.com>')}\\s.*dave@example.com.*Lunch$`, 'm'));
      assert.equal((await cachet(['search', '--since', '2026-13-01'])).status, 2);
      assert.equal((await cachet(['search'])).status, 2);
    });

    test('flag: read and flagged, then unread and not flagged, as stored', async () => {
      const id = ids.get('<lunch@example.com>')!;
      const stored = async () => (await backend.mailbox(BOB).list('INBOX')).find((m) => m.id === id)!;
      assert.equal((await cachet(['flag', id, '--read', '--flagged'])).status, 0);
      assert.deepEqual([(await stored()).seen, (await stored()).flagged], [true, true]);
      assert.equal((await cachet(['flag', id, '--unread'])).status, 0);
      assert.deepEqual([(await stored()).seen, (await stored()).flagged], [false, true]);
      assert.equal((await cachet(['flag', id, '--unflagged'])).status, 0);
      assert.deepEqual([(await stored()).seen, (await stored()).flagged], [false, false]);
      assert.equal((await cachet(['flag', id, '--read', '--unread'])).status, 2);
      assert.equal((await cachet(['flag', id])).status, 2);
      // A message that is not there is said, not flagged in silence (an IMAP server answers OK).
      const missing = await cachet(['flag', '99999', '--read', '--json']);
      assert.equal(missing.status, 1);
      assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'ERR_MAIL_NOT_FOUND');
    });

    test('move, archive, delete into Trash, and for good only from Trash', async () => {
      const lunch = '<lunch@example.com>';
      const moved = await cachet(['move', ids.get(lunch)!, 'Junk', '--json']);
      assert.equal(moved.status, 0, moved.stderr);
      const inJunk = (JSON.parse(moved.stdout) as { to: { folder: string; id: string } }).to;
      assert.equal(inJunk.folder, 'Junk');
      assert.equal(await idIn(BOB, 'INBOX', lunch), undefined);
      assert.equal(await idIn(BOB, 'Junk', lunch), inJunk.id);
      const refused = await cachet(['move', inJunk.id, 'Outbox', '--folder', 'Junk', '--json']);
      assert.equal(refused.status, 2);
      assert.equal((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'ERR_USAGE');
      assert.equal((await cachet(['move', '99999', 'Junk'])).status, 1, 'no such message');
      const nowhere = await cachet(['move', inJunk.id, 'No such folder', '--folder', 'Junk', '--json']);
      assert.equal(nowhere.status, 1);
      assert.equal((JSON.parse(nowhere.stdout) as { error: { code: string } }).error.code, 'ERR_MAIL_NOT_FOUND');

      assert.equal((await cachet(['archive', inJunk.id, '--folder', 'Junk'])).status, 0);
      const archived = await idIn(BOB, 'Archive', lunch);
      assert.ok(archived, 'archived');
      assert.equal(await idIn(BOB, 'Junk', lunch), undefined);

      const deleted = await cachet(['delete', archived, '--folder', 'Archive']);
      assert.equal(deleted.status, 0, deleted.stderr);
      const inTrash = await idIn(BOB, 'Trash', lunch);
      assert.ok(inTrash, 'in Trash');
      assert.match(deleted.stdout, new RegExp(`to put it back: cachet move ${inTrash} Archive --folder Trash`));
      // Nothing is deleted for good by accident: in Trash it needs --for-good; elsewhere --for-good is refused.
      assert.equal((await cachet(['delete', inTrash, '--folder', 'Trash'])).status, 2);
      assert.equal(await idIn(BOB, 'Trash', lunch), inTrash);
      assert.equal((await cachet(['delete', ids.get('<team@example.com>')!, '--for-good'])).status, 2);
      assert.ok(await idIn(BOB, 'INBOX', '<team@example.com>'));
      const gone = await cachet(['delete', inTrash, '--folder', 'Trash', '--for-good', '--json']);
      assert.equal(gone.status, 0, gone.stderr);
      assert.deepEqual(JSON.parse(gone.stdout), { kind: 'removed' });
      assert.equal(await idIn(BOB, 'Trash', lunch), undefined);
      assert.equal((await cachet(['delete', inTrash, '--folder', 'Trash', '--for-good'])).status, 1);
    });

    test('reply goes to the Reply-To, signed and encrypted; reply all keeps to the group rule', async () => {
      const id = ids.get('<team@example.com>')!;
      assert.match((await cachet(['read', id])).stdout, /^Reply-To: {2}Alice <alice@example\.com>$/m, 'read says where a reply goes');
      const reply = await cachet(['reply', id, '--quote'], { stdin: 'Friday suits me.' });
      assert.equal(reply.status, 0, reply.stderr);
      assert.match(reply.stdout, /^sent .*, signed, encrypted/m);
      assert.match(reply.stderr, /replying to the Reply-To: Alice <alice@example.com> \(not covered by a valid signature\)/);
      const sent = await arrived(BOB, reply, 'Sent');
      assert.equal(sent.to, ALICE, 'to the Reply-To only, not to the From');
      const received = await arrived(ALICE, reply);
      const read = await cachet(['read', received.id, '--json'], { as: ALICE });
      assert.equal(read.status, 0, read.stderr);
      const opened = JSON.parse(read.stdout) as { status: string; encrypted: boolean; text: string; headers: { subject: string } };
      assert.deepEqual([opened.status, opened.encrypted, opened.headers.subject], ['valid', true, 'Re: Team plans']);
      assert.match(opened.text, /^Friday suits me\.\n\nOn Wed, 11 Mar 2026 09:00:00 \+0000, Carol <carol@example.com> wrote:\n> Shall we meet on Friday\?/);

      // Reply all: alice (the Reply-To), carol (To) and dave (Cc) — carol and dave have no certificate.
      const blocked = await cachet(['reply', id, '--all', '--json'], { stdin: 'To everyone.' });
      assert.equal(blocked.status, 7);
      assert.equal((JSON.parse(blocked.stdout) as { error: { code: string; details?: { missing?: Array<{ address: string }> } } }).error.code, 'ERR_RECIPIENT_CERT_MISSING');
      const leftOut = await cachet(['reply', id, '--all', '--leave-out-missing'], { stdin: 'To everyone who can read it.' });
      assert.equal(leftOut.status, 0, leftOut.stderr);
      assert.match(leftOut.stderr, /left out carol@example.com/);
      assert.match(leftOut.stderr, /left out dave@example.com/);
      assert.equal((await arrived(BOB, leftOut, 'Sent')).to, ALICE, 'those without a certificate are left out of the header too');
      assert.equal((await entries(BOB, 'Sent')).length, 2, 'the refused reply all was not sent');
    });

    test('forward: an encrypted original is never forwarded in clear; inline and as attachment, encrypted to the recipient', async () => {
      const secret = ids.get('<secret@example.com>')!;
      const sentBefore = (await entries(BOB, 'Sent')).length;
      for (const clear of [[], ['--no-encrypt']]) {
        const refused = await cachet(['forward', secret, '--to', 'carol@example.com', ...clear], { stdin: 'FYI' });
        assert.equal(refused.status, 7, `${clear.join(' ')}: ${refused.stderr}`);
      }
      assert.equal((await entries(BOB, 'Sent')).length, sentBefore, 'nothing was sent');

      const inline = await cachet(['forward', secret, '--to', ALICE], { stdin: 'See below.' });
      assert.equal(inline.status, 0, inline.stderr);
      const inlineCopy = await arrived(ALICE, inline);
      const inlineRead = JSON.parse((await cachet(['read', inlineCopy.id, '--json'], { as: ALICE })).stdout) as { status: string; encrypted: boolean; text: string; headers: { subject: string } };
      assert.deepEqual([inlineRead.status, inlineRead.encrypted, inlineRead.headers.subject], ['valid', true, 'Fwd: Secret plans']);
      assert.match(inlineRead.text, /^See below\.\n\n---------- Forwarded message ----------\nFrom: alice@example.com\n.*Subject: Secret plans\n/s);
      assert.match(inlineRead.text, /The merger is on\./);

      // The clear one with its attachment, inline: the attachment is carried.
      const figures = await cachet(['forward', ids.get('<figures@example.com>')!, '--to', ALICE], { stdin: '' });
      assert.equal(figures.status, 0, figures.stderr);
      const figuresCopy = await arrived(ALICE, figures);
      const figuresRead = JSON.parse((await cachet(['read', figuresCopy.id, '--json'], { as: ALICE })).stdout) as { attachments: Array<{ filename: string; size: number }> };
      assert.deepEqual(figuresRead.attachments.map((a) => [a.filename, a.size]), [['q1.pdf', 6]]);

      const attached = await cachet(['forward', secret, '--to', ALICE, '--as-attachment', '--subject', 'the plans, attached'], { stdin: '' });
      assert.equal(attached.status, 0, attached.stderr);
      const attachedCopy = await arrived(ALICE, attached);
      const attachedRead = JSON.parse((await cachet(['read', attachedCopy.id, '--json'], { as: ALICE })).stdout) as { encrypted: boolean; attachments: Array<{ filename: string; contentType: string }>; text: string };
      assert.equal(attachedRead.encrypted, true);
      assert.deepEqual(attachedRead.attachments.map((a) => [a.filename, a.contentType]), [['Secret plans.eml', 'message/rfc822']]);
      assert.doesNotMatch(attachedRead.text, /merger/, 'the forwarded message is attached, not merged into the text');
    });
  });
}

/** Alice and bob with their dual-use credentials, each with the other's certificate in their address book. */
async function introduce(env: NodeJS.ProcessEnv): Promise<void> {
  for (const [user, other] of [[ALICE, 'bob'], [BOB, 'alice']] as const) {
    const added = await runCachet(['addressbook', 'import', pkiFile(`${other}.pem`), '--as', user], { env });
    assert.equal(added.status, 0, added.stderr);
  }
}

mailCommandsOn('the embedded Maildir', async () => {
  const home: MailHome = await createMailHome({
    prefix: 'cachet-mail-commands-',
    users: [{ address: ALICE, p12: 'alice', role: 'both' }, { address: BOB, p12: 'bob', role: 'both' }, { address: 'carol@example.com' }],
  });
  await introduce(home.env);
  return { env: home.env, mailbox: (address) => new Maildir(join(home.userDir(address), 'mail')), close: async () => home.remove() };
});

mailCommandsOn('IMAP and SMTP (Dovecot and Postfix)', async () => {
  const servers: MailServers = await startMailServers(['alice', 'bob', 'carol']);
  const home: MailHome = await createMailHome({ prefix: 'cachet-mail-commands-imap-', users: [] });
  const work = mkdtempSync(join(tmpdir(), 'cachet-mail-commands-files-'));
  const boxes = new Map<string, ImapMailbox>();
  try {
    writeFileSync(join(work, 'ca.pem'), servers.ca);
    for (const [address, p12] of [[ALICE, 'alice'], [BOB, 'bob']] as const) {
      const user = address.split('@')[0]!;
      writeFileSync(join(work, user), user);
      const server = ['--imap-host', '127.0.0.1', '--imap-port', String(servers.imapsPort), '--imap-user', user, '--imap-password-file', join(work, user), '--imap-ca', join(work, 'ca.pem')];
      const smtp = ['--smtp-host', '127.0.0.1', '--smtp-port', String(servers.smtpPort), '--smtp-user', user, '--smtp-password-file', join(work, user), '--smtp-tls', '--smtp-ca', join(work, 'ca.pem')];
      const added = await runCachet(['account', 'add', address, ...server, ...smtp], { env: home.env });
      assert.equal(added.status, 0, added.stderr);
      const imported = await runCachet(['cert', 'import', pkiFile(`${p12}.p12`), '--role', 'both'], { env: { ...home.env, CACHET_HOME: home.userDir(address) } });
      assert.equal(imported.status, 0, imported.stderr);
    }
    await introduce(home.env);
  } catch (error) {
    servers.stop();
    throw error;
  }
  return {
    env: home.env,
    mailbox(address) {
      const user = address.split('@')[0]!;
      if (!boxes.has(user)) boxes.set(user, new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user, password: user, ca: servers.ca, servername: 'localhost' }));
      return boxes.get(user)!;
    },
    async close() {
      for (const box of boxes.values()) await box.close().catch(() => undefined);
      servers.stop();
      home.remove();
      rmSync(work, { recursive: true, force: true });
    },
  };
});
