/**
 * The one mail session (src/use-cases/mail-session.ts), as both front ends open it:
 * - the web client applies the policy's revocation mode and asks the CA's real OCSP responder
 *   (`cachet ca ocsp`): a sender whose certificate the CA revoked reads as revoked, not valid;
 * - the web client sends through the account's SMTP server (a real Postfix), and the mail arrives
 *   in the recipient's real Dovecot inbox;
 * - the CLI on an IMAP account exits when the command is done (it logs out of IMAP).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caWorkspace, cachet, freePort, openssl, REPO, startCachet, type CaWorkspace } from '../ca/support.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { findUser, setLoginPassword } from '../../src/use-cases/users.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { waitFor } from '../helpers/wait.js';

const BOB_PASSWORD = 'bob web password';
const ALICE_PASSWORD = 'alice web password';

async function signIn(home: string, address: string, password: string): Promise<ClientMailService> {
  const user = await findUser(home, address);
  await setLoginPassword(user!, password);
  const service = new ClientMailService(home);
  assert.equal(await service.authenticate(address, password), true);
  return service;
}

describe('the web client honours revocation (a real OCSP responder of the project CA)', () => {
  let ws: CaWorkspace;
  let mail: MailHome;
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    ws = caWorkspace('cachet-session-ca-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await cachet(['ca', 'init', '--name', 'Session CA', '--key', 'ec-p256', '--http-base', url, '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
    assert.equal((await cachet(['ca', 'cert', '-o', ws.path('ca.pem')], ws.env)).status, 0);
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path('leaf.key'), '-out', ws.path('leaf.csr'), '-subj', '/CN=Alice', '-addext', 'subjectAltName=email:alice@example.com']);
    assert.equal(csr.status, 0, csr.stderr);
    const issued = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', ws.path('leaf.csr'), '--out', ws.path('leaf.pem'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(issued.status, 0, issued.stderr);
    writeFileSync(ws.path('body.txt'), 'Content-Type: text/plain\r\n\r\nSigned with a certificate that is revoked later.\r\n');
    const signed = openssl(['smime', '-sign', '-in', ws.path('body.txt'), '-signer', ws.path('leaf.pem'), '-inkey', ws.path('leaf.key'), '-from', 'alice@example.com', '-to', 'bob@example.com', '-subject', 'revoked sender', '-out', ws.path('signed.eml')]);
    assert.equal(signed.status, 0, signed.stderr);
    const serial = openssl(['x509', '-in', ws.path('leaf.pem'), '-noout', '-serial']).stdout.trim().replace(/^serial=/, '');
    const revoked = await cachet(['ca', 'revoke', serial.toLowerCase(), '--reason', 'keyCompromise', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(revoked.status, 0, revoked.stderr);
    stops.push((await startCachet(['ca', 'ocsp', '--port', String(port), '--passphrase-file', ws.passphraseFile], ws.env, /listening on/)).stop);

    mail = await createMailHome({ prefix: 'cachet-session-web-', users: [{ address: 'bob@example.com' }] });
    copyFileSync(ws.path('ca.pem'), join(mail.home, 'trust', 'session-ca.pem'));
    await new Maildir(join(mail.userDir('bob@example.com'), 'mail')).deliver('INBOX', readFileSync(ws.path('signed.eml')));
  });
  after(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    ws?.remove();
    mail?.remove();
  });

  test('soft-fail (the default): the signature is intact but the sender reads as revoked, not trusted', async () => {
    const service = await signIn(mail.home, 'bob@example.com', BOB_PASSWORD);
    try {
      const [message] = await service.listMessages('bob@example.com', 'INBOX');
      const view = await service.readMessage('bob@example.com', 'INBOX', message!.id);
      assert.equal(view.status, 'untrusted');
      const [signer] = view.signers;
      assert.equal(signer!.valid, true);
      assert.equal(signer!.trusted, false);
      assert.match(signer!.warning ?? '', /revoked/i);
      assert.match(signer!.certificate!.revocation, /^revoked \((CRL|OCSP)\)/);
    } finally {
      await service.endSession('bob@example.com');
    }
  });

  test('revocationMode off in the policy: the web client asks no one, as the CLI', async () => {
    mail.writePolicy('revocationMode: off\n');
    const service = await signIn(mail.home, 'bob@example.com', BOB_PASSWORD);
    try {
      const [message] = await service.listMessages('bob@example.com', 'INBOX');
      const view = await service.readMessage('bob@example.com', 'INBOX', message!.id);
      assert.equal(view.status, 'valid');
      assert.match(view.signers[0]!.certificate!.revocation, /^not-checked/);
    } finally {
      await service.endSession('bob@example.com');
      mail.writePolicy('');
    }
  });
});

describe('the account’s servers (real Postfix and Dovecot)', () => {
  let servers: MailServers;
  let mail: MailHome;

  before(async () => {
    servers = await startMailServers(['alice', 'bob']);
    mail = await createMailHome({ prefix: 'cachet-session-smtp-', users: [{ address: 'alice@example.com' }, { address: 'bob@example.com' }] });
    const smtp = { host: '127.0.0.1', port: servers.smtpPort, requireTls: true, user: 'alice', password: 'alice', ca: servers.ca, timeoutMs: 10_000 };
    writeFileSync(join(mail.userDir('alice@example.com'), 'account.json'), JSON.stringify({ smtp }));
    const imap = { host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'bob', password: 'bob', ca: servers.ca, servername: 'localhost' };
    writeFileSync(join(mail.userDir('bob@example.com'), 'account.json'), JSON.stringify({ imap }));
  });
  after(() => {
    servers?.stop();
    mail?.remove();
  });

  test('the web client sends through the account’s SMTP server: the message reaches bob’s IMAP inbox', async () => {
    const service = await signIn(mail.home, 'alice@example.com', ALICE_PASSWORD);
    const subject = `through postfix ${Date.now()}`;
    try {
      const outcome = await service.send('alice@example.com', { to: ['bob@example.com'], cc: [], bcc: [], subject, body: 'Hello over SMTP.', sign: false, encrypt: false, attachments: [] });
      assert.equal(outcome.kind, 'sent', JSON.stringify(outcome));
    } finally {
      await service.endSession('alice@example.com');
    }
    // Nothing was delivered locally: the local Maildir of bob stays empty.
    assert.equal((await new Maildir(join(mail.userDir('bob@example.com'), 'mail')).list('INBOX')).length, 0);
    const inbox = new ImapMailbox({ host: '127.0.0.1', port: servers.imapsPort, secure: true, user: 'bob', password: 'bob', ca: servers.ca, servername: 'localhost' });
    try {
      // Postfix delivers after its queue: the message arrives in bob's Dovecot inbox.
      await waitFor(async () => {
        for (const info of await inbox.list('INBOX')) if ((await inbox.read('INBOX', info.id)).toString('latin1').includes(subject)) return true;
        return false;
      }, 'the message in bob’s Dovecot inbox');
    } finally {
      await inbox.close();
    }
  });

  test('the CLI on an IMAP account lists the inbox and exits (it logs out of IMAP)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/entry/dev.ts'), 'inbox', '--as', 'bob@example.com', '--json'], {
      cwd: REPO,
      env: { ...process.env, ...mail.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.signal, null, `still running after 60 s: it did not exit\n${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).folder, 'INBOX');
  });
});
