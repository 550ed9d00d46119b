import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CachetError } from '../../errors.js';
import { loadEffectivePolicy, POLICY_KEYS, updateSetting } from './policy.js';

/** One value each key must refuse. */
const BAD: Record<keyof typeof POLICY_KEYS, unknown> = {
  certificateSource: 'smartcard',
  pkcs11Module: 42,
  enableSmimeOnFirstLaunch: 'yes',
  publicCertificateSource: 'dns',
  ldapUrl: 'http://dir.example.com',
  ldapBaseDn: 42,
  ldapAnonymous: 'no',
  ldapBindDn: ['cn=admin'],
  ldapStartTls: 1,
  ldapTlsCaFile: 7,
  ldapSizeLimit: 0,
  ldapTimeoutMs: 10,
  groupRule: 'sometimes',
  revocationMode: 'strict',
  pkiFetch: 'ftp',
  allowLegacyCertificates: 'yes',
  allowedCiphers: ['des-ede3-cbc'],
  obscureSubject: 'true',
  renewDaysBefore: 0,
  vaultIdleMinutes: 0,
  enableSigning: null,
  enableEncryption: 'on',
  encryptByDefault: 0,
  tokenLabel: ['card'],
  signingCertificate: 'not-a-fingerprint',
  encryptionCertificate: 'abc',
};

function withHome<T>(run: (home: string) => Promise<T>): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), 'cachet-policy-'));
  return run(home).finally(() => rmSync(home, { recursive: true, force: true }));
}

test('every key refuses a bad value with ERR_POLICY_INVALID naming the key and what is allowed', async () => {
  await withHome(async (home) => {
    for (const [key, value] of Object.entries(BAD)) {
      const file = join(home, 'policy.json');
      writeFileSync(file, JSON.stringify({ [key]: value }));
      await assert.rejects(loadEffectivePolicy({ home, policyFile: file }), (error: CachetError) => {
        assert.equal(error.code, 'ERR_POLICY_INVALID', key);
        assert.ok(error.message.includes(`"${key}"`), error.message);
        assert.ok(error.message.includes((POLICY_KEYS as Record<string, { allowed: string }>)[key]!.allowed), error.message);
        return true;
      });
    }
  });
});

test('an unknown key is refused, listing the known keys; YAML and JSON give the same effective values', async () => {
  await withHome(async (home) => {
    const file = join(home, 'policy.yaml');
    writeFileSync(file, 'grupRule: block\n');
    await assert.rejects(loadEffectivePolicy({ home, policyFile: file }), (error: CachetError) => error.code === 'ERR_POLICY_INVALID' && /unknown key "grupRule"; known keys are .*groupRule/.test(error.message));
    writeFileSync(file, 'groupRule: ask\nvaultIdleMinutes: 30\nallowedCiphers: [aes-256-gcm]\n');
    const yaml = await loadEffectivePolicy({ home, policyFile: file });
    const json = join(home, 'policy.json');
    writeFileSync(json, JSON.stringify({ groupRule: 'ask', vaultIdleMinutes: 30, allowedCiphers: ['aes-256-gcm'] }));
    const fromJson = await loadEffectivePolicy({ home, policyFile: json });
    assert.deepEqual(yaml.values, fromJson.values);
    const byKey = new Map(yaml.values.map((v) => [v.key, v]));
    assert.deepEqual(byKey.get('groupRule'), { key: 'groupRule', value: 'ask', origin: 'policy', locked: true });
    // An admin key the file leaves out takes its default, and the user still cannot change it.
    assert.deepEqual(byKey.get('revocationMode'), { key: 'revocationMode', value: 'soft-fail', origin: 'default', locked: true });
    assert.deepEqual(byKey.get('encryptByDefault'), { key: 'encryptByDefault', value: true, origin: 'default', locked: false });
  });
});

test('a user setting is recorded with origin "setting"; one the policy locks is ERR_POLICY_FORBIDS', async () => {
  await withHome(async (home) => {
    const file = join(home, 'policy.yaml');
    writeFileSync(file, 'encryptByDefault: true\n');
    await assert.rejects(updateSetting({ home, policyFile: file }, 'encryptByDefault', false), (error: CachetError) => error.code === 'ERR_POLICY_FORBIDS');
    const changed = await updateSetting({ home, policyFile: file }, 'enableSigning', false);
    assert.equal(changed.origin, 'setting');
    const effective = await loadEffectivePolicy({ home, policyFile: file });
    assert.deepEqual(effective.values.find((v) => v.key === 'enableSigning'), { key: 'enableSigning', value: false, origin: 'setting', locked: false });
    await assert.rejects(updateSetting({ home, policyFile: file }, 'groupRule', 'send-unencrypted'), (error: CachetError) => error.code === 'ERR_POLICY_INVALID' || error.code === 'ERR_POLICY_FORBIDS');
  });
});

test('settings changed at the same moment (two browser tabs) are all kept', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-settings-'));
  try {
    const file = join(home, 'policy.yaml');
    writeFileSync(file, 'revocationMode: off\n');
    await Promise.all([
      updateSetting({ home, policyFile: file }, 'enableSigning', false),
      updateSetting({ home, policyFile: file }, 'enableEncryption', false),
      updateSetting({ home, policyFile: file }, 'encryptByDefault', true),
    ]);
    const policy = await loadEffectivePolicy({ home, policyFile: file });
    assert.deepEqual([policy.boolean('enableSigning'), policy.boolean('enableEncryption'), policy.boolean('encryptByDefault')], [false, false, true]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
