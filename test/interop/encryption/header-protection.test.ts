/**
 * Header protection as Cachet sends it (RFC 9788, Thunderbird's protected-headers="v1"), read back by
 * other implementations: OpenSSL decrypts and verifies what `cachet send` wrote, and Python's `email`
 * package parses the Cryptographic Payload OpenSSL handed out — its hp and protected-headers
 * parameters, the protected Subject, and the HP-Outer fields. Cachet reads its own message back, and
 * NeoMutt (driven on a pseudo-terminal, decrypting and verifying with OpenSSL as mutt users set it
 * up) shows the protected Subject in its pager.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCachet } from '../../helpers/cli.js';
import { createMailHome, type MailHome } from '../../helpers/mail-home.js';
import { runTool, runToolOk } from '../../helpers/oracles.js';
import { certificateDer, pkiFile } from '../../helpers/pki.js';
import { AddressBook } from '../../../src/adapters/directory/address-book.js';
import { Maildir } from '../../../src/adapters/mail/maildir.js';

const FRANK = 'frank@example.com';
const GRACE = 'grace@example.com';
let mail: MailHome;
/** The signed and encrypted message the first test sent, for NeoMutt. */
let encryptedWire: Buffer | undefined;

before(async () => {
  mail = await createMailHome({
    prefix: 'cachet-hp-',
    users: [
      { address: FRANK, p12: 'frank-sign', role: 'signing' },
      { address: GRACE, p12: 'grace-enc', role: 'encryption' },
    ],
  });
  const imported = await runCachet(['cert', 'import', pkiFile('frank-enc.p12')], { env: { ...mail.env, CACHET_HOME: mail.userDir(FRANK) } });
  assert.equal(imported.status, 0, imported.stderr);
  await AddressBook.change(mail.userDir(FRANK), (book) => {
    book.add(certificateDer('grace-enc'), 'import', new Date());
  });
});
after(() => mail.remove());

/** The newest message in GRACE's INBOX, as stored (the bytes that crossed the wire). */
async function lastDelivered(): Promise<Buffer> {
  const inbox = new Maildir(join(mail.userDir(GRACE), 'mail'));
  const newest = (await inbox.list('INBOX')).sort((a, b) => a.date.getTime() - b.date.getTime()).at(-1);
  assert.ok(newest, 'something was delivered');
  return inbox.read('INBOX', newest.id);
}

interface PythonView {
  contentType: string;
  hp: string | null;
  protectedHeaders: string | null;
  subject: string | null;
  from: string | null;
  hpOuter: string[];
}

/** Python's email package, run now, on the payload bytes. */
function pythonView(payload: Buffer): PythonView {
  const script = [
    'import email, email.policy, json, sys',
    'm = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)',
    'print(json.dumps({"contentType": m.get_content_type(), "hp": m.get_param("hp"), "protectedHeaders": m.get_param("protected-headers"),',
    '  "subject": str(m["subject"]) if m["subject"] is not None else None, "from": str(m["from"]) if m["from"] is not None else None,',
    '  "hpOuter": [str(v) for v in (m.get_all("hp-outer") or [])]}))',
  ].join('\n');
  return JSON.parse(runToolOk('python3', ['-c', script], { input: payload }).toString('utf8')) as PythonView;
}

function outerField(message: Buffer, name: string): string | undefined {
  const header = message.subarray(0, message.indexOf('\r\n\r\n')).toString('latin1').replace(/\r\n[ \t]/g, ' ');
  return header.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
}

test('signed and encrypted: hp="cipher" and protected-headers="v1" inside, HP-Outer for what is outside; OpenSSL and Python read it', async () => {
  const sent = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Merger plans – Q3'], { env: mail.env, stdin: 'Strictly confidential.' });
  assert.equal(sent.status, 0, sent.stderr);
  const wire = await lastDelivered();
  encryptedWire = wire;
  assert.equal(outerField(wire, 'subject'), '[...]', 'the outer Subject is obscured');
  assert.equal(outerField(wire, 'content-description'), 'S/MIME Encrypted Message');
  assert.match(outerField(wire, 'content-type') ?? '', /^application\/pkcs7-mime; smime-type=enveloped-data/);

  const dir = mail.userDir(GRACE);
  const file = join(dir, 'wire.eml');
  writeFileSync(file, wire);
  const decrypted = runToolOk('openssl', ['cms', '-decrypt', '-in', file, '-recip', pkiFile('grace-enc.pem'), '-inkey', pkiFile('grace-enc.key')]);
  const signedFile = join(dir, 'decrypted.eml');
  writeFileSync(signedFile, decrypted);
  const verified = runTool('openssl', ['cms', '-verify', '-in', signedFile, '-CAfile', pkiFile('ca.pem'), '-purpose', 'any']);
  assert.equal(verified.status, 0, verified.stderr);
  const view = pythonView(verified.stdout);
  assert.equal(view.hp, 'cipher');
  assert.equal(view.protectedHeaders, 'v1');
  assert.equal(view.contentType, 'text/plain');
  assert.equal(view.subject, 'Merger plans – Q3', 'the protected Subject, inside the signature');
  assert.match(view.from ?? '', /frank@example\.com/);
  // RFC 9788 §2.2: one HP-Outer per non-structural field outside, with the value shown there.
  assert.ok(view.hpOuter.includes('Subject: [...]'), view.hpOuter.join(' | '));
  assert.ok(view.hpOuter.some((v) => /^From: .*frank@example\.com/.test(v)));
  assert.ok(view.hpOuter.some((v) => v.startsWith('To: grace@example.com')));
  assert.ok(view.hpOuter.some((v) => v.startsWith('Message-ID: <')));
  assert.ok(!view.hpOuter.some((v) => /^(MIME-Version|Content-)/i.test(v)), 'structural fields are not recorded');

  const id = (JSON.parse((await runCachet(['inbox', '--as', GRACE, '--json'], { env: mail.env })).stdout) as { messages: Array<{ id: string; subject: string }> }).messages.find((m) => m.subject === '[...]')!.id;
  const read = await runCachet(['read', id, '--as', GRACE, '--json'], { env: mail.env });
  const report = JSON.parse(read.stdout) as { encrypted: boolean; headers: { subject: string; protected: boolean; scheme: string; differences: unknown[] } };
  assert.equal(report.encrypted, true);
  assert.equal(report.headers.subject, 'Merger plans – Q3');
  assert.equal(report.headers.protected, true);
  assert.equal(report.headers.scheme, 'rfc9788');
  assert.deepEqual(report.headers.differences, [], 'what HP-Outer declares matches what arrived');
});

test('signed only: hp="clear" and protected-headers="v1", no HP-Outer; the outer header is the composed one', async () => {
  const sent = await runCachet(['send', '--as', FRANK, '--to', GRACE, '--subject', 'Lunch?', '--no-encrypt'], { env: mail.env, stdin: 'At noon.' });
  assert.equal(sent.status, 0, sent.stderr);
  const wire = await lastDelivered();
  assert.equal(outerField(wire, 'subject'), 'Lunch?');
  const file = join(mail.userDir(GRACE), 'signed.eml');
  writeFileSync(file, wire);
  const verified = runTool('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem'), '-purpose', 'any']);
  assert.equal(verified.status, 0, verified.stderr);
  const view = pythonView(verified.stdout);
  assert.equal(view.hp, 'clear');
  assert.equal(view.protectedHeaders, 'v1');
  assert.equal(view.subject, 'Lunch?');
  assert.deepEqual(view.hpOuter, [], 'RFC 9788 §2.2: HP-Outer only in an encrypted payload');
});

/**
 * NeoMutt on a pseudo-terminal (util-linux `script`), as a user: open the message, type the S/MIME
 * passphrase when asked, and return what the screen showed once `until` appeared (or it gave up).
 * Each key is sent only after the screen asked for it, so nothing depends on timing.
 */
function neomuttScreen(rcFile: string, maildir: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', `neomutt -n -F ${rcFile} -f ${maildir}`, '/dev/null'], { env: { ...process.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    // Keys typed after NeoMutt has quit meet a closed pty: nothing to report.
    child.stdin.on('error', () => {});
    const steps: Array<{ when: RegExp; keys: string; done?: boolean }> = [
      { when: /Msgs:1/, keys: '\r' },
      { when: /Enter S\/MIME passphrase:/, keys: 'unused\r' },
    ];
    const finish = () => {
      clearTimeout(timer);
      child.stdin.write('qq');
      setTimeout(() => child.kill(), 2000).unref();
    };
    const timer = setTimeout(finish, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      // Escape sequences out; what is left is the text on the screen.
      // oxlint-disable-next-line no-control-regex -- matching ESC is the point
      screen += chunk.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g, '');
      for (const step of steps) {
        if (!step.done && step.when.test(screen)) {
          step.done = true;
          child.stdin.write(step.keys);
        }
      }
      if (until.test(screen)) finish();
    });
    child.on('error', reject);
    child.on('close', () => resolve(screen));
  });
}

test('NeoMutt decrypts, verifies and shows the protected Subject of what Cachet sent', async () => {
  assert.ok(encryptedWire, 'the signed and encrypted message of the first test');
  const dir = join(mail.home, 'neomutt');
  for (const sub of ['md/cur', 'md/new', 'md/tmp', 'keys', 'certs']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'md', 'cur', '1.eml:2,'), encryptedWire);
  // NeoMutt's classic S/MIME backend: key and certificate files named by the key's label.
  writeFileSync(join(dir, 'keys', 'grace'), readPem('grace-enc.key'));
  writeFileSync(join(dir, 'certs', 'grace'), readPem('grace-enc.pem'));
  const ca = pkiFile('ca.pem');
  const rc = join(dir, 'rc');
  writeFileSync(
    rc,
    [
      'set crypt_use_gpgme=no',
      'set crypt_protected_headers_read=yes',
      `set smime_keys=${join(dir, 'keys')}`,
      `set smime_certificates=${join(dir, 'certs')}`,
      'set smime_default_key=grace',
      'set smime_decrypt_use_default_key=yes',
      'set smime_decrypt_command="openssl cms -decrypt -passin stdin -inform DER -in %f -inkey %k -recip %c"',
      `set smime_verify_command="openssl cms -verify -purpose any -inform DER -in %s -CAfile ${ca} -content %f -out /dev/null"`,
      `set smime_verify_opaque_command="openssl cms -verify -purpose any -inform DER -in %s -CAfile ${ca}"`,
      'set header_cache=""',
      'set wait_key=no',
      'set quit=yes',
      'set mbox_type=Maildir',
    ].join('\n'),
  );
  const screen = await neomuttScreen(rc, join(dir, 'md'), /Subject: Merger plans/);
  assert.match(screen, /Verification successful/, 'NeoMutt verified the signature inside');
  assert.match(screen, /Subject: Merger plans – Q3/, 'NeoMutt shows the protected Subject');
});

function readPem(name: string): Buffer {
  return readFileSync(pkiFile(name));
}
