/**
 * Sending through a real Postfix (STARTTLS, SASL) and reading through a real Dovecot (IMAPS), started
 * privately on 127.0.0.1; an SMTP server that goes away in the middle (nothing lost, delivered once
 * after a retry); a recipient the server refuses (its words kept per recipient, the others served once); and an IMAP connection dropped by the server (a clear error, then it works again).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { waitFor } from '../helpers/wait.js';
import { certificateDer, pkiBytes, privateKey } from '../helpers/pki.js';
import { SmtpTransport } from '../../src/adapters/mail/transport.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { Outbox } from '../../src/adapters/mail/outbox.js';
import { listOutbox, openOutbox, retryOutbox } from '../../src/use-cases/outbox.js';
import { signMessage } from '../../src/engine/smime/sign.js';
import { encryptMessage } from '../../src/engine/smime/encrypt.js';
import { openMessage } from '../../src/engine/smime/open.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { collectBytes, toByteStream } from '../../src/engine/stream-types.js';
import { isCachetError } from '../../src/errors.js';

let servers: MailServers;
let work: string;

before(async () => {
  servers = await startMailServers(['alice', 'bob']);
  work = mkdtempSync(join(tmpdir(), 'cachet-realmail-'));
});
after(() => {
  servers?.stop();
  rmSync(work, { recursive: true, force: true });
});

function smtp(user = 'alice'): SmtpTransport {
  return new SmtpTransport({ host: '127.0.0.1', port: servers.smtpPort, requireTls: true, user, password: user, ca: servers.ca, timeoutMs: 5000 });
}

function imap(user = 'bob'): ImapMailbox {
  return new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user, password: user, ca: servers.ca, servername: 'localhost' });
}

async function sealedMessage(subject: string, messageId: string): Promise<Buffer> {
  const message = `From: alice@example.com\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\nContent-Type: text/plain\r\n\r\nSent through a real Postfix.\r\n`;
  const signed = signMessage(toByteStream(message), { signers: [{ certificate: certificateDer('alice'), key: softwareKey(privateKey('alice')) }], mode: 'detached' });
  return collectBytes(encryptMessage(signed, { recipients: [{ certificate: certificateDer('bob') }] }));
}

async function countWithMessageId(mailbox: ImapMailbox, messageId: string): Promise<number> {
  let count = 0;
  for (const info of await mailbox.list('INBOX')) if ((await mailbox.read('INBOX', info.id)).includes(messageId)) count++;
  return count;
}

test('alice sends through Postfix (STARTTLS + AUTH); bob reads through Dovecot (IMAPS): valid and encrypted', async () => {
  const messageId = '<real-1@example.com>';
  const sealed = await sealedMessage('over real servers', messageId);
  const accepted = await smtp().deliver({ from: 'alice@example.com', to: ['bob@example.com'] }, sealed);
  assert.deepEqual(accepted, { accepted: ['bob@example.com'], refused: [] });
  // as if the acknowledgement had been lost and the outbox retried: the server gets it twice
  await smtp().deliver({ from: 'alice@example.com', to: ['bob@example.com'] }, sealed);
  const mailbox = imap();
  try {
    const raw = await waitFor(async () => {
      for (const info of await mailbox.list('INBOX')) {
        const bytes = await mailbox.read('INBOX', info.id);
        if (bytes.includes(messageId)) return bytes;
      }
      return undefined;
    }, 'delivery');
    const opened = await openMessage(toByteStream(raw), {
      decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }],
      validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] }),
    });
    assert.equal(opened.report.status, 'valid');
    assert.equal(opened.report.encrypted, true);
    await opened.dispose();
    // the Sent copy goes back through IMAP APPEND
    const sent = imap('alice');
    assert.match(await sent.deliver('Sent', raw, { seen: true }), /^\d+$/);
    assert.equal((await sent.list('Sent')).length, 1);
    await sent.close();
  } finally {
    await mailbox.close();
  }
});

test('a wrong SMTP password is ERR_MAIL_AUTH, and a wrong IMAP password too', async () => {
  const bad = new SmtpTransport({ host: '127.0.0.1', port: servers.smtpPort, requireTls: true, user: 'alice', password: 'wrong', ca: servers.ca, timeoutMs: 5000 });
  await assert.rejects(bad.deliver({ from: 'alice@example.com', to: ['bob@example.com'] }, Buffer.from('x')), (e) => isCachetError(e, 'ERR_MAIL_AUTH'));
  const badImap = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'bob', password: 'wrong', ca: servers.ca, servername: 'localhost' });
  await assert.rejects(badImap.list('INBOX'), (e) => isCachetError(e, 'ERR_MAIL_AUTH'));
});

test('SMTP down in the middle: the message stays in the outbox, and a retry delivers it exactly once', async () => {
  const outbox = new Outbox(new Maildir(join(work, 'alice')), join(work, 'outbox.json'));
  const messageId = '<real-2@example.com>';
  const ids = await outbox.enqueue(messageId, [{ envelope: { from: 'alice@example.com', to: ['bob@example.com'] }, message: await sealedMessage('retry me', messageId) }]);
  servers.stopSmtp();
  try {
    const first = await outbox.flush(smtp(), ids);
    assert.equal(first.pending.length, 1);
    assert.equal(first.pending[0]?.lastError?.code, 'ERR_MAIL_UNREACHABLE');
  } finally {
    servers.startSmtp();
  }
  await waitFor(async () => {
    try {
      execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${servers.smtpPort}`]);
      return true;
    } catch {
      return undefined;
    }
  }, 'SMTP to come back');
  const second = await outbox.flush(smtp());
  assert.deepEqual(second.pending, []);
  assert.equal((await outbox.flush(smtp())).sent.length, 0, 'nothing left to send again');
  const mailbox = imap();
  try {
    await waitFor(async () => ((await countWithMessageId(mailbox, messageId)) > 0 ? true : undefined), 'delivery after retry');
    assert.equal(await countWithMessageId(mailbox, messageId), 1, 'delivered exactly once');
  } finally {
    await mailbox.close();
  }
});

test('a recipient Postfix does not know is refused with its words: the others get it once, the refused one stays in the Outbox as refused', async () => {
  const dir = mkdtempSync(join(work, 'refused-'));
  const user = { dir, maildir: new Maildir(join(dir, 'mail')) };
  const messageId = '<real-refused@example.com>';
  const nobody = 'nobody@example.com';
  const outbox = openOutbox(user);
  const ids = await outbox.enqueue(messageId, [{ envelope: { from: 'alice@example.com', to: ['bob@example.com', nobody] }, message: await sealedMessage('half refused', messageId) }]);
  const flushed = await outbox.flush(smtp(), ids);
  assert.deepEqual(flushed.pending.map((p) => p.remaining), [[nobody]]);
  const [listed] = await listOutbox(user);
  assert.deepEqual(listed?.recipients.map((r) => [r.address, r.state]), [['bob@example.com', 'delivered'], [nobody, 'refused']]);
  // Postfix's own answer to RCPT TO, as the user reads it.
  assert.match(listed!.recipients[1]!.reason ?? '', /^the mail server answered “550 5\.1\.1 <nobody@example\.com>: Recipient address rejected/);

  // A retry offers it to nobody only: bob does not get it twice; a message nobody takes is an answer, not a crash.
  const retried = await retryOutbox(user, smtp());
  assert.equal(retried[0]?.recipients[1]?.state, 'refused');
  assert.equal(retried[0]?.attempts, 2);
  const mailbox = imap();
  try {
    await waitFor(async () => (await countWithMessageId(mailbox, messageId)) > 0, 'delivery to bob');
    assert.equal(await countWithMessageId(mailbox, messageId), 1, 'bob has it once');
  } finally {
    await mailbox.close();
  }
  const alone = await smtp().deliver({ from: 'alice@example.com', to: [nobody] }, Buffer.from('Subject: x\r\n\r\nx\r\n'));
  assert.deepEqual(alone.accepted, []);
  assert.deepEqual(alone.refused.map((r) => [r.address, r.permanent]), [[nobody, true]]);
});

test('an IMAP connection dropped in the middle of a command is ERR_MAIL_CONNECTION_LOST, and the next call reconnects', async () => {
  // A loopback proxy in front of Dovecot lets the test cut the line while a command is under way.
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(servers.imapsPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  const port = (proxy.address() as AddressInfo).port;
  const mailbox = new ImapMailbox({ host: '127.0.0.1', port, secure: true, user: 'bob', password: 'bob', ca: servers.ca, servername: 'localhost' });
  try {
    await mailbox.list('INBOX');
    const pending = mailbox.list('INBOX');
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await assert.rejects(pending, (e) => isCachetError(e, 'ERR_MAIL_CONNECTION_LOST'));
    assert.ok((await mailbox.list('INBOX')).length >= 1, 'resumed on a new connection');
  } finally {
    await mailbox.close();
    proxy.close();
  }
});

test('the CLI reads an IMAP account: cachet inbox and cachet read over Dovecot, sending through Postfix', async () => {
  const { runCachet } = await import('../helpers/cli.js');
  const { writeFileSync, mkdirSync, copyFileSync, readFileSync } = await import('node:fs');
  const { pkiFile } = await import('../helpers/pki.js');
  const home = join(work, 'cli-home');
  mkdirSync(join(home, 'trust'), { recursive: true });
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  writeFileSync(join(work, 'bob-password'), 'bob');
  writeFileSync(join(work, 'alice-password'), 'alice');
  writeFileSync(join(work, 'ca.pem'), servers.ca);
  const env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'vault passphrase', CACHET_PASSWORD: 'test' };
  const add = await runCachet(['account', 'add', 'bob@example.com', '--imap-host', '127.0.0.1', '--imap-port', String(servers.imapsPort), '--imap-user', 'bob', '--imap-password-file', join(work, 'bob-password'), '--imap-ca', join(work, 'ca.pem'),
    '--smtp-host', '127.0.0.1', '--smtp-port', String(servers.smtpPort), '--smtp-user', 'bob', '--smtp-password-file', join(work, 'bob-password'), '--smtp-tls', '--smtp-ca', join(work, 'ca.pem')], { env });
  assert.equal(add.status, 0, add.stderr);
  assert.doesNotMatch(readFileSync(join(home, 'users', 'bob@example.com', 'account.json'), 'utf8'), /password/, 'the passwords are in the vault (issue 17)');
  // bob's decryption key, in his own vault (his user directory is his CACHET_HOME)
  const imported = await runCachet(['cert', 'import', pkiFile('bob.p12'), '--role', 'encryption'], { env: { ...env, CACHET_HOME: join(home, 'users', 'bob@example.com') } });
  assert.equal(imported.status, 0, imported.stderr);
  const listed = await runCachet(['inbox', '--json'], { env });
  assert.equal(listed.status, 0, listed.stderr);
  const messages = (JSON.parse(listed.stdout) as { messages: Array<{ id: string; subject: string; encrypted: boolean }> }).messages;
  // the same message delivered twice (a retry after a lost acknowledgement) is listed once
  assert.equal(messages.filter((m) => m.subject === 'over real servers').length, 1);
  const first = messages.find((m) => m.subject === 'over real servers');
  assert.ok(first, 'the message delivered through Postfix is listed from Dovecot');
  assert.equal(first.encrypted, true);
  const read = await runCachet(['read', first.id, '--json'], { env });
  assert.equal(read.status, 0, read.stderr);
  const report = JSON.parse(read.stdout) as { status: string; encrypted: boolean; text: string };
  assert.equal(report.status, 'valid');
  assert.equal(report.encrypted, true);
  assert.match(report.text, /Sent through a real Postfix/);
  const sent = await runCachet(['send', '--to', 'alice@example.com', '--subject', 'via postfix', '--no-encrypt', '--no-sign'], { env, stdin: 'plain hello' });
  assert.equal(sent.status, 0, sent.stderr);
  const alice = imap('alice');
  try {
    await waitFor(async () => ((await countWithMessageId(alice, 'via postfix')) > 0 ? true : undefined), 'the CLI-sent message');
  } finally {
    await alice.close();
  }
});
