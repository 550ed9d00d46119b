/**
 * RFC 4134 signed examples (test/vectors/README.md lists the expected results): SignedData with DSA
 * and RSA (SHA-1, so reported weak but valid), detached, two signers with inherited DSA parameters,
 * the multipart/signed and opaque messages, and the certs-only example.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ByteSource } from '../../src/engine/asn1/byte-source.js';
import { readSignedData } from '../../src/engine/cms/signed-data-reader.js';
import { certificateSubject } from '../../src/engine/cms/cert-id.js';
import { verifySignedData } from '../../src/engine/smime/signed-data-verifier.js';
import { readCertsOnly, verifyCms, verifySignedEntity } from '../../src/engine/smime/verify.js';
import { readMimeEntity } from '../../src/engine/mime/entity-reader.js';
import { toByteStream } from '../../src/engine/stream-types.js';

const dir = fileURLToPath(new URL('./rfc4134/', import.meta.url));
const file = (name: string) => readFileSync(dir + name);
const CONTENT = file('ExContent.bin');

describe('RFC 4134 SignedData', () => {
  for (const [name, subject] of [['4.1', 'AliceDSS'], ['4.2', 'AliceRSA'], ['4.4', 'AliceDSS'], ['4.5', 'AliceRSA'], ['4.7', 'AliceDSS'], ['4.10', 'AliceDSS']] as const) {
    test(`${name}.bin verifies, SHA-1 reported weak`, async () => {
      const out: Buffer[] = [];
      const reading = await readSignedData(new ByteSource([file(`${name}.bin`)]));
      const report = await verifySignedData(reading, null, { write: (c) => void out.push(Buffer.from(c)) }, { form: 'opaque' });
      assert.equal(report.valid, true, JSON.stringify(report.signers.map((s) => s.error)));
      assert.equal(report.signers.length, 1);
      assert.equal(report.signers[0]!.subject, `CN=${subject}`);
      assert.equal(report.signers[0]!.digestAlgorithm, 'sha1');
      assert.equal(report.signers[0]!.weakAlgorithm, true);
      assert.deepEqual(Buffer.concat(out), CONTENT);
    });
  }

  test('4.3.bin is detached: valid over ExContent.bin, needs the content, and a changed content fails', async () => {
    const good = await verifyCms(toByteStream(file('4.3.bin')), { content: toByteStream(CONTENT) });
    assert.equal(good.valid, true);
    assert.equal(good.form, 'detached');
    await assert.rejects(verifyCms(toByteStream(file('4.3.bin'))), { code: 'ERR_CONTENT_MISSING' });
    const changed = Buffer.from(CONTENT);
    changed[0]! ^= 0x20;
    const bad = await verifyCms(toByteStream(file('4.3.bin')), { content: toByteStream(changed) });
    assert.equal(bad.valid, false);
    // 4.3 has no signed attributes: the signature itself is over the content.
    assert.equal(bad.signers[0]!.error?.code, 'ERR_SIGNATURE_INVALID');
  });

  test('4.6.bin: both signers verify, DianeDSS with DSA parameters inherited from CarlDSS', async () => {
    const report = await verifyCms(toByteStream(file('4.6.bin')), { certificates: [file('CarlDSSSelf.cer')] });
    assert.equal(report.valid, true, JSON.stringify(report.signers.map((s) => s.error)));
    assert.deepEqual(report.signers.map((s) => s.subject).sort(), ['CN=AliceDSS', 'CN=DianeDSS']);
    // Without the issuer's parameters Diane's key is incomplete: reported for that signer only.
    const without = await verifyCms(toByteStream(file('4.6.bin')));
    assert.equal(without.valid, false);
    assert.deepEqual(without.signers.map((s) => s.valid).sort(), [false, true]);
  });

  test('4.8.eml (multipart/signed) and 4.9.eml (opaque) verify and give the signed content', async () => {
    for (const [name, form] of [['4.8.eml', 'detached'], ['4.9.eml', 'opaque']] as const) {
      const out: Buffer[] = [];
      const report = await verifySignedEntity(await readMimeEntity(toByteStream(file(name))), { write: (c) => void out.push(Buffer.from(c)) });
      assert.equal(report.valid, true, `${name}: ${JSON.stringify(report.signers.map((s) => s.error))}`);
      assert.equal(report.form, form);
      assert.match(Buffer.concat(out).toString('latin1'), /This is some sample content\./);
    }
  });

  test('4.11.bin certs-only: the certificates are read', async () => {
    const certificates = await readCertsOnly(toByteStream(file('4.11.bin')));
    assert.deepEqual(certificates.map(certificateSubject).sort(), ['CN=AliceDSS', 'CN=CarlDSS']);
    assert.ok(certificates.some((c) => Buffer.from(c).equals(file('CarlDSSSelf.cer'))));
  });
});
