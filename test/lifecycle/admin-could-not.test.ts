/**
 * Issue 17, "what an admin tried and could not do", each pinned end to end through the CLI against
 * real parts (OpenSSL reads the CA certificates, a private slapd is the directory, the vault file
 * keeps the account passwords).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openFileCredentialStore } from '../../src/adapters/keys/file-credential-store.js';
import { IMAP_PASSWORD_SECRET, SMTP_PASSWORD_SECRET } from '../../src/adapters/mail/account-config.js';
import { Maildir } from '../../src/adapters/mail/maildir.js';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { openssl } from '../ca/support.js';

const VAULT_PASSPHRASE = 'a long vault passphrase';
const FRANK = 'frank@example.com';
const ALICE = 'alice@example.com';

describe('issue 17: what an admin tried and could not do', () => {
  let work: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let slapd: Slapd | undefined;
  const userDir = (address: string): string => join(home, 'users', address);
  const policy = (name: string, values: Record<string, unknown>): NodeJS.ProcessEnv => {
    const file = join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(values));
    return { ...env, CACHET_POLICY: file };
  };
  const inbox = async (address: string): Promise<string[]> => {
    const box = new Maildir(join(userDir(address), 'mail'));
    return Promise.all((await box.list('INBOX')).map(async (m) => (await box.read('INBOX', m.id)).toString('latin1')));
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cachet-issue17-'));
    home = join(work, 'home');
    env = { CACHET_HOME: home, CACHET_VAULT_PASSPHRASE: VAULT_PASSPHRASE, CACHET_PASSWORD: 'test' };
    mkdirSync(join(home, 'trust'), { recursive: true });
    copyFileSync(pkiFile('ca.pem'), join(home, 'trust', 'test-root.pem'));
    for (const address of [FRANK, ALICE]) assert.equal((await runCachet(['account', 'add', address], { env })).status, 0);
    const imported = await runCachet(['cert', 'import', pkiFile('frank-sign.p12')], { env: { ...env, CACHET_HOME: userDir(FRANK) } });
    assert.equal(imported.status, 0, imported.stderr);
    slapd = await startSlapd({
      entries: [{ dn: 'uid=alice,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'alice', cn: 'alice', sn: 'T', mail: ALICE } }],
    });
  });
  after(async () => {
    await slapd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('ca init --name "Example Corp CA" names the organisation in the root and the issuing CA', async () => {
    const caEnv = { CACHET_HOME: join(work, 'ca-home'), CACHET_CA_PASSPHRASE: 'correct horse battery' };
    const init = await runCachet(['ca', 'init', '--name', 'Example Corp CA', '--intermediate', '--key', 'ec-p256'], { env: caEnv });
    assert.equal(init.status, 0, init.stderr);
    for (const file of ['root.pem', 'issuing.pem']) {
      const subject = openssl(['x509', '-in', join(work, 'ca-home', 'ca', file), '-noout', '-subject', '-nameopt', 'RFC2253']);
      assert.equal(subject.status, 0, subject.stderr);
      assert.match(subject.stdout, /O=Example Corp CA/, file);
      assert.doesNotMatch(subject.stdout, /Cachet CA/, file);
    }
  });

  test('ca template show takes the enterprise name it prints ("Exchange User")', async () => {
    const shown = await runCachet(['ca', 'template', 'show', 'Exchange User', '--json'], { env });
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).name, 'encryption-only');
    const unknown = await runCachet(['ca', 'template', 'show', 'Exchange Admin'], { env });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /"Exchange User"/);
  });

  test('lookup exits 6 (not 1) when the directory is unreachable and nothing is cached, beside the address book', async () => {
    const down = policy('down', { ldapUrl: 'ldap://127.0.0.1:1', ldapBaseDn: 'dc=example,dc=com', publicCertificateSource: 'both', ldapTimeoutMs: 1000 });
    const run = await runCachet(['lookup', 'nobody@example.com', '--as', FRANK], { env: down });
    assert.equal(run.status, 6, run.stdout + run.stderr);
    assert.match(run.stdout, /directory unreachable and nothing cached/);
  });

  test('send --refresh-directory finds a certificate published after a cached "none"', async () => {
    const ldapPolicy = policy('ldap', { ldapUrl: slapd!.url, ldapBaseDn: slapd!.baseDn, publicCertificateSource: 'ldap', revocationMode: 'off' });
    // A "no certificate" answer the cache holds (as a send a moment ago would have left it).
    const now = Date.now();
    writeFileSync(join(userDir(FRANK), 'directory-cache.json'), JSON.stringify({ version: 1, entries: { [ALICE]: { certificates: [], fetchedAt: new Date(now).toISOString(), expiresAt: new Date(now + 3600_000).toISOString() } } }));
    await slapd!.addValues('uid=alice,ou=people,dc=example,dc=com', 'userCertificate;binary', [certificateDer('alice')]);
    const send = (extra: string[]) => runCachet(['send', '--as', FRANK, '--to', ALICE, '--subject', 'new cert', '--encrypt', '--no-sign', ...extra], { env: ldapPolicy, stdin: 'hello' });
    const cached = await send([]);
    assert.equal(cached.status, 7, 'the cached "none" answers');
    const refreshed = await send(['--refresh-directory']);
    assert.equal(refreshed.status, 0, refreshed.stderr);
    assert.match(refreshed.stdout, /encrypted/);
    assert.ok((await inbox(ALICE)).some((m) => /application\/pkcs7-mime/.test(m)), 'alice received it encrypted');
    const cache = JSON.parse(readFileSync(join(userDir(FRANK), 'directory-cache.json'), 'utf8'));
    assert.equal(cache.entries[ALICE].certificates.length, 1, 'the fresh answer replaced the cached one');
  });

  test('enableSmimeOnFirstLaunch: false leaves S/MIME off until the user turns it on', async () => {
    const off = policy('first-launch-off', { enableSmimeOnFirstLaunch: false });
    const before = (await inbox(ALICE)).length;
    const plain = await runCachet(['send', '--as', FRANK, '--to', ALICE, '--subject', 'first', '--json'], { env: off, stdin: 'hi' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.deepEqual([JSON.parse(plain.stdout).signed, JSON.parse(plain.stdout).encrypted], [false, false]);
    assert.equal((await runCachet(['settings', 'set', 'enableSigning', 'true', '--as', FRANK], { env: off })).status, 0);
    const signed = await runCachet(['send', '--as', FRANK, '--to', ALICE, '--subject', 'second', '--json'], { env: off, stdin: 'hi' });
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal(JSON.parse(signed.stdout).signed, true, 'signed once the user turned signing on');
    const received = await inbox(ALICE);
    assert.equal(received.length, before + 2);
    assert.ok(received.some((m) => /Subject: first/.test(m) && !/pkcs7-signature/.test(m)));
    assert.ok(received.some((m) => /Subject: second/.test(m) && /pkcs7-signature/.test(m)));
  });

  test('account add keeps the IMAP and SMTP passwords in the vault, not in account.json', async () => {
    writeFileSync(join(work, 'imap-pw'), 'imap secret 1\n');
    writeFileSync(join(work, 'smtp-pw'), 'smtp secret 2\n');
    const added = await runCachet(['account', 'add', 'gina@example.com', '--imap-host', '127.0.0.1', '--imap-port', '1993', '--imap-password-file', join(work, 'imap-pw'),
      '--smtp-host', '127.0.0.1', '--smtp-port', '1587', '--smtp-user', 'gina', '--smtp-password-file', join(work, 'smtp-pw')], { env });
    assert.equal(added.status, 0, added.stderr);
    const file = readFileSync(join(userDir('gina@example.com'), 'account.json'), 'utf8');
    assert.doesNotMatch(file, /secret|password/);
    assert.equal(JSON.parse(file).smtp.user, 'gina');
    const vault = await openFileCredentialStore(join(userDir('gina@example.com'), 'credentials.vault'), VAULT_PASSPHRASE);
    assert.equal(await vault.secret(IMAP_PASSWORD_SECRET), 'imap secret 1');
    assert.equal(await vault.secret(SMTP_PASSWORD_SECRET), 'smtp secret 2');
  });
});
