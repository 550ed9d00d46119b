/**
 * The mail client asks the organisation's directory (a real private slapd) for a recipient it has
 * never heard from, under the admin's policy (ldapUrl, ldapBaseDn, anonymous access), and encrypts to
 * the certificate found there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCachet } from '../helpers/cli.js';
import { createMailHome, type MailHome } from '../helpers/mail-home.js';
import { certificateDer } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd | undefined;
let mailHome: MailHome | undefined;
let env: NodeJS.ProcessEnv;

before(async () => {
  slapd = await startSlapd({
    entries: [{ dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: 'bob@example.com', 'userCertificate;binary': certificateDer('bob') } }],
  });
  mailHome = await createMailHome({
    prefix: 'cachet-dirsend-',
    policy: `publicCertificateSource: both\nldapUrl: ${slapd.url}\nldapBaseDn: ${slapd.baseDn}\nldapAnonymous: true\nrevocationMode: off\n`,
    users: [
      { address: 'alice@example.com', p12: 'alice', role: 'signing' },
      { address: 'bob@example.com', p12: 'bob', role: 'encryption' },
    ],
  });
  env = mailHome.env;
});
after(async () => {
  await slapd?.stop();
  mailHome?.remove();
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
