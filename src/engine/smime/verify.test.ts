import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { certificateDer, privateKey } from '../../../test/helpers/pki.js';
import { softwareKey } from '../software-key.js';
import type { DigestAlgorithm, Signer } from '../keys.js';
import { CachetError } from '../../errors.js';
import { collectBytes, toByteStream } from '../stream-types.js';
import { detachedSignedData, opaqueSignedData } from '../cms/signed-data-writer.js';
import { issuerAndSerialNumber } from '../cms/cert-id.js';
import { buildCertsOnly, readCertsOnly, verifyCms, verifySignedEntity } from './verify.js';
import { readMimeEntity } from '../mime/entity-reader.js';
import { signEntity, signMessage } from './sign.js';

function signer(name: string, extra: Partial<Signer> = {}): Signer {
  return { certificate: certificateDer(name), key: softwareKey(privateKey(name)), ...extra };
}
const CONTENT = Buffer.from('Content-Type: text/plain\r\n\r\nmultiple signers\r\n');

describe('verify', () => {
  test('every signer is reported; one bad signer makes the layer invalid', async () => {
    const der = await detachedSignedData(toByteStream(CONTENT), { signers: [signer('alice'), signer('carol')] });
    const good = await verifyCms(toByteStream(der), { content: toByteStream(CONTENT) });
    assert.equal(good.valid, true);
    assert.deepEqual(good.signers.map((s) => s.email[0]).sort(), ['alice@example.com', 'carol@example.com']);
    const broken = Buffer.from(der);
    broken[broken.length - 1]! ^= 0x01; // the last byte is the last SignerInfo's signature
    const bad = await verifyCms(toByteStream(broken), { content: toByteStream(CONTENT) });
    assert.equal(bad.valid, false);
    assert.deepEqual(bad.signers.map((s) => s.valid).sort(), [false, true]);
    assert.equal(bad.signers.find((s) => !s.valid)!.error!.code, 'ERR_SIGNATURE_INVALID');
  });

  test('the signer certificate named by the SignerInfo must be present', async () => {
    const der = await detachedSignedData(toByteStream(CONTENT), { signers: [signer('bob')] });
    // Change the serial number inside the carried certificate (it comes before the SignerInfo): the SID no longer names it.
    const serial = Buffer.from(issuerAndSerialNumber(certificateDer('bob')).serialNumber);
    const at = der.indexOf(serial);
    assert.ok(at > 0 && at < der.lastIndexOf(serial));
    const altered = Buffer.from(der);
    altered[at + serial.length - 1]! ^= 0x01;
    const report = await verifyCms(toByteStream(altered), { content: toByteStream(CONTENT) });
    assert.equal(report.valid, false);
    assert.equal(report.signers[0]!.error!.code, 'ERR_SIGNER_CERT_MISSING');
    assert.match(report.signers[0]!.subject, /^serial [0-9a-f]+ issued by .*CN=Test SMIME Root CA/);
    const withExtra = await verifyCms(toByteStream(der), { content: toByteStream(CONTENT), certificates: [certificateDer('bob')] });
    assert.equal(withExtra.valid, true);
  });

  test('opaque: one changed content byte is a digest mismatch, and the content still streams out', async () => {
    const der = await collectBytes(opaqueSignedData(toByteStream(CONTENT), { signers: [signer('alice')] }));
    const at = der.indexOf(CONTENT) + CONTENT.length - 4;
    const tampered = Buffer.from(der);
    tampered[at]! ^= 0x02;
    const parts: Buffer[] = [];
    const report = await verifyCms(toByteStream(tampered), {}, { write: (c) => void parts.push(Buffer.from(c)) });
    assert.equal(report.valid, false);
    assert.equal(report.signers[0]!.error!.code, 'ERR_DIGEST_MISMATCH');
    assert.equal(Buffer.concat(parts).length, CONTENT.length);
  });

  test('signMessage keeps From/To/Subject outside, sets MIME-Version once, signs the Content-* entity', async () => {
    const message = 'From: a@example.com\r\nMIME-Version: 1.0\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nbody\r\n';
    const out = (await collectBytes(signMessage(toByteStream(message), { signers: [signer('alice')], mode: 'detached' }))).toString('latin1');
    assert.match(out, /^From: a@example\.com\r\nSubject: s\r\nMIME-Version: 1\.0\r\nContent-Type: multipart\/signed;/);
    assert.equal(out.match(/MIME-Version/g)!.length, 1);
    assert.match(out, /\r\n\r\n--([^\r]+)\r\nContent-Type: text\/plain\r\n/);
  });

  test('tolerant reading: x-pkcs7-mime, octet-stream smime.p7m, binary transfer encoding, x-pkcs7-signature', async () => {
    const der = await collectBytes(opaqueSignedData(toByteStream(CONTENT), { signers: [signer('carol')] }));
    const b64 = der.toString('base64').replace(/.{76}/g, '$&\n');
    const variants: Array<[string, Buffer]> = [
      ['Content-Type: application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n', Buffer.from(b64)],
      ['Content-Type: application/octet-stream; name="smime.p7m"\nContent-Transfer-Encoding: base64\n\n', Buffer.from(b64)],
      ['Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: binary\r\n\r\n', der],
    ];
    for (const [header, body] of variants) {
      const parts: Buffer[] = [];
      const report = await verifySignedEntity(await readMimeEntity(toByteStream(Buffer.concat([Buffer.from(header), body]))), { write: (c) => void parts.push(Buffer.from(c)) });
      assert.equal(report.valid, true, header);
      assert.equal(report.form, 'opaque');
      assert.deepEqual(Buffer.concat(parts), CONTENT);
    }
    const detached = (await collectBytes(signEntity(toByteStream(CONTENT), { signers: [signer('alice')], mode: 'detached' }))).toString('latin1').replace(/application\/pkcs7-signature/g, 'application/x-pkcs7-signature');
    const report = await verifySignedEntity(await readMimeEntity(toByteStream(detached)), { write: () => {} });
    assert.equal(report.valid, true);
    await assert.rejects(
      verifySignedEntity(await readMimeEntity(toByteStream('Content-Type: text/plain\r\n\r\nplain\r\n')), { write: () => {} }),
      { code: 'ERR_NOT_SIGNED' },
    );
  });

  test('Cachet never signs with SHA-1 or MD5', async () => {
    for (const digest of ['sha1', 'md5']) {
      assert.throws(() => signEntity(toByteStream(CONTENT), { signers: [signer('alice', { digest: digest as DigestAlgorithm })], mode: 'detached' }), { code: 'ERR_WEAK_ALGORITHM' });
    }
  });

  test('SubjectKeyIdentifier signer identifiers are written and read', async () => {
    const der = await collectBytes(opaqueSignedData(toByteStream(CONTENT), { signers: [signer('erin')], identifier: 'subjectKeyIdentifier' }));
    const report = await verifyCms(toByteStream(der));
    assert.equal(report.valid, true);
    assert.equal(report.signers[0]!.digestAlgorithm, 'sha384');
  });

  test('certs-only messages round-trip', async () => {
    const entity = (await collectBytes(buildCertsOnly([certificateDer('alice'), certificateDer('carol')]))).toString('latin1');
    assert.match(entity, /smime-type=certs-only/);
    const der = Buffer.from(entity.slice(entity.indexOf('\r\n\r\n') + 4).replace(/\s+/g, ''), 'base64');
    const certificates = await readCertsOnly(toByteStream(der));
    assert.deepEqual(certificates.map((c) => Buffer.from(c)), [certificateDer('alice'), certificateDer('carol')]);
  });

  test('fuzz: mutated and truncated SignedData never escapes as anything but a CachetError, never hangs', async () => {
    const der = await collectBytes(opaqueSignedData(toByteStream(CONTENT), { signers: [signer('carol')] }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(der.length), async (edits, cut) => {
        const mutated = Buffer.from(der.subarray(0, Math.max(1, cut)));
        for (const [at, value] of edits) if (at < mutated.length) mutated[at] = value;
        try {
          const report = await verifyCms(toByteStream(mutated));
          if (!mutated.equals(der) && report.valid) {
            // A mutation may hit only unsigned framing or certificate bytes we do not rely on; the content must still be intact.
            assert.ok(mutated.includes(CONTENT));
          }
        } catch (error) {
          assert.ok(error instanceof CachetError, String(error));
        }
      }),
      { numRuns: 400 },
    );
  });
});
