/**
 * Signing in to `cachet server` with the password the organisation's servers know: Dovecot's
 * passwd-file users over IMAPS, and a bind to a real slapd. A user signed in for the first time gets
 * a Cachet home and a vault key wrapped under the server's key; wrong passwords are throttled per
 * account and per client address, with a clear "try again in N s"; an unknown user gets the same
 * answer as a wrong password; every attempt is logged, never with the password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { pkiFile } from '../helpers/pki.js';
import { runCachet } from '../helpers/cli.js';
import { startInProcess, type InProcessServer } from './support.js';
import { isCachetError } from '../../src/errors.js';

function baseYaml(dir: string): string {
  return `listen:\n  host: 127.0.0.1\n  port: 0\nstate:\n  directory: ${join(dir, 'state')}\nkeys:\n  keyEncryptionKeyFile: ${join(dir, 'kek')}\nsignIn:\n  freeAttempts: 2\n  freeAttemptsPerClient: 5\n  baseDelaySeconds: 30\n  maxDelaySeconds: 600\n`;
}

async function prepare(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  assert.equal((await runCachet(['server', '--init-key', join(dir, 'kek')])).status, 0);
  return dir;
}

describe('sign-in with the IMAP server (Dovecot)', () => {
  let mail: MailServers;
  let dir: string;
  let web: InProcessServer;

  before(async () => {
    mail = await startMailServers(['alice', 'bob']);
    dir = await prepare('cachet-server-imap-');
    // A copy of the CA file, which the last test deletes while the server runs.
    copyFileSync(pkiFile('ca.pem'), join(dir, 'imap-ca.pem'));
    web = await startInProcess(dir, `${baseYaml(dir)}  method: imap\nmail:\n  imap:\n    host: 127.0.0.1\n    port: ${mail.imapsPort}\n    tls: implicit\n    ca: ${join(dir, 'imap-ca.pem')}\n    servername: localhost\n`);
  });
  after(async () => {
    await web?.server.shutdown();
    mail?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the mail password signs in, in any case of the address, and makes the user a home and a wrapped vault key', async () => {
    const answer = await web.login('Alice@Example.COM', 'alice');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['user'], 'alice@example.com');
    assert.ok(existsSync(join(dir, 'state', 'users', 'alice@example.com', 'profile.json')));
    assert.equal(readdirSync(join(dir, 'state', 'server', 'keys')).filter((n) => n.endsWith('.json')).length, 1);
    const folders = await fetch(`${web.server.url}/api/folders`, { headers: { cookie: answer.cookie! } });
    assert.equal(folders.status, 200);
    // Her vault opens on the server with the passphrase kept wrapped under the server's key.
    assert.equal((await fetch(`${web.server.url}/api/settings/smime`, { headers: { cookie: answer.cookie! } })).status, 200);
    assert.ok(web.lines.some((l) => l['event'] === 'signed-in' && l['user'] === 'alice@example.com' && l['client'] === '127.0.0.1'));
  });

  test('mail.imap.ca is read once, at start: removed later, sign-in still works; missing at start, the server does not start', async () => {
    rmSync(join(dir, 'imap-ca.pem'));
    const answer = await web.login('alice@example.com', 'alice');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const other = mkdtempSync(join(tmpdir(), 'cachet-server-imap-ca-'));
    try {
      await assert.rejects(
        startInProcess(other, `${baseYaml(dir)}  method: imap\nmail:\n  imap:\n    host: 127.0.0.1\n    port: ${mail.imapsPort}\n    ca: ${join(dir, 'imap-ca.pem')}\n`),
        (e) => isCachetError(e, 'ERR_POLICY_INVALID') && e.details?.['key'] === 'mail.imap.ca' && /^mail\.imap\.ca: cannot read .*imap-ca\.pem \(ENOENT\)/.test(e.message),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('an unknown user gets the same answer as a wrong password', async () => {
    const wrong = await web.login('alice@example.com', 'not-her-password', { 'x-forwarded-for': '10.9.9.9' });
    const unknown = await web.login('nobody@example.com', 'whatever');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.body, wrong.body);
  });

  test('wrong passwords are throttled per account, with a clear wait, and never logged', async () => {
    assert.equal((await web.login('bob@example.com', 'guess-1')).status, 401);
    assert.equal((await web.login('bob@example.com', 'guess-2')).status, 401);
    // Past the free attempts: the next one must wait, even with the right password.
    const throttled = await web.login('bob@example.com', 'bob');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.retryAfter, '30');
    assert.deepEqual(throttled.body, { error: { code: 'ERR_LOGIN_THROTTLED', message: 'too many failed sign-ins: try again in 30 s' } });
    const failures = web.lines.filter((l) => l['event'] === 'sign-in-failed' && l['user'] === 'bob@example.com');
    assert.equal(failures.length, 2);
    assert.ok(web.lines.some((l) => l['event'] === 'sign-in-throttled' && l['user'] === 'bob@example.com' && l['retryAfterSeconds'] === 30));
    assert.ok(!JSON.stringify(web.lines).includes('guess-1'));
  });

  test('the client address is throttled across accounts; a forwarded address from an untrusted peer is ignored', async () => {
    // This client (127.0.0.1) has failed 4 times (alice, nobody, bob twice); its 5th is free, the next waits.
    assert.equal((await web.login('carol@example.com', 'x')).status, 401);
    const answer = await web.login('dave@example.com', 'x', { 'x-forwarded-for': '10.1.2.3' });
    assert.equal(answer.status, 429, 'X-Forwarded-For from a peer that is not a configured proxy changes nothing');
  });

});

describe('sign-in with an LDAP bind (slapd)', () => {
  let slapd: Slapd;
  let dir: string;
  let web: InProcessServer;

  before(async () => {
    const hash = execFileSync('slappasswd', ['-s', 'carol-ldap-password'], { encoding: 'utf8' }).trim();
    slapd = await startSlapd({
      anonymousRead: false,
      entries: [{ dn: 'uid=carol,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'carol', cn: 'Carol', sn: 'C', mail: 'carol@example.com', userPassword: hash } }],
    });
    dir = await prepare('cachet-server-ldap-');
    writeFileSync(join(dir, 'reader-password'), `${slapd.readerPassword}\n`);
    web = await startInProcess(
      dir,
      `${baseYaml(dir)}  method: ldap\ndirectory:\n  url: ${slapd.url}\n  baseDn: ${slapd.baseDn}\n  searchBindDn: ${slapd.readerDn}\n  searchBindPasswordFile: ${join(dir, 'reader-password')}\n`,
    );
  });
  after(async () => {
    await web?.server.shutdown();
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the directory password signs in; a wrong one, an empty one and an unknown user do not', async () => {
    assert.equal((await web.login('carol@example.com', '')).status, 401, 'an empty password is an anonymous bind, never a sign-in');
    const answer = await web.login('CAROL@example.com', 'carol-ldap-password');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['user'], 'carol@example.com');
    assert.equal((await web.login('carol@example.com', 'wrong')).status, 401, 'a success cleared her count: one more failure is still free');
    assert.equal((await web.login('dave@example.com', 'carol-ldap-password')).status, 401);
  });

  test('the bind password file is read once, at start: removed later, sign-in still works', async () => {
    rmSync(join(dir, 'reader-password'));
    const answer = await web.login('carol@example.com', 'carol-ldap-password');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  test('a bind password file or directory CA missing at start is a configuration error naming its key', async () => {
    const directory = `directory:\n  url: ${slapd.url}\n  baseDn: ${slapd.baseDn}\n  searchBindDn: ${slapd.readerDn}\n`;
    for (const [key, yaml] of [
      ['directory.searchBindPasswordFile', `${directory}  searchBindPasswordFile: ${join(dir, 'no-such-password')}\n`],
      ['directory.ca', `${directory}  searchBindPasswordFile: ${join(dir, 'kek')}\n  ca: ${join(dir, 'no-such-ca.pem')}\n`],
    ] as const) {
      const other = mkdtempSync(join(tmpdir(), 'cachet-server-ldap-files-'));
      try {
        await assert.rejects(startInProcess(other, `${baseYaml(dir)}  method: ldap\n${yaml}`), (e) => isCachetError(e, 'ERR_POLICY_INVALID') && e.details?.['key'] === key && e.message.startsWith(`${key}: cannot read`), key);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    }
  });
});
