/**
 * Commands used where they do not apply answer with what is wrong, before asking for any secret and
 * without touching anything: no directory in the policy, nothing kept to forget, an --as naming nobody.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'cachet-mistakes-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

test('directory login without a directory in the policy: a usage error, no password asked', async () => {
  const none = await runCachet(['directory', 'login'], { env: { CACHET_HOME: home } });
  assert.equal(none.status, 2, none.stderr);
  assert.match(none.stderr, /names no directory/);
  writeFileSync(join(home, 'policy.yaml'), 'ldapUrl: ldap://127.0.0.1:1\nldapBaseDn: dc=example,dc=com\nldapAnonymous: true\n');
  try {
    const anonymous = await runCachet(['directory', 'login'], { env: { CACHET_HOME: home } });
    assert.equal(anonymous.status, 2, anonymous.stderr);
    assert.match(anonymous.stderr, /anonymously: no password is needed/);
  } finally {
    rmSync(join(home, 'policy.yaml'));
  }
});

test('directory logout with no vault: nothing was kept, and no vault is created', async () => {
  const run = await runCachet(['directory', 'logout'], { env: { CACHET_HOME: home } });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /no directory password was kept/);
  assert.equal(existsSync(join(home, 'credentials.vault')), false);
});

test('--as naming nobody is refused even in a home without mail users', async () => {
  const run = await runCachet(['cert', 'list', '--as', 'nobody@example.com'], { env: { CACHET_HOME: home } });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /no user nobody@example\.com/);
});

test('lookup without a certificate says why once', async () => {
  const run = await runCachet(['lookup', 'carol@example.com'], { env: { CACHET_HOME: home } });
  assert.equal(run.status, 1);
  assert.equal(run.stdout.match(/no certificate/g)?.length, 1, run.stdout);
  assert.match(run.stdout, /not in the address book/);
});
