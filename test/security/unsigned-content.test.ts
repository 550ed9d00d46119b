/**
 * Issue 14, "what the signature does not cover is not shown as signed": headers outside the signature,
 * CBC content with no integrity, a signature made over someone else's ciphertext, and legacy ciphers —
 * each said in the report (the library), and shown by `cachet read`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkiFile } from '../helpers/pki.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { openTestMessage } from '../helpers/open-message.js';
import { BODY, encrypt, sign, withHeaders } from './hostile-mail.js';

const FORGED = { From: 'Alice <alice@example.com>', To: 'bob@example.com', Subject: 'Pay the new account 12-345', Date: 'Mon, 1 Jun 2026 09:00:00 +0000' };

test('signed without header protection: every header shown but the verified From is listed as not covered, with a warning', async () => {
  const { report } = await openTestMessage(withHeaders(FORGED, sign('alice', BODY)));
  assert.equal(report.status, 'valid');
  assert.equal(report.headers.protected, false);
  assert.deepEqual(report.unsignedHeaders, ['to', 'subject', 'date']);
  assert.ok(report.warnings.some((w) => /signature does not cover the headers .*To, Subject, Date/.test(w)), report.warnings.join('\n'));
  // Not signed at all: the status says so, no field is singled out.
  const plain = await openTestMessage(withHeaders(FORGED, BODY));
  assert.equal(plain.report.status, 'not-signed');
  assert.deepEqual(plain.report.unsignedHeaders, []);
  // Signed by someone else: the From is not verified either.
  const other = await openTestMessage(withHeaders(FORGED, sign('bob', BODY)));
  assert.equal(other.report.status, 'mismatch');
  assert.ok(other.report.unsignedHeaders.includes('from'));
});

test('partly protected headers: only the fields outside the protection are named', async () => {
  const inner = `From: Alice <alice@example.com>\r\nSubject: Figures\r\n${BODY}`;
  const { report } = await openTestMessage(withHeaders(FORGED, sign('alice', inner, true)));
  assert.equal(report.headers.protected, true);
  assert.equal(report.headers.subject, 'Figures', 'the signed Subject wins');
  assert.deepEqual(report.unsignedHeaders, ['to', 'date']);
  assert.ok(report.warnings.some((w) => /only some headers are covered by the signature: To, Date are not/.test(w)), report.warnings.join('\n'));
});

test('CBC without integrity and no signature inside: unauthenticated; GCM or a signature inside: not', async () => {
  const cbc = await openTestMessage(withHeaders(FORGED, encrypt('alice', BODY)), { key: 'alice' });
  assert.equal(cbc.report.encrypted, true);
  assert.equal(cbc.report.unauthenticatedEncryption, true);
  assert.ok(cbc.report.warnings.some((w) => /without integrity protection/.test(w)));
  const gcm = await openTestMessage(withHeaders(FORGED, encrypt('alice', BODY, '-aes-256-gcm')), { key: 'alice' });
  assert.equal(gcm.report.unauthenticatedEncryption, false);
  const signedInside = await openTestMessage(withHeaders(FORGED, encrypt('alice', sign('alice', BODY))), { key: 'alice' });
  assert.equal(signedInside.report.status, 'valid');
  assert.equal(signedInside.report.unauthenticatedEncryption, false);
  assert.ok(!signedInside.report.warnings.some((w) => /integrity/.test(w)));
});

test('"mallory signs alice\'s ciphertext": an outer signature over encrypted content is weaker evidence, and a different inner author is named', async () => {
  // A captured message from alice (its protected From inside the encryption), signed again by bob.
  const alicesCiphertext = encrypt('carol', `From: alice@example.com\r\nSubject: Figures\r\n${BODY}`);
  const { report } = await openTestMessage(withHeaders({ From: 'bob@example.com', To: 'carol@example.com' }, sign('bob', alicesCiphertext)), { key: 'carol' });
  assert.ok(report.warnings.some((w) => /signature by bob@example\.com covers the encrypted message, not what it says/.test(w)), report.warnings.join('\n'));
  assert.ok(report.warnings.some((w) => /bob@example\.com is not the author of what the signature wraps: .* from alice@example\.com/.test(w)));
  assert.notEqual(report.status, 'valid', 'the author shown is alice, the signer bob');
  // Same signer outside the encryption, no inner author: still said to be weaker evidence.
  const own = await openTestMessage(withHeaders({ From: 'bob@example.com', To: 'carol@example.com' }, sign('bob', encrypt('carol', BODY))), { key: 'carol' });
  assert.ok(own.report.warnings.some((w) => /covers the encrypted message, not what it says/.test(w)));
  assert.ok(!own.report.warnings.some((w) => /not the author/.test(w)));
});

test('RC2-40 and 3DES decrypt with a warning in the report', async () => {
  const rc2 = await openTestMessage(withHeaders(FORGED, encrypt('alice', BODY, '-rc2-40')), { key: 'alice' });
  assert.match(rc2.content, /quarterly figures/);
  assert.ok(rc2.report.warnings.some((w) => /RC2 \(40-bit key\), a broken legacy cipher that can be decrypted by anyone/.test(w)), rc2.report.warnings.join('\n'));
  const des = await openTestMessage(withHeaders(FORGED, encrypt('alice', BODY, '-des3')), { key: 'alice' });
  assert.ok(des.report.warnings.some((w) => /3DES, a legacy cipher/.test(w)));
  const aes = await openTestMessage(withHeaders(FORGED, encrypt('alice', BODY)), { key: 'alice' });
  assert.ok(!aes.report.warnings.some((w) => /legacy cipher/.test(w)));
});

let mail: MailHome;
before(async () => {
  mail = await createMailHome({ prefix: 'cachet-unsigned-', users: [{ address: 'alice@example.com', p12: 'alice', role: 'encryption' }] });
});
after(() => mail?.remove());

async function deliver(message: Buffer): Promise<string> {
  return new Maildir(join(mail.userDir('alice@example.com'), 'mail')).deliver('INBOX', message);
}

test('cachet read: the status names the signer, uncovered headers are marked on their line, unauthenticated and legacy encryption said', async () => {
  const id = await deliver(withHeaders({ ...FORGED, To: 'alice@example.com', From: 'Alice <alice@example.com>' }, sign('alice', BODY)));
  const read = await runCachet(['read', id], { env: mail.env });
  assert.equal(read.status, 0, read.stderr);
  assert.match(read.stdout, /^Status: +SIGNED by alice@example\.com — signature valid and trusted$/m);
  assert.match(read.stdout, /^Subject: +Pay the new account 12-345 +\[NOT COVERED BY THE SIGNATURE\]$/m);
  assert.match(read.stdout, /^Date: +.* +\[NOT COVERED BY THE SIGNATURE\]$/m);
  assert.match(read.stdout, /^From: +Alice <alice@example\.com>$/m, 'the verified From is not marked');
  assert.match(read.stdout, /^Sender: +alice@example\.com \(verified by the signature\)$/m);
  const json = JSON.parse((await runCachet(['read', id, '--json'], { env: mail.env })).stdout) as { unsignedHeaders: string[] };
  assert.deepEqual(json.unsignedHeaders, ['to', 'subject', 'date']);

  const legacy = await deliver(withHeaders({ ...FORGED, To: 'alice@example.com' }, encrypt('alice', BODY, '-rc2-40')));
  const shown = await runCachet(['read', legacy], { env: mail.env });
  assert.match(shown.stdout, /^Encrypted: yes \(rc2-cbc, UNAUTHENTICATED: could have been changed\)$/m);
  assert.match(shown.stdout, /^Warning: +the message was encrypted with RC2 \(40-bit key\)/m);
});

test('cachet decrypt: a legacy cipher and CBC without integrity are warned about, on stderr and in --json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-decrypt-warn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'des.eml');
  writeFileSync(file, encrypt('alice', BODY, '-des3'));
  const env = { CACHET_PASSWORD: 'test', CACHET_HOME: dir };
  const plain = await runCachet(['decrypt', '--key', pkiFile('alice.p12'), '-i', file], { env });
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /quarterly figures/);
  assert.match(plain.stderr, /warning: the message was encrypted with 3DES/);
  assert.match(plain.stderr, /warning: the content has no integrity protection/);
  const json = JSON.parse((await runCachet(['decrypt', '--key', pkiFile('alice.p12'), '-i', file, '--json'], { env })).stdout) as { warnings: string[] };
  assert.equal(json.warnings.length, 2);
});

test('cachet read of a partially-signed message: the signed text, then each unsigned part under its own NOT SIGNED line, never merged', async () => {
  const signed = sign('alice', BODY).toString('latin1');
  const unsigned = 'Content-Type: text/plain; charset=utf-8\r\n\r\nPay the new account 12-345 today.\r\n';
  const mixed = `Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n${unsigned}--outer\r\n${signed}\r\n--outer--\r\n`;
  const id = await deliver(withHeaders({ From: 'Alice <alice@example.com>', To: 'alice@example.com', Subject: 'Figures' }, Buffer.from(mixed, 'latin1')));
  const read = await runCachet(['read', id], { env: mail.env });
  assert.match(read.stdout, /^Status: +PARTIALLY SIGNED/m);
  const content = read.stdout.slice(read.stdout.indexOf('message content, as the sender wrote it'));
  const signedAt = content.indexOf('The quarterly figures are final.');
  const markAt = content.search(/NOT SIGNED: part \S+ \(text\/plain\), not covered by any signature/);
  const unsignedAt = content.indexOf('Pay the new account 12-345 today.');
  assert.ok(signedAt >= 0 && markAt > signedAt && unsignedAt > markAt, content);
  const json = JSON.parse((await runCachet(['read', id, '--json'], { env: mail.env })).stdout) as { partiallySigned: { signedText: string; unsignedParts: Array<{ text: string }> } };
  assert.match(json.partiallySigned.signedText, /quarterly figures/);
  assert.doesNotMatch(json.partiallySigned.signedText, /12-345/);
  assert.match(json.partiallySigned.unsignedParts[0]!.text, /12-345/);
});
