/**
 * A directory that answers bound users only (as Active Directory does), named by the admin's policy
 * with StartTLS, its own TLS CA, a bind DN, a timeout and a size limit: `cachet directory login` checks
 * the password and keeps it in the user's vault; lookups and sending bind with it; logout forgets it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

describe('a bound-only directory under the policy (slapd, StartTLS)', () => {
  let slapd: Slapd | undefined;
  let mailHome: MailHome | undefined;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const aliceDir = (): string => mailHome!.userDir('alice@example.com');
  const writePolicy = (extra: string): void =>
    mailHome!.writePolicy(
      `publicCertificateSource: ldap\nldapUrl: ${slapd!.url}\nldapBaseDn: ${slapd!.baseDn}\nldapStartTls: true\nldapTlsCaFile: directory-ca.pem\nldapAnonymous: false\nldapTimeoutMs: 3000\nldapSizeLimit: 10\nrevocationMode: off\n${extra}`,
    );

  before(async () => {
    slapd = await startSlapd({
      withTls: true,
      anonymousRead: false,
      entries: [{ dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: 'bob@example.com', 'userCertificate;binary': certificateDer('bob') } }],
    });
    mailHome = await createMailHome({
      prefix: 'cachet-dirbound-',
      users: [
        { address: 'alice@example.com', p12: 'alice', role: 'signing' },
        { address: 'bob@example.com', p12: 'bob', role: 'encryption' },
      ],
    });
    home = mailHome.home;
    env = mailHome.env;
    // The policy names the directory's TLS CA by a path relative to the organisation's home.
    copyFileSync(slapd.caFile!, join(home, 'directory-ca.pem'));
    writePolicy(`ldapBindDn: ${slapd.readerDn}\n`);
  });
  after(async () => {
    await slapd?.stop();
    mailHome?.remove();
  });

  const passwordFile = (text: string): string => {
    const file = join(home, `pw-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, `${text}\n`);
    return file;
  };
  const lookupBob = () => runCachet(['lookup', 'bob@example.com', '--as', 'alice@example.com', '--no-cache', '--json'], { env });

  test('before login: lookup and sending say to run "cachet directory login"; nothing goes out', async () => {
    const lookup = await lookupBob();
    assert.equal(lookup.status, 1, lookup.stderr);
    assert.match(lookup.stderr, /cachet directory login/);
    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'too early'], { env, stdin: 'x' });
    assert.notEqual(sent.status, 0);
    assert.match(sent.stderr, /cachet directory login/);
    const inbox = JSON.parse((await runCachet(['inbox', '--as', 'bob@example.com', '--json'], { env })).stdout) as { messages: unknown[] };
    assert.equal(inbox.messages.length, 0);
  });

  test('a wrong password is refused by the directory and not kept', async () => {
    const run = await runCachet(['directory', 'login', '--as', 'alice@example.com', '--password-file', passwordFile('wrong')], { env });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /refused/);
    assert.match((await lookupBob()).stderr, /cachet directory login/);
  });

  test('login keeps the password encrypted in the vault; lookup and send bind with it over StartTLS', async () => {
    const run = await runCachet(['directory', 'login', '--as', 'alice@example.com', '--password-file', passwordFile(slapd!.readerPassword)], { env });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /kept in your credential vault/);
    for (const name of readdirSync(aliceDir())) {
      if (name.includes('vault')) assert.equal(readFileSync(join(aliceDir(), name)).includes(Buffer.from(slapd!.readerPassword)), false, name);
    }
    const lookup = await lookupBob();
    assert.equal(lookup.status, 0, lookup.stderr);
    const [bob] = JSON.parse(lookup.stdout).recipients;
    assert.equal(bob.certificate.fingerprintSha256, certificateFingerprint(certificateDer('bob')));
    assert.equal(bob.certificate.source, 'ldap');

    const sent = await runCachet(['send', '--as', 'alice@example.com', '--to', 'bob@example.com', '--subject', 'bound'], { env, stdin: 'Found you with a bind.' });
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, /encrypted/);
    const inbox = JSON.parse((await runCachet(['inbox', '--as', 'bob@example.com', '--json'], { env })).stdout) as { messages: Array<{ id: string }> };
    const read = JSON.parse((await runCachet(['read', inbox.messages[0]!.id, '--as', 'bob@example.com', '--json'], { env })).stdout) as { encrypted: boolean; text: string };
    assert.equal(read.encrypted, true);
    assert.match(read.text, /Found you with a bind/);
  });

  test("StartTLS is really used: with another CA named as the directory's, the connection is refused", async () => {
    copyFileSync(pkiFile('bars.pem'), join(home, 'directory-ca.pem'));
    try {
      const lookup = await lookupBob();
      assert.notEqual(lookup.status, 0);
      assert.match(lookup.stderr, /TLS certificate that is not trusted.*ldapTlsCaFile/);
      assert.doesNotMatch(lookup.stderr, /at .*\.ts:\d+/);
    } finally {
      copyFileSync(slapd!.caFile!, join(home, 'directory-ca.pem'));
    }
  });

  test('the policy bind DN is locked; a policy without one takes the DN the user gives at login', async () => {
    const other = await runCachet(['directory', 'login', '--as', 'alice@example.com', '--bind-dn', 'cn=admin,dc=example,dc=com', '--password-file', passwordFile('admin')], { env });
    assert.equal(other.status, 7);
    writePolicy('');
    try {
      const noDn = await runCachet(['directory', 'login', '--as', 'alice@example.com', '--password-file', passwordFile(slapd!.readerPassword)], { env });
      assert.equal(noDn.status, 2);
      assert.match(noDn.stderr, /give your bind DN/);
      const login = await runCachet(['directory', 'login', '--as', 'alice@example.com', '--bind-dn', slapd!.readerDn, '--password-file', passwordFile(slapd!.readerPassword)], { env });
      assert.equal(login.status, 0, login.stderr);
      assert.equal((await lookupBob()).status, 0);
    } finally {
      writePolicy(`ldapBindDn: ${slapd!.readerDn}\n`);
    }
  });

  test('logout forgets the password: the next lookup asks for a login again', async () => {
    const run = await runCachet(['directory', 'logout', '--as', 'alice@example.com'], { env });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /forgotten/);
    const lookup = await lookupBob();
    assert.equal(lookup.status, 1);
    assert.match(lookup.stderr, /cachet directory login/);
  });
});
