/**
 * Issue 17, records: `cachet ca list` with its filters, the append-only audit log (who and when,
 * hash-chained), and `ca publish` publishing only certificates that `ca distribute` delivered to
 * their owner — against a real slapd, read back with ldapsearch.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cachet, caWorkspace, openssl, run, type CaWorkspace } from '../ca/support.js';
import { startCaSlapd, type CaSlapd } from '../ca/slapd.js';

let ws: CaWorkspace;
let ldap: CaSlapd | undefined;
let env: NodeJS.ProcessEnv;
const serials: Record<string, string> = {};

const ldapArgs = (): string[] => ['--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password')];

function readBack(uid: string): number {
  const r = run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', ldap!.url, '-b', `uid=${uid},ou=people,${ldap!.baseDn}`, '-s', 'base', 'userCertificate;binary']);
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/^userCertificate;binary:: /gm)].length;
}

async function list(args: string[] = []): Promise<Array<Record<string, unknown> & { serial: string; history: Array<{ action: string; who: string }> }>> {
  const r = await cachet(['ca', 'list', '--json', ...args], env);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).certificates;
}

before(async () => {
  ws = caWorkspace('cachet-ca-records-');
  env = { ...ws.env, CACHET_ADMIN: 'jane.admin' };
  writeFileSync(ws.path('ldap-password'), 'admin\n');
  ldap = await startCaSlapd([{ uid: 'alice', mail: 'alice@example.com', cn: 'Alice' }, { uid: 'bob', mail: 'bob@example.com', cn: 'Bob' }]);
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], env)).status, 0);
  for (const [name, template] of [['alice-sign', 'signing-only'], ['alice-enc', 'Exchange User']] as const) {
    const r = await cachet(['ca', 'issue', '--template', template, '--email', 'alice@example.com', '--out', ws.path(`${name}.pfx`), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    serials[name] = JSON.parse(r.stdout).serial;
  }
  const csr = ws.path('bob.csr');
  assert.equal(openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ws.path('bob.key'), '-out', csr, '-subj', '/CN=bob', '-addext', 'subjectAltName=email:bob@example.com']).status, 0);
  const bob = await cachet(['ca', 'issue', '--template', 'encryption-only', '--csr', csr, '--out', ws.path('bob.pem'), '--passphrase-file', ws.passphraseFile, '--json'], env);
  assert.equal(bob.status, 0, bob.stderr);
  serials.bob = JSON.parse(bob.stdout).serial;
});
after(async () => {
  await ldap?.stop();
  ws?.remove();
});

describe('the CA keeps records', () => {
  test('ca list: every certificate with owner, template, status, expiry and delivery; filters', async () => {
    const all = await list();
    assert.deepEqual(all.map((c) => c.serial), [serials['alice-sign'], serials['alice-enc'], serials.bob]);
    assert.deepEqual(all.map((c) => [c.email, c.template, c.state, c.delivered !== undefined]), [
      ['alice@example.com', 'signing-only', 'valid', false],
      ['alice@example.com', 'encryption-only', 'valid', false],
      ['bob@example.com', 'encryption-only', 'valid', true],
    ]);
    assert.deepEqual((await list(['--email', 'bob@example.com'])).map((c) => c.serial), [serials.bob]);
    assert.deepEqual((await list(['--template', 'Exchange User'])).map((c) => c.serial), [serials['alice-enc'], serials.bob]);
    assert.deepEqual((await list(['--undelivered'])).map((c) => c.serial), [serials['alice-sign'], serials['alice-enc']]);
    assert.equal((await list(['--expiring', '30'])).length, 0);
    assert.equal((await list(['--expiring', '900'])).length, 3);
    const text = await cachet(['ca', 'list'], env);
    assert.match(text.stdout, new RegExp(`${serials['alice-sign']}  alice@example.com  signing-only  until \\d{4}-\\d\\d-\\d\\d  valid, \\d+ days left  not delivered`));
    assert.equal((await cachet(['ca', 'list', '--status', 'lost'], env)).status, 2);
  });

  test('ca publish refuses certificates not delivered to their owner; mailing them to someone else does not count', async () => {
    const early = await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs(), '--json'], env);
    assert.equal(JSON.parse(early.stdout).error.code, 'ERR_CERT_NOT_FOUND');
    assert.match(JSON.parse(early.stdout).error.message, /not been delivered/);
    assert.equal(readBack('alice'), 0);
    const wrong = await cachet(['ca', 'distribute', '--to', 'bob@example.com', '--enc', ws.path('alice-enc.pfx'), '--maildir', ws.path('bob-mail/INBOX'), '--json'], env);
    assert.equal(wrong.status, 0, wrong.stderr);
    assert.deepEqual(JSON.parse(wrong.stdout).deliveredSerials, []);
    const written = await cachet(['ca', 'distribute', '--to', 'alice@example.com', '--enc', ws.path('alice-enc.pfx'), '--out', ws.path('alice.eml'), '--json'], env);
    assert.deepEqual(JSON.parse(written.stdout).deliveredSerials, [], 'a mail only written to a file has not reached anyone');
  });

  test('once distributed, ca publish writes only what was delivered, and the history says who did what', async () => {
    const sent = await cachet(['ca', 'distribute', '--to', 'alice@example.com', '--enc', ws.path('alice-enc.pfx'), '--maildir', ws.path('alice-mail/INBOX'), '--json'], env);
    assert.equal(sent.status, 0, sent.stderr);
    assert.deepEqual(JSON.parse(sent.stdout).deliveredSerials, [serials['alice-enc']]);
    const published = await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs(), '--json'], env);
    assert.equal(published.status, 0, published.stderr);
    assert.deepEqual(JSON.parse(published.stdout), { dn: `uid=alice,ou=people,${ldap!.baseDn}`, added: 1, total: 1, undelivered: [serials['alice-sign']] });
    assert.equal(readBack('alice'), 1, 'only the delivered encryption certificate is in the directory');
    const [enc] = await list(['--email', 'alice@example.com', '--template', 'encryption-only']);
    assert.deepEqual(enc!.history.map((e) => [e.action, e.who]), [['issue', 'jane.admin'], ['distribute', 'jane.admin'], ['publish', 'jane.admin']]);
    assert.equal((enc!.published as { dn: string }).dn, `uid=alice,ou=people,${ldap!.baseDn}`);
  });

  test('revocation is recorded; the audit log chains, and an edit to it is detected', async () => {
    assert.equal((await cachet(['ca', 'revoke', serials['alice-sign']!, '--reason', 'superseded', '--passphrase-file', ws.passphraseFile], env)).status, 0);
    assert.deepEqual((await list(['--status', 'revoked'])).map((c) => c.serial), [serials['alice-sign']]);
    const audit = await cachet(['ca', 'audit', '--verify', '--json'], env);
    assert.equal(audit.status, 0, audit.stderr);
    const { events, verified } = JSON.parse(audit.stdout) as { events: Array<{ action: string }>; verified: number };
    assert.deepEqual(events.map((e) => e.action), ['init', 'issue', 'issue', 'issue', 'distribute', 'publish', 'revoke']);
    assert.equal(verified, events.length);
    const log = join(env.CACHET_HOME!, 'ca', 'audit.log');
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    writeFileSync(log, `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`);
    const broken = await cachet(['ca', 'audit', '--verify', '--json'], env);
    assert.equal(broken.status, 1);
    assert.equal(JSON.parse(broken.stdout).error.code, 'ERR_CA_AUDIT_BROKEN');
    assert.match(JSON.parse(broken.stdout).error.message, /line 3/);
  });
});
