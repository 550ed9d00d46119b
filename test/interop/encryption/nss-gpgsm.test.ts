/**
 * Encryption interop with NSS (Thunderbird's engine) and gpgsm, both directions, for what they
 * support: AES-CBC with RSA PKCS#1 v1.5 key transport (neither reads OAEP or AES-GCM; NSS no ECDH).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, privateKey } from '../../helpers/pki.js';
import { makeGnupgHome, makeNssDatabase, runToolOk, stopGnupg } from '../../helpers/oracles.js';
import { encryptCms } from '../../../src/engine/smime/encrypt.js';
import { decryptCms } from '../../../src/engine/smime/decrypt.js';
import { softwareKey } from '../../../src/engine/software-key.js';
import { collectBytes, toByteStream } from '../../../src/engine/stream-types.js';
import type { ContentCipher } from '../../../src/engine/keys.js';

const CONTENT = Buffer.from('Content-Type: text/plain\r\n\r\nFor Bob only: the launch code is 0000.\r\n');
let work: string;
let nss: string;
let gnupg: NodeJS.ProcessEnv;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'cachet-enc-oracles-'));
  nss = makeNssDatabase(join(work, 'nss'), ['bob']);
  gnupg = makeGnupgHome(join(work, 'gnupg'), ['bob']);
  writeFileSync(join(work, 'content.txt'), CONTENT);
});
after(() => {
  stopGnupg(gnupg);
  rmSync(work, { recursive: true, force: true });
});

async function cachetDecrypt(der: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  await decryptCms(toByteStream(der), { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }] });
  return Buffer.concat(parts);
}

async function cachetEncrypt(cipher: ContentCipher): Promise<string> {
  const file = join(work, `cachet-${cipher}.der`);
  writeFileSync(file, await collectBytes(encryptCms(toByteStream(CONTENT), { recipients: [{ certificate: certificateDer('bob') }], cipher })));
  return file;
}

describe('NSS cmsutil', () => {
  for (const cipher of ['aes-256-cbc', 'aes-128-cbc'] as const) {
    test(`decrypts Cachet's ${cipher} message (RSA PKCS#1 v1.5, indefinite-length BER)`, async () => {
      const plain = runToolOk('cmsutil', ['-D', '-d', nss, '-p', '', '-i', await cachetEncrypt(cipher)]);
      assert.deepEqual(plain, CONTENT);
    });
  }
  test('cmsutil -E output decrypts in Cachet', async () => {
    const out = join(work, 'nss.der');
    runToolOk('cmsutil', ['-E', '-d', nss, '-r', 'bob@example.com', '-i', join(work, 'content.txt'), '-o', out]);
    assert.deepEqual(await cachetDecrypt(readFileSync(out)), CONTENT);
  });
});

describe('gpgsm', () => {
  test("decrypts Cachet's AES-256-CBC message", async () => {
    const plain = runToolOk('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--decrypt', await cachetEncrypt('aes-256-cbc')], { env: gnupg, input: 'test\n' });
    assert.deepEqual(plain, CONTENT);
  });
  test('gpgsm --encrypt output decrypts in Cachet', async () => {
    const der = runToolOk('gpgsm', ['--batch', '--cipher-algo', 'AES256', '-r', 'bob@example.com', '--encrypt', join(work, 'content.txt')], { env: gnupg });
    assert.deepEqual(await cachetDecrypt(der), CONTENT);
  });
});
