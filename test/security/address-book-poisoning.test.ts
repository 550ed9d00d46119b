/**
 * Issue 14, "the address book is not a place an attacker may write". The attack: an unsigned
 * certs-only message files a fake certificate for a third party (trust on first use); when the real
 * correspondent's signed mail arrives, their real key is PENDING as a possible impostor and
 * encryption to them is blocked. Now: reading files certificates only from a valid signature whose
 * signer is the From address, under that address; certs-only content only on the user's request; and a
 * certificate whose chain was validated beats one nobody validated. eve's certificate claims
 * alice@example.com under an untrusted CA (the test PKI's "Bars Root CA").
 */
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { certificateDer } from '../helpers/pki.js';
import { BODY, certsOnlyMessage, sign, withHeaders } from './hostile-mail.js';

const BOB = 'bob@example.com';
const ALICE = 'alice@example.com';
const alicesCertificate = certificateFingerprint(certificateDer('alice'));
const evesCertificate = certificateFingerprint(certificateDer('eve'));

let mail: MailHome;
beforeEach(async () => {
  mail?.remove();
  mail = await createMailHome({ prefix: 'cachet-poison-', users: [{ address: BOB }] });
});
after(() => mail?.remove());

async function deliver(message: Buffer): Promise<string> {
  return new Maildir(join(mail.userDir(BOB), 'mail')).deliver('INBOX', message);
}

interface Listed {
  address: string;
  certificates: Array<{ fingerprintSha256: string; accepted: boolean; origin: string }>;
}
async function book(): Promise<Listed[]> {
  const listed = await runCachet(['addressbook', 'list', '--json'], { env: mail.env });
  assert.equal(listed.status, 0, listed.stderr);
  return (JSON.parse(listed.stdout) as { correspondents: Listed[] }).correspondents;
}

const alicesSignedMail = () => withHeaders({ From: `Alice <${ALICE}>`, To: BOB, Subject: 'Hello' }, sign('alice', BODY));

test('the attack: an unsigned certs-only message for alice files nothing; alice\'s real signed mail then gives her real key, accepted', async () => {
  const planted = await deliver(await certsOnlyMessage('mallory@example.net', ['eve']));
  const read = await runCachet(['read', planted, '--json'], { env: mail.env });
  assert.equal(read.status, 0, read.stderr);
  assert.deepEqual(await book(), [], 'reading a certs-only message files nothing');

  const real = await runCachet(['read', await deliver(alicesSignedMail()), '--json'], { env: mail.env });
  assert.equal((JSON.parse(real.stdout) as { status: string }).status, 'valid');
  assert.doesNotMatch(real.stdout, /PENDING|impostor|now presents/);
  const [alice] = await book();
  assert.equal(alice?.address, ALICE);
  assert.deepEqual(alice?.certificates.map((c) => [c.fingerprintSha256, c.accepted]), [[alicesCertificate, true]]);
});

test('imported by hand, the fake still loses: a validated certificate from alice\'s signed mail is accepted, the unvalidated one set aside', async () => {
  const planted = await deliver(await certsOnlyMessage('mallory@example.net', ['eve']));
  const imported = await runCachet(['addressbook', 'import', '--message', planted], { env: mail.env });
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, new RegExp(`added: ${ALICE} ${evesCertificate}`));

  const real = await runCachet(['read', await deliver(alicesSignedMail())], { env: mail.env });
  assert.equal(real.status, 0, real.stderr);
  assert.doesNotMatch(real.stdout, /Warning: +WARNING/, 'no key-change warning for the real key');
  const [alice] = await book();
  const state = Object.fromEntries(alice!.certificates.map((c) => [c.fingerprintSha256, c.accepted]));
  assert.deepEqual(state, { [alicesCertificate]: true, [evesCertificate]: false });
});

test('a valid signature by someone else than the certificate\'s owner files nothing for that owner', async () => {
  // carol's own valid mail, carrying alice's certificate beside hers.
  const entity = sign('carol', BODY, false, ['alice']);
  const fromCarol = await runCachet(['read', await deliver(withHeaders({ From: 'carol@example.com', To: BOB }, entity)), '--json'], { env: mail.env });
  assert.equal((JSON.parse(fromCarol.stdout) as { status: string }).status, 'valid');
  assert.deepEqual((await book()).map((c) => c.address), ['carol@example.com'], 'alice\'s certificate is not filed from carol\'s mail');

  // Signed by alice, but From carol: mismatch, nothing filed.
  await runCachet(['read', await deliver(withHeaders({ From: 'carol@example.com', To: BOB }, sign('alice', BODY)))], { env: mail.env });
  assert.deepEqual((await book()).map((c) => c.address), ['carol@example.com']);
});

test('cachet addressbook import --message refuses a message that is not certs-only', async () => {
  const signed = await deliver(alicesSignedMail());
  const refused = await runCachet(['addressbook', 'import', '--message', signed], { env: mail.env });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /not a certs-only message/);
});
