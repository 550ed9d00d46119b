/**
 * A message named by its id alone (`cachet read ID` without --folder): on IMAP an id is a UID, unique
 * only within its folder, so findMessage takes the INBOX's message when the INBOX has that id (what
 * `cachet inbox` lists), else the one other folder holding it, and names none when several do —
 * never whichever folder the server happens to list first. On the Maildir an id is unique anyway.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { findMessage } from '../../src/adapters/mail/mailbox.js';

let servers: MailServers;
let dir: string;
const message = (subject: string) => Buffer.from(`From: carol@example.com\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n\r\n${subject}\r\n`);

before(async () => {
  servers = await startMailServers(['alice']);
  dir = mkdtempSync(join(tmpdir(), 'cachet-find-message-'));
});
after(() => {
  servers?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('IMAP: the INBOX first, then the one other folder holding the id; an id two other folders hold names none', async () => {
  const mailbox = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'alice', password: 'alice', ca: servers.ca, servername: 'localhost' });
  try {
    // "Archive" sorts before "INBOX": a search in the server's order would find its UID 1 first.
    const inbox = await mailbox.deliver('INBOX', message('in the inbox'));
    for (const folder of ['Archive', 'Trash']) for (const n of [1, 2]) await mailbox.deliver(folder, message(`${folder} ${n}`));
    const third = await mailbox.deliver('Trash', message('Trash 3'));
    assert.equal(inbox, '1');
    assert.equal((await findMessage(mailbox, '1'))?.folder, 'INBOX', 'the INBOX has UID 1, as Archive and Trash do');
    assert.equal(await findMessage(mailbox, '2'), undefined, 'Archive and Trash both have UID 2: neither is guessed');
    assert.equal((await findMessage(mailbox, third))?.folder, 'Trash');
    assert.equal(await findMessage(mailbox, '99'), undefined);
  } finally {
    await mailbox.close();
  }
});

test('Maildir: an id is one file, found in whatever folder holds it', async () => {
  const maildir = new Maildir(join(dir, 'mail'));
  const archived = await maildir.deliver('Archive', message('archived'));
  await maildir.deliver('INBOX', message('in the inbox'));
  assert.equal((await findMessage(maildir, archived))?.folder, 'Archive');
  assert.equal(await findMessage(maildir, 'no-such-id'), undefined);
});
