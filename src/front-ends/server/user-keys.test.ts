import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCachetError } from '../../errors.js';
import { openFileCredentialStore } from '../../adapters/keys/file-credential-store.js';
import { FileWrappedSecretStore, newKeyEncryptionKeyText, readKeyEncryptionKey, UserKeyCustody } from './user-keys.js';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachet-custody-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function kekFile(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, newKeyEncryptionKeyText(), { mode: 0o600 });
  return path;
}

test('a user’s vault opens with the passphrase the server keeps wrapped, the same on every instance', withDir(async (dir) => {
  const kek = await readKeyEncryptionKey(kekFile(dir, 'kek'));
  const one = new UserKeyCustody(kek, new FileWrappedSecretStore(join(dir, 'keys')));
  const two = new UserKeyCustody(kek, new FileWrappedSecretStore(join(dir, 'keys')));
  const passphrase = await one.vaultPassphrase('alice@example.org');
  assert.equal(await two.vaultPassphrase('alice@example.org'), passphrase);
  assert.notEqual(await one.vaultPassphrase('bob@example.org'), passphrase);
  const vault = await openFileCredentialStore(join(dir, 'alice.vault'), passphrase, { createIfMissing: true });
  await vault.setSecrets({ note: 'private' });
  // What someone who copies the state directory gets: no passphrase in clear.
  for (const name of readdirSync(join(dir, 'keys')).filter((n) => n.endsWith('.json'))) {
    assert.ok(!readFileSync(join(dir, 'keys', name), 'utf8').includes(passphrase));
  }
}));

test('without the right key-encryption key, or with a record moved to another user, nothing opens', withDir(async (dir) => {
  const store = new FileWrappedSecretStore(join(dir, 'keys'));
  await new UserKeyCustody(await readKeyEncryptionKey(kekFile(dir, 'kek')), store).vaultPassphrase('alice@example.org');
  const other = new UserKeyCustody(await readKeyEncryptionKey(kekFile(dir, 'other')), store);
  await assert.rejects(other.vaultPassphrase('alice@example.org'), (e) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
  // An admin who copies alice's wrapped key onto mallory's record does not get her passphrase.
  const name = (a: string) => `${createHash('sha256').update(a).digest('hex')}.json`;
  copyFileSync(join(dir, 'keys', name('alice@example.org')), join(dir, 'keys', name('mallory@example.org')));
  const custody = new UserKeyCustody(await readKeyEncryptionKey(join(dir, 'kek')), store);
  await assert.rejects(custody.vaultPassphrase('mallory@example.org'), (e) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
}));

test('a key-encryption key file others may read, or of the wrong size, is refused', withDir(async (dir) => {
  const path = kekFile(dir, 'kek');
  chmodSync(path, 0o644);
  await assert.rejects(readKeyEncryptionKey(path), (e) => isCachetError(e, 'ERR_POLICY_INVALID') && /may be read by others \(mode 644\)/.test(e.message));
  writeFileSync(join(dir, 'short'), 'c2hvcnQ=\n', { mode: 0o600 });
  await assert.rejects(readKeyEncryptionKey(join(dir, 'short')), (e) => isCachetError(e, 'ERR_POLICY_INVALID') && /32 bytes/.test(e.message));
}));
