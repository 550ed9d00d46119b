/**
 * Local web accounts, the embedded default: `cachet account add --web-password-file` sets the
 * password, `cachet account password` changes it (the current one checked first, the vault re-locked
 * with the new one), and the web client signs in with the new password only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { ClientMailService } from '../../src/front-ends/web/client-mail-service.js';
import { createWebApp } from '../../src/front-ends/web/app.js';
import { isCachetError } from '../../src/errors.js';

let dir: string;
const home = () => join(dir, 'home');
const vaultPath = () => join(home(), 'users', 'alice@example.org', 'credentials.vault');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-local-accounts-'));
  writeFileSync(join(dir, 'first'), 'first-password\n');
  writeFileSync(join(dir, 'second'), 'second-password\n');
  writeFileSync(join(dir, 'short'), 'short\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function login(password: string): Promise<number> {
  const app = createWebApp({ service: new ClientMailService(home()) });
  const response = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://localhost' }, body: JSON.stringify({ user: 'ALICE@example.org', password }) });
  return response.status;
}

test('account add --web-password-file refuses a short password and adds nobody', async () => {
  const run = await runCachet(['account', 'add', 'alice@example.org', '--web-password-file', join(dir, 'short')], { env: { CACHET_HOME: home() } });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /at least 8 characters/);
  assert.match((await runCachet(['inbox', '--as', 'alice@example.org'], { env: { CACHET_HOME: home() } })).stderr, /no user/);
});

test('account add sets the web password; account password changes it and re-locks the vault', async () => {
  assert.equal((await runCachet(['account', 'add', 'alice@example.org', '--web-password-file', join(dir, 'first')], { env: { CACHET_HOME: home() } })).status, 0);
  assert.equal(await login('first-password'), 200);
  // Her vault, locked with her web password as `cachet web` does.
  await (await openFileCredentialStore(vaultPath(), 'first-password', { createIfMissing: true })).setSecrets({ note: 'kept' });

  const wrong = await runCachet(['account', 'password', '--password-file', join(dir, 'second'), '--new-password-file', join(dir, 'second')], { env: { CACHET_HOME: home() } });
  assert.equal(wrong.status, 4);
  assert.match(wrong.stderr, /current web password of alice@example\.org is wrong; nothing was changed/);
  assert.equal(await login('first-password'), 200);

  const changed = await runCachet(['account', 'password', '--password-file', join(dir, 'first'), '--new-password-file', join(dir, 'second')], { env: { CACHET_HOME: home() } });
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /changed the web password of alice@example\.org \(and the passphrase of their vault with it\)/);
  assert.equal(await login('first-password'), 401);
  assert.equal(await login('second-password'), 200);
  assert.equal(await (await openFileCredentialStore(vaultPath(), 'second-password')).secret('note'), 'kept');
  await assert.rejects(openFileCredentialStore(vaultPath(), 'first-password'), (e) => isCachetError(e, 'ERR_VAULT_BAD_PASSPHRASE'));
});
