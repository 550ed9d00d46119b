import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCachetError } from '../../errors.js';
import { checkTemplateProfile, enforceKeyPolicy, getTemplate, listTemplates, SMIME_MAILBOX_VALIDATED_MULTIPURPOSE, SMIME_MAILBOX_VALIDATED_STRICT, validityDaysFor } from './templates.js';

describe('certificate templates', () => {
  test('strict templates: emailProtection only under the strict policy; multipurpose: clientAuth beside it', () => {
    assert.deepEqual(listTemplates().map((t) => t.name), ['signing-only', 'encryption-only', 'dual', 'multipurpose', 'multipurpose-signing']);
    for (const t of listTemplates()) {
      assert.deepEqual(t.extendedKeyUsage, t.generation === 'strict' ? ['1.3.6.1.5.5.7.3.4'] : ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.2']);
      assert.deepEqual(t.certificatePolicies, [t.generation === 'strict' ? SMIME_MAILBOX_VALIDATED_STRICT : SMIME_MAILBOX_VALIDATED_MULTIPURPOSE]);
      assert.ok(t.validityDays <= 825);
    }
    assert.deepEqual(listTemplates().filter((t) => t.archivableKey).map((t) => t.name), ['encryption-only']);
    assert.deepEqual(getTemplate('signing-only').keyUsage.rsa, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(getTemplate('encryption-only').keyUsage, { rsa: ['keyEncipherment'], ec: ['keyAgreement'] });
  });

  test('issue 17: a template is found by the enterprise name "ca template list" prints beside it, in any case', () => {
    assert.equal(getTemplate('Exchange User').name, 'encryption-only');
    assert.equal(getTemplate('exchange signature only').name, 'signing-only');
    assert.equal(getTemplate('Signing-Only').name, 'signing-only');
  });

  test('an unknown template names the ones that exist, with their enterprise names', () => {
    assert.throws(() => getTemplate('Exchange Admin'), (e) => isCachetError(e, 'ERR_TEMPLATE_UNKNOWN') && /signing-only \("Exchange Signature Only"\)/.test(e.message) && /encryption-only \("Exchange User"\)/.test(e.message));
  });

  test('BR limits: a template over them is refused where defined; a validity over 825 days where issued', () => {
    const dual = getTemplate('dual');
    assert.throws(() => checkTemplateProfile({ ...dual, validityDays: 900 }), /825/);
    assert.throws(() => checkTemplateProfile({ ...dual, extendedKeyUsage: ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.1'] }), /forbidden/);
    assert.throws(() => checkTemplateProfile({ ...dual, extendedKeyUsage: ['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.2'] }), /strict allows/);
    assert.throws(() => checkTemplateProfile({ ...getTemplate('signing-only'), archivableKey: true }), /archived/);
    assert.equal(validityDaysFor(dual), 730);
    assert.equal(validityDaysFor(dual, 825), 825);
    assert.throws(() => validityDaysFor(dual, 826), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
  });

  test('key policy: RSA floor 2048, EC P-256 or P-384', () => {
    const t = getTemplate('dual');
    enforceKeyPolicy(t, { kind: 'rsa', bits: 2048 });
    enforceKeyPolicy(t, { kind: 'ec', curve: 'P-384' });
    assert.throws(() => enforceKeyPolicy(t, { kind: 'rsa', bits: 2047 }), (e) => isCachetError(e, 'ERR_KEY_TOO_SMALL') && /2048/.test(e.message));
    assert.throws(() => enforceKeyPolicy(t, { kind: 'ec', curve: 'P-224' }), (e) => isCachetError(e, 'ERR_KEY_TOO_SMALL'));
    assert.throws(() => enforceKeyPolicy(t, { kind: 'ec', curve: 'P-521' }), (e) => isCachetError(e, 'ERR_UNSUPPORTED_ALGORITHM'));
    assert.throws(() => enforceKeyPolicy(t, { kind: 'other' }), (e) => isCachetError(e, 'ERR_UNSUPPORTED_ALGORITHM'));
  });
});
