import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCachetError } from '../../../errors.js';
import { newSessionKey, sealSessionSecrets, unsealSessionSecrets } from './session-secrets.js';

test('sealed secrets open with their key for their session and user only', () => {
  const key = newSessionKey();
  const sealed = sealSessionSecrets({ mailPassword: 'hunter2-mail' }, key, 'session-1', 'alice@example.org');
  assert.ok(!Buffer.from(JSON.stringify(sealed)).includes(Buffer.from('hunter2-mail')));
  assert.deepEqual(unsealSessionSecrets(sealed, key, 'session-1', 'alice@example.org'), { mailPassword: 'hunter2-mail' });
  const ended = (error: unknown) => isCachetError(error, 'ERR_SESSION_ENDED');
  assert.throws(() => unsealSessionSecrets(sealed, newSessionKey(), 'session-1', 'alice@example.org'), ended, 'another key');
  assert.throws(() => unsealSessionSecrets(sealed, key, 'session-2', 'alice@example.org'), ended, 'moved onto another session');
  assert.throws(() => unsealSessionSecrets(sealed, key, 'session-1', 'bob@example.org'), ended, 'moved onto another user');
  assert.throws(() => unsealSessionSecrets(sealed, 'short', 'session-1', 'alice@example.org'), ended, 'a key of the wrong length');
  const flipped = Buffer.from(sealed.ciphertext, 'base64');
  flipped[0]! ^= 1;
  assert.throws(() => unsealSessionSecrets({ ...sealed, ciphertext: flipped.toString('base64') }, key, 'session-1', 'alice@example.org'), ended, 'tampered with');
});
