/**
 * RSAES-OAEP-params as senders actually write them (RFC 8017 §A.2.1, RFC 4055 §4.1): absent, NULL,
 * an empty SEQUENCE (all meaning SHA-1 / MGF1-SHA-1), explicit SHA-1 or SHA-256 with absent or NULL
 * hash parameters, an explicit empty pSourceAlgorithm. Each EnvelopedData is built here by hand,
 * encrypted with Node's OAEP (or OpenSSL's when MGF1 has a digest of its own), and must decrypt,
 * including SHA-256 with MGF1-SHA-1 as Java's JCE and BouncyCastle write it; a mask generation
 * function other than MGF1 is refused by name.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { certificateDer, pkiFile, privateKey } from '../../../test/helpers/pki.js';
import { decryptCms } from '../smime/decrypt.js';
import { softwareKey } from '../software-key.js';
import { toByteStream } from '../stream-types.js';
import { isCachetError } from '../../errors.js';
import { OID } from '../oids.js';
import { explicitContext, objectIdentifier, octetString, sequence, setOf, smallInteger, tlv } from '../asn1/ber-writer.js';
import { TagClass } from '../asn1/ber-reader.js';
import { issuerAndSerialNumberDer } from './cert-id.js';

const NULL = Buffer.from([0x05, 0x00]);
type Digest = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const CONTENT = Buffer.from('Content-Type: text/plain\r\n\r\nOAEP parameters\r\n');

function hashAlgorithm(oid: string, withNull: boolean): Buffer {
  return withNull ? sequence(objectIdentifier(oid), NULL) : sequence(objectIdentifier(oid));
}

function mgf1(hashOid: string, withNull: boolean): Buffer {
  return sequence(objectIdentifier(OID.id_mgf1), hashAlgorithm(hashOid, withNull));
}

/** An EnvelopedData to bob with the given OAEP AlgorithmIdentifier parameters and hash. */
function envelopedData(oaepParameters: Buffer | undefined, hash: Digest, mgf1Hash: Digest = hash): Buffer {
  const cert = certificateDer('bob');
  const contentKey = randomBytes(16);
  const iv = randomBytes(16);
  const encryptedKey =
    mgf1Hash === hash
      ? publicEncrypt({ key: new X509Certificate(cert).publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, contentKey)
      : execFileSync('openssl', ['pkeyutl', '-encrypt', '-certin', '-inkey', pkiFile('bob.pem'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${mgf1Hash}`], { input: contentKey });
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

  const differing: Array<[string, Buffer, Digest, Digest]> = [
    ['SHA-256 with MGF1-SHA-1 left to its default (as DER and OpenSSL write it)', sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true))), 'sha256', 'sha1'],
    ['SHA-256 with an explicit MGF1-SHA-1 (Java JCE, BouncyCastle)', sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, mgf1(OID.id_sha1, true))), 'sha256', 'sha1'],
    ['SHA-384 with MGF1-SHA-256', sequence(explicitContext(0, hashAlgorithm(OID.id_sha384, false)), explicitContext(1, mgf1(OID.id_sha256, false))), 'sha384', 'sha256'],
    ['SHA-1 (default) with MGF1-SHA-256', sequence(explicitContext(1, mgf1(OID.id_sha256, true))), 'sha1', 'sha256'],
  ];
  for (const [name, parameters, hash, mgf1Hash] of differing) {
    test(name, async () => {
      const { report, plaintext } = await decrypt(envelopedData(parameters, hash, mgf1Hash));
      assert.equal(report.keyManagement, 'rsa-oaep');
      assert.deepEqual(plaintext, CONTENT);
    });
  }

  test('parameters that name the wrong MGF1 digest fail as a wrong key', async () => {
    const parameters = sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, mgf1(OID.id_sha256, true)));
    await assert.rejects(decrypt(envelopedData(parameters, 'sha256', 'sha1')), (e: unknown) => isCachetError(e, 'ERR_DECRYPT_FAILED'));
  });

  test('a mask generation function other than MGF1 is refused by name, not as a wrong key', async () => {
    const notMgf1 = sequence(objectIdentifier(OID.id_sha256), hashAlgorithm(OID.id_sha1, true));
    const parameters = sequence(explicitContext(0, hashAlgorithm(OID.id_sha256, true)), explicitContext(1, notMgf1));
    await assert.rejects(decrypt(envelopedData(parameters, 'sha256')), (e: unknown) => isCachetError(e, 'ERR_UNSUPPORTED_ALGORITHM') && /MGF1/.test((e as Error).message));
  });
});
