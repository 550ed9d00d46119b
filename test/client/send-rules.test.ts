/**
 * What send decides. Bcc separation, checked in the CMS itself: the copy the To recipient receives has RecipientInfos for
 * the To recipient and the sender only — none names the Bcc recipient — and the Bcc recipient's own
 * copy names only them and the sender.
 * And the group rule "ask": nothing is sent until the user chooses to send in clear.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiBytes, pkiFile } from '../helpers/pki.js';
import { buildDistributionMail } from '../../src/adapters/ca/distribution-mail.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { AddressBook } from '../../src/adapters/directory/address-book.js';

let home: string;
let env: NodeJS.ProcessEnv;
const FRANK = 'frank@example.com';
const GRACE = 'grace@example.com';
const CAROL = 'carol@example.com';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-bcc-'));
  writeFileSync(join(home, 'p12-password'), 'test');
  env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'a long vault passphrase' };
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'test-root.pem'));
  for (const address of [FRANK, GRACE, CAROL]) assert.equal((await runCachet(['account', 'add', address], { env })).status, 0);
  const mail = await buildDistributionMail({
    from: 'pki@example.com',
    to: FRANK,
    files: [
      { role: 'signing', filename: 'frank-sign.pfx', content: pkiBytes('frank-sign.p12') },
      { role: 'encryption', filename: 'frank-enc.pfx', content: pkiBytes('frank-enc.p12') },
    ],
  });
  const id = await new Maildir(join(home, 'users', FRANK, 'mail')).deliver('INBOX', mail);
  const imported = await runCachet(['import-from-mail', id, '--as', FRANK, '--password-file', join(home, 'p12-password')], { env });
  assert.equal(imported.status, 0, imported.stderr);
  // Frank already knows Grace's and Carol's encryption certificates (as if harvested from signed mail).
  await AddressBook.change(join(home, 'users', FRANK), (book) => {
    book.add(certificateDer('grace-enc'), 'import', new Date());
    book.add(certificateDer('carol'), 'import', new Date());
  });
});
after(() => rmSync(home, { recursive: true, force: true }));

/** The serial numbers (hex) every RecipientInfo of an enveloped or auth-enveloped message names. */
function recipientSerials(message: Buffer): string[] {
  const text = message.toString('latin1');
  const bodyStart = text.indexOf('\r\n\r\n') + 4;
  const der = Buffer.from(text.slice(bodyStart).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(der).result });
  // EnvelopedData and AuthEnvelopedData (RFC 5083, which pkijs does not model) both start
  // SEQUENCE { version, originatorInfo [0] OPTIONAL, recipientInfos SET OF RecipientInfo, ... }.
  const fields = (info.content as asn1js.Sequence).valueBlock.value;
  const set = fields.find((f) => f instanceof asn1js.Set) as asn1js.Set;
  const recipientInfos = set.valueBlock.value.map((schema) => new pkijs.RecipientInfo({ schema }));
  return recipientInfos.map((r) => {
    const value = r.value as pkijs.KeyTransRecipientInfo | pkijs.KeyAgreeRecipientInfo;
    if (value instanceof pkijs.KeyTransRecipientInfo) {
      return Buffer.from((value.rid as pkijs.IssuerAndSerialNumber).serialNumber.valueBlock.valueHexView).toString('hex');
    }
    const ids = value.recipientEncryptedKeys.encryptedKeys.map((k) => Buffer.from((k.rid.value as pkijs.IssuerAndSerialNumber).serialNumber.valueBlock.valueHexView).toString('hex'));
    return ids.join(',');
  });
}

function serialOf(name: string): string {
  const cert = pkijs.Certificate.fromBER(new Uint8Array(certificateDer(name)));
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex');
}

async function onlyMessage(address: string): Promise<Buffer> {
  const box = new Maildir(join(home, 'users', address, 'mail'));
  const ids = await box.list('INBOX');
  assert.equal(ids.length, 1, `${address} has exactly one message`);
  return box.read('INBOX', ids[0]!.id);
}

test('Bcc: no RecipientInfo in the To copy names the Bcc recipient; the Bcc copy names only them and the sender', async () => {
  const result = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--bcc', CAROL, '--subject', 'Plans', '--encrypt', '--sign'], { env, stdin: 'Confidential plans.' });
  assert.equal(result.status, 0, result.stderr);
  const [grace, carol, frank] = [serialOf('grace-enc'), serialOf('carol'), serialOf('frank-enc')];
  const toCopy = await onlyMessage(GRACE);
  assert.doesNotMatch(toCopy.toString('latin1'), /carol@example\.com|^bcc:/im, 'the To copy never mentions the Bcc recipient');
  assert.deepEqual(recipientSerials(toCopy).sort(), [grace, frank].sort());
  const bccCopy = await onlyMessage(CAROL);
  assert.deepEqual(recipientSerials(bccCopy).sort(), [carol, frank].sort());
});

test('group rule "ask": a recipient without a certificate stops the send with the question; --send-unencrypted sends in clear', async () => {
  const policyFile = join(home, 'org-policy.json');
  writeFileSync(policyFile, JSON.stringify({ groupRule: 'ask' }));
  const policyEnv = { ...env, CACHET_POLICY: policyFile };
  const stranger = 'dan@example.com';
  const asked = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--to', stranger, '--subject', 'Lunch', '--encrypt'], { env: policyEnv, stdin: 'Lunch at noon?' });
  assert.equal(asked.status, 7, asked.stderr);
  assert.match(asked.stderr, /Send the message UNENCRYPTED to everyone\?/);
  assert.match(asked.stderr, /dan@example\.com/);
  const box = new Maildir(join(home, 'users', GRACE, 'mail'));
  assert.equal((await box.list('INBOX')).length, 1, 'nothing was sent while the question is open');

  const sent = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--to', stranger, '--subject', 'Lunch', '--encrypt', '--send-unencrypted'], { env: policyEnv, stdin: 'Lunch at noon?' });
  // dan has no local mailbox, so his copy stays queued (exit 6) while Grace's is delivered in clear.
  assert.equal(sent.status, 6, sent.stderr);
  assert.match(sent.stderr, /dan@example\.com/);
  const messages = await box.list('INBOX');
  assert.equal(messages.length, 2);
  const latest = (await Promise.all(messages.map((m) => box.read('INBOX', m.id)))).map((b) => b.toString('latin1')).find((t) => t.includes('Lunch'));
  assert.ok(latest, 'Grace received the Lunch message');
  assert.match(latest, /Lunch at noon\?/, 'sent in clear after the explicit choice');
  assert.doesNotMatch(latest, /application\/(pkcs7|x-pkcs7)-mime/);
});

test('--leave-out-missing: sent encrypted to those with a certificate, the one without left out of envelope and header, and named', async () => {
  const stranger = 'erin@example.com';
  const box = new Maildir(join(home, 'users', GRACE, 'mail'));
  const before = (await box.list('INBOX')).length;
  const both = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--to', stranger, '--subject', 'Figures', '--encrypt', '--leave-out-missing', '--send-unencrypted'], { env, stdin: 'x' });
  assert.equal(both.status, 2, 'two different answers at once are a usage error');
  const sent = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--to', stranger, '--subject', 'Figures', '--encrypt', '--sign', '--leave-out-missing'], { env, stdin: 'The figures, for Grace only.' });
  assert.equal(sent.status, 0, sent.stderr);
  assert.match(sent.stderr, /left out erin@example\.com: /);
  const messages = await box.list('INBOX');
  assert.equal(messages.length, before + 1);
  const latest = (await box.read('INBOX', messages.at(-1)!.id)).toString('latin1');
  assert.match(latest, /application\/(x-)?pkcs7-mime/, 'encrypted, never in clear');
  assert.doesNotMatch(latest, /erin@example\.com/, 'the one left out is not in the header');
  assert.deepEqual(recipientSerials(latest.length ? Buffer.from(latest, 'latin1') : Buffer.alloc(0)).sort(), [serialOf('grace-enc'), serialOf('frank-enc')].sort());
});
