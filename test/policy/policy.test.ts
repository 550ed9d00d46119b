import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'cachet-policy-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

test('defaults, a YAML policy that locks keys, and user settings — each value with its origin', async () => {
  writeFileSync(join(home, 'policy.yaml'), 'certificateSource: sharedVault\ngroupRule: ask\nencryptByDefault: true\nldapUrl: ldap://dir.example.com\n');
  assert.equal((await runCachet(['settings', 'set', 'enableSigning', 'false'], { env: { CACHET_HOME: home } })).status, 0);
  const shown = await runCachet(['policy', 'show', '--json'], { env: { CACHET_HOME: home } });
  assert.equal(shown.status, 0);
  const values = Object.fromEntries((JSON.parse(shown.stdout) as { values: Array<{ key: string; value: unknown; origin: string; locked: boolean }> }).values.map((v) => [v.key, v]));
  assert.deepEqual(values['certificateSource'], { key: 'certificateSource', value: 'sharedVault', origin: 'policy', locked: true });
  assert.equal(values['groupRule']?.value, 'ask');
  assert.deepEqual(values['enableSigning'], { key: 'enableSigning', value: false, origin: 'setting', locked: false });
  assert.equal(values['revocationMode']?.origin, 'default');
});

test('a setting the policy locks is refused (exit 7); unknown keys and bad values name the key (exit 2)', async () => {
  const locked = await runCachet(['settings', 'set', 'encryptByDefault', 'false'], { env: { CACHET_HOME: home } });
  assert.equal(locked.status, 7);
  assert.match(locked.stderr, /encryptByDefault.*administrator/);
  const unknown = await runCachet(['settings', 'set', 'encryptEverything', 'true'], { env: { CACHET_HOME: home } });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown key "encryptEverything"/);
  const bad = await runCachet(['settings', 'set', 'enableEncryption', 'maybe'], { env: { CACHET_HOME: home } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /allowed: true \| false/);
});

test('a broken policy file is a clear error naming the key and the allowed values', async () => {
  const file = join(home, 'bad-policy.json');
  writeFileSync(file, JSON.stringify({ groupRule: 'sometimes' }));
  const result = await runCachet(['policy', 'show'], { env: { CACHET_HOME: home, CACHET_POLICY: file } });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /"groupRule" is "sometimes"; allowed: block \| ask \| send-unencrypted/);
  writeFileSync(file, '{ not json');
  assert.match((await runCachet(['policy', 'show'], { env: { CACHET_HOME: home, CACHET_POLICY: file } })).stderr, /is not valid JSON/);
});
