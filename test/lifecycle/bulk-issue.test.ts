/**
 * Issue 17, bulk issuing: `cachet ca issue --from-csv` into the embedded mailboxes, and
 * `--from-ldap-group` against a real slapd, mailed through a real Postfix. One PKCS#12 per
 * certificate, one mail per user, the passwords in a separate owner-only file (never in the mail,
 * and each opens its user's files in OpenSSL), a report of what was issued and refused.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import PostalMime from 'postal-mime';
import { addUser } from '../../src/use-cases/users.js';
import { cachet, caWorkspace, openssl, type CaWorkspace } from '../ca/support.js';
import { startCaPostfix, type CaPostfix } from '../ca/postfix.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

let ws: CaWorkspace;

function passwords(file: string): Map<string, string> {
  return new Map(readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string]));
}

before(async () => {
  ws = caWorkspace('cachet-bulk-');
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
});
after(() => ws?.remove());

describe('cachet ca issue --from-csv', () => {
  test('one PKCS#12 per certificate, one mail per user, passwords apart; refusals reported, the rest issued', async () => {
    for (const address of ['alice@example.com', 'bob@example.com']) await addUser(ws.env.CACHET_HOME!, address);
    writeFileSync(ws.path('users.csv'), [
      'mail,name,template',
      'alice@example.com,"Liddell, Alice",signing-only',
      'alice@example.com,"Liddell, Alice",Exchange User',
      'bob@example.com,Bob,dual',
      'not-an-address,Nobody,dual',
      'alice@example.com,Alice again,signing-only',
      'carol@example.com,Carol,no-such-template',
      'dan@example.com,Dan,encryption-only',
      '',
    ].join('\n'));
    const args = ['ca', 'issue', '--from-csv', ws.path('users.csv'), '--out-dir', ws.path('out'), '--passwords-out', ws.path('passwords.csv'), '--local', '--passphrase-file', ws.passphraseFile, '--json'];
    const run = await cachet(args, ws.env);
    assert.equal(run.status, 1, 'some were refused');
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.issued.map((i: { email: string; template: string }) => `${i.email} ${i.template}`), ['alice@example.com signing-only', 'alice@example.com encryption-only', 'bob@example.com dual', 'dan@example.com encryption-only']);
    assert.deepEqual(report.refused.map((r: { source: string; code: string }) => `${r.source} ${r.code}`), ['line 5 ERR_USAGE', 'line 6 ERR_CERT_EXISTS', 'line 7 ERR_TEMPLATE_UNKNOWN']);
    assert.deepEqual(report.mailed.map((m: { email: string; files: string[] }) => [m.email, m.files.length]), [['alice@example.com', 2], ['bob@example.com', 1]]);
    assert.deepEqual(report.notMailed.map((m: { email: string }) => m.email), ['dan@example.com'], 'dan is no local user: issued, not mailed');
    assert.equal(JSON.stringify(report).includes('password,'), false);

    const secrets = passwords(ws.path('passwords.csv'));
    assert.equal(statSync(ws.path('passwords.csv')).mode & 0o777, 0o600);
    assert.deepEqual([...secrets.keys()].sort(), ['alice@example.com', 'bob@example.com', 'dan@example.com']);
    for (const issued of report.issued as Array<{ email: string; file: string }>) {
      const opened = openssl(['pkcs12', '-in', issued.file, '-passin', `pass:${secrets.get(issued.email)}`, '-nokeys', '-clcerts']);
      assert.equal(opened.status, 0, `${issued.file}: ${opened.stderr}`);
      assert.match(opened.stdout, new RegExp(`subject=.*${issued.email.replace('.', '\\.')}`));
    }
    const alice = readdirSync(join(ws.env.CACHET_HOME!, 'users', 'alice@example.com', 'mail', 'INBOX', 'new'));
    assert.equal(alice.length, 1, 'one mail for alice');
    const raw = readFileSync(join(ws.env.CACHET_HOME!, 'users', 'alice@example.com', 'mail', 'INBOX', 'new', alice[0]!));
    const mail = await PostalMime.parse(raw);
    assert.deepEqual(mail.attachments.map((a) => a.filename).sort(), ['alice@example.com-encryption-only.p12', 'alice@example.com-signing-only.p12']);
    assert.ok(!raw.toString('latin1').includes(secrets.get('alice@example.com')!), 'the password is not in the mail');
    assert.match(mail.text ?? '', /PASSWORD IS NOT IN THIS MESSAGE/);

    const list = JSON.parse((await cachet(['ca', 'list', '--json'], ws.env)).stdout).certificates as Array<{ email: string; delivered?: unknown }>;
    assert.deepEqual(list.map((c) => [c.email, c.delivered !== undefined]), [['alice@example.com', true], ['alice@example.com', true], ['bob@example.com', true], ['dan@example.com', false]]);

    const again = JSON.parse((await cachet(args, ws.env)).stdout);
    assert.equal(again.issued.length, 0, 'a repeated run issues nothing twice');
    assert.ok(again.refused.some((r: { email: string; reason: string }) => r.email === 'bob@example.com' && /already holds a valid dual certificate/.test(r.reason)));
  });

  test('usage: a CSV without a mail column, no delivery choice', async () => {
    writeFileSync(ws.path('bad.csv'), 'name,template\nAlice,dual\n');
    const bad = await cachet(['ca', 'issue', '--from-csv', ws.path('bad.csv'), '--out-dir', ws.path('o2'), '--passwords-out', ws.path('p2'), '--no-mail', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no "mail" column/);
    const none = await cachet(['ca', 'issue', '--from-csv', ws.path('users.csv'), '--out-dir', ws.path('o2'), '--passwords-out', ws.path('p2'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(none.status, 2);
  });
});

describe('cachet ca issue --from-ldap-group (slapd), mailed through Postfix', () => {
  let slapd: Slapd | undefined;
  let postfix: CaPostfix | undefined;
  before(async () => {
    const person = (uid: string, mail?: string) => ({ dn: `uid=${uid},ou=people,dc=example,dc=com`, attributes: { objectClass: 'inetOrgPerson', uid, cn: `${uid} Person`, sn: 'P', ...(mail ? { mail } : {}) } });
    slapd = await startSlapd({
      entries: [
        person('erin', 'erin@example.com'),
        person('frank', 'frank@example.com'),
        person('ghost'),
        { dn: 'cn=staff,ou=people,dc=example,dc=com', attributes: { objectClass: 'groupOfNames', cn: 'staff', member: ['uid=erin,ou=people,dc=example,dc=com', 'uid=frank,ou=people,dc=example,dc=com', 'uid=ghost,ou=people,dc=example,dc=com'] } },
      ],
    });
    postfix = await startCaPostfix(['erin', 'frank']);
  });
  after(async () => {
    await postfix?.stop();
    await slapd?.stop();
  });

  test("every member with a mail is issued and mailed; the one without is refused by DN", async () => {
    const run = await cachet(['ca', 'issue', '--from-ldap-group', 'cn=staff,ou=people,dc=example,dc=com', '--ldap-url', slapd!.url, '--template', 'multipurpose',
      '--out-dir', ws.path('group'), '--passwords-out', ws.path('group-passwords.csv'), '--smtp-url', postfix!.smtpUrl, '--from', 'pki@example.com', '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.issued.map((i: { email: string; name: string }) => [i.email, i.name]), [['erin@example.com', 'erin Person'], ['frank@example.com', 'frank Person']]);
    assert.deepEqual(report.refused.map((r: { source: string }) => r.source), ['uid=ghost,ou=people,dc=example,dc=com']);
    assert.deepEqual(report.mailed.map((m: { email: string }) => m.email), ['erin@example.com', 'frank@example.com']);
    const secrets = passwords(ws.path('group-passwords.csv'));
    for (const user of ['erin', 'frank']) {
      const files = await postfix!.delivered(user);
      assert.equal(files.length, 1, `one mail delivered to ${user} by Postfix`);
      const mail = await PostalMime.parse(readFileSync(files[0]!));
      assert.equal(mail.attachments.length, 1);
      writeFileSync(ws.path(`${user}.p12`), Buffer.from(mail.attachments[0]!.content as ArrayBuffer));
      const opened = openssl(['pkcs12', '-in', ws.path(`${user}.p12`), '-passin', `pass:${secrets.get(`${user}@example.com`)}`, '-nokeys', '-clcerts']);
      assert.equal(opened.status, 0, opened.stderr);
    }
  });
});
