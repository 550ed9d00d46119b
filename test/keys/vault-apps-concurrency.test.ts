/**
 * Writers of the enrolment registry (vault-apps.json) are serialised: enrolments and revocations run at
 * once — as promises of one process whose file I/O interleaves, and as separate processes — lose no
 * update, and every token enrolled works afterwards.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrolApp, identifyApp, listApps, revokeApp } from '../../src/adapters/keys/vault-service/app-registry.js';
import { vaultServicePaths } from '../../src/adapters/keys/vault-service/paths.js';
import { isCachetError } from '../../src/errors.js';

const REGISTRY = fileURLToPath(new URL('../../src/adapters/keys/vault-service/app-registry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const newHome = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachet-vapps-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('twenty enrolments at once in one process: every app is listed and every token identifies its app', async () => {
  const home = newHome();
  const names = Array.from({ length: 20 }, (_, i) => `app-${i}`);
  const tokens = await Promise.all(names.map((name, i) => enrolApp(home, name, i % 2 ? ['use'] : ['deposit'])));
  assert.deepEqual((await listApps(home)).map((a) => a.name).sort(), [...names].sort());
  for (const [i, token] of tokens.entries()) {
    assert.deepEqual(await identifyApp(home, token), { name: names[i], scopes: i % 2 ? ['use'] : ['deposit'] });
  }
  assert.equal(existsSync(`${vaultServicePaths(home).apps}.lock`), false, 'the lock is gone');
});

test('revocations and enrolments at once: each revocation holds, each new enrolment works', async () => {
  const home = newHome();
  const old = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => enrolApp(home, name)));
  const [, , , , fresh1, fresh2] = await Promise.all([
    revokeApp(home, 'a'),
    revokeApp(home, 'b'),
    revokeApp(home, 'c'),
    revokeApp(home, 'd'),
    enrolApp(home, 'g'),
    enrolApp(home, 'h'),
  ]);
  for (const token of old.slice(0, 4)) await assert.rejects(identifyApp(home, token), (e) => isCachetError(e, 'ERR_VAULT_ACCESS_DENIED') && /revoked/.test((e as Error).message));
  for (const token of [...old.slice(4), fresh1 as string, fresh2 as string]) assert.ok((await identifyApp(home, token)).name);
});

test('four processes enrolling five apps each at the same time: all twenty tokens work', async () => {
  const home = newHome();
  const script = join(home, 'enrol-many.mts');
  writeFileSync(
    script,
    `import { enrolApp } from ${JSON.stringify(REGISTRY)};\n` +
      `const [home, prefix] = process.argv.slice(2);\n` +
      `const tokens = await Promise.all([0, 1, 2, 3, 4].map((i) => enrolApp(home, prefix + '-' + i)));\n` +
      `process.stdout.write(JSON.stringify(tokens));\n`,
  );
  const run = (prefix: string) =>
    new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, home, prefix], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`enrolling process failed (${code}): ${err}`))));
    });
  const prefixes = ['p', 'q', 'r', 's'];
  const results = await Promise.all(prefixes.map(run));
  assert.equal((await listApps(home)).length, 20);
  for (const [p, tokens] of results.entries()) {
    for (const [i, token] of tokens.entries()) assert.equal((await identifyApp(home, token)).name, `${prefixes[p]}-${i}`);
  }
});

test('the first enrolment in a home that does not exist yet creates it', async () => {
  const home = join(newHome(), 'not', 'yet');
  const token = await enrolApp(home, 'first');
  assert.equal((await identifyApp(home, token)).name, 'first');
});

test('a lock left behind by a dead process does not block enrolment', async () => {
  const home = newHome();
  const lock = `${vaultServicePaths(home).apps}.lock`;
  // pid 2^31-1 exists on no system (pid_max is at most 2^22 on Linux).
  writeFileSync(lock, JSON.stringify({ pid: 2147483647, nonce: 'dead', time: Date.now() }));
  const token = await enrolApp(home, 'after-a-crash');
  assert.equal((await identifyApp(home, token)).name, 'after-a-crash');
  assert.equal(existsSync(lock), false);
});
