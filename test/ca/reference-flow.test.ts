/**
 * The reference flow of issue 6, end to end on one machine:
 * init a CA (root + issuing intermediate) → issue signing-only and encryption-only certificates for
 * alice and bob as PKCS#12 files → publish them to a real slapd → mail them to the users' local
 * mailboxes → each user imports from the mail, roles detected → alice signs a mail and encrypts it
 * to bob, whose certificate comes from LDAP → bob decrypts and verifies: valid and trusted, not
 * revoked (CRLs fetched from the distribution points that `cachet ca ocsp` serves) → `cachet ca
 * revoke` alice's signing certificate → her next signature is reported as revoked.
 * Steps that belong to other modules (engine, certificates, directory) go through ./reference-flow-steps.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importFromMail } from '../../src/use-cases/import-from-mail.js';
import { addUser, findUser } from '../../src/use-cases/users.js';
import { openFileCredentialStore, type FileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { cachet, caWorkspace, freePort, openssl, PFX_PASSWORD, startCachet, type CaWorkspace } from './support.js';
import { startCaSlapd, type CaSlapd } from './slapd.js';
import { decryptMail, detectRole, directoryCertificates, encryptMail, signMail, validatorFor, verifyMail } from './reference-flow-steps.js';

let ws: CaWorkspace;
let ldap: CaSlapd | undefined;
let stopResponder: (() => Promise<void>) | undefined;
let root: Uint8Array;
const USERS = [
  { uid: 'alice', mail: 'alice@example.com', cn: 'Alice Liddell' },
  { uid: 'bob', mail: 'bob@example.com', cn: 'Bob Builder' },
];
const serials: Record<string, string> = {};
const wallets: Record<string, FileCredentialStore> = {};
const VAULT_PASSPHRASE = 'vault passphrase of the user';

before(async () => {
  ws = caWorkspace('cachet-ca-flow-');
  writeFileSync(ws.path('ldap-password'), 'admin\n');
  ldap = await startCaSlapd(USERS);
  const port = await freePort();
  const init = await cachet(['ca', 'init', '--name', 'Example Mail CA', '--intermediate', '--key', 'ec-p256', '--http-base', `http://127.0.0.1:${port}`, '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '--chain', '-o', ws.path('chain.pem')], ws.env)).status, 0);
  root = new Uint8Array(new X509Certificate(readFileSync(ws.path('root.pem'))).raw);
  const responder = await startCachet(['ca', 'ocsp', '--port', String(port), '--passphrase-file', ws.passphraseFile], ws.env, /listening on/);
  stopResponder = responder.stop;
});
after(async () => {
  await stopResponder?.().catch(() => undefined);
  await ldap?.stop();
  ws?.remove();
});

function pfxPath(uid: string, role: 'sign' | 'enc'): string {
  return ws.path(`${uid}-${role}.pfx`);
}

describe('the reference flow', () => {
  test('1. issue signing-only and encryption-only PKCS#12 files for alice and bob', async () => {
    for (const user of USERS) {
      for (const [role, template] of [['sign', 'signing-only'], ['enc', 'encryption-only']] as const) {
        const out = pfxPath(user.uid, role);
        // bob's encryption file is legacy (3DES, SHA-1 MAC), as for an old client.
        const legacy = user.uid === 'bob' && role === 'enc';
        const r = await cachet(['ca', 'issue', '--template', template, '--email', user.mail, '--name', user.cn, '--out', out, '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, '--json', ...(legacy ? ['--legacy'] : [])], ws.env);
        assert.equal(r.status, 0, r.stderr);
        serials[`${user.uid}-${role}`] = JSON.parse(r.stdout).serial;
        const info = openssl(['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, ...(legacy ? ['-legacy'] : [])]);
        assert.equal(info.status, 0, `openssl pkcs12 -info ${out}: ${info.stderr}`);
        if (!legacy) {
          assert.match(info.stderr, /PBES2.*AES-256-CBC/i, 'modern PKCS#12: PBES2 with AES-256');
          assert.match(info.stderr, /MAC: sha256/, 'modern PKCS#12: SHA-256 MAC');
        } else {
          assert.match(info.stderr, /TripleDES|3DES|des-ede3/i, 'legacy PKCS#12: 3DES');
          assert.match(info.stderr, /MAC: sha1/, 'legacy PKCS#12: SHA-1 MAC');
        }
        const certs = openssl(['pkcs12', '-in', out, '-passin', `pass:${PFX_PASSWORD}`, '-nokeys', ...(legacy ? ['-legacy'] : [])]);
        assert.equal(certs.stdout.match(/BEGIN CERTIFICATE/g)?.length, 3, 'the PKCS#12 holds the certificate and the whole chain');
      }
    }
  });

  test('2. the distribution mail reaches each user (their local mailbox), with the password not in it; nothing is published before', async () => {
    for (const user of USERS) {
      const early = await cachet(['ca', 'publish', '--email', user.mail, '--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password'), '--json'], ws.env);
      assert.equal(JSON.parse(early.stdout).error?.code, 'ERR_CERT_NOT_FOUND', 'issue 17: not published before its owner has it');
      const local = await addUser(ws.env.CACHET_HOME!, user.mail, user.cn);
      const r = await cachet(['ca', 'distribute', '--to', user.mail, '--name', user.cn, '--sign', pfxPath(user.uid, 'sign'), '--enc', pfxPath(user.uid, 'enc'), '--local'], ws.env);
      assert.equal(r.status, 0, r.stderr);
      const inbox = await local.mailbox.list('INBOX');
      assert.equal(inbox.length, 1);
      assert.ok(!(await local.mailbox.read('INBOX', inbox[0]!.id)).includes(PFX_PASSWORD));
    }
  });

  test('3. publish both users to the directory (slapd), once delivered', async () => {
    for (const user of USERS) {
      const r = await cachet(['ca', 'publish', '--email', user.mail, '--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password'), '--json'], ws.env);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).total, 2);
    }
  });

  test('4. each user imports from the mail into their vault; roles are detected automatically', async () => {
    for (const user of USERS) {
      const local = (await findUser(ws.env.CACHET_HOME!, user.mail))!;
      const [message] = await local.mailbox.list('INBOX');
      const store = await openFileCredentialStore(join(local.dir, 'credentials.vault'), VAULT_PASSPHRASE, { createIfMissing: true });
      const results = await importFromMail(local, 'INBOX', message!.id, store, { password: async () => PFX_PASSWORD });
      assert.deepEqual(results.map((r) => [r.filename, r.kind, r.kind === 'imported' ? r.role : '', r.kind === 'imported' && r.automatic]), [
        [`${user.uid}-sign.pfx`, 'imported', 'signing', true],
        [`${user.uid}-enc.pfx`, 'imported', 'encryption', true],
      ]);
      const signing = (await store.active('signing'))!;
      const encryption = (await store.active('encryption'))!;
      assert.equal(new X509Certificate(signing.certificate).serialNumber.toLowerCase(), serials[`${user.uid}-sign`]);
      assert.equal(new X509Certificate(encryption.certificate).serialNumber.toLowerCase(), serials[`${user.uid}-enc`]);
      assert.equal(signing.chain.length, 2, 'the chain came along from the PKCS#12 file');
      wallets[user.uid] = store;
    }
  });

  let lastSigned: Buffer | undefined;
  async function aliceSendsBob(subject: string): Promise<Buffer> {
    const alice = (await wallets.alice!.active('signing'))!;
    // bob's encryption certificate, found in the directory.
    const published = await directoryCertificates(ldap!.url, ldap!.baseDn, 'bob@example.com');
    assert.equal(published.length, 2);
    const bobEncryption = published.find((c) => detectRole(c) === 'encryption');
    assert.ok(bobEncryption, "bob's encryption certificate is in the directory");
    const message = `From: alice@example.com\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\nthe quarterly figures are attached in spirit.\r\n`;
    const signed = await signMail(message, { certificate: alice.certificate, chain: alice.chain, key: await wallets.alice!.privateKey(alice.id) });
    return encryptMail(signed, bobEncryption);
  }

  async function bobReads(encrypted: Buffer): Promise<Awaited<ReturnType<typeof verifyMail>>> {
    const bob = (await wallets.bob!.active('encryption'))!;
    const decrypted = await decryptMail(encrypted, { certificate: bob.certificate, key: await wallets.bob!.privateKey(bob.id) });
    assert.match(decrypted.toString('latin1'), /multipart\/signed/);
    assert.match(decrypted.toString('latin1'), /the quarterly figures are attached in spirit/);
    lastSigned = decrypted;
    const alice = (await wallets.alice!.active('signing'))!;
    return verifyMail(decrypted, await validatorFor(root, [alice.certificate, ...alice.chain]));
  }

  test('5. alice signs and encrypts to bob; bob decrypts and verifies: valid, trusted, not revoked', async () => {
    const encrypted = await aliceSendsBob('figures');
    assert.match(encrypted.toString('latin1'), /application\/(x-)?pkcs7-mime/);
    const outcome = await bobReads(encrypted);
    assert.equal(outcome.valid, true);
    assert.equal(outcome.trusted, true, `trusted (${outcome.errorCode ?? ''})`);
    assert.deepEqual(outcome.signerEmail, ['alice@example.com']);
    assert.equal(outcome.revocation?.status, 'good');
    // OpenSSL agrees on the decrypted message, for the signing purpose.
    writeFileSync(ws.path('signed.eml'), lastSigned!);
    assert.equal(openssl(['cms', '-verify', '-in', ws.path('signed.eml'), '-CAfile', ws.path('root.pem'), '-purpose', 'smimesign', '-out', '/dev/null']).status, 0);
  });

  test("6. after `cachet ca revoke`, alice's next signature is reported as revoked", async () => {
    const r = await cachet(['ca', 'revoke', serials['alice-sign']!, '--reason', 'keyCompromise', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const outcome = await bobReads(await aliceSendsBob('figures, again'));
    assert.equal(outcome.valid, true, 'the signature itself still verifies');
    assert.equal(outcome.trusted, false);
    assert.equal(outcome.revocation?.status, 'revoked');
    assert.equal(outcome.errorCode, 'ERR_CERT_REVOKED');
  });
});
