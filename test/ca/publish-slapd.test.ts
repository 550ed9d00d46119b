/**
 * `cachet ca publish` against a real slapd: certificates land in userCertificate;binary of the entry
 * found by mail (read back with ldapsearch), appended or replaced; errors carry stable codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachet, caWorkspace, openssl, run, type CaWorkspace } from './support.js';
import { startCaSlapd, type CaSlapd } from './slapd.js';

let ws: CaWorkspace;
let ldap: CaSlapd | undefined;
const issued: Record<string, Buffer> = {};

async function issue(name: string, template: string, email: string): Promise<string> {
  const csr = ws.path(`${name}.csr`);
  assert.equal(openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path(`${name}.key`), '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`]).status, 0);
  const r = await cachet(['ca', 'issue', '--template', template, '--csr', csr, '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
  assert.equal(r.status, 0, r.stderr);
  issued[name] = Buffer.from(readFileSync(ws.path(`${name}.pem`), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return JSON.parse(r.stdout).serial;
}

/** DER values of userCertificate;binary, read with ldapsearch (base64 in LDIF). */
function readBack(uid: string): Buffer[] {
  const r = run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', ldap!.url, '-b', `uid=${uid},ou=people,${ldap!.baseDn}`, '-s', 'base', 'userCertificate;binary']);
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/^userCertificate;binary:: (\S+)$/gm)].map((m) => Buffer.from(m[1]!, 'base64'));
}

function ldapArgs(): string[] {
  return ['--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password')];
}

before(async () => {
  ws = caWorkspace('cachet-ca-publish-');
  writeFileSync(ws.path('ldap-password'), 'admin\n');
  ldap = await startCaSlapd([{ uid: 'alice', mail: 'alice@example.com', cn: 'Alice' }, { uid: 'bob', mail: 'bob@example.com', cn: 'Bob' }]);
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  await issue('alice-sign', 'signing-only', 'alice@example.com');
  await issue('alice-enc', 'encryption-only', 'alice@example.com');
});
after(async () => {
  await ldap?.stop();
  ws?.remove();
});

describe('cachet ca publish', () => {
  test("appends the user's valid certificates, without duplicating them on a second run", async () => {
    const r = await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs(), '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { dn: `uid=alice,ou=people,${ldap!.baseDn}`, added: 2, total: 2 });
    const values = readBack('alice');
    assert.equal(values.length, 2);
    assert.ok(values.some((v) => v.equals(issued['alice-sign']!)));
    assert.ok(values.some((v) => v.equals(issued['alice-enc']!)));
    const again = await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs(), '--json'], ws.env);
    assert.deepEqual(JSON.parse(again.stdout), { dn: `uid=alice,ou=people,${ldap!.baseDn}`, added: 0, total: 2 });
    assert.deepEqual(readBack('bob'), [], "bob's entry is untouched");
  });

  test('--replace leaves exactly the valid certificates: a revoked one disappears', async () => {
    const serial = await issue('alice-sign-2', 'signing-only', 'alice@example.com');
    assert.equal((await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs()], ws.env)).status, 0);
    assert.equal(readBack('alice').length, 3);
    assert.equal((await cachet(['ca', 'revoke', serial, '--reason', 'superseded', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
    const r = await cachet(['ca', 'publish', '--email', 'alice@example.com', ...ldapArgs(), '--replace', '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const values = readBack('alice');
    assert.equal(values.length, 2);
    assert.ok(!values.some((v) => v.equals(issued['alice-sign-2']!)));
  });

  test('no entry for the mailbox, wrong bind password, unreachable server: stable codes', async () => {
    await issue('carol-sign', 'signing-only', 'carol@example.com');
    const none = await cachet(['ca', 'publish', '--email', 'carol@example.com', ...ldapArgs(), '--json'], ws.env);
    assert.equal(JSON.parse(none.stdout).error.code, 'ERR_CERT_NOT_FOUND');
    writeFileSync(ws.path('bad-password'), 'nope');
    const bad = await cachet(['ca', 'publish', '--email', 'alice@example.com', '--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('bad-password'), '--json'], ws.env);
    assert.equal(JSON.parse(bad.stdout).error.code, 'ERR_DIRECTORY_AUTH');
    const anonymous = await cachet(['ca', 'publish', '--email', 'alice@example.com', '--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--replace', '--json'], ws.env);
    assert.equal(JSON.parse(anonymous.stdout).error.code, 'ERR_DIRECTORY_FAILURE', 'an anonymous write is refused by the server');
    const down = await cachet(['ca', 'publish', '--email', 'alice@example.com', '--ldap-url', 'ldap://127.0.0.1:1', '--base-dn', ldap!.baseDn, '--json'], ws.env);
    assert.equal(down.status, 6);
    assert.equal(JSON.parse(down.stdout).error.code, 'ERR_DIRECTORY_UNREACHABLE');
  });

  test('without --ldap-url: the directory the policy names (where lookups search) is written to', async () => {
    await issue('bob-enc', 'encryption-only', 'bob@example.com');
    const policy = join(ws.env.CACHET_HOME!, 'policy.yaml');
    writeFileSync(policy, `ldapUrl: ${ldap!.url}\nldapBaseDn: ${ldap!.baseDn}\n`);
    try {
      const r = await cachet(['ca', 'publish', '--email', 'bob@example.com', '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password'), '--json'], ws.env);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readBack('bob'), [issued['bob-enc']!]);
    } finally {
      rmSync(policy, { force: true });
    }
    const none = await cachet(['ca', 'publish', '--email', 'bob@example.com', '--json'], ws.env);
    assert.equal(none.status, 2);
  });
});
