/**
 * NSS (`cmsutil`, Thunderbird's engine) both ways. Note: `cmsutil -D` exits 0 on a bad signature,
 * so its `status=GoodSignature` line is what counts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { P12_PASSWORD, pkiFile } from '../../helpers/pki.js';
import { toByteStream } from '../../../src/engine/stream-types.js';
import { verifyCms } from '../../../src/engine/smime/verify.js';
import { cachetSign, ENTITY, errors, run, runOk, signer, splitSigned, tempDir } from './support.js';

let dir: ReturnType<typeof tempDir>;
let db: string;
before(() => {
  dir = tempDir('cachet-nss-sign-');
  db = `sql:${join(dir.path, 'nss')}`;
  runOk('mkdir', ['-p', join(dir.path, 'nss')]);
  runOk('certutil', ['-N', '-d', db, '--empty-password']);
  runOk('certutil', ['-A', '-d', db, '-n', 'testca', '-t', 'C,C,C', '-i', pkiFile('ca.pem')]);
  for (const name of ['alice', 'carol']) runOk('pk12util', ['-i', pkiFile(`${name}.p12`), '-d', db, '-W', P12_PASSWORD, '-K', '']);
  writeFileSync(join(dir.path, 'entity.txt'), ENTITY);
});
after(() => dir?.remove());

function nssVerify(signature: Buffer, content: Buffer): string {
  const sig = join(dir.path, 'sig.der');
  const data = join(dir.path, 'content.bin');
  writeFileSync(sig, signature);
  writeFileSync(data, content);
  const result = run('cmsutil', ['-D', '-d', db, '-i', sig, '-c', data, '-n', '-h', '1', '-u', '4']);
  return result.stdout.toString() + result.stderr;
}

describe('NSS cmsutil', () => {
  for (const [title, make] of [['RSA', () => signer('alice')], ['RSA SHA-384', () => signer('alice', { digest: 'sha384' })], ['ECDSA P-256', () => signer('carol')]] as const) {
    test(`verifies Cachet's detached ${title} signature, and rejects tampered content`, async () => {
      const { content, signature } = splitSigned(await cachetSign(ENTITY, { signers: [make()], mode: 'detached' }));
      assert.deepEqual(content, ENTITY);
      assert.match(nssVerify(signature, content), /status=GoodSignature/);
      const tampered = Buffer.from(content.toString('latin1').replace('Hello', 'Jello'), 'latin1');
      assert.doesNotMatch(nssVerify(signature, tampered), /status=GoodSignature/);
    });
  }

  test('cmsutil-made detached and opaque signatures verify in Cachet', async () => {
    for (const [nick, hash] of [['alice', 'SHA256'], ['carol', 'SHA384']] as const) {
      const detachedFile = join(dir.path, `n-${nick}-det.der`);
      runOk('cmsutil', ['-S', '-d', db, '-p', '', '-N', nick, '-T', '-G', '-P', '-H', hash, '-i', join(dir.path, 'entity.txt'), '-o', detachedFile]);
      const detached = await verifyCms(toByteStream(readFileSync(detachedFile)), { content: toByteStream(ENTITY) });
      assert.equal(detached.valid, true, errors(detached));
      assert.equal(detached.signers[0]!.digestAlgorithm, hash.toLowerCase());
      assert.deepEqual(detached.signers[0]!.email, [`${nick}@example.com`]);
      assert.ok(detached.signers[0]!.capabilities.length > 0);

      const opaqueFile = join(dir.path, `n-${nick}-opq.der`);
      runOk('cmsutil', ['-S', '-d', db, '-p', '', '-N', nick, '-G', '-H', hash, '-i', join(dir.path, 'entity.txt'), '-o', opaqueFile]);
      const parts: Buffer[] = [];
      const opaque = await verifyCms(toByteStream(readFileSync(opaqueFile)), {}, { write: (c) => void parts.push(Buffer.from(c)) });
      assert.equal(opaque.valid, true, errors(opaque));
      assert.deepEqual(Buffer.concat(parts), ENTITY);

      const changed = Buffer.from(ENTITY.toString('latin1').replace('Bob', 'Bub'), 'latin1');
      const bad = await verifyCms(toByteStream(readFileSync(detachedFile)), { content: toByteStream(changed) });
      assert.equal(bad.valid, false);
      assert.equal(bad.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
    }
  });
});

