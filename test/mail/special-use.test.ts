/**
 * RFC 6154 special-use folders over a real Dovecot: Cachet's "Sent" is the folder the server marks
 * \Sent whatever its name (here "Gesendet"), and a role the server has no folder for (Trash, Junk) is
 * created when first written to — never a stray second "Sent". And IMAP IDLE: a watch on its own
 * connection hears of a message that arrives in the INBOX.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { ImapMailbox } from '../../src/mail/imap.js';

let servers: MailServers;
let mailbox: ImapMailbox;
const MESSAGE = Buffer.from('From: alice@example.com\r\nTo: bob@example.com\r\nSubject: kept\r\n\r\nhello\r\n');

before(async () => {
  process.env.MAIL_SENT_FOLDER = 'Gesendet';
  try {
    servers = await startMailServers(['alice']);
  } finally {
    delete process.env.MAIL_SENT_FOLDER;
  }
  mailbox = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'alice', password: 'alice', ca: servers.ca, servername: 'localhost' });
});
after(async () => {
  await mailbox?.close();
  servers?.stop();
});

test('the sent copy goes to the \\Sent folder under its own name', async () => {
  assert.ok((await mailbox.folders()).includes('Gesendet'));
  const id = await mailbox.deliver('Sent', MESSAGE, { seen: true });
  assert.ok(id);
  assert.equal((await mailbox.list('Sent')).length, 1);
  assert.equal((await mailbox.list('Gesendet')).length, 1);
  assert.ok(!(await mailbox.folders()).includes('Sent'), 'no second folder named Sent');
});

test('a role the server has no folder for is created on first use', async () => {
  assert.ok(!(await mailbox.folders()).includes('Junk'));
  await mailbox.deliver('Junk', MESSAGE);
  assert.ok((await mailbox.folders()).includes('Junk'));
  assert.equal((await mailbox.list('Junk')).length, 1);
});

test('a watch (IMAP IDLE on a connection of its own) hears of new mail in the INBOX', async () => {
  let heard!: () => void;
  const changed = new Promise<void>((resolve) => (heard = resolve));
  const watch = await mailbox.watch('INBOX', () => heard());
  try {
    await mailbox.deliver('INBOX', MESSAGE);
    await changed;
  } finally {
    await watch.close();
  }
});
