import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCredentialStore } from './memory-store.js';
import { defaultAppToken, firstLaunchSmimeState, openCredentialSource, sourceEmptyError } from './key-source.js';
import { certificateDer, privateKey } from '../../../test/helpers/pki.js';
import { isCachetError } from '../../errors.js';

const pkcs8 = (name: string) => privateKey(name).export({ format: 'der', type: 'pkcs8' });
const homes: string[] = [];
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'cachet-source-'));
  homes.push(home);
  return home;
};
after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
const never = async (): Promise<string> => {
  throw new Error('asked for a secret it does not need');
};

test('email source without a vault lists [] without asking the passphrase; the first add creates it', async () => {
  const home = newHome();
  let asked = 0;
  const source = await openCredentialSource('email', { home, passphrase: async () => (asked++, 'pass phrase'), pin: never });
  assert.equal(source.source, 'email');
  assert.deepEqual(await source.list(), []);
  assert.equal(await source.active('signing'), undefined);
  assert.equal(asked, 0);
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, source), 'ask-import');
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: false }, source), 'disabled');
  await assert.rejects(source.privateKey('00'), (e) => isCachetError(e, 'ERR_CERT_NOT_FOUND'));

  await source.add({ certificate: certificateDer('frank-sign'), chain: [], privateKeyPkcs8: pkcs8('frank-sign'), role: 'signing' });
  assert.equal(asked, 1);
  // Reopened with the passphrase: the signing key signs, and the wrong passphrase is refused.
  const again = await openCredentialSource('email', { home, passphrase: async () => 'pass phrase', pin: never });
  const active = await again.active('signing');
  assert.ok(active);
  const data = Buffer.from('signed attributes');
  const signature = await (await again.privateKey(active.id)).sign(data, 'rsa-pkcs1', 'sha256');
  assert.ok(verify('sha256', data, privateKey('frank-sign'), signature));
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, again), 'enabled');
  await assert.rejects(openCredentialSource('email', { home, passphrase: async () => 'wrong', pin: never }), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
});

test('sourceEmptyError says which source is empty and what to do', () => {
  const email = sourceEmptyError('email');
  assert.equal(email.code, 'ERR_SOURCE_EMPTY');
  assert.match(email.message, /"email".*cachet cert import/);
  assert.match(sourceEmptyError('sharedVault').message, /identity-provider app/);
  assert.match(sourceEmptyError('derivedCredentials').message, /token/);
});

test('firstLaunchSmimeState works on any store', async () => {
  const store = createMemoryCredentialStore();
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, store), 'ask-import');
  await store.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: pkcs8('frank-enc'), role: 'encryption' });
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, store), 'enabled');
});

test('the app token: environment first, then an owner-only file; none, or a readable file, is refused', async () => {
  const home = newHome();
  assert.equal(await defaultAppToken(home, { CACHET_VAULT_APP_TOKEN: 'cvt_from-env\n' }), 'cvt_from-env');
  await assert.rejects(defaultAppToken(home, {}), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /enrol-app/.test((e as Error).message));
  const file = join(home, 'vault-app-token');
  writeFileSync(file, 'cvt_from-file\n', { mode: 0o600 });
  assert.equal(await defaultAppToken(home, {}), 'cvt_from-file');
  chmodSync(file, 0o644);
  await assert.rejects(defaultAppToken(home, {}), (e) => isCachetError(e, 'ERR_POLICY_FORBIDS') && /chmod 600/.test((e as Error).message));
});

test('shared vault source with no service running: ERR_VAULT_UNREACHABLE saying to start it', async () => {
  await assert.rejects(
    openCredentialSource('sharedVault', { home: newHome(), passphrase: never, pin: never, appToken: async () => 'cvt_x' }),
    (e) => isCachetError(e, 'ERR_VAULT_UNREACHABLE') && /cachet vault serve/.test((e as Error).message),
  );
});
