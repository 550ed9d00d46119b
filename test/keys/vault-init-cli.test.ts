import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'cachet-vault-init-'));
after(() => rmSync(home, { recursive: true, force: true }));

test('vault init creates the vault once; a wrong passphrase is then refused', async () => {
  const env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'correct horse' };
  const first = await runCachet(['vault', 'init'], { env });
  assert.equal(first.status, 0, first.stderr);
  assert.ok(existsSync(join(home, 'credentials.vault')));
  const again = await runCachet(['vault', 'init'], { env });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);
  const listed = await runCachet(['cert', 'list', '--json'], { env });
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), { credentials: [] });
  const wrong = await runCachet(['cert', 'list'], { env: { ...env, CACHET_VAULT_PASSPHRASE: 'wrong' } });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /passphrase/);
});
