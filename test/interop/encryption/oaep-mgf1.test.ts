/**
 * RSA-OAEP key transport whose MGF1 digest differs from the OAEP digest, as Java's JCE
 * ("OAEPWithSHA-256AndMGF1Padding") and BouncyCastle write it: OpenSSL makes the messages
 * (`-keyopt rsa_oaep_md:… -keyopt rsa_mgf1_md:…`), `openssl cms -cmsout -print` confirms what the
 * RecipientInfo says, and Cachet decrypts them through the engine and `cachet decrypt --key bob.p12`.
 * A corrupted encrypted key fails exactly as a corrupted standard-OAEP key does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../../helpers/cli.js';
import { certificateDer, P12_PASSWORD, pkiFile, privateKey } from '../../helpers/pki.js';
import { decryptCms } from '../../../src/engine/smime/decrypt.js';
import { softwareKey } from '../../../src/engine/software-key.js';
import { toByteStream } from '../../../src/engine/stream-types.js';
import { isCachetError } from '../../../src/errors.js';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: oaep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOAEP with a separate MGF1 digest.\r\n';
let work: string;
let passwordFile: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-oaep-mgf1-'));
  passwordFile = join(work, 'password');
  writeFileSync(passwordFile, `${P12_PASSWORD}\n`);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A DER EnvelopedData to bob, key transport RSA-OAEP with the given digests, made by openssl cms. */
function opensslOaep(md: string, mgf1: string): Buffer {
  return execFileSync(
    'openssl',
    ['cms', '-encrypt', '-binary', '-aes-256-cbc', '-outform', 'DER', '-recip', pkiFile('bob.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', `rsa_oaep_md:${md}`, '-keyopt', `rsa_mgf1_md:${mgf1}`],
    { input: MESSAGE, stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/** The keyEncryptionAlgorithm as openssl cms -cmsout -print shows it. */
function printedKeyEncryption(der: Buffer): string {
  const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], { input: der }).toString('latin1');
  const start = printed.indexOf('keyEncryptionAlgorithm:');
  assert.ok(start >= 0, printed);
  return printed.slice(start, printed.indexOf('encryptedKey:', start));
}

async function engineDecrypt(der: Buffer) {
  const parts: Buffer[] = [];
  const report = await decryptCms(toByteStream(der), { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }] });
  return { report, plaintext: Buffer.concat(parts).toString('utf8') };
}

/** Flips one bit in the middle of the encrypted key (the only 256-byte OCTET STRING: 04 82 01 00). */
function corruptEncryptedKey(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const at = copy.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]));
  assert.ok(at > 0, 'the encrypted key was found');
  assert.equal(copy.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]), at + 1), -1, 'only one 256-byte OCTET STRING');
  copy[at + 4 + 128] = copy[at + 4 + 128]! ^ 0x10;
  return copy;
}

describe('openssl cms RSA-OAEP with a separate MGF1 digest → Cachet', () => {
  const cases: Array<[string, string, RegExp]> = [
    // MGF1-SHA-1 is the DER default, so openssl omits maskGenAlgorithm: only SHA-256 is printed.
    ['sha256', 'sha1', /OBJECT\s+:sha256(?![\s\S]*mgf1)/],
    ['sha384', 'sha256', /OBJECT\s+:sha384[\s\S]*OBJECT\s+:mgf1[\s\S]*OBJECT\s+:sha256/],
  ];
  for (const [md, mgf1, printed] of cases) {
    test(`${md} with MGF1-${mgf1}: the engine and cachet decrypt --key bob.p12`, async () => {
      const der = opensslOaep(md, mgf1);
      const shown = printedKeyEncryption(der);
      assert.match(shown, /rsaesOaep/);
      assert.match(shown, printed);
      // OpenSSL, which made it, reads it back: the message is what its parameters claim.
      assert.match(execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-inkey', pkiFile('bob.key')], { input: der }).toString(), /separate MGF1/);

      const { report, plaintext } = await engineDecrypt(der);
      assert.equal(report.keyManagement, 'rsa-oaep');
      assert.equal(plaintext, MESSAGE);

      const file = join(work, `oaep-${md}-${mgf1}.p7m`);
      const out = join(work, `oaep-${md}-${mgf1}.out`);
      writeFileSync(file, der);
      const run = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '--password-file', passwordFile, '--json', '-i', file, '-o', out]);
      assert.equal(run.status, 0, run.stderr);
      const json = JSON.parse(run.stdout) as Record<string, unknown>;
      assert.equal(json.decrypted, true);
      assert.equal(json.keyManagement, 'rsa-oaep');
      assert.equal(json.contentEncryption, 'aes-256-cbc');
      assert.equal(readFileSync(out, 'utf8'), MESSAGE);
    });
  }

  test('a corrupted encrypted key fails with the same code and message as a corrupted standard-OAEP key', async () => {
    const outcomes: Array<{ code: string; message: string; cliCode: string; cliMessage: string; stderr: string }> = [];
    for (const [md, mgf1] of [['sha256', 'sha256'], ['sha256', 'sha1'], ['sha384', 'sha256']]) {
      const der = corruptEncryptedKey(opensslOaep(md!, mgf1!));
      let engineError: unknown;
      await engineDecrypt(der).catch((e: unknown) => (engineError = e));
      assert.ok(isCachetError(engineError), `${md}/${mgf1}: a CachetError, not ${String(engineError)}`);
      const file = join(work, `corrupt-${md}-${mgf1}.p7m`);
      const out = join(work, `corrupt-${md}-${mgf1}.out`);
      writeFileSync(file, der);
      const run = await runCachet(['decrypt', '--key', pkiFile('bob.p12'), '--password-file', passwordFile, '--json', '-i', file, '-o', out]);
      assert.notEqual(run.status, 0);
      assert.equal(existsSync(out), false);
      const cli = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
      outcomes.push({ code: engineError.code, message: engineError.message, cliCode: cli.code, cliMessage: cli.message, stderr: run.stderr });
    }
    assert.equal(outcomes[0]!.code, 'ERR_DECRYPT_FAILED');
    assert.equal(outcomes[0]!.cliCode, 'ERR_DECRYPT_FAILED');
    assert.equal(outcomes[0]!.stderr.trim().split('\n').length, 1);
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(outcomes[2], outcomes[0]);
  });
});
