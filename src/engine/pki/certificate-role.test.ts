import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateRole, recipientCertificateProblem } from './certificate-role.js';
import { certificateCapabilities } from './certificate-capabilities.js';
import { parseCertificate } from './parse-certificate.js';
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

test('one parser for every reader of a certificate: over its element limit, the role, the info and the recipient check say ERR_LIMIT_EXCEEDED; the capabilities none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-many-names-'));
  try {
    const names = Array.from({ length: 10_000 }, (_, i) => `email.${i} = u${i}@example.com`).join('\n');
    writeFileSync(join(dir, 'many.cnf'), `[req]\ndistinguished_name = dn\n[dn]\n[ext]\nkeyUsage = keyEncipherment\nsubjectAltName = @alt\n[alt]\n${names}\n`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'many.key'), '-subj', '/CN=many', '-days', '1', '-config', join(dir, 'many.cnf'), '-extensions', 'ext', '-outform', 'DER', '-out', join(dir, 'many.der')], { stdio: 'pipe' });
    const der = readFileSync(join(dir, 'many.der'));
    for (const read of [certificateRole, certificateInfo, recipientCertificateProblem]) assert.throws(() => read(der), { code: 'ERR_LIMIT_EXCEEDED' }, read.name);
    assert.equal(certificateCapabilities(der), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificateRole takes the DER or the certificate parseCertificate read, with the same answer', () => {
  for (const name of ['frank-sign', 'grace-enc', 'alice', 'tls-only']) assert.deepEqual(certificateRole(parseCertificate(certificateDer(name))), certificateRole(certificateDer(name)), name);
  assert.throws(() => certificateRole(Buffer.from('not a certificate')), { code: 'ERR_CERT_MALFORMED' });
});
