import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateDer } from '../../../test/helpers/pki.js';
import {
  certificateEmails,
  certificateMatches,
  certificateSubject,
  decodeIdentifier,
  encodeIdentifier,
  findCertificate,
  identifierOfCertificate,
  issuerAndSerialNumber,
  subjectKeyIdentifier,
} from './cert-id.js';

test('issuerAndSerialNumber matches what node:crypto reads', () => {
  const alice = certificateDer('alice');
  const x = new X509Certificate(alice);
  const { serialNumber } = issuerAndSerialNumber(alice);
  assert.equal(BigInt('0x' + Buffer.from(serialNumber).toString('hex')), BigInt('0x' + x.serialNumber));
});

test('identifiers round-trip and match only their certificate', () => {
  const alice = certificateDer('alice');
  const bob = certificateDer('bob');
  for (const kind of ['issuerAndSerialNumber', 'subjectKeyIdentifier'] as const) {
    const id = decodeIdentifier(encodeIdentifier(identifierOfCertificate(alice, kind)));
    assert.equal(id.kind, kind);
    assert.equal(certificateMatches(alice, id), true);
    assert.equal(certificateMatches(bob, id), false);
    assert.equal(findCertificate([bob, alice], id), alice);
  }
  assert.ok(subjectKeyIdentifier(alice)!.length >= 8);
});

test('certificateEmails reads SAN rfc822Name, lower-cased', () => {
  assert.deepEqual(certificateEmails(certificateDer('alice')), ['alice@example.com']);
  assert.match(certificateSubject(certificateDer('alice')), /CN=/);
});
