/**
 * Issue 18, "trust as users set it up", the address book's part: bob trusts only the organisation's
 * root, fetches nothing (`pkiFetch: off`) and has no directory. Alice's signed mail, made by openssl,
 * carries the issuing CA and her encryption certificate; once bob has read it, his address book keeps
 * that intermediate with alice, so he can encrypt to her from the address book alone (openssl
 * decrypts it with her key), and her later mail that carries only her own certificate verifies.
 * The CA is Cachet's own two-tier CA (`cachet ca init --intermediate`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachet, caWorkspace, freePort, openssl, type CaWorkspace } from '../ca/support.js';
import { runCachet } from '../helpers/cli.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let ws: CaWorkspace;
let env: NodeJS.ProcessEnv;

const mailbox = (address: string): Maildir => new Maildir(join(env.CACHET_HOME!, 'users', address, 'mail'));

async function issue(name: string, template: string, email: string): Promise<void> {
  const req = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path(`${name}.key`), '-out', ws.path(`${name}.csr`), '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`]);
  assert.equal(req.status, 0, req.stderr);
  const issued = await cachet(['ca', 'issue', '--template', template, '--csr', ws.path(`${name}.csr`), '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(issued.status, 0, issued.stderr);
}

/** Alice's signed mail to bob, made by openssl with `extra` certificates beside her own; delivered to bob's INBOX. */
async function deliverSignedByAlice(subject: string, extra: string[]): Promise<string> {
  const out = ws.path(`${subject}.eml`);
  const certfile = extra.length > 0 ? ['-certfile', ws.path(`${subject}.certs.pem`)] : [];
  if (extra.length > 0) writeFileSync(ws.path(`${subject}.certs.pem`), extra.map((name) => readFileSync(ws.path(name), 'utf8')).join(''));
  const signed = openssl(['smime', '-sign', '-in', ws.path('body.txt'), '-signer', ws.path('alice-sign.pem'), '-inkey', ws.path('alice-sign.key'), ...certfile, '-from', ALICE, '-to', BOB, '-subject', subject, '-out', out]);
  assert.equal(signed.status, 0, signed.stderr);
  return mailbox(BOB).deliver('INBOX', readFileSync(out));
}

function fingerprint(pemFile: string): string {
  const out = openssl(['x509', '-in', ws.path(pemFile), '-noout', '-fingerprint', '-sha256']).stdout;
  return out.replace(/^.*=/, '').replace(/[^0-9A-Fa-f]/g, '').toLowerCase();
}

async function readAsBob(id: string): Promise<{ status: string; signers: Array<{ trusted: boolean | null }> }> {
  const read = await cachet(['read', id, '--as', BOB, '--json'], env);
  return JSON.parse(read.stdout);
}

before(async () => {
  ws = caWorkspace('cachet-two-tier-book-');
  // The certificates name caIssuers and OCSP URLs where nothing listens: with pkiFetch off none is asked.
  const init = await cachet(['ca', 'init', '--name', 'Org CA', '--intermediate', '--key', 'ec-p256', '--http-base', `http://127.0.0.1:${await freePort()}`, '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('issuing.pem')], ws.env)).status, 0);
  await issue('alice-sign', 'signing-only', ALICE);
  await issue('alice-enc', 'encryption-only', ALICE);
  // Bob's home trusts the root, and only the root; nothing is fetched and no directory is configured.
  env = { CACHET_HOME: ws.path('mail'), CACHET_VAULT_PASSPHRASE: 'a long vault passphrase' };
  mkdirSync(join(env.CACHET_HOME!, 'trust'), { recursive: true });
  copyFileSync(ws.path('root.pem'), join(env.CACHET_HOME!, 'trust', 'org-root.pem'));
  writeFileSync(join(env.CACHET_HOME!, 'policy.yaml'), 'pkiFetch: off\npublicCertificateSource: addressbook\n');
  for (const address of [ALICE, BOB]) assert.equal((await cachet(['account', 'add', address], env)).status, 0);
  writeFileSync(ws.path('body.txt'), 'Content-Type: text/plain\r\n\r\nSigned under the issuing CA.\r\n');
});
after(() => ws?.remove());

test('the intermediates of a read signed message build the paths of its sender later: encrypting to them, and their mail that omits the chain', async () => {
  const withoutChain = await deliverSignedByAlice('only-her-certificate', []);
  const withChain = await deliverSignedByAlice('with-the-chain', ['issuing.pem', 'alice-enc.pem']);

  // Before: the issuing CA is nowhere at hand, so alice's chain cannot be built.
  const before = await readAsBob(withoutChain);
  assert.equal(before.signers[0]?.trusted, false);

  const first = await readAsBob(withChain);
  assert.equal(first.status, 'valid');

  // The address book alone: her encryption certificate, chained through the kept intermediate.
  const lookup = await cachet(['lookup', ALICE, '--source', 'addressbook', '--as', BOB, '--json'], env);
  assert.equal(lookup.status, 0, lookup.stdout + lookup.stderr);
  const [recipient] = JSON.parse(lookup.stdout).recipients;
  assert.equal(recipient.certificate.source, 'addressbook');
  assert.equal(recipient.certificate.fingerprintSha256, fingerprint('alice-enc.pem'), 'her encryption certificate, not her signing one');
  assert.match(recipient.certificate.issuer, /Issuing CA/);

  const sent = await runCachet(['send', '--as', BOB, '--to', ALICE, '--subject', 'for alice only', '--encrypt', '--no-sign'], { env, stdin: 'Only alice can read this.' });
  assert.equal(sent.status, 0, sent.stdout + sent.stderr);
  const [delivered] = await mailbox(ALICE).list('INBOX');
  assert.ok(delivered, 'the encrypted message reached alice');
  writeFileSync(ws.path('to-alice.eml'), await mailbox(ALICE).read('INBOX', delivered.id));
  const decrypted = openssl(['smime', '-decrypt', '-in', ws.path('to-alice.eml'), '-recip', ws.path('alice-enc.pem'), '-inkey', ws.path('alice-enc.key')]);
  assert.equal(decrypted.status, 0, decrypted.stderr);
  assert.match(decrypted.stdout, /Only alice can read this/);

  // Her mail that carries only her own certificate now verifies: the kept intermediate completes it.
  const later = await readAsBob(withoutChain);
  assert.equal(later.status, 'valid');
  assert.equal(later.signers[0]?.trusted, true);
  // Kept as an intermediate only: the trust store still holds the root alone.
  const trust = await cachet(['trust', 'list', '--json'], env);
  assert.equal(trust.status, 0, trust.stderr);
  assert.doesNotMatch(trust.stdout, /Issuing CA/);
});
