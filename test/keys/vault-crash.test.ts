/**
 * Crash safety and rollback detection of the vault file: a writer killed with SIGKILL at random
 * moments leaves a vault that opens with either the old or the new contents; an older copy of the
 * whole file put back in place is refused as ERR_VAULT_CORRUPT.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { certificateDer, privateKey } from '../helpers/pki.js';
import { isCachetError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cachet-vault-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const writer = fileURLToPath(new URL('./fixtures/vault-writer.ts', import.meta.url));

async function runAndKill(path: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path, 'pass phrase'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
  });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// Five writers, each started through tsx: 25 s on a loaded 2-core machine, where 50 s was the limit.
// The limit is for a writer that never says 'ready', not a measure of speed.
test('a writer killed at random points never leaves a broken vault', { timeout: 5 * 60_000 }, async () => {
  const path = join(dir, 'credentials.vault');
  for (let round = 0; round < 5; round++) {
    await runAndKill(path, 50 + Math.floor(Math.random() * 400));
    const store = await openFileCredentialStore(path, 'pass phrase');
    const list = await store.list();
    assert.ok(list.length <= 1, `round ${round}: the old or the new state (${list.length} credentials)`);
  }
});

test('an older copy of the whole vault is refused as a rollback', async () => {
  const path = join(dir, 'rollback.vault');
  const store = await openFileCredentialStore(path, 'pw', { createIfMissing: true });
  await store.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: privateKey('frank-enc').export({ format: 'der', type: 'pkcs8' }), role: 'encryption' });
  copyFileSync(path, join(dir, 'old-copy'));
  await store.add({ certificate: certificateDer('grace-enc'), chain: [], privateKeyPkcs8: privateKey('grace-enc').export({ format: 'der', type: 'pkcs8' }), role: 'encryption' });
  assert.equal((await (await openFileCredentialStore(path, 'pw')).list()).length, 2);
  copyFileSync(join(dir, 'old-copy'), path);
  await assert.rejects(openFileCredentialStore(path, 'pw'), (e) => isCachetError(e, 'ERR_VAULT_CORRUPT') && /rolled back/.test((e as Error).message));
});

test('repeated wrong passphrases are slowed down, persisted across opens; the right one resets the count', async () => {
  const path = join(dir, 'backoff.vault');
  const store = await openFileCredentialStore(path, 'right', { createIfMissing: true });
  await store.add({ certificate: certificateDer('frank-enc'), chain: [], privateKeyPkcs8: privateKey('frank-enc').export({ format: 'der', type: 'pkcs8' }), role: 'encryption' });
  const timed = async () => {
    const start = Date.now();
    await assert.rejects(openFileCredentialStore(path, 'wrong'), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
    return Date.now() - start;
  };
  await timed();
  await timed();
  const third = await timed();
  assert.ok(third >= 450, `the third failure waited (${third} ms)`);
  assert.ok(existsSync(`${path}.failures`));
  await openFileCredentialStore(path, 'right');
  assert.ok(!existsSync(`${path}.failures`), 'a success clears the counter');
});
