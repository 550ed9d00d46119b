/**
 * The vault commands end to end: a real `cachet vault serve` process on a temporary home, and the
 * other vault commands run as the user would run them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCachet } from '../helpers/cli.js';
import { P12_PASSWORD, pkiFile } from '../helpers/pki.js';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { vaultFilePath } from '../../src/adapters/keys/open-store.js';
import { vaultServicePaths } from '../../src/adapters/keys/vault-service/paths.js';
import { childEnv } from '../helpers/child-env.js';
import { OUTCOME_DEADLINE_MS } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'cachet-vault-cli-'));
const OLD = 'first pass phrase';
const NEW = 'second pass phrase';
const env = { CACHET_HOME: home };
let serve: ChildProcess | undefined;
/** Every `vault serve` started and not yet exited: the after hook stops them all, whatever failed. */
const running = new Set<ChildProcess>();
let serveExit: Promise<number | null> | undefined;
let idpToken = '';
let mailToken = '';

/** Starts `cachet vault serve` as a process; resolves to its first line once it listens. */
async function startServe(args: string[] = ['--idle-seconds', '120'], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entry/dev.ts', 'vault', 'serve', ...args], {
    cwd: ROOT,
    env: childEnv({ CACHET_HOME: home, ...extraEnv }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve = child;
  running.add(child);
  serveExit = new Promise((resolve) => child.once('exit', (code) => (running.delete(child), resolve(code))));
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vault serve did not start: ${output}`)), OUTCOME_DEADLINE_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // The whole first line: a pipe may deliver it in pieces.
      if (/listening on .*\n/.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`vault serve exited: ${output}`));
    });
  });
}

before(async () => {
  const init = await runCachet(['vault', 'init'], { env: { ...env, CACHET_VAULT_PASSPHRASE: OLD } });
  assert.equal(init.status, 0, init.stderr);
});
after(async () => {
  // A test that failed before its own SIGTERM (the deposit test, say) leaves its service running;
  // a later startServe replaces `serve`, so each one started is stopped here, by force if need be.
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => (clearTimeout(force), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
  rmSync(home, { recursive: true, force: true });
});

test('without a running service, unlock and list say to start "cachet vault serve" (exit 6)', async () => {
  const unlock = await runCachet(['vault', 'unlock'], { env: { ...env, CACHET_VAULT_PASSPHRASE: OLD } });
  assert.equal(unlock.status, 6);
  assert.match(unlock.stderr, /cachet vault serve/);
  const list = await runCachet(['vault', 'list', '--app-token', 'cvt_x'], { env });
  assert.equal(list.status, 6);
});

test('enrol-app prints a token once; vault serve starts locked and refuses apps until unlocked', async () => {
  const idp = await runCachet(['vault', 'enrol-app', 'idp', '--scope', 'deposit'], { env });
  assert.equal(idp.status, 0, idp.stderr);
  idpToken = idp.stdout.trim();
  assert.match(idpToken, /^cvt_[A-Za-z0-9_-]{43}$/);
  assert.match(idp.stderr, /enrolled "idp" \(may deposit\)/);
  const mail = await runCachet(['vault', 'enrol-app', 'mail', '--json'], { env });
  const enrolled = JSON.parse(mail.stdout) as { token: string; scopes: string[] };
  mailToken = enrolled.token;
  assert.deepEqual(enrolled.scopes, ['use'], 'the default scope is "use"');
  assert.notEqual(mailToken, idpToken);
  assert.equal((await runCachet(['vault', 'enrol-app', 'bad name'], { env })).status, 2);
  const badScope = await runCachet(['vault', 'enrol-app', 'x', '--scope', 'use,admin'], { env });
  assert.equal(badScope.status, 2);
  assert.match(badScope.stderr, /"use", "deposit" or "use,deposit"/);

  const started = await startServe();
  assert.match(started, /listening on unix:.*vault\.sock \(locked: run "cachet vault unlock"; locks after 120 s idle\)/);
  const locked = await runCachet(['vault', 'list', '--app-token', mailToken], { env });
  assert.equal(locked.status, 1);
  assert.match(locked.stderr, /the vault is locked: run "cachet vault unlock"/);
  const wrong = await runCachet(['vault', 'unlock'], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'nope' } });
  assert.equal(wrong.status, 4);
  const unlock = await runCachet(['vault', 'unlock'], { env: { ...env, CACHET_VAULT_PASSPHRASE: OLD } });
  assert.equal(unlock.status, 0, unlock.stderr);
});

test('deposit: a dual-purpose certificate needs --role without a terminal, is asked on one; list shows no keys', async () => {
  const tokenFile = join(home, 'idp-token');
  writeFileSync(tokenFile, `${idpToken}\n`, { mode: 0o600 });
  const p12Env = { ...env, CACHET_PASSWORD: P12_PASSWORD };
  const refused = await runCachet(['vault', 'deposit', pkiFile('alice.p12'), '--app-token-file', tokenFile], { env: p12Env });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /dual-purpose.*--role signing, encryption or both/);
  const asked = await runCachet(['vault', 'deposit', pkiFile('alice.p12'), '--app-token-file', tokenFile, '--json'], { env: p12Env, answers: ['s'] });
  assert.equal(asked.status, 0, asked.stderr);
  assert.equal((JSON.parse(asked.stdout) as { deposited: Array<{ role: string }> }).deposited[0]?.role, 'signing');
  const bob = await runCachet(['vault', 'deposit', pkiFile('bob.p12'), '--role', 'encryption'], { env: { ...p12Env, CACHET_VAULT_APP_TOKEN: idpToken } });
  assert.equal(bob.status, 0, bob.stderr);
  assert.match(bob.stdout, /deposited bob@example\.com \([0-9a-f]{16}\) for encryption/);

  // Scopes: the mail app (use) may not deposit, the identity-provider app (deposit) may not list.
  const mailDeposit = await runCachet(['vault', 'deposit', pkiFile('carol.p12'), '--role', 'encryption'], { env: { ...p12Env, CACHET_VAULT_APP_TOKEN: mailToken } });
  assert.equal(mailDeposit.status, 7, mailDeposit.stderr);
  assert.match(mailDeposit.stderr, /"mail" may not deposit credentials: that needs the scope "deposit"/);
  const idpList = await runCachet(['vault', 'list'], { env: { ...env, CACHET_VAULT_APP_TOKEN: idpToken } });
  assert.equal(idpList.status, 7, idpList.stderr);
  assert.match(idpList.stderr, /scope "use"/);

  // The mail app's token in the owner-only default file.
  writeFileSync(vaultServicePaths(home).appToken, mailToken, { mode: 0o600 });
  const listed = await runCachet(['vault', 'list', '--json'], { env });
  assert.equal(listed.status, 0, listed.stderr);
  const credentials = (JSON.parse(listed.stdout) as { credentials: Array<Record<string, unknown>> }).credentials;
  assert.deepEqual(credentials.map((c) => c.role).sort(), ['encryption', 'signing']);
  for (const c of credentials) assert.deepEqual(Object.keys(c).sort(), ['active', 'certificate', 'email', 'id', 'notAfter', 'role', 'subject']);
});

test('vault passphrase through the running service: a wrong old one changes nothing; lock, then unlock with the new one', async () => {
  const wrong = await runCachet(['vault', 'passphrase'], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'nope', CACHET_VAULT_NEW_PASSPHRASE: NEW } });
  assert.equal(wrong.status, 4);
  await openFileCredentialStore(vaultFilePath(home), OLD); // still the old passphrase
  const changed = await runCachet(['vault', 'passphrase'], { env: { ...env, CACHET_VAULT_PASSPHRASE: OLD, CACHET_VAULT_NEW_PASSPHRASE: NEW } });
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /through the running vault service/);
  // The service kept serving with the vault it re-keyed.
  assert.equal((await runCachet(['vault', 'list'], { env })).status, 0);
  assert.equal((await runCachet(['vault', 'lock'], { env })).status, 0);
  assert.equal((await runCachet(['vault', 'list'], { env })).status, 1);
  assert.equal((await runCachet(['vault', 'unlock'], { env: { ...env, CACHET_VAULT_PASSPHRASE: OLD } })).status, 4);
  const unlock = await runCachet(['vault', 'unlock'], { env: { ...env, CACHET_VAULT_PASSPHRASE: NEW } });
  assert.equal(unlock.status, 0, unlock.stderr);
});

test('revoke-app: the app is refused (exit 7); the service stops on SIGTERM and removes its endpoint', async () => {
  assert.equal((await runCachet(['vault', 'revoke-app', 'mail'], { env })).status, 0);
  const refused = await runCachet(['vault', 'list'], { env });
  assert.equal(refused.status, 7);
  assert.match(refused.stderr, /"mail" has been revoked/);
  assert.equal((await runCachet(['vault', 'revoke-app', 'nobody'], { env })).status, 2);
  serve!.kill('SIGTERM');
  assert.equal(await serveExit, 0);
  assert.ok(!existsSync(vaultServicePaths(home).endpoint));
});

test('the idle time comes from the policy; --idle-seconds may only shorten it', async () => {
  const policy = join(home, 'policy.yaml');
  writeFileSync(policy, 'vaultIdleMinutes: 1\n');
  const started = await startServe(['--idle-seconds', '600'], { CACHET_POLICY: policy });
  assert.match(started, /locks after 60 s idle/);
  serve!.kill('SIGTERM');
  assert.equal(await serveExit, 0);
  rmSync(policy);
});

test('vault passphrase with no service changes the file; asked twice on a terminal, two different answers change nothing', async () => {
  const differ = await runCachet(['vault', 'passphrase'], { env: { ...env, CACHET_VAULT_PASSPHRASE: NEW }, answers: ['third', 'thirdd'] });
  assert.equal(differ.status, 2);
  await openFileCredentialStore(vaultFilePath(home), NEW);
  const changed = await runCachet(['vault', 'passphrase'], { env: { ...env, CACHET_VAULT_PASSPHRASE: NEW }, answers: ['third', 'third'] });
  assert.equal(changed.status, 0, changed.stderr);
  const store = await openFileCredentialStore(vaultFilePath(home), 'third');
  assert.equal((await store.list()).length, 2);
});
