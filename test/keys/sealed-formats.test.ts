/**
 * The four things Cachet seals with AES-256-GCM (the vault, the server's wrapped vault passphrases,
 * the web sessions' secrets, the CA's archived keys) share one sealing module
 * (src/adapters/keys/aes-gcm-seal.ts). The files under fixtures/sealed-v1 were written by the code
 * as it was before that module: what users and servers have on disk must still open, and a changed
 * byte or a seal moved to another owner must still fail.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openAes256Gcm, sealAes256Gcm } from '../../src/adapters/keys/aes-gcm-seal.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { CaStore } from '../../src/adapters/ca/ca-store.js';
import { recoverKey } from '../../src/adapters/ca/key-archive.js';
import { FileWrappedSecretStore, UserKeyCustody, type WrappedSecret } from '../../src/front-ends/server/user-keys.js';
import { unsealSessionSecrets, type SealedSecrets } from '../../src/front-ends/web/middleware/session-secrets.js';

const FIXTURES = new URL('./fixtures/sealed-v1/', import.meta.url).pathname;
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
const dir = mkdtempSync(join(tmpdir(), 'cachet-sealed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the base64 field with its first byte flipped. */
const flipped = (base64: string): string => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  return bytes.toString('base64');
};

describe('sealed secrets written before the shared sealing module still open', () => {
  test('a web session record: its secrets unseal with the cookie key, not when moved or changed', () => {
    const f = fixture<{ key: string; sessionId: string; user: string; sealed: SealedSecrets; secrets: unknown }>('session-secrets.json');
    assert.deepEqual(unsealSessionSecrets(f.sealed, f.key, f.sessionId, f.user), f.secrets);
    const refused = (sealed: SealedSecrets, key = f.key, sessionId = f.sessionId, user = f.user) =>
      assert.throws(() => unsealSessionSecrets(sealed, key, sessionId, user), { code: 'ERR_SESSION_ENDED' });
    refused(f.sealed, f.key, 'another-session');
    refused(f.sealed, f.key, f.sessionId, 'mallory@example.com');
    refused(f.sealed, 'B'.repeat(43));
    refused(f.sealed, 'AAAA');
    refused({ ...f.sealed, ciphertext: flipped(f.sealed.ciphertext) });
    refused({ ...f.sealed, tag: f.sealed.tag.slice(0, 8) });
  });

  test("a wrapped vault passphrase: the server's KEK opens it for its address only", async () => {
    const f = fixture<{ kek: string; address: string; wrapped: WrappedSecret; vaultPassphrase: string }>('wrapped-secret.json');
    const store = (wrapped: WrappedSecret) => ({ read: async () => wrapped, readOrCreate: async () => wrapped });
    const kek = Buffer.from(f.kek, 'base64');
    assert.equal(await new UserKeyCustody(kek, store(f.wrapped)).vaultPassphrase(f.address), f.vaultPassphrase);
    await assert.rejects(new UserKeyCustody(kek, store(f.wrapped)).vaultPassphrase('mallory@example.com'), { code: 'ERR_VAULT_CORRUPT' }, 'copied onto another user');
    await assert.rejects(new UserKeyCustody(Buffer.alloc(32, 9), store(f.wrapped)).vaultPassphrase(f.address), { code: 'ERR_VAULT_CORRUPT' }, "another server's KEK");
    await assert.rejects(new UserKeyCustody(kek, store({ ...f.wrapped, iv: flipped(f.wrapped.iv) })).vaultPassphrase(f.address), { code: 'ERR_VAULT_CORRUPT' });
    // And the file store writes what it reads back: a new user's passphrase survives a second server instance.
    const files = new FileWrappedSecretStore(join(dir, 'wrapped'));
    const first = await new UserKeyCustody(kek, files).vaultPassphrase('new@example.com');
    assert.equal(await new UserKeyCustody(kek, new FileWrappedSecretStore(join(dir, 'wrapped'))).vaultPassphrase('new@example.com'), first);
  });

  test('an archived CA key: two officers recover it, a wrong passphrase is refused', async () => {
    const ca = join(dir, 'ca');
    mkdirSync(join(ca, 'archive'), { recursive: true });
    copyFileSync(join(FIXTURES, 'ca-recovery.json'), join(ca, 'recovery.json'));
    copyFileSync(join(FIXTURES, 'ca-archive-4a01.json'), join(ca, 'archive', '4a01.json'));
    const store = new CaStore(ca);
    const expected = Buffer.from(readFileSync(join(FIXTURES, 'ca-archived-key.pkcs8.b64'), 'utf8').trim(), 'base64');
    const { pkcs8, email } = await recoverKey(store, '4A01', [{ name: 'cleo', passphrase: 'cleo recovery passphrase' }, { name: 'anna', passphrase: 'anna recovery passphrase' }], 'test');
    assert.equal(email, 'erin@example.com');
    assert.deepEqual(Buffer.from(pkcs8), expected);
    await assert.rejects(recoverKey(store, '4a01', [{ name: 'anna', passphrase: 'anna recovery passphrase' }, { name: 'ben', passphrase: 'not bens passphrase' }], 'test'), { code: 'ERR_VAULT_BAD_PASSPHRASE' });
    const archived = JSON.parse(readFileSync(join(ca, 'archive', '4a01.json'), 'utf8')) as { sealed: { data: string } };
    archived.sealed.data = flipped(archived.sealed.data);
    writeFileSync(join(ca, 'archive', '4a01.json'), JSON.stringify(archived));
    await assert.rejects(recoverKey(store, '4a01', [{ name: 'anna', passphrase: 'anna recovery passphrase' }, { name: 'ben', passphrase: 'ben recovery passphrase' }], 'test'), { code: 'ERR_VAULT_CORRUPT' });
  });

  test('a credential vault: it opens with its passphrase, lists its credential, and a changed byte is damage', async () => {
    const path = join(dir, 'credentials.vault');
    copyFileSync(join(FIXTURES, 'credentials.vault'), path);
    const vault = await openFileCredentialStore(path, 'vault passphrase of erin', { witnessDir: join(dir, 'witnesses') });
    assert.deepEqual((await vault.list()).map((c) => c.subject), ['emailAddress=frank@example.com,CN=frank-enc,O=Test']);
    const damaged = readFileSync(join(FIXTURES, 'credentials.vault'));
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 1;
    writeFileSync(join(dir, 'damaged.vault'), damaged);
    await assert.rejects(openFileCredentialStore(join(dir, 'damaged.vault'), 'vault passphrase of erin', { witnessDir: join(dir, 'witnesses') }), { code: 'ERR_VAULT_CORRUPT' });
  });
});

describe('aes-gcm-seal', () => {
  const key = Buffer.alloc(32, 1);
  const aad = Buffer.from('owner');
  test('a seal opens with its key and associated data only, and never reuses an IV', () => {
    const sealed = sealAes256Gcm(key, Buffer.from('secret'), aad);
    assert.equal(openAes256Gcm(key, sealed, aad)?.toString(), 'secret');
    assert.equal(openAes256Gcm(key, sealed, Buffer.from('other')), undefined);
    assert.equal(openAes256Gcm(Buffer.alloc(32, 2), sealed, aad), undefined);
    assert.equal(openAes256Gcm(Buffer.alloc(16, 1), sealed, aad), undefined, 'a key of the wrong length does not open, and does not throw');
    assert.equal(openAes256Gcm(key, { ...sealed, iv: Buffer.alloc(0) }, aad), undefined);
    assert.equal(openAes256Gcm(key, { ...sealed, tag: sealed.tag.subarray(0, 4) }, aad), undefined, 'a shortened tag is refused (GCM would accept 4 bytes)');
    assert.notDeepEqual(sealAes256Gcm(key, Buffer.from('secret'), aad).iv, sealed.iv);
  });
});
