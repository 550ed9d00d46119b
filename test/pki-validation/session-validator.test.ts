/**
 * openCertificateValidator, the one validator the CLI's and the web client's mail sessions use:
 * anchors from the user's and the organisation's trust stores, and the policy's revocationMode,
 * pkiFetch and allowLegacyCertificates — so the web client now honours revocation as the CLI does.
 * Test PKI certificates name a CRL distribution point that refuses connections (127.0.0.1:1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCertificateValidator } from '../../src/use-cases/certificate-validator.js';
import { loadEffectivePolicy } from '../../src/adapters/policy/policy.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';

let org = '';
let user = '';

before(() => {
  org = mkdtempSync(join(tmpdir(), 'cachet-session-validator-'));
  user = join(org, 'users', 'alice@example.com');
  mkdirSync(join(org, 'trust'), { recursive: true });
  mkdirSync(user, { recursive: true });
  copyFileSync(pkiFile('ca.pem'), join(org, 'trust', 'root.pem'));
});
after(() => rmSync(org, { recursive: true, force: true }));

async function validate(policy: string) {
  writeFileSync(join(org, 'policy.yaml'), policy);
  const validator = await openCertificateValidator({ userHome: user, orgHome: org, policy: await loadEffectivePolicy({ home: org, settingsHome: user }) });
  assert.ok(validator, "the organisation's trust store gives an anchor");
  return validator.validate({ certificate: certificateDer('alice'), intermediates: [], purpose: 'signing', at: new Date() });
}

test("the organisation's anchor trusts alice; soft-fail lets an unknown revocation status pass", async () => {
  const result = await validate('revocationMode: soft-fail\n');
  assert.equal(result.trusted, true, result.error?.message);
  assert.equal(result.revocation?.status, 'unknown');
});

test('hard-fail from the policy refuses when the distribution point cannot be reached, or is not asked (pkiFetch: off)', async () => {
  const unreachable = await validate('revocationMode: hard-fail\n');
  assert.equal(unreachable.trusted, false);
  assert.equal(unreachable.error?.code, 'ERR_REVOCATION_UNKNOWN');
  const offline = await validate('revocationMode: hard-fail\npkiFetch: off\n');
  assert.equal(offline.error?.code, 'ERR_REVOCATION_UNKNOWN');
});

test('revocationMode off: not checked at all', async () => {
  const result = await validate('revocationMode: "off"\n');
  assert.equal(result.trusted, true);
  assert.equal(result.revocation?.status, 'not-checked');
});

test('no anchor in either store: no validator', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'cachet-no-anchor-'));
  try {
    assert.equal(await openCertificateValidator({ userHome: empty, policy: await loadEffectivePolicy({ home: empty }) }), undefined);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
