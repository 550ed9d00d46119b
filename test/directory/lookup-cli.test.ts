/**
 * `cachet lookup` and `cachet addressbook import|list|accept` end to end, in-process, against a private
 * slapd: flags, JSON output, rejected candidates, bound access with a password file, the cache when the
 * directory is down, and key continuity.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { runCachet } from '../helpers/cli.js';
import { certificateDer, pkiFile } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

describe('cachet lookup and addressbook (slapd)', () => {
  let slapd: Slapd | undefined;
  let home: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cachet-lookup-'));
    env = { CACHET_HOME: home };
    slapd = await startSlapd({
      entries: [
        { dn: 'uid=alice,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'alice', cn: 'alice', sn: 'T', mail: 'alice@example.com', 'userCertificate;binary': certificateDer('alice') } },
        { dn: 'uid=grace,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'grace', cn: 'grace', sn: 'T', mail: 'grace@example.com', 'userCertificate;binary': [certificateDer('grace-sign'), certificateDer('eve')] } },
      ],
    });
  });
  after(async () => {
    await slapd?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const flags = (): string[] => ['--ldap-url', slapd!.url, '--base-dn', slapd!.baseDn, '--trust', pkiFile('ca.pem'), '--crl', pkiFile('ca.crl'), '--timeout', '2000'];

  test('anonymous lookup prints the chosen certificate (JSON)', async () => {
    const run = await runCachet(['lookup', 'alice@example.com', ...flags(), '--anonymous', '--json'], { env });
    assert.equal(run.status, 0, run.stderr);
    const [r] = JSON.parse(run.stdout).recipients;
    assert.equal(r.certificate.fingerprintSha256, certificateFingerprint(certificateDer('alice')));
    assert.equal(r.certificate.source, 'ldap');
    assert.match(r.certificate.serialNumber, /^[0-9a-f]+$/);
  });

  test('no usable certificate: exit 1, each candidate with its reason', async () => {
    const run = await runCachet(['lookup', 'grace@example.com', ...flags(), '--anonymous'], { env });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /no certificate/);
    assert.match(run.stdout, /cannot be used for encryption.*ERR_CERT_USAGE/);
    assert.match(run.stdout, /eve.*ERR_CHAIN_UNTRUSTED|ERR_CHAIN_UNTRUSTED/);
  });

  test('bound lookup with a password file; a wrong one is a clear ERR_DIRECTORY_AUTH', async () => {
    const good = join(home, 'pw');
    writeFileSync(good, `${slapd!.readerPassword}\n`);
    const ok = await runCachet(['lookup', 'alice@example.com', ...flags(), '--bind-dn', slapd!.readerDn, '--bind-password-file', good, '--no-cache'], { env });
    assert.equal(ok.status, 0, ok.stderr);
    writeFileSync(join(home, 'bad'), 'nope\n');
    const bad = await runCachet(['lookup', 'alice@example.com', ...flags(), '--bind-dn', slapd!.readerDn, '--bind-password-file', join(home, 'bad'), '--no-cache'], { env });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /refused/);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  });

  test('usage errors: neither --anonymous nor --bind-dn, no address', async () => {
    assert.equal((await runCachet(['lookup', 'alice@example.com', '--ldap-url', slapd!.url, '--base-dn', slapd!.baseDn], { env })).status, 2);
    assert.equal((await runCachet(['lookup', '--ldap-url', slapd!.url, '--base-dn', slapd!.baseDn, '--anonymous'], { env })).status, 2);
  });

  test('addressbook: import, key change kept pending, accept', async () => {
    const first = join(home, 'a.pem');
    writeFileSync(first, certificateDer('bob').toString('base64').replace(/.{64}/g, '$&\n').replace(/^/, '-----BEGIN CERTIFICATE-----\n').concat('\n-----END CERTIFICATE-----\n'));
    assert.equal((await runCachet(['addressbook', 'import', first], { env })).status, 0);
    // carol's certificate filed under bob's address: a different key, as an impostor would present.
    writeFileSync(join(home, 'c.der'), certificateDer('carol'));
    const changed = await runCachet(['addressbook', 'import', join(home, 'c.der'), '--email', 'bob@example.com'], { env });
    assert.equal(changed.status, 0);
    assert.match(changed.stderr, /WARNING: bob@example.com now presents a different key/);
    const list = await runCachet(['addressbook', 'list', '--json'], { env });
    const bob = JSON.parse(list.stdout).correspondents.find((c: { address: string }) => c.address === 'bob@example.com');
    const carolFp = certificateFingerprint(certificateDer('carol'));
    assert.equal(bob.certificates.find((c: { fingerprintSha256: string }) => c.fingerprintSha256 === carolFp).accepted, false);
    const lookup = await runCachet(['lookup', 'bob@example.com', '--source', 'addressbook', '--trust', pkiFile('ca.pem'), '--json'], { env });
    const [r] = JSON.parse(lookup.stdout).recipients;
    assert.equal(r.certificate.fingerprintSha256, certificateFingerprint(certificateDer('bob')));
    assert.ok(r.rejected.some((x: { code: string }) => x.code === 'ERR_KEY_CHANGED'));
    assert.equal((await runCachet(['addressbook', 'accept', 'bob@example.com', carolFp], { env })).status, 0);
    const after = JSON.parse((await runCachet(['addressbook', 'list', 'bob@example.com', '--json'], { env })).stdout);
    assert.ok(after.correspondents[0].certificates.every((c: { accepted: boolean }) => c.accepted));
    assert.notEqual((await runCachet(['addressbook', 'accept', 'bob@example.com', '00ff'], { env })).status, 0);
  });

  test('directory stopped: the cached answer, said so; then a clear error with --no-cache', async () => {
    await slapd!.pause();
    const cached = await runCachet(['lookup', 'alice@example.com', ...flags(), '--anonymous', '--at', new Date(Date.now() + 3 * 86400_000).toISOString()], { env });
    assert.match(cached.stdout, /from cache, directory unreachable/);
    const none = await runCachet(['lookup', 'alice@example.com', ...flags(), '--anonymous', '--no-cache'], { env });
    assert.equal(none.status, 6);
    assert.match(none.stderr, /cannot be reached/);
  });
});
