import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, pkiFile, privateKey } from '../../../test/helpers/pki.js';
import { softwareKey } from '../software-key.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import type { Signer } from '../keys.js';
import { ByteSource } from '../asn1/byte-source.js';
import { detachedSignedData, opaqueSignedData } from './signed-data-writer.js';
import { readSignedData } from './signed-data-reader.js';
import { verifySignedData } from '../smime/signed-data-verifier.js';

function signer(name: string, extra: Partial<Signer> = {}): Signer {
  return { certificate: certificateDer(name), key: softwareKey(privateKey(name)), ...extra };
}

const CONTENT = Buffer.from('Content-Type: text/plain\r\n\r\nhello signed world\r\n');

test('opaque SignedData round-trips and openssl verifies it', async () => {
  for (const s of [signer('alice'), signer('alice', { rsaScheme: 'rsa-pss' }), signer('carol'), signer('erin', { digest: 'sha512' })]) {
    const der = await collectBytes(opaqueSignedData(toByteStream(CONTENT), { signers: [s], signingTime: new Date('2026-01-02T03:04:05Z') }));
    const reading = await readSignedData(new ByteSource([der]));
    const out: Buffer[] = [];
    const report = await verifySignedData(reading, null, { write: (c) => void out.push(Buffer.from(c)) }, { form: 'opaque' });
    assert.equal(report.valid, true, JSON.stringify(report.signers[0]?.error));
    assert.deepEqual(Buffer.concat(out), CONTENT);
    assert.equal(report.signers[0]!.signingTime, '2026-01-02T03:04:05.000Z');
    assert.equal(report.signers[0]!.capabilities[0], 'aes-256-gcm');
    const dir = mkdtempSync(join(tmpdir(), 'cachet-sd-'));
    try {
      writeFileSync(join(dir, 'sig.der'), der);
      const plain = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-CAfile', pkiFile('ca.pem'), '-binary'], { stdio: ['ignore', 'pipe', 'pipe'] });
      assert.deepEqual(plain, CONTENT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('detached SignedData verifies over its content and a changed byte is a digest mismatch', async () => {
  const der = await detachedSignedData(toByteStream(CONTENT), { signers: [signer('bob'), signer('carol')] });
  const good = await verifySignedData(await readSignedData(new ByteSource([der])), toByteStream(CONTENT), undefined, { form: 'detached' });
  assert.equal(good.valid, true);
  assert.equal(good.signers.length, 2);
  const tampered = Buffer.from(CONTENT);
  tampered[30]! ^= 1;
  const bad = await verifySignedData(await readSignedData(new ByteSource([der])), toByteStream(tampered), undefined, { form: 'detached' });
  assert.equal(bad.valid, false);
  assert.equal(bad.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
});
