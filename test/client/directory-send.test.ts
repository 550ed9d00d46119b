/**
 * The mail client asks the organisation's directory (a real private slapd) for a recipient it has
 * never heard from, under the admin's policy (ldapUrl, ldapBaseDn, anonymous access), and encrypts to
 * the certificate found there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd | undefined;
let home: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'cachet-dirsend-'));
  slapd = await startSlapd({
    entries: [{ dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: 'bob@example.com', 'userCertificate;binary': certificateDer('bob') } }],
  });
  mkdirSync(join(home, 'trust'));
  copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'root.pem'));
  writeFileSync(join(home, 'policy.yaml'), `publicCertificateSource: both\nldapUrl: ${slapd.url}\nldapBaseDn: ${slapd.baseDn}\nldapAnonymous: true\nrevocationMode: off\n`);
  env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: 'vault passphrase', CACHET_PASSWORD: 'test' };
  for (const [user, p12, role] of [['alice@example.com', 'alice', 'signing'], ['bob@example.com', 'bob', 'encryption']] as const) {
    assert.equal((await runCachet(['account', 'add', user], { env })).status, 0);
    const imported = await runCachet(['cert', 'import', pkiFile(`${p12}.p12`), '--role', role], { env: { ...env, CACHET_HOME: join(home, 'users', user) } });
    assert.equal(imported.status, 0, imported.stderr);
  }
});
after(async () => {
  await slapd?.stop();
  rmSync(home, { recursive: true, force: true });
});

test("alice encrypts to bob with the certificate from the directory, and bob reads it", async () => {
  const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'from the directory'], { env, stdin: 'Found you in LDAP.' });
  assert.equal(sent.status, 0, sent.stderr);
  assert.match(sent.stdout, /signed, encrypted/);
  const inbox = JSON.parse((await runCachet(['inbox', '--as', 'bob@example.com', '--json'], { env })).stdout) as { messages: Array<{ id: string }> };
  const read = await runCachet(['read', inbox.messages[0]!.id, '--as', 'bob@example.com', '--json'], { env });
  const report = JSON.parse(read.stdout) as { encrypted: boolean; text: string; status: string };
  assert.equal(report.encrypted, true);
  assert.match(report.text, /Found you in LDAP/);
  assert.equal(report.status, 'valid');
});

test('a recipient neither in the address book nor in the directory is refused by the group rule', async () => {
  const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'carol@example.com', '--subject', 'nobody knows carol'], { env, stdin: 'x' });
  assert.equal(sent.status, 7);
  assert.match(sent.stderr, /carol@example\.com/);
});
