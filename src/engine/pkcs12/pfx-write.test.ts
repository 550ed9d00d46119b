import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePfx } from './pfx-write.js';
import { legacyPbeEncrypt, pbeDecrypt } from './password-based.js';
import { readPfx } from './pfx-read.js';
import { certificateDer, pkiBytes, privateKey } from '../../../test/helpers/pki.js';
import { X509Certificate } from 'node:crypto';

for (const legacy of [false, true]) {
  test(`a ${legacy ? 'legacy (3DES, SHA-1 MAC)' : 'modern (PBES2, SHA-256 MAC)'} file opens in OpenSSL and in Cachet`, async () => {
    const chain = [new X509Certificate(pkiBytes('inter.pem')).raw, new X509Certificate(pkiBytes('ca.pem')).raw];
    const pfx = await writePfx({
      privateKeyPkcs8: privateKey('dan').export({ format: 'der', type: 'pkcs8' }),
      certificate: certificateDer('dan'),
      chain,
      password: 'correct horse',
      friendlyName: 'Dan (signing)',
      legacy,
    });
    const dir = mkdtempSync(join(tmpdir(), 'cachet-pfxw-'));
    try {
      const file = join(dir, 'dan.p12');
      writeFileSync(file, pfx);
      const info = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:correct horse', '-nodes', ...(legacy ? ['-legacy'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      assert.equal((info.match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
      assert.match(info, /BEGIN PRIVATE KEY/);
      assert.match(info, /friendlyName: Dan \(signing\)/);
      const details = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:correct horse', '-info', '-noout', ...(legacy ? ['-legacy'] : [])], { encoding: 'utf8' });
      assert.match(details.stderr, legacy ? /MAC: sha1/ : /MAC: sha256/);
      assert.match(details.stderr, legacy ? /pbeWithSHA1And3-KeyTripleDES-CBC/ : /PBES2, PBKDF2, AES-256-CBC/);
      const read = await readPfx(pfx, 'correct horse');
      assert.equal(read.credentials.length, 1);
      assert.equal(read.credentials[0]!.chain.length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('legacy 3DES: a salt that gpgsm would derive another key from is drawn again', async () => {
  // For this password and 2048 iterations, this salt leaves the first block of the KDF's I starting
  // with a zero byte after its update: gpgsm 2.2 then fails to decrypt the key bag (seen in CI with a
  // file OpenSSL and NSS opened). The next salt does not.
  const misread = Buffer.from('3c630f3011bbe0e5', 'hex');
  const fine = Buffer.from('d183aa44e623ede1', 'hex');
  const salts = [misread, fine];
  const data = Buffer.from('the PKCS#8 key would be here');
  const { algorithm, encrypted } = await legacyPbeEncrypt('correct horse battery', data, 2048, '3des', () => salts.shift()!);
  assert.equal(salts.length, 0, 'a second salt was drawn');
  assert.ok(algorithm.includes(fine) && !algorithm.includes(misread), 'the file names the salt gpgsm reads right');
  assert.deepEqual(await pbeDecrypt(algorithm, 'correct horse battery', encrypted), data);
  // A salt read right the first time is kept: nothing else is drawn.
  const once = await legacyPbeEncrypt('correct horse battery', data, 2048, '3des', () => fine);
  assert.ok(once.algorithm.includes(fine));
});
