import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCertificateValidator } from './create-validator.js';
import { certificateDer, pkiBytes } from '../../../test/helpers/pki.js';

const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], crls: [pkiBytes('ca.crl.der')] });
const now = new Date();

async function check(name: string, purpose: 'signing' | 'encryption' = 'signing', intermediates: Uint8Array[] = [], at = now) {
  return validator.validate({ certificate: certificateDer(name), intermediates, purpose, at });
}

test('a certificate issued by the trusted root is trusted, with the chain and a CRL check', async () => {
  const result = await check('alice');
  assert.equal(result.trusted, true);
  assert.equal(result.chain.length, 2);
  assert.equal(result.revocation?.status, 'good');
});

test('a chain through an intermediate carried by the message', async () => {
  assert.equal((await check('dan')).error?.code, 'ERR_CHAIN_UNTRUSTED');
  const result = await check('dan', 'signing', [pkiBytes('inter.pem')]);
  assert.equal(result.trusted, true);
  assert.equal(result.chain.length, 3);
});

test('expired, revoked, untrusted and wrong-usage certificates, each with a sentence a user can act on', async () => {
  const expired = await check('oscar');
  assert.equal(expired.error?.code, 'ERR_CERT_EXPIRED');
  assert.match(expired.error!.message, /oscar@example.com expired on 2021-01-01/);
  const revoked = await check('mallory');
  assert.equal(revoked.error?.code, 'ERR_CERT_REVOKED');
  assert.match(revoked.error!.message, /was revoked on \d{4}-\d{2}-\d{2}/);
  const untrusted = await check('eve');
  assert.equal(untrusted.error?.code, 'ERR_CHAIN_UNTRUSTED');
  assert.match(untrusted.error!.message, /a CA you do not trust: Bars Root CA/);
  assert.equal((await check('tls-only')).error?.code, 'ERR_CERT_USAGE');
  assert.equal((await check('frank-enc', 'signing')).error?.code, 'ERR_CERT_USAGE');
  assert.equal((await check('frank-enc', 'encryption')).trusted, true);
  assert.equal((await check('frank-sign', 'encryption')).error?.code, 'ERR_CERT_USAGE');
});

test('validation at another time (--at): in 2020 oscar was valid but the test root did not exist yet', async () => {
  const result = await check('oscar', 'signing', [], new Date('2020-06-01T00:00:00Z'));
  assert.equal(result.error?.code, 'ERR_CERT_NOT_YET_VALID');
  assert.match(result.error!.message, /the CA certificate Test SMIME Root CA is not valid before/);
});

test('validity at the signing time is reported beside the verdict', async () => {
  const result = await validator.validate({ certificate: certificateDer('oscar'), intermediates: [], purpose: 'signing', at: now, signingTime: new Date('2020-06-01T00:00:00Z') });
  assert.equal(result.error?.code, 'ERR_CERT_EXPIRED');
  assert.equal(result.validAtSigningTime, true);
});
