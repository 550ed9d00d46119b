/**
 * AES-GCM only to those who announced it. Grace's address book learns capabilities from signed mail:
 * Frank's (Cachet announces AES-GCM) and Bob's, signed by OpenSSL — what mutt/NeoMutt send, announcing
 * AES-CBC, 3DES and RC2 but no GCM. `cachet lookup` says what each reads; `cachet send` uses GCM for
 * Frank alone and AES-256-CBC as soon as Bob is a recipient (OpenSSL decrypts it), warning when such a
 * message is not signed. Ivy, whose mail Grace never read, has a certificate whose SMIMECapabilities
 * extension (RFC 4262, made by OpenSSL here) lists AES-256-GCM: that is taken until signed mail says more.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { runTool, runToolOk } from '../helpers/oracles.js';
import { pkiFile } from '../helpers/pki.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';

const FRANK = 'frank@example.com';
const GRACE = 'grace@example.com';
const BOB = 'bob@example.com';
const IVY = 'ivy@example.com';
let mail: MailHome;

before(async () => {
  mail = await createMailHome({
    prefix: 'cachet-ciphers-',
    users: [
      { address: FRANK, p12: 'frank-sign', role: 'signing' },
      { address: GRACE, p12: 'grace-sign', role: 'signing' },
      // A local mailbox for Bob, so mail to him is delivered; his keys stay with OpenSSL.
      { address: BOB },
      { address: IVY },
    ],
  });
  for (const [user, p12] of [[FRANK, 'frank-enc'], [GRACE, 'grace-enc']] as const) {
    const imported = await runCachet(['cert', 'import', pkiFile(`${p12}.p12`)], { env: { ...mail.env, CACHET_HOME: mail.userDir(user) } });
    assert.equal(imported.status, 0, imported.stderr);
  }
  // Frank introduces himself with Cachet; Bob with OpenSSL (as mutt signs). Grace reads both, which
  // harvests their certificates and capabilities.
  assert.equal((await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Hello from Frank', '--no-encrypt'], { env: mail.env, stdin: 'Hi' })).status, 0);
  const entity = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from Bob.\r\n';
  const bobSigned = runToolOk('openssl', ['cms', '-sign', '-signer', pkiFile('bob.pem'), '-inkey', pkiFile('bob.key'), '-md', 'sha256'], { input: entity });
  const inbox = new Maildir(join(mail.userDir(GRACE), 'mail'));
  await inbox.deliver('INBOX', Buffer.concat([Buffer.from(`From: ${BOB}\r\nTo: ${GRACE}\r\nSubject: Hello from Bob\r\n`), bobSigned]));
  for (const message of await inbox.list('INBOX')) {
    const read = await runCachet(['read', message.id, '--as', GRACE, '--json'], { env: mail.env });
    assert.equal((JSON.parse(read.stdout) as { status: string }).status, 'valid', read.stderr);
  }
});
after(() => mail.remove());

interface LookupJson {
  recipients: Array<{ address: string; cipher: string; cipherReason: string; capabilities: { list: string[] } | null }>;
  cipher: string | null;
}

async function lookup(...addresses: string[]): Promise<LookupJson> {
  const result = await runCachet(['lookup', ...addresses, '--as', GRACE, '--source', 'addressbook', '--json'], { env: mail.env });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as LookupJson;
}

async function lastSent(): Promise<Buffer> {
  const sent = new Maildir(join(mail.userDir(GRACE), 'mail'));
  const newest = (await sent.list('Sent')).sort((a, b) => a.date.getTime() - b.date.getTime()).at(-1);
  assert.ok(newest);
  return sent.read('Sent', newest.id);
}

test('lookup shows what each recipient reads, and what one message to all of them uses', async () => {
  const one = await lookup(FRANK);
  assert.equal(one.recipients[0]?.cipher, 'aes-256-gcm');
  assert.match(one.recipients[0]!.cipherReason, /announced AES-256-GCM/);
  assert.equal(one.cipher, 'aes-256-gcm');
  const both = await lookup(FRANK, BOB);
  const bob = both.recipients.find((r) => r.address === BOB)!;
  assert.equal(bob.cipher, 'aes-256-cbc');
  assert.ok(bob.capabilities?.list.includes('aes-256-cbc') && !bob.capabilities.list.some((c) => c.endsWith('-gcm')), 'OpenSSL announced CBC only');
  assert.match(bob.cipherReason, /did not announce AES-GCM/);
  assert.equal(both.cipher, 'aes-256-cbc');
  const text = await runCachet(['lookup', FRANK, BOB, '--as', GRACE, '--source', 'addressbook'], { env: mail.env });
  assert.match(text.stdout, /cipher +AES-256-CBC: did not announce AES-GCM/);
  assert.match(text.stdout, /one message to all of them: AES-256-CBC/);
});

test('send: AES-GCM to Frank alone; AES-256-CBC once Bob is a recipient, and OpenSSL decrypts it', async () => {
  const toFrank = await runCachet(['send', '--as', GRACE, '--to', FRANK, '--subject', 'gcm'], { env: mail.env, stdin: 'x' });
  assert.equal(toFrank.status, 0, toFrank.stderr);
  assert.match((await lastSent()).toString('latin1'), /smime-type=authEnveloped-data/);
  const toBoth = await runCachet(['send', '--as', GRACE, '--to', FRANK, '--to', BOB, '--subject', 'cbc'], { env: mail.env, stdin: 'For both of you.' });
  assert.equal(toBoth.status, 0, toBoth.stderr);
  assert.doesNotMatch(toBoth.stderr, /not signed/, 'a signed message keeps its integrity through the signature');
  const wire = await lastSent();
  assert.match(wire.toString('latin1'), /smime-type=enveloped-data/);
  const file = join(mail.userDir(GRACE), 'cbc.eml');
  writeFileSync(file, wire);
  const decrypted = runTool('openssl', ['cms', '-decrypt', '-in', file, '-recip', pkiFile('bob.pem'), '-inkey', pkiFile('bob.key')]);
  assert.equal(decrypted.status, 0, decrypted.stderr);
  assert.match(decrypted.stdout.toString('latin1'), /For both of you\./);
});

test('an unsigned message sent with AES-CBC warns that changes in transit cannot be detected', async () => {
  const result = await runCachet(['send', '--as', GRACE, '--to', BOB, '--subject', 'unsigned', '--no-sign'], { env: mail.env, stdin: 'x' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /warning: encrypted with AES-CBC .* not signed: a change made in transit cannot be detected/);
  const gcm = await runCachet(['send', '--as', GRACE, '--to', FRANK, '--subject', 'unsigned gcm', '--no-sign'], { env: mail.env, stdin: 'x' });
  assert.equal(gcm.status, 0, gcm.stderr);
  assert.doesNotMatch(gcm.stderr, /AES-CBC/, 'AES-GCM protects itself');
});

test("a certificate's SMIMECapabilities extension (RFC 4262) counts when no signed mail was seen", async () => {
  const dir = join(mail.home, 'ivy');
  mkdirSync(dir);
  // SMIMECapabilities ::= SEQUENCE { { aes256-GCM }, { aes256-CBC } }, in Ivy's certificate.
  writeFileSync(
    join(dir, 'ext.cnf'),
    'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:ivy@example.com\nbasicConstraints=CA:FALSE\n1.2.840.113549.1.9.15=DER:301A300B060960864801650304012E300B060960864801650304012A\n',
  );
  runToolOk('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ivy.key'), '-subj', '/CN=Ivy/emailAddress=ivy@example.com', '-out', join(dir, 'ivy.csr')]);
  runToolOk('openssl', ['x509', '-req', '-in', join(dir, 'ivy.csr'), '-CA', pkiFile('ca.pem'), '-CAkey', pkiFile('ca.key'), '-set_serial', '0x4242', '-days', '30', '-extfile', join(dir, 'ext.cnf'), '-outform', 'DER', '-out', join(dir, 'ivy.der')]);
  await AddressBook.change(mail.userDir(GRACE), (book) => {
    book.add(readFileSync(join(dir, 'ivy.der')), 'import', new Date());
  });
  const [ivy] = (await lookup(IVY)).recipients;
  assert.equal(ivy?.cipher, 'aes-256-gcm');
  assert.match(ivy!.cipherReason, /in its certificate/);
  assert.deepEqual(ivy?.capabilities, { list: ['aes-256-gcm', 'aes-256-cbc'], source: 'certificate' });
  const sent = await runCachet(['send', '--as', GRACE, '--to', IVY, '--subject', 'to ivy'], { env: mail.env, stdin: 'Hello Ivy.' });
  assert.equal(sent.status, 0, sent.stderr);
  const wire = await lastSent();
  assert.match(wire.toString('latin1'), /smime-type=authEnveloped-data/);
  const file = join(dir, 'gcm.eml');
  writeFileSync(file, wire);
  const decrypted = runTool('openssl', ['cms', '-decrypt', '-in', file, '-inkey', join(dir, 'ivy.key')]);
  assert.equal(decrypted.status, 0, decrypted.stderr);
  assert.match(decrypted.stdout.toString('latin1'), /Hello Ivy\./);
});
