/**
 * RFC 6154 special-use folders over a real Dovecot: Cachet's "Sent" is the folder the server marks
 * \Sent whatever its name (here "Gesendet"), and a role the server has no folder for (Trash, Junk) is
 * created when first written to — never a stray second "Sent". And IMAP IDLE: a watch on its own
 * connection hears of a message that arrives in the INBOX. The CLI on such an account: `cachet send`
 * puts its copy in the \Sent folder and the process exits when done.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { runCachet } from '../helpers/cli.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { childEnv } from '../helpers/child-env.js';

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

test('cachet send on an IMAP account saves its copy to the \\Sent folder and exits', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-cli-imap-'));
  try {
    writeFileSync(join(home, 'mail-password'), 'alice\n');
    writeFileSync(join(home, 'vault-passphrase'), 'alice vault passphrase\n');
    writeFileSync(join(home, 'ca.pem'), servers.ca);
    writeFileSync(join(home, 'body'), 'sent from the command line\n');
    const env = { CACHET_HOME: home };
    const added = await runCachet(
      ['account', 'add', 'alice@example.com', '--imap-host', '127.0.0.1', '--imap-port', String(servers.imapsPort), '--imap-user', 'alice', '--imap-password-file', join(home, 'mail-password'), '--imap-ca', join(home, 'ca.pem'),
        '--smtp-host', '127.0.0.1', '--smtp-port', String(servers.smtpPort), '--smtp-user', 'alice', '--smtp-password-file', join(home, 'mail-password'), '--smtp-tls', '--smtp-ca', join(home, 'ca.pem'), '--passphrase-file', join(home, 'vault-passphrase')],
      { env },
    );
    assert.equal(added.status, 0, added.stderr);
    const before = (await mailbox.list('Gesendet')).length;
    // A real process: it must end by itself (an IMAP connection left open would keep it alive).
    const main = fileURLToPath(new URL('../../src/entry/dev.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', main, 'send', '--to', 'alice@example.com', '--subject', 'from the CLI', '--body-file', join(home, 'body'), '--no-sign', '--no-encrypt', '--passphrase-file', join(home, 'vault-passphrase')], {
      env: childEnv({ CACHET_HOME: home }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.signal, null, 'the command exited by itself');
    assert.equal(run.status, 0, run.stderr);
    // The same, long-lived connection as before the send: it must see what arrived meanwhile.
    assert.equal((await mailbox.list('Gesendet')).length, before + 1, 'the copy is in the \\Sent folder');
    assert.ok(!(await mailbox.folders()).includes('Sent'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
