/**
 * Encryption interop with OpenSSL, both directions: every cipher, RSA PKCS#1 v1.5 and OAEP, ECDH on
 * P-256 and P-384, the -stream (indefinite-length) form, and 3DES from old mail.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, pkiFile, privateKey } from '../../helpers/pki.js';
import { encryptMessage } from '../../../src/engine/smime/encrypt.js';
import { decryptEnvelopedEntity } from '../../../src/engine/smime/decrypt.js';
import { readMimeEntity } from '../../../src/engine/mime/entity-reader.js';
import { softwareKey } from '../../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../../src/engine/stream-types.js';
import type { ContentCipher, Decryptor } from '../../../src/engine/keys.js';
import { isCachetError } from '../../../src/errors.js';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: interop\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob, this is a secret.\r\n';
let work: string;

function decryptor(name: string): Decryptor {
  return { certificate: certificateDer(name), key: softwareKey(privateKey(name)) };
}

async function cachetDecrypt(message: Buffer, name: string) {
  const parts: Buffer[] = [];
  const entity = await readMimeEntity(toByteStream(message));
  const report = await decryptEnvelopedEntity(entity, { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: [decryptor(name)] });
  return { report, plaintext: Buffer.concat(parts).toString('utf8') };
}

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-enc-interop-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('Cachet encrypts, OpenSSL decrypts', () => {
  const cases: Array<[string, ContentCipher, 'rsa-pkcs1' | 'rsa-oaep' | undefined]> = [
    ['bob', 'aes-256-cbc', 'rsa-pkcs1'],
    ['bob', 'aes-192-cbc', 'rsa-pkcs1'],
    ['bob', 'aes-128-cbc', 'rsa-oaep'],
    ['bob', 'aes-256-gcm', 'rsa-pkcs1'],
    ['bob', 'aes-128-gcm', 'rsa-oaep'],
    ['carol', 'aes-256-cbc', undefined],
    ['erin', 'aes-256-gcm', undefined],
  ];
  for (const [name, cipher, keyTransport] of cases) {
    test(`${cipher} to ${name}${keyTransport ? ` (${keyTransport})` : ' (ECDH)'}`, async () => {
      const encrypted = await collectBytes(
        encryptMessage(toByteStream(MESSAGE), { recipients: [{ certificate: certificateDer(name), ...(keyTransport ? { keyTransport } : {}) }], cipher }),
      );
      assert.match(encrypted.toString('latin1'), cipher.endsWith('gcm') ? /smime-type=authEnveloped-data/ : /smime-type=enveloped-data/);
      assert.match(encrypted.toString('latin1'), /^From: alice@example.com\r\n/);
      const file = join(work, `c-${name}-${cipher}.eml`);
      writeFileSync(file, encrypted);
      const plain = openssl(['cms', '-decrypt', '-in', file, '-recip', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`)]);
      assert.equal(plain.toString('utf8').replace(/\r\n/g, '\n'), 'Content-Type: text/plain; charset=utf-8\n\nHello Bob, this is a secret.\n');
      // and Cachet reads its own output
      const own = await cachetDecrypt(encrypted, name);
      assert.equal(own.report.contentEncryption, cipher);
    });
  }
});

describe('OpenSSL encrypts, Cachet decrypts', () => {
  const cases: Array<[string, string[], string, string]> = [
    ['bob', ['-aes-256-cbc'], 'aes-256-cbc', 'rsa'],
    ['bob', ['-aes-128-cbc', '-stream'], 'aes-128-cbc', 'rsa'],
    ['bob', ['-des3'], 'des-ede3-cbc', 'rsa'],
    ['bob', ['-aes-256-gcm'], 'aes-256-gcm', 'rsa'],
    ['bob', ['-aes-256-gcm', '-stream'], 'aes-256-gcm', 'rsa'],
    ['bob', ['-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'], 'aes-256-cbc', 'rsa-oaep'],
    ['bob', ['-aes-128-cbc', '-keyopt', 'rsa_padding_mode:oaep'], 'aes-128-cbc', 'rsa-oaep'],
    ['carol', ['-aes-256-cbc'], 'aes-256-cbc', 'ecdh'],
    ['erin', ['-aes-128-gcm'], 'aes-128-gcm', 'ecdh'],
    // Cofactor ECDH, as BouncyCastle and MimeKit may send it, with other KDF hashes.
    ['carol', ['-aes-256-cbc', '-keyopt', 'ecdh_cofactor_mode:1'], 'aes-256-cbc', 'ecdh'],
    ['carol', ['-aes-256-cbc', '-keyopt', 'ecdh_cofactor_mode:1', '-keyopt', 'ecdh_kdf_md:sha256'], 'aes-256-cbc', 'ecdh'],
    ['erin', ['-aes-256-gcm', '-keyopt', 'ecdh_kdf_md:sha512'], 'aes-256-gcm', 'ecdh'],
  ];
  for (const [name, options, cipher, keyManagement] of cases) {
    test(`openssl ${options.join(' ')} to ${name}`, async () => {
      const input = join(work, 'm.txt');
      writeFileSync(input, MESSAGE);
      const recipientArgs = options.includes('-keyopt') ? ['-recip', pkiFile(`${name}.pem`)] : [pkiFile(`${name}.pem`)];
      const keyopts = options.filter((_o, i) => options[i] === '-keyopt' || options[i - 1] === '-keyopt');
      const rest = options.filter((o) => !keyopts.includes(o));
      const encrypted = openssl(['cms', '-encrypt', '-in', input, ...rest, ...(options.includes('-keyopt') ? ['-recip', pkiFile(`${name}.pem`), ...keyopts] : recipientArgs)]);
      const { report, plaintext } = await cachetDecrypt(encrypted, name);
      assert.equal(report.contentEncryption, cipher);
      assert.equal(report.keyManagement, keyManagement);
      assert.match(plaintext, /Hello Bob, this is a secret\./);
    });
  }
});

describe('failures', () => {
  test('a message for someone else names its recipients and says none of our keys fits', async () => {
    const encrypted = await collectBytes(encryptMessage(toByteStream(MESSAGE), { recipients: [{ certificate: certificateDer('bob') }] }));
    await assert.rejects(cachetDecrypt(encrypted, 'alice'), (e) => isCachetError(e, 'ERR_NOT_A_RECIPIENT'));
  });

  test('tampered GCM ciphertext is refused by its tag', async () => {
    const input = join(work, 'm2.txt');
    writeFileSync(input, MESSAGE);
    const der = openssl(['cms', '-encrypt', '-aes-256-gcm', '-in', input, '-outform', 'DER', pkiFile('bob.pem')]);
    der[der.length - 40]! ^= 0x01; // a byte of the ciphertext
    const message = Buffer.concat([Buffer.from('Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n'), Buffer.from(der.toString('base64'))]);
    await assert.rejects(cachetDecrypt(message, 'bob'), (e) => isCachetError(e, 'ERR_AUTH_TAG_INVALID'));
  });
});
