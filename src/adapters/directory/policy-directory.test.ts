import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCachetError } from '../../errors.js';
import { loadEffectivePolicy } from '../policy/policy.js';
import { BIND_DN_SECRET, BIND_PASSWORD_SECRET, directoryFromPolicy } from './policy-directory.js';
import type { NamedSecrets } from '../keys/credential-store.js';

async function withPolicy(yaml: string, run: (home: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'cachet-policydir-'));
  try {
    writeFileSync(join(home, 'policy.yaml'), yaml);
    await run(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const secrets = (values: Record<string, string>): (() => Promise<NamedSecrets>) => async () => ({
  secret: async (name) => values[name],
  setSecrets: async () => undefined,
});

test('no ldapUrl or no base DN: no directory', async () => {
  await withPolicy('ldapUrl: ldap://127.0.0.1:1\n', async (home) => {
    assert.equal(await directoryFromPolicy(await loadEffectivePolicy({ home }), { home }), undefined);
  });
});

test('every connection setting of the policy reaches the directory configuration', async () => {
  await withPolicy('ldapUrl: ldap://dir.example.com\nldapBaseDn: dc=example,dc=com\nldapStartTls: true\nldapTlsCaFile: ca.pem\nldapTimeoutMs: 1500\nldapSizeLimit: 7\n', async (home) => {
    writeFileSync(join(home, 'ca.pem'), 'PEM BYTES');
    const config = await directoryFromPolicy(await loadEffectivePolicy({ home }), { home });
    assert.deepEqual({ ...config, tlsCa: config?.tlsCa?.toString() }, { url: 'ldap://dir.example.com', baseDn: 'dc=example,dc=com', anonymous: true, startTls: true, tlsCa: 'PEM BYTES', timeoutMs: 1500, sizeLimit: 7 });
  });
});

test('a TLS CA file that cannot be read is ERR_INPUT_READ naming it', async () => {
  await withPolicy('ldapUrl: ldaps://dir.example.com\nldapBaseDn: dc=x\nldapTlsCaFile: /nonexistent/ca.pem\n', async (home) => {
    await assert.rejects(directoryFromPolicy(await loadEffectivePolicy({ home }), { home }), (e: unknown) => isCachetError(e, 'ERR_INPUT_READ') && /ldapTlsCaFile/.test(e.message));
  });
});

test('bound access: the policy DN with the kept password; or the DN kept with it; none kept → a login hint', async () => {
  await withPolicy('ldapUrl: ldap://d\nldapBaseDn: dc=x\nldapAnonymous: false\nldapBindDn: cn=reader\n', async (home) => {
    const policy = await loadEffectivePolicy({ home });
    const config = await directoryFromPolicy(policy, { home, secrets: secrets({ [BIND_PASSWORD_SECRET]: 'pw', [BIND_DN_SECRET]: 'cn=ignored' }) });
    assert.deepEqual(await config?.bindCredentials?.(), { bindDn: 'cn=reader', password: 'pw' });
    const none = await directoryFromPolicy(policy, { home, secrets: secrets({}) });
    await assert.rejects(none!.bindCredentials!(), (e: unknown) => isCachetError(e, 'ERR_DIRECTORY_AUTH') && /cachet directory login/.test(e.message));
    const noVault = await directoryFromPolicy(policy, { home });
    await assert.rejects(noVault!.bindCredentials!(), (e: unknown) => isCachetError(e, 'ERR_DIRECTORY_AUTH'));
  });
  await withPolicy('ldapUrl: ldap://d\nldapBaseDn: dc=x\nldapAnonymous: false\n', async (home) => {
    const config = await directoryFromPolicy(await loadEffectivePolicy({ home }), { home, secrets: secrets({ [BIND_PASSWORD_SECRET]: 'pw', [BIND_DN_SECRET]: 'uid=alice' }) });
    assert.deepEqual(await config?.bindCredentials?.(), { bindDn: 'uid=alice', password: 'pw' });
  });
});
