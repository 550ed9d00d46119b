/**
 * Issue 17, ACME for S/MIME over real mail servers: the CA mails its signed challenge through
 * Postfix into alice's Dovecot INBOX; her client finds it over IMAP, replies through Postfix (SMTP,
 * authenticated as alice) signed with her signing certificate; the server reads the reply from its
 * own IMAP INBOX, validates it, and issues. The certificate is installed with its role.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueCertificate } from '../../src/adapters/ca/issue.js';
import { generateKeyPairOf } from '../../src/adapters/ca/key-pair.js';
import { getTemplate } from '../../src/adapters/ca/templates.js';
import { requestCertificateByAcme } from '../../src/use-cases/acme-request.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { createMemoryCredentialStore } from '../../src/adapters/keys/memory-store.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { startAcmeOverMail, type AcmeOverMail } from './acme-over-mail.js';

let servers: MailServers | undefined;
let ca: AcmeOverMail | undefined;

before(async () => {
  servers = await startMailServers(['alice', 'acme']);
  ca = await startAcmeOverMail(servers, { template: 'encryption-only' });
});
after(async () => {
  await ca?.close();
  servers?.stop();
});

describe('ACME for S/MIME through Postfix and Dovecot', () => {
  test('challenge over SMTP into IMAP, signed reply over SMTP, certificate installed as encryption', async () => {
    const { store, issuer, root, acme, imap, smtp } = ca!;
    const vault = createMemoryCredentialStore();
    const aliceKey = await generateKeyPairOf('ec-p256');
    const aliceSigning = await issueCertificate(store, issuer, { template: getTemplate('signing-only'), spki: aliceKey.spki, email: 'alice@example.com' });
    await vault.add({ certificate: aliceSigning.certificate, chain: [root], privateKeyPkcs8: new Uint8Array(aliceKey.privateKey.export({ type: 'pkcs8', format: 'der' })), role: 'signing' });
    const result = await requestCertificateByAcme({
      directoryUrl: acme.directoryUrl,
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
