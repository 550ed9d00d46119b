/**
 * RSAES-OAEP-params as senders actually write them (RFC 8017 §A.2.1, RFC 4055 §4.1): absent, NULL,
 * an empty SEQUENCE (all meaning SHA-1 / MGF1-SHA-1), explicit SHA-1 or SHA-256 with absent or NULL
 * hash parameters, an explicit empty pSourceAlgorithm. Each EnvelopedData is built here by hand,
 * encrypted with Node's OAEP, and must decrypt; a hash that differs from the MGF1 hash is refused
 * with a clear error (Node's OAEP cannot take two hashes).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { certificateDer, privateKey } from '../../../test/helpers/pki.js';
import { decryptCms } from '../smime/decrypt.js';
import { softwareKey } from '../software-key.js';
import { toByteStream } from '../stream-types.js';
import { isCachetError } from '../errors.js';
import { OID } from '../oids.js';
import { explicitContext, objectIdentifier, octetString, sequence, setOf, smallInteger, tlv } from '../asn1/ber-writer.js';
import { TagClass } from '../asn1/ber-reader.js';
import { issuerAndSerialNumberDer } from './cert-id.js';

const NULL = Buffer.from([0x05, 0x00]);
const CONTENT = Buffer.from('Content-Type: text/plain\r\n\r\nOAEP parameters\r\n');

function hashAlgorithm(oid: string, withNull: boolean): Buffer {
  return withNull ? sequence(objectIdentifier(oid), NULL) : sequence(objectIdentifier(oid));
}

function mgf1(hashOid: string, withNull: boolean): Buffer {
  return sequence(objectIdentifier(OID.id_mgf1), hashAlgorithm(hashOid, withNull));
}

/** An EnvelopedData to bob with the given OAEP AlgorithmIdentifier parameters and hash. */
function envelopedData(oaepParameters: Buffer | undefined, hash: 'sha1' | 'sha256'): Buffer {
  const cert = certificateDer('bob');
  const contentKey = randomBytes(16);
  const iv = randomBytes(16);
  const encryptedKey = publicEncrypt({ key: new X509Certificate(cert).publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, contentKey);
  const cipher = createCipheriv('aes-128-cbc', contentKey, iv);
  const ciphertext = Buffer.concat([cipher.update(CONTENT), cipher.final()]);
  const algorithm = oaepParameters ? sequence(objectIdentifier(OID.id_RSAES_OAEP), oaepParameters) : sequence(objectIdentifier(OID.id_RSAES_OAEP));
  const recipientInfo = sequence(smallInteger(0), issuerAndSerialNumberDer(cert), algorithm, octetString(encryptedKey));
  const encryptedContentInfo = sequence(objectIdentifier(OID.id_data), sequence(objectIdentifier(OID.aes128_CBC), octetString(iv)), tlv(TagClass.context, 0, false, ciphertext));
  return sequence(objectIdentifier(OID.id_envelopedData), explicitContext(0, sequence(smallInteger(0), setOf(recipientInfo), encryptedContentInfo)));
}

async function decrypt(der: Buffer) {
  const parts: Buffer[] = [];
  const report = await decryptCms(toByteStream(der), { write: (c) => void parts.push(Buffer.from(c)) }, { decryptors: [{ certificate: certificateDer('bob'), key: softwareKey(privateKey('bob')) }] });
  return { report, plaintext: Buffer.concat(parts) };
}

describe('RSAES-OAEP-params encodings', () => {
  const cases: Array<[string, Buffer | undefined, 'sha1' | 'sha256']> = [
    ['parameters absent (SHA-1)', undefined, 'sha1'],
    ['parameters NULL (SHA-1)', NULL, 'sha1'],
    ['empty SEQUENCE (SHA-1)', sequence(), 'sha1'],
    ['explicit SHA-1, hash parameters NULL', sequence(explicitContext(0, hashAlgorithm(OID.id_sha1, true)), explicitContext(1, mgf1(OID.id_sha1, true))), 'sha1'],
    ['SHA-256, hash parameters absent (RFC 4055)', sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, false)), explicitContext(1, mgf1(OID.id_sha256, false))), 'sha256'],
    ['SHA-256, hash parameters NULL', sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, mgf1(OID.id_sha256, true))), 'sha256'],
    [
      'SHA-256 with an explicit empty pSourceAlgorithm',
      sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, mgf1(OID.id_sha256, true)), explicitContext(2, sequence(objectIdentifier(OID.id_pSpecified), octetString(Buffer.alloc(0))))),
      'sha256',
    ],
  ];
  for (const [name, parameters, hash] of cases) {
    test(name, async () => {
      const { report, plaintext } = await decrypt(envelopedData(parameters, hash));
      assert.equal(report.keyManagement, 'rsa-oaep');
      assert.deepEqual(plaintext, CONTENT);
    });
  }

  test('SHA-256 with MGF1-SHA-1 is refused by name, not as a wrong key', async () => {
    const parameters = sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, mgf1(OID.id_sha1, true)));
    await assert.rejects(decrypt(envelopedData(parameters, 'sha256')), (e: unknown) => isCachetError(e) && e.code === 'ERR_UNSUPPORTED_ALGORITHM' && /MGF1/.test(e.message));
  });
});
