/**
 * `cachet ca distribute`: the mail carries both PKCS#12 files as application/x-pkcs12 attachments
 * (byte-exact after parsing with postal-mime), instructions in the body, and never the password;
 * it lands in a Maildir's new/ folder or a file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { addUser } from '../../src/use-cases/users.js';
import { cachet, caWorkspace, PFX_PASSWORD, type CaWorkspace } from './support.js';
import { startCaPostfix, type CaPostfix } from './postfix.js';

let ws: CaWorkspace;
const sign = randomBytes(2500);
const enc = randomBytes(3100);
before(() => {
  ws = caWorkspace('cachet-ca-distribute-');
  writeFileSync(ws.path('alice-sign.pfx'), sign);
  writeFileSync(ws.path('alice-enc.pfx'), enc);
});
after(() => ws?.remove());

describe('cachet ca distribute', () => {
  test('into a Maildir: two application/x-pkcs12 attachments, instructions, no password', async () => {
    const maildir = ws.path('Maildir');
    const r = await cachet(['ca', 'distribute', '--to', 'alice@example.com', '--name', 'Alice Liddell', '--from', 'pki@example.com', '--sign', ws.path('alice-sign.pfx'), '--enc', ws.path('alice-enc.pfx'), '--maildir', maildir], ws.env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /another channel/);
    const files = readdirSync(join(maildir, 'new'));
    assert.equal(files.length, 1);
    assert.deepEqual(readdirSync(join(maildir, 'tmp')), []);
    const raw = readFileSync(join(maildir, 'new', files[0]!));
    assert.ok(!raw.includes(PFX_PASSWORD), 'the password never travels in the mail');
    const mail = await PostalMime.parse(raw);
    assert.equal(mail.to?.[0]?.address, 'alice@example.com');
    assert.equal(mail.from?.address, 'pki@example.com');
    assert.match(mail.subject ?? '', /certificates/i);
    assert.match(mail.text ?? '', /Hello Alice Liddell/);
    assert.match(mail.text ?? '', /PASSWORD IS NOT IN THIS MESSAGE/);
    assert.match(mail.text ?? '', /alice-sign\.pfx — your SIGNING certificate/);
    assert.match(mail.text ?? '', /alice-enc\.pfx — your ENCRYPTION certificate/);
    assert.equal(mail.attachments.length, 2);
    const byName = Object.fromEntries(mail.attachments.map((a) => [a.filename, a]));
    assert.equal(byName['alice-sign.pfx']?.mimeType, 'application/x-pkcs12');
    assert.equal(byName['alice-enc.pfx']?.mimeType, 'application/x-pkcs12');
    assert.equal(byName['alice-sign.pfx']?.disposition, 'attachment');
    assert.ok(Buffer.from(byName['alice-sign.pfx']!.content as ArrayBuffer).equals(sign));
    assert.ok(Buffer.from(byName['alice-enc.pfx']!.content as ArrayBuffer).equals(enc));
  });

  test('--local: into the INBOX of a local user of this Cachet home; a stranger is refused', async () => {
    const alice = await addUser(ws.env.CACHET_HOME!, 'alice@example.com', 'Alice Liddell');
    const r = await cachet(['ca', 'distribute', '--to', 'alice@example.com', '--sign', ws.path('alice-sign.pfx'), '--enc', ws.path('alice-enc.pfx'), '--local', '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const inbox = await alice.mailbox.list('INBOX');
    assert.equal(inbox.length, 1);
    const mail = await PostalMime.parse(await alice.mailbox.read('INBOX', inbox[0]!.id));
    assert.deepEqual(mail.attachments.map((a) => a.filename).sort(), ['alice-enc.pfx', 'alice-sign.pfx']);
    const stranger = await cachet(['ca', 'distribute', '--to', 'zoe@example.com', '--enc', ws.path('alice-enc.pfx'), '--local', '--json'], ws.env);
    assert.equal(stranger.status, 2);
    assert.match(JSON.parse(stranger.stdout).error.message, /zoe@example.com is not a local user .*local users: alice@example.com/);
  });

  test('to a file; usage errors for no file or two destinations', async () => {
    const out = ws.path('mail.eml');
    const r = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--enc', ws.path('alice-enc.pfx'), '--out', out], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const mail = await PostalMime.parse(readFileSync(out));
    assert.equal(mail.from?.address, 'ca@example.com');
    assert.equal(mail.attachments.length, 1);
    const none = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--out', out, '--json'], ws.env);
    assert.equal(none.status, 2);
    const two = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--enc', ws.path('alice-enc.pfx'), '--out', out, '--maildir', ws.path('M'), '--json'], ws.env);
    assert.equal(JSON.parse(two.stdout).error.code, 'ERR_USAGE');
    const missing = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--enc', ws.path('nope.pfx'), '--out', out, '--json'], ws.env);
    assert.equal(missing.status, 3);
  });

  test('SMTP to a server that is not there: ERR_MAIL_UNREACHABLE (exit 6)', async () => {
    const r = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--enc', ws.path('alice-enc.pfx'), '--smtp-url', 'smtp://127.0.0.1:1', '--json'], ws.env);
    assert.equal(r.status, 6, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_MAIL_UNREACHABLE');
  });
});

describe('cachet ca distribute --smtp-url (a real Postfix)', () => {
  let postfix: CaPostfix | undefined;
  before(async () => {
    postfix = await startCaPostfix(['alice']);
  });
  after(async () => {
    await postfix?.stop();
  });

  test('the mail is accepted by SMTP and delivered to the user, attachments intact', async () => {
    const r = await cachet(['ca', 'distribute', '--to', 'alice@example.com', '--from', 'pki@example.com', '--sign', ws.path('alice-sign.pfx'), '--enc', ws.path('alice-enc.pfx'), '--smtp-url', postfix!.smtpUrl, '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const files = await postfix!.delivered('alice');
    assert.equal(files.length, 1, 'delivered into the Maildir');
    const mail = await PostalMime.parse(readFileSync(files[0]!));
    assert.equal(mail.attachments.length, 2);
    const signAttachment = mail.attachments.find((a) => a.filename === 'alice-sign.pfx');
    assert.equal(signAttachment?.mimeType, 'application/x-pkcs12');
    assert.ok(Buffer.from(signAttachment!.content as ArrayBuffer).equals(sign));
    assert.match(mail.text ?? '', /PASSWORD IS NOT IN THIS MESSAGE/);
  });
});
