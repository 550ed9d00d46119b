/**
 * Managed policy. The server's policy comes from its configuration's file — not from a user setting,
 * a request or $CACHET_POLICY — and a file others may write is refused. The CLI reads the machine's
 * system policy first and says which file each value came from; the test names its system policy
 * with $CACHET_SYSTEM_POLICY, which counts only for a root-owned file no one else may write.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { isCachetError } from '../../src/errors.js';
import { startInProcess } from './support.js';

let dir: string;
let systemPolicy: string;

// The policy module reads the override from the process's environment (as the installed CLI has it).
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-managed-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'etc'), { mode: 0o755 });
  systemPolicy = join(dir, 'etc', 'policy.yaml');
  writeFileSync(systemPolicy, 'groupRule: block\nencryptByDefault: true\n', { mode: 0o644 });
  writeFileSync(join(dir, 'home-policy.yaml'), 'groupRule: send-unencrypted\nobscureSubject: false\n');
  writeFileSync(join(dir, 'user-policy.yaml'), 'groupRule: send-unencrypted\nencryptByDefault: false\nobscureSubject: true\n');
  process.env.CACHET_SYSTEM_POLICY = systemPolicy;
});
after(() => {
  delete process.env.CACHET_SYSTEM_POLICY;
  rmSync(dir, { recursive: true, force: true });
});

test('the CLI reads the system policy first, says where each value came from, and a user cannot override it', { skip: process.getuid?.() !== 0 && 'needs root to own the system policy' }, async () => {
  const env = { CACHET_HOME: join(dir, 'home'), CACHET_POLICY: join(dir, 'user-policy.yaml') };
  const shown = await runCachet(['policy', 'show', '--json'], { env });
  assert.equal(shown.status, 0, shown.stderr);
  const { values, sources } = JSON.parse(shown.stdout) as { values: Array<{ key: string; value: unknown; origin: string }>; sources: Record<string, string> };
  const value = (key: string) => values.find((v) => v.key === key)?.value;
  assert.equal(value('groupRule'), 'block', 'the system policy wins over $CACHET_POLICY');
  assert.equal(sources['groupRule'], systemPolicy);
  assert.equal(value('encryptByDefault'), true);
  assert.equal(sources['revocationMode'], undefined, 'a default has no file');
  const text = await runCachet(['policy', 'show'], { env });
  assert.match(text.stdout, new RegExp(`groupRule\\s+"block"\\s+policy \\(locked\\)\\s+${systemPolicy.replace(/[/.]/g, '\\$&')}`));
  const set = await runCachet(['settings', 'set', 'encryptByDefault', 'false'], { env });
  assert.equal(set.status, 7, 'a key of the system policy is locked');
});

test('a system policy file others may write is not honoured through the override', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  chmodSync(systemPolicy, 0o666);
  try {
    const shown = await runCachet(['policy', 'show', '--json'], { env: { CACHET_HOME: join(dir, 'home'), CACHET_POLICY: join(dir, 'user-policy.yaml') } });
    const { values } = JSON.parse(shown.stdout) as { values: Array<{ key: string; value: unknown }> };
    assert.equal(values.find((v) => v.key === 'groupRule')?.value, 'send-unencrypted');
  } finally {
    chmodSync(systemPolicy, 0o644);
  }
});

test("the server's policy is its configured file: not a user setting, a request or $CACHET_POLICY", async () => {
  const serverDir = join(dir, 'server');
  mkdirSync(serverDir);
  assert.equal((await runCachet(['server', '--init-key', join(serverDir, 'kek')])).status, 0);
  writeFileSync(join(serverDir, 'password'), 'alice-web-password\n');
  assert.equal((await runCachet(['account', 'add', 'alice@example.org', '--web-password-file', join(serverDir, 'password')], { env: { CACHET_HOME: join(serverDir, 'state') } })).status, 0);
  writeFileSync(join(serverDir, 'policy.yaml'), 'obscureSubject: false\nenableSigning: true\n', { mode: 0o644 });
  const yaml = `listen:\n  host: 127.0.0.1\n  port: 0\npolicy:\n  file: ${join(serverDir, 'policy.yaml')}\nstate:\n  directory: ${join(serverDir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(serverDir, 'kek')}\n`;
  const saved = process.env.CACHET_POLICY;
  process.env.CACHET_POLICY = join(dir, 'user-policy.yaml');
  const web = await startInProcess(serverDir, yaml);
  try {
    const { cookie, body } = await web.login('alice@example.org', 'alice-web-password');
    const csrf = String(body['csrfToken']);
    const policy = (await (await fetch(`${web.server.url}/api/policy`, { headers: { cookie: cookie! } })).json()) as Array<{ key: string; value: unknown; origin: string }>;
    assert.equal(policy.find((v) => v.key === 'obscureSubject')?.value, false, '$CACHET_POLICY of the environment changes nothing');
    assert.equal(policy.find((v) => v.key === 'groupRule')?.value, 'block', "the machine's system policy applies to the server too");
    const change = await fetch(`${web.server.url}/api/settings/enableSigning`, { method: 'PUT', headers: { cookie: cookie!, origin: web.server.url, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ value: false }) });
    assert.equal(change.status, 403, 'a request cannot change what the policy sets');
  } finally {
    await web.server.shutdown();
    if (saved === undefined) delete process.env.CACHET_POLICY;
    else process.env.CACHET_POLICY = saved;
  }
  chmodSync(join(serverDir, 'policy.yaml'), 0o666);
  await assert.rejects(startInProcess(serverDir, yaml), (e) => isCachetError(e, 'ERR_POLICY_INVALID') && /may be written by others \(mode 666\)/.test(e.message));
});
