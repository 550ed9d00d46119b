/**
 * Issue 14, "the status must be the only thing that looks like a status": From fields made to read as
 * someone else. Addresses are parsed (RFC 5322) before display names are decoded (RFC 2047 §5), the
 * status and the From shown come from that one parse, a display name that imitates another address
 * or reorders text is named, and a message with two senders is never valid. bob (a trusted test
 * identity) plays mallory: his signatures verify, so only the From can mislead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import PostalMime from 'postal-mime';
import { join } from 'node:path';
import { parseMailboxes } from '../../src/engine/mime/addresses.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { runCachet } from '../helpers/cli.js';
import { createMailHome } from '../helpers/mail-home.js';
import { openTestMessage } from '../helpers/open-message.js';
import { BODY, sign, withHeaders } from './hostile-mail.js';

const ENCODED_ANGLE = 'alice@example.com =?utf-8?q?=3Cbob@example.com=3E?=';

/** Python's email package (policy.default, the RFC 5322 parser) on a From value: its addr-specs. */
function pythonAddresses(from: string): string[] {
  const script = 'import sys, email, email.policy\nm = email.message_from_string("From: " + sys.argv[1] + "\\n\\nx", policy=email.policy.default)\nprint("\\n".join(a.addr_spec for a in m["from"].addresses))';
  return execFileSync('python3', ['-c', script, from], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

test('an encoded-word that decodes to an angle address is no address: not valid for its signer, as postal-mime and Python read it', async () => {
  const signed = withHeaders({ From: ENCODED_ANGLE, To: 'carol@example.com', Subject: 'Figures' }, sign('bob', BODY));
  const { report } = await openTestMessage(signed);
  assert.notEqual(report.status, 'valid');
  assert.equal(report.status, 'mismatch');
  assert.ok(!report.from.includes('bob@example.com'), 'the encoded-word is never read as the address');
  // The other implementations: neither reads bob (the signer) as the sender.
  const postal = await PostalMime.parse(Buffer.concat([Buffer.from(`From: ${ENCODED_ANGLE}\r\n\r\nx`)]));
  assert.equal(postal.from?.address, 'alice@example.com');
  assert.deepEqual(pythonAddresses(ENCODED_ANGLE), ['alice@example.com']);
  // What the reader is shown is the raw field: an unreadable From is not decoded into "<bob@…>".
  assert.equal(report.headers.from, ENCODED_ANGLE);
  assert.doesNotMatch(report.headers.from ?? '', /<bob@example\.com>/);
});

test('display names: decoded after the address, the same addresses as postal-mime and Python', async () => {
  const cases: Array<[string, string]> = [
    ['=?utf-8?q?Alice_=3Calice@example.com=3E?= <bob@example.com>', 'bob@example.com'],
    ['"Alice, CFO" <alice@example.com>', 'alice@example.com'],
    ['bob@example.com (alice@example.com)', 'bob@example.com'],
    ['=?utf-8?b?QWxpY2U=?= <alice@example.com>', 'alice@example.com'],
  ];
  for (const [from, address] of cases) {
    assert.deepEqual(parseMailboxes(from).map((m) => m.address), [address], from);
    assert.equal((await PostalMime.parse(`From: ${from}\r\n\r\nx`)).from?.address, address, `postal-mime: ${from}`);
    assert.deepEqual(pythonAddresses(from), [address], `python: ${from}`);
  }
  assert.equal(parseMailboxes('=?utf-8?b?QWxpY2U=?= <alice@example.com>')[0]?.name, 'Alice');
});

test('a display name holding another address is named; the status names the signer, the From shows the real address', async () => {
  for (const from of ['"alice@example.com" <bob@example.com>', '=?utf-8?q?alice=40example=2Ecom?= <bob@example.com>', '"alice\uFF20example.com" <bob@example.com>']) {
    const { report } = await openTestMessage(withHeaders({ From: from, To: 'carol@example.com', Subject: 'Figures' }, sign('bob', BODY)));
    assert.equal(report.status, 'valid', 'bob signed and bob is the From address');
    assert.deepEqual(report.from, ['bob@example.com']);
    assert.equal(report.headers.fromMailboxes[0]?.nameWarning, 'looks-like-another-address', from);
    assert.ok(report.warnings.some((w) => /display name .* looks like another address; the sender's address is bob@example\.com/.test(w)), from);
    assert.match(report.headers.from ?? '', /<bob@example\.com>$/);
  }
  // The same address as its own name is no spoof.
  const plain = await openTestMessage(withHeaders({ From: '"bob@example.com" <bob@example.com>', To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(plain.report.headers.fromMailboxes[0]?.nameWarning, undefined);
});

test('a comment holding an address is not shown as the sender', async () => {
  const { report } = await openTestMessage(withHeaders({ From: 'bob@example.com (alice@example.com)', To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(report.status, 'valid');
  assert.equal(report.headers.from, 'bob@example.com', 'comments are no part of what is shown');
});

test('bidi controls in a display name are named', async () => {
  const from = '"\u202Emoc.elpmaxe@ecila" <bob@example.com>';
  const { report } = await openTestMessage(withHeaders({ From: from, To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(report.headers.fromMailboxes[0]?.nameWarning, 'bidi-controls');
  assert.ok(report.warnings.some((w) => /bidirectional control characters/.test(w)));
});

test('two From fields, or two mailboxes in one, are never valid', async () => {
  const twoFields = await openTestMessage(withHeaders({ From: ['bob@example.com', 'alice@example.com'], To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(twoFields.report.status, 'mismatch');
  assert.equal(twoFields.report.from.length, 2);
  assert.ok(twoFields.report.warnings.some((w) => /names 2 senders/.test(w)));
  const twoMailboxes = await openTestMessage(withHeaders({ From: 'bob@example.com, alice@example.com', To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(twoMailboxes.report.status, 'mismatch');
  const group = await openTestMessage(withHeaders({ From: 'Team: bob@example.com, alice@example.com;', To: 'carol@example.com' }, sign('bob', BODY)));
  assert.equal(group.report.status, 'mismatch');
  const empty = await openTestMessage(withHeaders({ From: '', To: 'carol@example.com' }, sign('bob', BODY)));
  assert.notEqual(empty.report.status, 'valid');
});

test('the inbox lists the From from the same parse: no encoded-word shows as an address there either', async (t) => {
  const mail = await createMailHome({ prefix: 'cachet-spoof-inbox-', users: [{ address: 'carol@example.com' }] });
  t.after(() => mail.remove());
  await new Maildir(join(mail.userDir('carol@example.com'), 'mail')).deliver('INBOX', withHeaders({ From: ENCODED_ANGLE, To: 'carol@example.com', Subject: 'Figures' }, sign('bob', BODY)));
  const inbox = JSON.parse((await runCachet(['inbox', '--json'], { env: mail.env })).stdout) as { messages: Array<{ from: string }> };
  assert.equal(inbox.messages[0]?.from, ENCODED_ANGLE);
});
