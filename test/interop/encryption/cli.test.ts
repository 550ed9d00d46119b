/**
 * The encrypt/decrypt CLI contract, with OpenSSL as the other side: `cachet encrypt --to CERT` output
 * opens in `openssl cms -decrypt`, openssl's output opens in `cachet decrypt --key FILE.p12 --json`,
 * recipients named by subjectKeyIdentifier are read and written, and failures exit non-zero with one
 * line on stderr, a stable code in --json, and no output file.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../../helpers/cli.js';
import { certificateDer, P12_PASSWORD, pkiFile } from '../../helpers/pki.js';
import { encryptCms } from '../../../src/engine/smime/encrypt.js';
import { collectBytes, toByteStream } from '../../../src/engine/stream-types.js';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: cli\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOnly for Bob.\r\n';
let work: string;
let passwordFile: string;
let input: string;

function openssl(args: string[], stdin?: Buffer): Buffer {
  return execFileSync('openssl', args, { input: stdin, stdio: ['pipe', 'pipe', 'pipe'] });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-enc-cli-'));
  passwordFile = join(work, 'password');
  writeFileSync(passwordFile, `${P12_PASSWORD}\n`);
  input = join(work, 'message.eml');
  writeFileSync(input, MESSAGE);
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('cachet encrypt → openssl cms -decrypt', () => {
  for (const [name, extra] of [
    ['bob', ['--cipher', 'aes-256-gcm', '--oaep']],
    ['bob', ['--cipher', 'aes-128-cbc']],
    ['erin', ['--cipher', 'aes-256-cbc']],
  ] as const) {
    test(`${name} ${extra.join(' ')}`, async () => {
      const out = join(work, `to-${name}-${extra.join('')}.eml`);
      const run = await runCachet(['encrypt', '--to', pkiFile(`${name}.pem`), ...extra, '-i', input, '-o', out]);
      assert.equal(run.status, 0, run.stderr);
      const plain = openssl(['cms', '-decrypt', '-in', out, '-recip', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`)]).toString('utf8');
      assert.match(plain, /Only for Bob\./);
      assert.match(plain, /^Content-Type: text\/plain/);
    });
  }

  test('a DER certificate works as --to', async () => {
    const der = join(work, 'bob.der');
    writeFileSync(der, certificateDer('bob'));
    const run = await runCachet(['encrypt', '--to', der, '-i', input]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(openssl(['cms', '-decrypt', '-recip', pkiFile('bob.pem'), '-inkey', pkiFile('bob.key')], run.stdoutBytes).toString('utf8'), /Only for Bob\./);
  });

  test('an unknown cipher is a usage error', async () => {
    const run = await runCachet(['encrypt', '--to', pkiFile('bob.pem'), '--cipher', 'des-ede3-cbc', '-i', input]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--cipher/);
  });
});

describe('openssl cms -encrypt → cachet decrypt --json', () => {
  test('AES-256-GCM, OAEP SHA-256, with a .p12 key', async () => {
    const file = join(work, 'ossl-gcm.eml');
    writeFileSync(
      file,
      openssl(['cms', '-encrypt', '-aes-256-gcm', '-recip', pkiFile('bob.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'], Buffer.from(MESSAGE)),
    );
    const out = join(work, 'ossl-gcm.out');
    const run = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '--password-file', passwordFile, '--json', '-i', file, '-o', out]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(report.decrypted, true);
    assert.equal(report.contentEncryption, 'aes-256-gcm');
    assert.equal(report.keyManagement, 'rsa-oaep');
    assert.match(String((report.recipient as { issuer: string }).issuer), /CN=/);
    assert.match(readFileSync(out, 'utf8'), /Only for Bob\./);
  });

  test('recipients named by subjectKeyIdentifier (openssl -keyid), RSA and ECDH', async () => {
    for (const [name, keyManagement] of [['bob', 'rsa'], ['carol', 'ecdh']] as const) {
      const file = join(work, `ossl-keyid-${name}.p7m`);
      writeFileSync(file, openssl(['cms', '-encrypt', '-keyid', '-aes-128-cbc', '-outform', 'DER', '-recip', pkiFile(`${name}.pem`)], Buffer.from(MESSAGE)));
      const run = await runCachet(['decrypt', '--key', pkiFile(`${name}.p12`), '--password-file', passwordFile, '--json', '-i', file, '-o', join(work, `keyid-${name}.out`)]);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { keyManagement: string; recipient: { subjectKeyIdentifier?: string } };
      assert.equal(report.keyManagement, keyManagement);
      assert.match(report.recipient.subjectKeyIdentifier ?? '', /^[0-9a-f]{40}$/);
    }
  });

  test('bare PEM CMS input', async () => {
    const pem = openssl(['cms', '-encrypt', '-aes-256-cbc', '-outform', 'PEM', '-recip', pkiFile('bob.pem')], Buffer.from(MESSAGE));
    const run = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '--password-file', passwordFile], { stdin: pem });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Only for Bob\./);
  });

  test('not a recipient: exit 1, one line, ERR_NOT_A_RECIPIENT naming the recipients, no output file', async () => {
    const file = join(work, 'for-bob.eml');
    writeFileSync(file, openssl(['cms', '-encrypt', '-aes-256-cbc', '-recip', pkiFile('bob.pem')], Buffer.from(MESSAGE)));
    const out = join(work, 'never.out');
    const run = await runCachet(['decrypt', '--key', pkiFile('alice.p12'), '--password-file', passwordFile, '--json', '-i', file, '-o', out]);
    assert.notEqual(run.status, 0);
    const error = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'ERR_NOT_A_RECIPIENT');
    assert.match(error.message, /serial 1002 issued by CN=Test SMIME Root CA/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(out), false);
  });

  test('tampered GCM: ERR_AUTH_TAG_INVALID and no output file', async () => {
    const der = Buffer.from(openssl(['cms', '-encrypt', '-aes-256-gcm', '-outform', 'DER', '-recip', pkiFile('bob.pem')], Buffer.from(MESSAGE)));
    // flip a byte inside the encrypted content: the last bytes before the 16-byte tag and its framing
    der[der.length - 24] = der[der.length - 24]! ^ 0x01;
    const file = join(work, 'tampered.p7m');
    writeFileSync(file, der);
    const out = join(work, 'tampered.out');
    const run = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '--password-file', passwordFile, '--json', '-i', file, '-o', out]);
    assert.notEqual(run.status, 0);
    assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, 'ERR_AUTH_TAG_INVALID');
    assert.equal(existsSync(out), false);
    // The plaintext went into a hidden temporary file beside the output: it is gone too.
    assert.deepEqual(readdirSync(work).filter((name) => name.startsWith('.tampered.out')), []);
  });
});

describe('Cachet writes subjectKeyIdentifier recipients', () => {
  test('RSA and ECDH recipients by subjectKeyIdentifier decrypt in openssl', async () => {
    for (const name of ['bob', 'carol']) {
      const cms = await collectBytes(
        encryptCms(toByteStream(MESSAGE), { recipients: [{ certificate: certificateDer(name), identifier: 'subjectKeyIdentifier' }], cipher: 'aes-256-cbc' }),
      );
      const asn1 = openssl(['asn1parse', '-inform', 'DER'], cms).toString('latin1');
      assert.match(asn1, /cont \[ 0 \]/);
      const plain = openssl(['cms', '-decrypt', '-inform', 'DER', '-recip', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`)], cms).toString('utf8');
      assert.match(plain, /Only for Bob\./);
    }
  });
});
