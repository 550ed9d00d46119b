import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateRole } from './certificate-role.js';
import { certificateInfo } from './certificate-info.js';
import { certificateDer, pkiBytes } from '../../../test/helpers/pki.js';

const pemDer = (name: string): Buffer => Buffer.from(pkiBytes(`${name}.pem`).toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');

test('roles of the test PKI: single-purpose, dual, and unusable (TLS-only EKU, CA)', () => {
  const roles = Object.fromEntries(['frank-sign', 'frank-enc', 'grace-sign', 'grace-enc', 'alice', 'carol', 'tls-only'].map((n) => [n, certificateRole(certificateDer(n)).role]));
  assert.deepEqual(roles, { 'frank-sign': 'signing', 'frank-enc': 'encryption', 'grace-sign': 'signing', 'grace-enc': 'encryption', alice: 'dual', carol: 'dual', 'tls-only': 'none' });
  assert.deepEqual(certificateRole(pemDer('ca')), { role: 'none', reasons: ['it is a CA certificate'] });
  assert.deepEqual(certificateRole(pemDer('inter')).role, 'none');
});

test('certificate info: key sizes and curves, usages by name, fingerprint', () => {
  const erin = certificateInfo(certificateDer('erin'));
  assert.equal(erin.keyAlgorithm, 'EC');
  assert.equal(erin.curve, 'P-384');
  assert.equal(erin.keyBits, 384);
  assert.deepEqual(erin.keyUsage, ['digitalSignature', 'nonRepudiation', 'keyAgreement']);
  const grace = certificateInfo(certificateDer('grace-enc'));
  assert.deepEqual(grace.keyUsage, ['keyAgreement']);
  assert.equal(grace.role, 'encryption');
  const oscar = certificateInfo(certificateDer('oscar'));
  assert.equal(oscar.notAfter, '2021-01-01T00:00:00.000Z');
  assert.match(oscar.fingerprintSha256, /^[0-9a-f]{64}$/);
  assert.throws(() => certificateInfo(Buffer.from('not a certificate')), { code: 'ERR_CERT_MALFORMED' });
});
