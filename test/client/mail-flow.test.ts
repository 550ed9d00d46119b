/**
 * The mail client end to end on the embedded default (local Maildir delivery), through the CLI as a
 * user runs it: credentials imported from a distribution mail, certificates harvested from signed
 * mail, an encrypted and signed exchange, the group rule, and the outbox.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { pkiBytes, pkiFile } from '../helpers/pki.js';
import { buildDistributionMail } from '../../src/adapters/ca/distribution-mail.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';

let home: string;
let env: NodeJS.ProcessEnv;
const FRANK = 'frank@example.com';
const GRACE = 'grace@example.com';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-mailflow-'));
  writeFileSync(join(home, 'p12-password'), 'test');
  writeFileSync(join(home, 'vault-passphrase'), 'a long vault passphrase');
  env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'a long vault passphrase' };
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'test-root.pem'));
  for (const address of [FRANK, GRACE]) assert.equal((await runCachet(['account', 'add', address], { env })).status, 0);
  // The administrator's distribution mails, one per user, with single-purpose certificates.
  for (const [address, name] of [[FRANK, 'frank'], [GRACE, 'grace']] as const) {
    const mail = await buildDistributionMail({
      from: 'pki@example.com',
      to: address,
      files: [
        { role: 'signing', filename: `${name}-sign.pfx`, content: pkiBytes(`${name}-sign.p12`) },
        { role: 'encryption', filename: `${name}-enc.pfx`, content: pkiBytes(`${name}-enc.p12`) },
      ],
    });
    await new Maildir(join(home, 'users', address, 'mail')).deliver('INBOX', mail);
  }
});
after(() => rmSync(home, { recursive: true, force: true }));

async function inbox(user: string): Promise<Array<{ id: string; subject: string }>> {
  const result = await runCachet(['inbox', '--as', user, '--json'], { env });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { messages: Array<{ id: string; subject: string }> }).messages;
}

test('import from mail: single-purpose certificates are recognised and imported automatically', async () => {
  for (const user of [FRANK, GRACE]) {
    const [mail] = await inbox(user);
    const wrong = await runCachet(['import-from-mail', mail!.id, '--as', user, '--password-file', join(home, 'vault-passphrase')], { env });
    assert.equal(wrong.status, 4, 'a wrong PKCS#12 password imports nothing');
    const result = await runCachet(['import-from-mail', mail!.id, '--as', user, '--password-file', join(home, 'p12-password')], { env });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /sign\.pfx: a signing-only certificate .* imported automatically as your signing certificate/);
    assert.match(result.stdout, /enc\.pfx: an encryption-only certificate .* imported automatically as your encryption certificate/);
  }
});

test('the group rule blocks encrypted mail to someone without a certificate, naming them', async () => {
  const result = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'hello'], { env, stdin: 'Hi Grace' });
  assert.equal(result.status, 7);
  assert.match(result.stderr, /not sent: no usable encryption certificate for grace@example.com/);
  const sent = await runCachet(['inbox', '--as', GRACE, '--json'], { env });
  assert.equal((JSON.parse(sent.stdout) as { messages: unknown[] }).messages.length, 1, 'nothing was delivered');
});

test('a signed message introduces frank; grace then sends him a signed and encrypted reply he reads as valid', async () => {
  const intro = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Introduction', '--no-encrypt'], { env, stdin: 'Hello Grace, this is my signed introduction.' });
  assert.equal(intro.status, 0, intro.stderr);
  assert.match(intro.stdout, /signed, NOT encrypted/);
  const introId = (await inbox(GRACE)).find((m) => m.subject === 'Introduction')!.id;
  const readIntro = await runCachet(['read', introId, '--as', GRACE, '--json'], { env });
  assert.equal(readIntro.status, 0, readIntro.stderr);
  const introReport = JSON.parse(readIntro.stdout) as { status: string; encrypted: boolean; text: string };
  assert.equal(introReport.status, 'valid');
  assert.equal(introReport.encrypted, false);
  assert.match(introReport.text, /signed introduction/);
  // what reading harvested is what the address book command shows
  const book = await runCachet(['addressbook', 'list', '--as', GRACE, '--json'], { env });
  assert.equal(book.status, 0, book.stderr);
  const frank = (JSON.parse(book.stdout) as { correspondents: Array<{ address: string; certificates: Array<{ role: string }> }> }).correspondents.find((c) => c.address === FRANK);
  assert.deepEqual(frank?.certificates.map((c) => c.role).sort(), ['encryption', 'signing'], "frank's signing and encryption certificates were harvested");

  const reply = await runCachet(['send', '--as', GRACE, '--to', FRANK, '--subject', 'Re: Introduction'], { env, stdin: 'Nice to meet you, Frank. This one is encrypted.' });
  assert.equal(reply.status, 0, reply.stderr);
  assert.match(reply.stdout, /signed, encrypted/);
  const replyEntry = (await inbox(FRANK)).find((m) => m.subject === '[...]');
  assert.ok(replyEntry, 'the outer Subject is obscured');
  const readReply = await runCachet(['read', replyEntry!.id, '--as', FRANK, '--json'], { env });
  const report = JSON.parse(readReply.stdout) as { status: string; encrypted: boolean; text: string; headers: { subject: string; protected: boolean }; signers: Array<{ email: string[] }> };
  assert.equal(readReply.status, 0, readReply.stderr);
  assert.equal(report.status, 'valid');
  assert.equal(report.encrypted, true);
  assert.equal(report.headers.subject, 'Re: Introduction', 'the protected Subject is shown');
  assert.deepEqual(report.signers[0]?.email, [GRACE]);
  assert.match(report.text, /This one is encrypted/);
  // Progress for long work, on stderr only: stdout stays clean JSON for scripts.
  const synced = await runCachet(['inbox', '--as', FRANK, '--json', '--progress'], { env });
  assert.match(synced.stderr, /Syncing INBOX \[#+\.*\] 100% \d+\/\d+/);
  assert.doesNotThrow(() => JSON.parse(synced.stdout));
  // The sender can read her own Sent copy.
  const sent = await runCachet(['inbox', '--as', GRACE, '--folder', 'Sent', '--json'], { env });
  const sentId = (JSON.parse(sent.stdout) as { messages: Array<{ id: string; subject: string }> }).messages.find((m) => m.subject === '[...]')!.id;
  const own = await runCachet(['read', sentId, '--as', GRACE, '--folder', 'Sent', '--json'], { env });
  assert.equal((JSON.parse(own.stdout) as { encrypted: boolean }).encrypted, true);
  assert.equal(own.status, 0, own.stderr);
});

test('mail without the signer\'s certificate (Outlook with "send my certificate" off) verifies with the one the address book holds', async () => {
  // After the introduction above, grace's address book holds frank's signing certificate.
  const entity = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nNo certificate attached this time.\r\n';
  const signedWithout = (who: string) =>
    execFileSync('openssl', ['cms', '-sign', '-nocerts', '-signer', pkiFile(`${who}.pem`), '-inkey', pkiFile(`${who}.key`), '-md', 'sha256'], { input: entity });
  const grace = new Maildir(join(home, 'users', GRACE, 'mail'));
  const fromFrank = await grace.deliver('INBOX', Buffer.concat([Buffer.from(`From: ${FRANK}\r\nTo: ${GRACE}\r\nSubject: No cert\r\n`), signedWithout('frank-sign')]));
  const read = await runCachet(['read', fromFrank, '--as', GRACE, '--json'], { env });
  assert.equal(read.status, 0, read.stderr);
  assert.equal((JSON.parse(read.stdout) as { status: string }).status, 'valid');
  // Someone the book does not know: the certificate is missing, and the message is not shown as signed.
  const fromDan = await grace.deliver('INBOX', Buffer.concat([Buffer.from(`From: dan@example.com\r\nTo: ${GRACE}\r\nSubject: No cert\r\n`), signedWithout('dan')]));
  const unknown = JSON.parse((await runCachet(['read', fromDan, '--as', GRACE, '--json'], { env })).stdout) as { status: string; signers: Array<{ error: { code: string } | null }> };
  assert.equal(unknown.status, 'invalid');
  assert.equal(unknown.signers[0]?.error?.code, 'ERR_SIGNER_CERT_MISSING');
});

test("the signing certificate chosen in the settings is the one used; an unknown one is a clear error", async () => {
  const missing = 'ab'.repeat(32);
  assert.equal((await runCachet(['settings', 'set', 'signingCertificate', missing, '--as', FRANK], { env })).status, 0);
  const refused = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'x'], { env, stdin: 'x' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /signing certificate setting names abababab/);
  assert.equal((await runCachet(['settings', 'set', 'signingCertificate', 'null', '--as', FRANK], { env })).status, 0);
  const shown = JSON.parse((await runCachet(['settings', 'show', '--json', '--as', FRANK], { env })).stdout) as { settings: Array<{ key: string; value: unknown }> };
  assert.equal(shown.settings.find((v) => v.key === 'signingCertificate')?.value, null);
});

test('a reply to an encrypted message is encrypted by default and never goes out in clear by accident', async () => {
  const encrypted = (await inbox(FRANK)).find((m) => m.subject === '[...]')!;
  const refused = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Re: secret', '--no-encrypt', '--reply-to-id', encrypted.id], { env, stdin: '> quoted secret' });
  assert.equal(refused.status, 7);
  assert.match(refused.stderr, /reply or forward carries an encrypted message/);
  const reply = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Re: secret', '--reply-to-id', encrypted.id], { env, stdin: '> quoted secret' });
  assert.equal(reply.status, 0, reply.stderr);
  assert.match(reply.stdout, /encrypted/);
});

test('a reply threads: In-Reply-To is the original\'s Message-ID, References ends with it', async () => {
  const introId = (await inbox(GRACE)).find((m) => m.subject === 'Introduction')!.id;
  const reply = await runCachet(['send', '--as', GRACE, '--to', FRANK, '--subject', 'Re: Introduction (plain)', '--no-encrypt', '--no-sign', '--reply-to-id', introId], { env, stdin: 'Threaded.' });
  assert.equal(reply.status, 0, reply.stderr);
  const grace = new Maildir(join(home, 'users', GRACE, 'mail'));
  const original = (await grace.read('INBOX', introId)).toString('latin1');
  const messageId = /^Message-ID: (<[^>]+>)/im.exec(original)?.[1];
  assert.ok(messageId, 'the original has a Message-ID');
  const frank = new Maildir(join(home, 'users', FRANK, 'mail'));
  const received = await Promise.all((await frank.list('INBOX')).map(async (m) => (await frank.read('INBOX', m.id)).toString('latin1')));
  const threaded = received.find((m) => m.includes('Re: Introduction (plain)'));
  assert.ok(threaded, 'frank has the reply');
  const lines = threaded.split(/\r?\n/);
  assert.ok(lines.includes(`In-Reply-To: ${messageId}`), 'In-Reply-To names the original');
  assert.ok(lines.some((l) => l.startsWith('References: ') && l.endsWith(messageId)), 'References ends with the original');
});

test('a damaged address book does not keep anyone from their mail: read with a warning, the book left as it is', async () => {
  const bookFile = join(home, 'users', GRACE, 'address-book.json');
  const kept = readFileSync(bookFile);
  writeFileSync(bookFile, '{"version": 1, "correspondents": ');
  try {
    const introId = (await inbox(GRACE)).find((m) => m.subject === 'Introduction')!.id;
    const read = await runCachet(['read', introId, '--as', GRACE, '--json'], { env });
    assert.equal(read.status, 0, read.stderr);
    const report = JSON.parse(read.stdout) as { status: string; warnings: string[] };
    assert.equal(report.status, 'valid');
    assert.ok(report.warnings.some((w) => /address book .* is damaged/.test(w)), report.warnings.join('; '));
    assert.equal(readFileSync(bookFile, 'utf8'), '{"version": 1, "correspondents": ');
  } finally {
    writeFileSync(bookFile, kept);
  }
});

test('mail to an address with no local mailbox and no SMTP server stays in the outbox, nothing lost', async () => {
  writeFileSync(join(home, 'policy.yaml'), 'groupRule: send-unencrypted\n');
  const result = await runCachet(['send', '--as', FRANK, '--to', 'nobody@elsewhere.example', '--subject', 'queued', '--no-sign'], { env, stdin: 'queued text' });
  rmSync(join(home, 'policy.yaml'));
  assert.equal(result.status, 6, result.stderr);
  assert.match(result.stderr, /refused for nobody@elsewhere\.example: there is no local mailbox of that name.*kept in the Outbox/);
  const outbox = await runCachet(['outbox', '--as', FRANK, '--json'], { env });
  assert.equal(outbox.status, 6);
  const pending = (JSON.parse(outbox.stdout) as { pending: Array<{ id: string; remaining: string[] }> }).pending;
  assert.deepEqual(pending[0]?.remaining, ['nobody@elsewhere.example']);
  const stored = new Maildir(join(home, 'users', FRANK, 'mail'));
  assert.match((await stored.read('Outbox', pending[0]!.id)).toString(), /queued text/);
  assert.ok(readFileSync(join(home, 'users', FRANK, 'downgrades.log'), 'utf8').includes('nobody@elsewhere.example'), 'the downgrade is recorded');
});
