/**
 * The daily mail operations on both mailboxes the client has — the local Maildir and IMAP on a real
 * Dovecot — through the use cases (src/use-cases/mail-operations.ts): delete into Trash and undo it,
 * delete for good from Trash, move, archive (the folder created on first use), the read and follow-up
 * flags, folders with their roles and counts, a search of one folder where the mail is (IMAP SEARCH:
 * sender, subject, dates, attachments; nothing of an encrypted message but its outer header), and a
 * message's conversation from References/In-Reply-To across the folder and Sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import type { Mailbox } from '../../src/adapters/mail/mailbox.js';
import { isCachetError } from '../../src/errors.js';
import { listFolder } from '../../src/use-cases/folder-listing.js';
import { archiveMessage, conversation, deleteMessage, moveMessage, searchFolder, setMessageFlags } from '../../src/use-cases/mail-operations.js';

function message(fields: { from: string; subject: string; date: string; id: string; references?: string; body?: string; contentType?: string }): Buffer {
  const header = [
    `From: ${fields.from}`,
    'To: carol@example.com',
    `Subject: ${fields.subject}`,
    `Date: ${fields.date}`,
    `Message-ID: ${fields.id}`,
    ...(fields.references ? [`In-Reply-To: ${fields.references.split(' ').at(-1)}`, `References: ${fields.references}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: ${fields.contentType ?? 'text/plain; charset=utf-8'}`,
  ];
  return Buffer.from(`${header.join('\r\n')}\r\n\r\n${fields.body ?? 'hello\r\n'}`);
}

const WITH_ATTACHMENT = message({
  from: 'Dave Doe <dave@example.org>',
  subject: 'the report, attached',
  date: 'Tue, 10 Mar 2026 09:00:00 +0000',
  id: '<report@example.org>',
  contentType: 'multipart/mixed; boundary="b1"',
  body: '--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="r.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b1--\r\n',
});
// Outside, an encrypted message says nothing: its Subject is "[...]" and its structure one opaque part.
const ENCRYPTED = message({
  from: 'erin@example.org',
  subject: '[...]',
  date: 'Wed, 11 Mar 2026 09:00:00 +0000',
  id: '<secret@example.org>',
  contentType: 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
  body: 'MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n',
});
const THREAD_START = message({ from: 'frank@example.org', subject: 'lunch?', date: 'Mon, 02 Mar 2026 12:00:00 +0000', id: '<t1@example.org>' });
const THREAD_REPLY = message({ from: 'carol@example.com', subject: 'Re: lunch?', date: 'Mon, 02 Mar 2026 12:30:00 +0000', id: '<t2@example.com>', references: '<t1@example.org>' });
const THREAD_AGAIN = message({ from: 'frank@example.org', subject: 'Re: lunch?', date: 'Mon, 02 Mar 2026 13:00:00 +0000', id: '<t3@example.org>', references: '<t1@example.org> <t2@example.com>' });
const UNRELATED = message({ from: 'grace@example.org', subject: 'lunch?', date: 'Mon, 02 Mar 2026 14:00:00 +0000', id: '<other@example.org>' });

async function idOf(mailbox: Mailbox, folder: string, messageId: string): Promise<string> {
  const entry = (await listFolder(mailbox, folder)).find((e) => e.messageId === messageId);
  assert.ok(entry, `${messageId} is in ${folder}`);
  return entry.id;
}

function operationsOn(name: string, open: () => Promise<Mailbox>): void {
  describe(name, () => {
    let mailbox: Mailbox;
    before(async () => {
      mailbox = await open();
      for (const m of [WITH_ATTACHMENT, ENCRYPTED, THREAD_START, THREAD_AGAIN, UNRELATED]) await mailbox.deliver('INBOX', m);
      await mailbox.deliver('Sent', THREAD_REPLY, { seen: true });
    });

    test('folders come with their roles and counts', async () => {
      const folders = await mailbox.folderStatus();
      const inbox = folders.find((f) => f.name === 'INBOX');
      assert.deepEqual(inbox && { role: inbox.role, total: inbox.total, unread: inbox.unread }, { role: 'inbox', total: 5, unread: 5 });
      assert.equal(folders.find((f) => f.name === 'Sent')?.role, 'sent');
      assert.equal(folders.find((f) => f.name === 'Sent')?.unread, 0);
    });

    test('flags: mark unread again, flag and unflag, each without touching the other', async () => {
      const id = await idOf(mailbox, 'INBOX', '<t1@example.org>');
      await mailbox.markSeen('INBOX', id);
      await setMessageFlags(mailbox, 'INBOX', id, { flagged: true });
      let info = (await mailbox.list('INBOX')).find((m) => m.id === id)!;
      assert.deepEqual([info.seen, info.flagged], [true, true]);
      await setMessageFlags(mailbox, 'INBOX', id, { seen: false });
      info = (await mailbox.list('INBOX')).find((m) => m.id === id)!;
      assert.deepEqual([info.seen, info.flagged], [false, true]);
      await setMessageFlags(mailbox, 'INBOX', id, { flagged: false });
      info = (await mailbox.list('INBOX')).find((m) => m.id === id)!;
      assert.deepEqual([info.seen, info.flagged], [false, false]);
      assert.equal((await mailbox.folderStatus()).find((f) => f.name === 'INBOX')?.unread, 5);
    });

    test('search: by sender (address or name), subject, dates and attachments, where the mail is', async () => {
      const subjects = async (criteria: Parameters<typeof searchFolder>[2]) => (await searchFolder(mailbox, 'INBOX', criteria)).map((e) => e.subject).sort();
      assert.deepEqual(await subjects({ from: 'dave@example.org' }), ['the report, attached']);
      assert.deepEqual(await subjects({ from: 'Dave Doe' }), ['the report, attached']);
      assert.deepEqual(await subjects({ subject: 'LUNCH' }), ['Re: lunch?', 'lunch?', 'lunch?']);
      assert.deepEqual(await subjects({ subject: 'lunch', from: 'grace' }), ['lunch?']);
      assert.deepEqual(await subjects({ since: new Date('2026-03-10T00:00:00Z') }), ['[...]', 'the report, attached']);
      assert.deepEqual(await subjects({ before: new Date('2026-03-10T00:00:00Z') }), ['Re: lunch?', 'lunch?', 'lunch?']);
      assert.deepEqual(await subjects({ since: new Date('2026-03-10T00:00:00Z'), before: new Date('2026-03-11T00:00:00Z') }), ['the report, attached']);
      // The encrypted message's structure cannot be seen: it is not counted as having an attachment.
      assert.deepEqual(await subjects({ hasAttachment: true }), ['the report, attached']);
      assert.equal((await subjects({ hasAttachment: false })).length, 4);
      assert.deepEqual(await subjects({ subject: 'nothing like this' }), []);
      await assert.rejects(searchFolder(mailbox, 'INBOX', {}), (e) => isCachetError(e, 'ERR_USAGE'));
      await assert.rejects(searchFolder(mailbox, 'INBOX', { subject: 'x'.repeat(201) }), (e) => isCachetError(e, 'ERR_USAGE'));
    });

    test('a conversation from References/In-Reply-To, across the folder and Sent; a shared Subject alone is no thread', async () => {
      const id = await idOf(mailbox, 'INBOX', '<t3@example.org>');
      const thread = await conversation(mailbox, 'INBOX', id);
      assert.deepEqual(thread.map((e) => `${e.folder} ${e.messageId}`), ['INBOX <t1@example.org>', 'Sent <t2@example.com>', 'INBOX <t3@example.org>']);
      const alone = await conversation(mailbox, 'INBOX', await idOf(mailbox, 'INBOX', '<other@example.org>'));
      assert.deepEqual(alone.map((e) => e.messageId), ['<other@example.org>']);
    });

    test('delete moves to Trash; undo moves it back; delete in Trash removes it for good', async () => {
      const id = await idOf(mailbox, 'INBOX', '<other@example.org>');
      const deleted = await deleteMessage(mailbox, 'INBOX', id);
      assert.equal(deleted.kind, 'moved-to-trash');
      if (deleted.kind !== 'moved-to-trash') return;
      assert.equal(deleted.undo.target, 'INBOX');
      assert.ok(!(await listFolder(mailbox, 'INBOX')).some((e) => e.messageId === '<other@example.org>'));
      assert.deepEqual((await listFolder(mailbox, 'Trash')).map((e) => e.messageId), ['<other@example.org>']);
      assert.equal((await mailbox.folderStatus()).find((f) => f.name === 'Trash')?.role, 'trash');
      const back = await moveMessage(mailbox, deleted.undo.folder, deleted.undo.id, deleted.undo.target);
      assert.equal(back.folder, 'INBOX');
      assert.equal((await mailbox.read('INBOX', back.id)).toString(), UNRELATED.toString());
      assert.equal((await listFolder(mailbox, 'Trash')).length, 0);
      const again = await deleteMessage(mailbox, 'INBOX', back.id);
      assert.equal(again.kind, 'moved-to-trash');
      if (again.kind !== 'moved-to-trash') return;
      assert.deepEqual(await deleteMessage(mailbox, 'Trash', again.trash.id), { kind: 'removed' });
      assert.equal((await listFolder(mailbox, 'Trash')).length, 0);
      await assert.rejects(mailbox.read('Trash', again.trash.id), (e) => isCachetError(e, 'ERR_MAIL_NOT_FOUND'));
    });

    test('archive creates the Archive folder on first use; moving into an unknown folder or the Outbox is refused', async () => {
      const id = await idOf(mailbox, 'INBOX', '<report@example.org>');
      const archived = await archiveMessage(mailbox, 'INBOX', id);
      assert.equal(archived.folder, 'Archive');
      assert.deepEqual((await listFolder(mailbox, 'Archive')).map((e) => e.messageId), ['<report@example.org>']);
      assert.equal((await mailbox.folderStatus()).find((f) => f.name === 'Archive')?.role, 'archive');
      await assert.rejects(moveMessage(mailbox, 'Archive', archived.id, 'No Such Folder'), (e) => isCachetError(e, 'ERR_MAIL_NOT_FOUND'));
      await assert.rejects(moveMessage(mailbox, 'Archive', archived.id, 'Outbox'), (e) => isCachetError(e, 'ERR_USAGE'));
      await assert.rejects(archiveMessage(mailbox, 'Archive', archived.id), (e) => isCachetError(e, 'ERR_USAGE'));
      const moved = await moveMessage(mailbox, 'Archive', archived.id, 'INBOX');
      assert.equal((await mailbox.read('INBOX', moved.id)).toString(), WITH_ATTACHMENT.toString());
    });
  });
}

let servers: MailServers | undefined;
let imap: ImapMailbox | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cachet-mail-operations-'));
after(async () => {
  await imap?.close();
  servers?.stop();
  rmSync(dir, { recursive: true, force: true });
});

operationsOn('the local Maildir', async () => new Maildir(join(dir, 'maildir')));
operationsOn('IMAP on Dovecot', async () => {
  servers = await startMailServers(['carol']);
  imap = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'carol', password: 'carol', ca: servers.ca, servername: 'localhost' });
  return imap;
});
