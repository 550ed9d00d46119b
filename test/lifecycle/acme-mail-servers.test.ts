/**
 * Issue 17, ACME for S/MIME over real mail servers: the CA mails its signed challenge through
 * Postfix into alice's Dovecot INBOX; her client finds it over IMAP, replies through Postfix (SMTP,
 * authenticated as alice) signed with her signing certificate; the server reads the reply from its
 * own IMAP INBOX, validates it, and issues. The certificate is installed with its role.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAcmeServer, type RunningAcmeServer } from '../../src/adapters/ca/acme-server.js';
import { CaStore, type CaKeyPair } from '../../src/adapters/ca/ca-store.js';
import { issueCertificate } from '../../src/adapters/ca/issue.js';
import { generateKeyPairOf } from '../../src/adapters/ca/key-pair.js';
import { setUpCa } from '../../src/adapters/ca/setup.js';
import { getTemplate } from '../../src/adapters/ca/templates.js';
import { requestCertificateByAcme } from '../../src/use-cases/acme-request.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { softwareKey } from '../../src/engine/software-key.js';
import { createMemoryCredentialStore } from '../../src/adapters/keys/memory-store.js';
import { ImapMailbox } from '../../src/adapters/mail/imap.js';
import { SmtpTransport } from '../../src/adapters/mail/transport.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';

const PASSPHRASE = 'acme mail passphrase';
let servers: MailServers | undefined;
let dir: string;
let store: CaStore;
let issuer: CaKeyPair;
let acme: RunningAcmeServer | undefined;
const mailboxes: ImapMailbox[] = [];

const imap = (user: string) => {
  const box = new ImapMailbox({ host: '127.0.0.1', port: servers!.imapsPort, secure: true, user, password: user, ca: servers!.ca, servername: 'localhost' });
  mailboxes.push(box);
  return box;
};
const smtp = (user: string) => new SmtpTransport({ host: '127.0.0.1', port: servers!.smtpPort, user, password: user, ca: servers!.ca });

before(async () => {
  servers = await startMailServers(['alice', 'acme']);
  dir = mkdtempSync(join(tmpdir(), 'cachet-acme-mail-'));
  store = new CaStore(join(dir, 'ca'));
  await setUpCa(store, { name: 'ACME Mail CA', intermediate: false, keyType: 'ec-p256', httpBase: 'http://127.0.0.1:1', passphrase: PASSPHRASE });
  issuer = await store.issuer(PASSPHRASE);
  const root = (await store.chain()).at(-1)!;
  const signerKey = await generateKeyPairOf('ec-p256');
  const signer = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: signerKey.spki, email: 'acme@example.com', validityDays: 7 });
  const caInbox = imap('acme');
  acme = await startAcmeServer({
    store,
    issuer,
    template: getTemplate('encryption-only'),
    validator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
    challengeSigner: { certificate: signer.certificate, chain: [root], key: softwareKey(signerKey.privateKey) },
    port: 0,
    mail: {
      from: 'acme@example.com',
      send: async (to, message) => void (await smtp('acme').deliver({ from: 'acme@example.com', to: [to] }, message)),
      replies: async () => Promise.all((await caInbox.list('INBOX')).map((m) => caInbox.read('INBOX', m.id))),
    },
  });
});
after(async () => {
  await acme?.close();
  for (const box of mailboxes) await box.close();
  servers?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ACME for S/MIME through Postfix and Dovecot', () => {
  test('challenge over SMTP into IMAP, signed reply over SMTP, certificate installed as encryption', async () => {
    const root = (await store.chain()).at(-1)!;
    const vault = createMemoryCredentialStore();
    const aliceKey = await generateKeyPairOf('ec-p256');
    const aliceSigning = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: aliceKey.spki, email: 'alice@example.com' });
    await vault.add({ certificate: aliceSigning.certificate, chain: [root], privateKeyPkcs8: new Uint8Array(aliceKey.privateKey.export({ type: 'pkcs8', format: 'der' })), role: 'signing' });
    const result = await requestCertificateByAcme({
      directoryUrl: acme!.directoryUrl,
      email: 'alice@example.com',
      keyType: 'rsa-2048',
      mailbox: imap('alice'),
      transport: smtp('alice'),
      store: vault,
      challengeValidator: createCertificateValidator({ trustAnchors: [root], revocation: 'off' }),
      timeoutMs: 60_000,
    });
    assert.equal(result.credential!.role, 'encryption');
    assert.deepEqual(result.credential!.email, ['alice@example.com']);
    const active = await vault.active('encryption');
    assert.equal(active?.id, result.credential!.id);
    assert.ok((await store.index()).some((e) => e.email === 'alice@example.com' && e.template === 'encryption-only' && e.delivered?.via.startsWith('ACME')));
  });
});
