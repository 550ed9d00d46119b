/**
 * Choosing among several usable certificates: the one named by SMIMEEncryptionKeyPreference first,
 * else the newest. Two encryption certificates for one address are issued here by the test CA.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { selectRecipientCertificate } from '../../src/adapters/directory/recipient-selection.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { pkiBytes } from '../helpers/pki.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
let older: Uint8Array;
let newer: Uint8Array;

async function issue(serial: string, notBefore: Date): Promise<Uint8Array> {
  const ca = new x509.X509Certificate(pkiBytes('ca.pem').toString());
  const caKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(pkiBytes('ca.key').toString().replace(/-----[^-]+-----|\s/g, ''), 'base64'), alg, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey({ ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: 'CN=henry, O=Test',
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(Date.now() + 30 * 86400_000),
    publicKey: keys.publicKey,
    signingKey: caKey as unknown as CryptoKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.4']),
      new x509.SubjectAlternativeNameExtension([{ type: 'email', value: 'henry@example.com' }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return new Uint8Array(cert.rawData);
}

before(async () => {
  older = await issue('71', new Date(Date.now() - 10 * 86400_000));
  newer = await issue('72', new Date(Date.now() - 86400_000));
});

const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], revocation: 'off' });

test('the newest usable certificate, unless the recipient named one', async () => {
  const candidates = [{ der: older, source: 'ldap' as const }, { der: newer, source: 'ldap' as const }];
  const plain = await selectRecipientCertificate('henry@example.com', candidates, { validator, now: new Date() });
  assert.equal(plain.certificate?.info.fingerprintSha256, certificateFingerprint(newer), JSON.stringify(plain.rejected));
  const preferred = await selectRecipientCertificate('henry@example.com', candidates, { validator, now: new Date(), preferredFingerprint: certificateFingerprint(older) });
  assert.equal(preferred.certificate?.info.fingerprintSha256, certificateFingerprint(older));
});

test('an address the certificate does not name is rejected with ERR_ADDRESS_MISMATCH', async () => {
  const result = await selectRecipientCertificate('someone@example.com', [{ der: newer, source: 'addressbook' }], { validator, now: new Date() });
  assert.equal(result.certificate, undefined);
  assert.equal(result.rejected[0]?.code, 'ERR_ADDRESS_MISMATCH');
});
