import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCredentialStore } from './memory-store.js';
import { certificateDer, privateKey } from '../../../test/helpers/pki.js';
import { isCachetError } from '../../errors.js';

const pkcs8 = (name: string) => privateKey(name).export({ format: 'der', type: 'pkcs8' });

test('memory store: roles, replacing the signing credential needs confirmation, old encryption keys stay', async () => {
  const store = createMemoryCredentialStore();
  const sign = await store.add({ certificate: certificateDer('frank-sign'), chain: [], privateKeyPkcs8: pkcs8('frank-sign'), role: 'signing' });
  assert.equal(sign.role, 'signing');
  assert.ok(sign.email.length > 0 && sign.email.every((e) => e.includes('@')));
  await assert.rejects(
    store.add({ certificate: certificateDer('grace-sign'), chain: [], privateKeyPkcs8: pkcs8('grace-sign'), role: 'signing' }),
    (e) => isCachetError(e, 'ERR_CERT_EXISTS'),
  );
  const replaced = await store.add({ certificate: certificateDer('grace-sign'), chain: [], privateKeyPkcs8: pkcs8('grace-sign'), role: 'signing' }, { replaceActive: true });
  assert.equal((await store.active('signing'))?.id, replaced.id);

  const oldEnc = await store.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: pkcs8('frank-enc'), role: 'encryption' });
  const newEnc = await store.add({ certificate: certificateDer('grace-enc'), chain: [], privateKeyPkcs8: pkcs8('grace-enc'), role: 'encryption' });
  const list = await store.list();
  assert.equal(list.find((c) => c.id === oldEnc.id)?.active, false, 'the old encryption credential is kept, inactive');
  assert.equal((await store.active('encryption'))?.id, newEnc.id);

  await store.remove(newEnc.id);
  assert.equal((await store.active('encryption'))?.id, oldEnc.id, 'the remaining one takes over');
  const handle = await store.privateKey(oldEnc.id);
  assert.equal(handle.kind, 'rsa');
  assert.deepEqual(Buffer.from(await store.exportPrivateKey(oldEnc.id)), Buffer.from(pkcs8('frank-enc')));
  await assert.rejects(store.remove('nope'), (e) => isCachetError(e, 'ERR_CERT_NOT_FOUND'));
});

test('memory store: a key that does not belong to the certificate is refused', async () => {
  const store = createMemoryCredentialStore();
  await assert.rejects(
    store.add({ certificate: certificateDer('alice'), chain: [], privateKeyPkcs8: pkcs8('bob'), role: 'signing' }),
    (e) => isCachetError(e, 'ERR_KEY_MISMATCH'),
  );
  assert.deepEqual(await store.list(), []);
});
