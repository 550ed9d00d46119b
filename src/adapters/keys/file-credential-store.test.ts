import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCachetError } from '../../errors.js';
import { certificateDer, pkiBytes, privateKey } from '../../../test/helpers/pki.js';
import { openFileCredentialStore } from './file-credential-store.js';

let dir: string;
let n = 0;
const vaultPath = (): string => join(dir, `vault-${n++}`, 'credentials.vault');
const pkcs8 = (name: string): Buffer => privateKey(name).export({ format: 'der', type: 'pkcs8' });
const caDer = (): Buffer => Buffer.from(pkiBytes('ca.pem').toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');
const credential = (name: string, role: 'signing' | 'encryption', exportable = true) => ({ certificate: certificateDer(name), chain: [caDer()], privateKeyPkcs8: pkcs8(name), role, exportable });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-vault-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function vaultWithAlice(): Promise<string> {
  const path = vaultPath();
  const store = await openFileCredentialStore(path, 'pass phrase', { createIfMissing: true });
  await store.add(credential('alice', 'signing'));
  return path;
}

describe('the vault file credential store', () => {
  test('created on the first add (mode 0600, no temp file left); reopened with the passphrase; the key signs', async () => {
    const path = vaultPath();
    const store = await openFileCredentialStore(path, 'pass phrase', { createIfMissing: true });
    assert.equal(store.exists(), false);
    assert.deepEqual(await store.list(), []);
    const added = await store.add(credential('alice', 'signing'));
    assert.equal(store.exists(), true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(path, '..')), ['credentials.vault', 'credentials.vault.generation']);
    const again = await openFileCredentialStore(path, 'pass phrase');
    const [stored] = await again.list();
    assert.equal(stored!.id, added.id);
    assert.deepEqual(stored!.email, ['alice@example.com']);
    assert.deepEqual(Buffer.from(stored!.chain[0]!), caDer());
    const handle = await again.privateKey(added.id);
    const signature = await handle.sign(Buffer.from('hello'), 'rsa-pkcs1', 'sha256');
    assert.equal(verify('sha256', Buffer.from('hello'), createPublicKey(pkiBytes('alice.pem')), signature), true);
  });

  test('a missing vault without createIfMissing is ERR_VAULT_NOT_FOUND', async () => {
    await assert.rejects(openFileCredentialStore(vaultPath(), 'x'), (e: unknown) => isCachetError(e, 'ERR_VAULT_NOT_FOUND'));
  });

  test('wrong passphrase → ERR_VAULT_BAD_PASSPHRASE; a flipped bit anywhere → ERR_VAULT_CORRUPT', async () => {
    const path = await vaultWithAlice();
    await assert.rejects(openFileCredentialStore(path, 'wrong'), (e: unknown) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
    const original = readFileSync(path);
    const headerLength = original.readUInt32BE(8);
    for (const offset of [original.length - 1, original.length - 40, 12 + headerLength + 3]) {
      const damaged = Buffer.from(original);
      damaged[offset]! ^= 0x01;
      writeFileSync(path, damaged);
      await assert.rejects(openFileCredentialStore(path, 'pass phrase'), (e: unknown) => isCachetError(e, 'ERR_VAULT_CORRUPT'), `offset ${offset}`);
    }
    // the header is authenticated: a changed IV is caught
    const header = JSON.parse(original.subarray(12, 12 + headerLength).toString()) as { iv: string };
    const iv = Buffer.from(header.iv, 'base64');
    iv[0]! ^= 0x01;
    const changed = original.subarray(12, 12 + headerLength).toString().replace(header.iv, iv.toString('base64'));
    writeFileSync(path, Buffer.concat([original.subarray(0, 12), Buffer.from(changed), original.subarray(12 + headerLength)]));
    await assert.rejects(openFileCredentialStore(path, 'pass phrase'), (e: unknown) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
    writeFileSync(path, original.subarray(0, 30));
    await assert.rejects(openFileCredentialStore(path, 'pass phrase'), (e: unknown) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
  });

  test('a hostile header asking for a huge scrypt cost is refused before any work', async () => {
    const path = await vaultWithAlice();
    const original = readFileSync(path);
    const headerLength = original.readUInt32BE(8);
    const header = JSON.parse(original.subarray(12, 12 + headerLength).toString()) as { kdf: { N: number } };
    header.kdf.N = 2 ** 30;
    const text = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(text.length);
    writeFileSync(path, Buffer.concat([original.subarray(0, 8), length, text, original.subarray(12 + headerLength)]));
    const started = Date.now();
    await assert.rejects(openFileCredentialStore(path, 'pass phrase'), (e: unknown) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
    assert.ok(Date.now() - started < 1000);
  });

  test('roles: signing replacement needs replaceActive; encryption keys accumulate, the newest active', async () => {
    const path = vaultPath();
    const store = await openFileCredentialStore(path, 'p', { createIfMissing: true });
    await store.add(credential('frank-sign', 'signing'));
    await assert.rejects(store.add(credential('grace-sign', 'signing')), (e: unknown) => isCachetError(e, 'ERR_CERT_EXISTS'));
    await store.add(credential('grace-sign', 'signing'), { replaceActive: true });
    await store.add(credential('frank-enc', 'encryption'));
    await store.add(credential('grace-enc', 'encryption'));
    const list = await store.list();
    assert.deepEqual(list.map((c) => [c.role, c.active]), [['signing', false], ['signing', true], ['encryption', false], ['encryption', true]]);
    assert.equal((await store.active('encryption'))!.subject, 'emailAddress=grace@example.com,CN=grace-enc,O=Test');
    // removing the active one hands the role to the newest remaining
    await store.remove((await store.active('encryption'))!.id);
    assert.equal((await store.active('encryption'))!.subject, 'emailAddress=frank@example.com,CN=frank-enc,O=Test');
  });

  test('a key that does not belong to the certificate is refused; a non-exportable key stays inside', async () => {
    const store = await openFileCredentialStore(vaultPath(), 'p', { createIfMissing: true });
    await assert.rejects(store.add({ ...credential('alice', 'signing'), privateKeyPkcs8: pkcs8('bob') }), (e: unknown) => isCachetError(e, 'ERR_KEY_MISMATCH'));
    const added = await store.add(credential('bob', 'encryption', false));
    await assert.rejects(store.exportPrivateKey(added.id), (e: unknown) => isCachetError(e, 'ERR_POLICY_FORBIDS'));
  });

  test('two handles on one vault (CLI and web client): neither loses the other\'s credential', async () => {
    const path = vaultPath();
    const first = await openFileCredentialStore(path, 'p', { createIfMissing: true });
    await first.add(credential('frank-sign', 'signing'));
    const second = await openFileCredentialStore(path, 'p');
    await second.add(credential('frank-enc', 'encryption'));
    await first.add(credential('grace-enc', 'encryption'));
    const reopened = await openFileCredentialStore(path, 'p');
    assert.deepEqual((await reopened.list()).map((c) => [c.subject.split(',')[1], c.active]), [['CN=frank-sign', true], ['CN=frank-enc', false], ['CN=grace-enc', true]]);
  });

  test('two handles writing at the same moment (the vault service\'s deposit beside "cert import"): both credentials stay', async () => {
    const path = await vaultWithAlice();
    const service = await openFileCredentialStore(path, 'pass phrase');
    const cli = await openFileCredentialStore(path, 'pass phrase');
    // Each read-modify-write must start from the other's result, not from what both saw before.
    await Promise.all([service.add(credential('bob', 'encryption')), cli.add(credential('frank-enc', 'encryption')), service.setSecrets({ s: 'v' })]);
    await Promise.all([cli.remove((await cli.list()).find((c) => c.role === 'signing')!.id), service.add(credential('grace-enc', 'encryption'))]);
    const reopened = await openFileCredentialStore(path, 'pass phrase');
    assert.deepEqual((await reopened.list()).map((c) => c.subject.split(',')[1]).sort(), ['CN=bob', 'CN=frank-enc', 'CN=grace-enc']);
    assert.equal(await reopened.secret('s'), 'v');
    assert.deepEqual(readdirSync(join(path, '..')).filter((f) => f.endsWith('.lock')), [], 'no lock file is left behind');
  });
  test('named secrets are kept encrypted in the vault, together, survive reopening, and can be forgotten one by one', async () => {
    const path = vaultPath();
    const store = await openFileCredentialStore(path, 'p', { createIfMissing: true });
    await store.setSecrets({ 'ldap-bind-dn': 'uid=alice,dc=example', 'ldap-bind-password': 'Directory-Secret-42' });
    assert.equal(readFileSync(path).includes(Buffer.from('Directory-Secret-42')), false);
    const reopened = await openFileCredentialStore(path, 'p');
    assert.equal(await reopened.secret('ldap-bind-password'), 'Directory-Secret-42');
    assert.equal(await reopened.secret('ldap-bind-dn'), 'uid=alice,dc=example');
    await reopened.setSecrets({ 'ldap-bind-password': undefined });
    const again = await openFileCredentialStore(path, 'p');
    assert.equal(await again.secret('ldap-bind-password'), undefined);
    assert.equal(await again.secret('ldap-bind-dn'), 'uid=alice,dc=example', 'a secret not named is left as it was');
  });

  test('a new passphrase opens the vault with everything in it; the old one no longer does', async () => {
    const path = await vaultWithAlice();
    const store = await openFileCredentialStore(path, 'pass phrase');
    await store.changePassphrase('a better pass phrase');
    const reopened = await openFileCredentialStore(path, 'a better pass phrase');
    assert.equal((await reopened.list()).length, 1);
    await assert.rejects(openFileCredentialStore(path, 'pass phrase'), (e: unknown) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
    await assert.rejects(store.changePassphrase(''), (e: unknown) => isCachetError(e, 'ERR_USAGE'));
  });
  test('a store that is open sees what another writer added (list, active, privateKey); a tampered change is refused', async () => {
    const path = await vaultWithAlice();
    const reader = await openFileCredentialStore(path, 'pass phrase');
    const writer = await openFileCredentialStore(path, 'pass phrase');
    assert.equal((await reader.list()).length, 1);
    const bob = await writer.add(credential('bob', 'encryption'));
    assert.deepEqual((await reader.list()).map((c) => c.role).sort(), ['encryption', 'signing']);
    assert.equal((await reader.active('encryption'))?.id, bob.id);
    assert.equal((await reader.privateKey(bob.id)).kind, 'rsa');
    // Asked again with nothing changed: the same answer.
    assert.equal((await reader.list()).length, 2);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(path, bytes);
    await assert.rejects(reader.list(), (e) => isCachetError(e, 'ERR_VAULT_CORRUPT'));
  });

  test('rollback (issue 14): an old copy is refused when either witness survives, its .generation file deleted or the outside one', async () => {
    const witnessDir = join(dir, `witnesses-${n}`);
    const path = vaultPath();
    const store = await openFileCredentialStore(path, 'pass phrase', { createIfMissing: true, witnessDir });
    await store.add(credential('alice', 'signing'));
    const old = readFileSync(path);
    await store.add(credential('bob', 'encryption'));
    const current = readFileSync(path);
    const rolledBack = (e: unknown) => isCachetError(e, 'ERR_VAULT_CORRUPT') && e.details['rolledBack'] === true;
    const [outside] = readdirSync(witnessDir);
    assert.ok(outside, 'the outside witness is written');

    writeFileSync(path, old);
    rmSync(`${path}.generation`);
    await assert.rejects(openFileCredentialStore(path, 'pass phrase', { witnessDir }), rolledBack, 'the .generation file deleted');
    writeFileSync(path, current);
    assert.equal((await (await openFileCredentialStore(path, 'pass phrase', { witnessDir })).list()).length, 2, 'the current vault still opens');

    await (await openFileCredentialStore(path, 'pass phrase', { witnessDir })).setSecrets({ note: 'a write puts both witnesses back' });
    const latest = readFileSync(path);
    writeFileSync(path, old);
    rmSync(join(witnessDir, outside));
    await assert.rejects(openFileCredentialStore(path, 'pass phrase', { witnessDir }), rolledBack, 'the outside witness deleted');

    // What it does not cover (README, Security): both witnesses deleted, the old copy is accepted.
    rmSync(`${path}.generation`);
    assert.equal((await (await openFileCredentialStore(path, 'pass phrase', { witnessDir })).list()).length, 1);
    writeFileSync(path, latest);
  });

  test('rollback: a new vault made where an old one was is not taken for an old copy of it', async () => {
    const witnessDir = join(dir, `witnesses-${n}`);
    const path = vaultPath();
    const first = await openFileCredentialStore(path, 'pass phrase', { createIfMissing: true, witnessDir });
    await first.add(credential('alice', 'signing'));
    await first.add(credential('bob', 'encryption'));
    rmSync(join(path, '..'), { recursive: true });
    const second = await openFileCredentialStore(path, 'another phrase', { createIfMissing: true, witnessDir });
    await second.add(credential('carol', 'signing'));
    assert.equal((await (await openFileCredentialStore(path, 'another phrase', { witnessDir })).list()).length, 1);
  });
});
