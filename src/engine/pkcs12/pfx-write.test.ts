import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePfx } from './pfx-write.js';
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
