/**
 * Commands that take one argument (a file, a credential, an app) say what is missing, or which
 * argument is one too many, by one rule (cli/args.ts onlyArgument): exit 2, before anything is read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onlyArgument } from '../../src/front-ends/cli/args.js';
import { runCachet } from '../helpers/cli.js';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'cachet-one-argument-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

test('onlyArgument: the argument, or what is missing, or the one too many', () => {
  assert.equal(onlyArgument(['alice.p12'], 'name the file'), 'alice.p12');
  assert.throws(() => onlyArgument([], 'name the file'), { code: 'ERR_USAGE', message: 'name the file' });
  assert.throws(() => onlyArgument(['a.p12', 'b.p12'], 'name the file'), { code: 'ERR_USAGE', message: 'unexpected argument "b.p12"' });
});

for (const [args, message] of [
  [['cert', 'import'], 'name the PKCS#12 file to import'],
  [['cert', 'inspect', 'a.pem', 'b.pem'], 'unexpected argument "b.pem"'],
  [['cert', 'export', '--out', 'x.p12'], 'name the credential to export (see "cachet cert list")'],
  [['cert', 'remove', 'id1', 'id2'], 'unexpected argument "id2"'],
  [['trust', 'remove'], 'name the certificate to remove: its fingerprint or its file'],
  [['vault', 'enrol-app'], 'name the app to enrol'],
  [['vault', 'revoke-app', 'mail', 'idp'], 'unexpected argument "idp"'],
  [['vault', 'deposit'], 'name the PKCS#12 file to deposit'],
  [['ca', 'recover'], 'give the serial of the certificate whose key to recover'],
  [['ca', 'reject', '1', '2', '--reason', 'x'], 'unexpected argument "2"'],
] as const) {
  test(`cachet ${args.join(' ')}`, async () => {
    const run = await runCachet([...args], { env: { CACHET_HOME: home } });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.ok(run.stderr.includes(message), run.stderr);
  });
}
