import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { createMemoryCredentialStore } from './memory-store.js';
import { firstLaunchSmimeState, openKeySource, storeKeySource } from './key-source.js';
import { certificateDer, privateKey } from '../../test/helpers/pki.js';
import { isCachetError } from '../engine/errors.js';
import type { CliContext } from '../cli/context.js';

const pkcs8 = (name: string) => privateKey(name).export({ format: 'der', type: 'pkcs8' });
const context = { env: {}, interactive: false, cwd: '/' } as unknown as CliContext;

test('email source: signer and decryptors come from the store; empty source says what to do', async () => {
  const store = createMemoryCredentialStore();
  const source = await openKeySource('email', { store }, context);
  assert.equal(await source.signer(), undefined);
  assert.deepEqual(await source.decryptors(), []);
  await assert.rejects(source.requireCredentials(), (e) => isCachetError(e, 'ERR_SOURCE_EMPTY') && /cert import/.test((e as Error).message));
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, source), 'ask-import');
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: false }, source), 'disabled');

  await store.add({ certificate: certificateDer('frank-sign'), chain: [], privateKeyPkcs8: pkcs8('frank-sign'), role: 'signing' });
  await store.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: pkcs8('frank-enc'), role: 'encryption' });
  assert.equal((await source.requireCredentials()).length, 2);
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: true }, source), 'enabled');
  assert.equal(await firstLaunchSmimeState({ enableOnFirstLaunch: false }, source), 'disabled');
  const signer = await source.signer();
  assert.ok(signer);
  assert.deepEqual(Buffer.from(signer.certificate), Buffer.from(certificateDer('frank-sign')));
  const data = Buffer.from('signed attributes');
  const signature = await signer.key.sign(data, 'rsa-pkcs1', 'sha256');
  assert.ok(verify('sha256', data, privateKey('frank-sign'), signature));
  const decryptors = await source.decryptors();
  assert.equal(decryptors.length, 1);
  assert.deepEqual(Buffer.from(decryptors[0]!.certificate), Buffer.from(certificateDer('frank-enc')));
});

test('shared vault source is refused clearly in this build', async () => {
  await assert.rejects(openKeySource('sharedVault', {}, context), (e) => isCachetError(e, 'ERR_NOT_IMPLEMENTED'));
  assert.equal(storeKeySource('sharedVault', createMemoryCredentialStore()).source, 'sharedVault');
});
