/**
 * Issue 17, renewal, end to end through the CLI: alice's client asks before expiry (new keys), the
 * administrator approves and republishes to a real slapd, the client installs the successors — and
 * mail encrypted to her old key still opens (OpenSSL encrypted it), while her signatures now carry
 * the new certificate. A rejected request is reported; the CA renews the keys it made in bulk.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addUser } from '../../src/use-cases/users.js';
import { cachet, caWorkspace, openssl, run, type CaWorkspace } from '../ca/support.js';
import { startCaSlapd, type CaSlapd } from '../ca/slapd.js';
import { runCachet } from '../helpers/cli.js';

let ws: CaWorkspace;
let ldap: CaSlapd | undefined;
let env: NodeJS.ProcessEnv;
const ALICE = 'alice@example.com';
const serials: Record<string, string> = {};

const userEnv = (): NodeJS.ProcessEnv => ({ ...env, CACHET_VAULT_PASSPHRASE: 'alice vault passphrase', CACHET_PASSWORD: 'pfx-password-1' });
async function renew(extra: string[] = []): Promise<{ status: number; renewals: Array<{ action: string; role: string; requestId?: string; serial?: string; reason?: string }> }> {
  const r = await runCachet(['cert', 'renew', '--as', ALICE, '--json', ...extra], { env: userEnv() });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return { status: r.status, renewals: JSON.parse(r.stdout).renewals };
}
function directoryValues(uid: string): number {
  const r = run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', ldap!.url, '-b', `uid=${uid},ou=people,${ldap!.baseDn}`, '-s', 'base', 'userCertificate;binary']);
  return [...r.stdout.matchAll(/^userCertificate;binary:: /gm)].length;
}

before(async () => {
  ws = caWorkspace('cachet-renewal-');
  env = { ...ws.env, CACHET_ADMIN: 'ca.admin' };
  writeFileSync(ws.path('ldap-password'), 'admin\n');
  ldap = await startCaSlapd([{ uid: 'alice', mail: ALICE, cn: 'Alice' }]);
  assert.equal((await cachet(['ca', 'init', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], env)).status, 0);
  mkdirSync(join(env.CACHET_HOME!, 'trust'), { recursive: true });
  copyFileSync(join(env.CACHET_HOME!, 'ca', 'root.pem'), join(env.CACHET_HOME!, 'trust', 'root.pem'));
  await addUser(env.CACHET_HOME!, ALICE);
  // alice's certificates expire in 20 days: inside the policy's default renewDaysBefore (30).
  for (const [name, template] of [['sign', 'signing-only'], ['enc', 'encryption-only']] as const) {
    const issued = await cachet(['ca', 'issue', '--template', template, '--email', ALICE, '--key', 'rsa-2048', '--days', '20', '--out', ws.path(`alice-${name}.p12`), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, '--json'], env);
    assert.equal(issued.status, 0, issued.stderr);
    serials[name] = JSON.parse(issued.stdout).serial;
    const imported = await runCachet(['cert', 'import', ws.path(`alice-${name}.p12`), '--as', ALICE], { env: userEnv() });
    assert.equal(imported.status, 0, imported.stderr);
  }
  // Mail encrypted by OpenSSL to alice's current (soon old) encryption certificate.
  assert.equal(openssl(['pkcs12', '-in', ws.path('alice-enc.p12'), '-passin', `file:${ws.passwordFile}`, '-nokeys', '-clcerts', '-out', ws.path('alice-enc.pem')]).status, 0);
  writeFileSync(ws.path('old-mail.txt'), 'Content-Type: text/plain\r\n\r\nsent before the renewal\r\n');
  const sealed = openssl(['cms', '-encrypt', '-aes-256-cbc', '-in', ws.path('old-mail.txt'), '-out', ws.path('old-mail.eml'), ws.path('alice-enc.pem')]);
  assert.equal(sealed.status, 0, sealed.stderr);
});
after(async () => {
  await ldap?.stop();
  ws?.remove();
});

describe('renewal before expiry', () => {
  test('the client asks once (new keys, kept in the vault), then waits for the administrator', async () => {
    const first = await renew();
    assert.deepEqual(first.renewals.map((r) => [r.role, r.action]).sort(), [['encryption', 'requested'], ['signing', 'requested']]);
    const second = await renew();
    assert.deepEqual(second.renewals.map((r) => r.action), ['waiting', 'waiting']);
    const requests = JSON.parse((await cachet(['ca', 'requests', '--json'], env)).stdout).requests as Array<{ email: string; renews: string }>;
    assert.deepEqual(requests.map((r) => r.renews).sort(), [serials.sign, serials.enc].sort());
    assert.ok(requests.every((r) => r.email === ALICE));
  });

  test('the administrator approves and republishes; the client installs; old mail still opens; signatures carry the new certificate', async () => {
    const approved = await cachet(['ca', 'approve', '--all', '--publish', '--ldap-url', ldap!.url, '--base-dn', ldap!.baseDn, '--bind-dn', ldap!.adminDn, '--bind-password-file', ws.path('ldap-password'), '--passphrase-file', ws.passphraseFile, '--json'], env);
    assert.equal(approved.status, 0, approved.stderr);
    const { approved: done } = JSON.parse(approved.stdout) as { approved: Array<{ serial: string; renews: string; published: string }> };
    assert.equal(done.length, 2);
    assert.ok(done.every((a) => a.published === `uid=alice,ou=people,${ldap!.baseDn}`));
    assert.equal(directoryValues('alice'), 2, 'the two new certificates are in the directory (the old ones were never delivered by mail)');
    const records = JSON.parse((await cachet(['ca', 'list', '--email', ALICE, '--json'], env)).stdout).certificates as Array<{ serial: string; renewedBy?: string; renews?: string; history: Array<{ action: string; who: string }> }>;
    for (const a of done) {
      assert.equal(records.find((r) => r.serial === a.renews)?.renewedBy, a.serial);
      assert.deepEqual(records.find((r) => r.serial === a.serial)?.history.map((h) => [h.action, h.who]), [['renew', 'ca.admin'], ['publish', 'ca.admin']]);
    }

    const installed = await renew();
    assert.deepEqual(installed.renewals.map((r) => r.action), ['installed', 'installed']);
    const credentials = JSON.parse((await runCachet(['cert', 'list', '--as', ALICE, '--json'], { env: userEnv() })).stdout).credentials as Array<{ role: string; active: boolean; notAfter: string }>;
    assert.equal(credentials.length, 4, 'the old credentials are kept');
    assert.deepEqual(credentials.filter((c) => c.active).map((c) => c.role).sort(), ['encryption', 'signing']);
    assert.ok(credentials.filter((c) => c.active).every((c) => new Date(c.notAfter).getTime() > Date.now() + 600 * 86_400_000), 'the active ones are the successors');

    const opened = await runCachet(['decrypt', '--as', ALICE, '-i', ws.path('old-mail.eml')], { env: userEnv() });
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /sent before the renewal/);

    const signed = await runCachet(['sign', '--as', ALICE, '--opaque', '-i', ws.path('old-mail.txt'), '-o', ws.path('signed.eml')], { env: userEnv() });
    assert.equal(signed.status, 0, signed.stderr);
    const p7 = openssl(['smime', '-pk7out', '-in', ws.path('signed.eml'), '-out', ws.path('signed.p7')]);
    assert.equal(p7.status, 0, p7.stderr);
    const certs = openssl(['pkcs7', '-in', ws.path('signed.p7'), '-print_certs', '-noout', '-text']).stdout.toLowerCase().replace(/:/g, '');
    const newSigning = done.find((a) => a.renews === serials.sign)!.serial;
    assert.ok(certs.replace(/\s+/g, '').includes(newSigning), 'the signature carries the new signing certificate');
  });

  test('a rejected request is reported with its reason and its waiting key dropped', async () => {
    const asked = await renew(['--days', '1000']);
    assert.deepEqual(asked.renewals.map((r) => r.action), ['requested', 'requested']);
    const [one, two] = asked.renewals;
    const rejected = await cachet(['ca', 'reject', one!.requestId!, '--reason', 'your certificate is new'], env);
    assert.equal(rejected.status, 0, rejected.stderr);
    const after = await renew(['--days', '0']);
    assert.equal(after.status, 1);
    assert.deepEqual(after.renewals.map((r) => [r.requestId, r.action, r.reason ?? null]).sort(), [[one!.requestId, 'rejected', 'your certificate is new'], [two!.requestId, 'waiting', null]].sort());
    assert.equal((await cachet(['ca', 'reject', one!.requestId!, '--reason', 'again'], env)).status, 2, 'decided once');
  });

  test('the CA renews in bulk the keys it made: new keys, one mail per user, passwords apart', async () => {
    await addUser(env.CACHET_HOME!, 'bob@example.com');
    const bob = await cachet(['ca', 'issue', '--template', 'dual', '--email', 'bob@example.com', '--days', '10', '--out', ws.path('bob.p12'), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile, '--json'], env);
    const oldSerial = JSON.parse(bob.stdout).serial as string;
    const renewed = await cachet(['ca', 'renew', '--expiring', '15', '--out-dir', ws.path('renewed'), '--passwords-out', ws.path('renewed-passwords.csv'), '--local', '--passphrase-file', ws.passphraseFile, '--json'], env);
    assert.equal(renewed.status, 0, renewed.stderr + renewed.stdout);
    const report = JSON.parse(renewed.stdout) as { issued: Array<{ email: string; renews: string; file: string }>; mailed: Array<{ email: string }> };
    assert.deepEqual(report.issued.map((i) => [i.email, i.renews]), [['bob@example.com', oldSerial]]);
    assert.deepEqual(report.mailed.map((m) => m.email), ['bob@example.com']);
    const password = readFileSync(ws.path('renewed-passwords.csv'), 'utf8').trim().split('\n')[1]!.split(',')[1]!;
    assert.equal(openssl(['pkcs12', '-in', report.issued[0]!.file, '-passin', `pass:${password}`, '-nokeys']).status, 0);
    assert.equal(readdirSync(join(env.CACHET_HOME!, 'users', 'bob@example.com', 'mail', 'INBOX', 'new')).length, 1);
    const again = await cachet(['ca', 'renew', oldSerial, '--out-dir', ws.path('renewed'), '--passwords-out', ws.path('p2.csv'), '--no-mail', '--passphrase-file', ws.passphraseFile], env);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already renewed/);
  });
});
