/**
 * Recipient certificates from a real OpenLDAP slapd (test/helpers/slapd.ts): mail and proxyAddresses
 * search, several certificates per entry with a reason for each one set aside, userSMIMECertificate
 * blobs, anonymous and bound access, LDAPS and StartTLS, filter escaping, and the server stopped mid-test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isCachetError } from '../../src/errors.js';
import { certificateFingerprint } from '../../src/engine/pki/certificate-info.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { certsOnlyDer } from '../../src/engine/smime/certs-only.js';
import { DirectoryCache } from '../../src/adapters/directory/cache.js';
import { lookupInDirectory, type DirectoryConfig } from '../../src/adapters/directory/ldap-lookup.js';
import { resolveRecipients } from '../../src/adapters/directory/resolve-recipients.js';
import { certificateDer, pkiBytes } from '../helpers/pki.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

const person = (uid: string, mail: string | undefined, certs: Buffer[], extra: Record<string, string | string[] | Buffer> = {}) => ({
  dn: `uid=${uid},ou=people,dc=example,dc=com`,
  attributes: { objectClass: 'inetOrgPerson', uid, cn: uid, sn: 'Test', ...(mail ? { mail } : {}), ...(certs.length ? { 'userCertificate;binary': certs } : {}), ...extra },
});

describe('LDAP directory lookup (slapd)', () => {
  let slapd: Slapd | undefined;
  let home: string;
  const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], intermediates: [pkiBytes('inter.pem')], crls: [pkiBytes('ca.crl')], revocation: 'hard-fail' });
  const now = new Date();

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cachet-dir-'));
    slapd = await startSlapd({
      withTls: true,
      entries: [
        person('alice', 'alice@example.com', [certificateDer('alice')]),
        // One entry, four certificates: expired, revoked, signing-only, good.
        person('frank', 'frank@example.com', [certificateDer('oscar'), certificateDer('mallory'), certificateDer('frank-sign'), certificateDer('frank-enc')]),
        // Reachable only through an AD-style alias.
        {
          dn: 'cn=Bob Test,ou=people,dc=example,dc=com',
          attributes: { objectClass: 'user', cn: 'Bob Test', sn: 'Test', proxyAddresses: ['SMTP:robert@corp.example', 'smtp:bob@example.com'], 'userCertificate;binary': certificateDer('bob') },
        },
        // A PKCS#7 certs-only blob (RFC 2798 userSMIMECertificate) with dan and his intermediate.
        person('dan', 'dan@example.com', [], { userSMIMECertificate: certsOnlyDer([certificateDer('dan'), Buffer.from(pkiBytes('inter.pem').toString().replace(/-----[^-]+-----|\s/g, ''), 'base64')]) }),
        person('nocert', 'nocert@example.com', []),
      ],
    });
  });
  after(async () => {
    await slapd?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const anonymous = (): DirectoryConfig => ({ url: slapd!.url, baseDn: slapd!.baseDn, anonymous: true, timeoutMs: 2000 });

  test('anonymous: finds a certificate by mail and chooses it', async () => {
    const [r] = await resolveRecipients(['Alice@Example.com'], { directory: anonymous(), sourceOrder: 'ldap', validator, now });
    assert.equal(r!.source, 'ldap');
    assert.equal(r!.certificate?.info.fingerprintSha256, certificateFingerprint(certificateDer('alice')));
    assert.deepEqual(r!.rejected, []);
  });

  test('several certificates in one entry: the good one is chosen, each other with its reason', async () => {
    const [r] = await resolveRecipients(['frank@example.com'], { directory: anonymous(), sourceOrder: 'ldap', validator, now });
    assert.equal(r!.certificate?.info.fingerprintSha256, certificateFingerprint(certificateDer('frank-enc')));
    const codes = Object.fromEntries(r!.rejected.map((x) => [x.fingerprint, x.code]));
    assert.equal(codes[certificateFingerprint(certificateDer('oscar'))], 'ERR_CERT_EXPIRED');
    assert.equal(codes[certificateFingerprint(certificateDer('mallory'))], 'ERR_CERT_REVOKED');
    assert.equal(codes[certificateFingerprint(certificateDer('frank-sign'))], 'ERR_CERT_USAGE');
    assert.equal(r!.rejected.length, 3);
  });

  test('an address found only in proxyAddresses (smtp: prefix, any case)', async () => {
    const [r] = await resolveRecipients(['BOB@example.com'], { directory: anonymous(), sourceOrder: 'ldap', validator, now });
    assert.equal(r!.certificate?.info.fingerprintSha256, certificateFingerprint(certificateDer('bob')));
  });

  test('userSMIMECertificate (PKCS#7 certs-only) with its intermediate', async () => {
    const [r] = await resolveRecipients(['dan@example.com'], { directory: anonymous(), sourceOrder: 'ldap', validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], revocation: 'off' }), now });
    assert.equal(r!.certificate?.info.fingerprintSha256, certificateFingerprint(certificateDer('dan')), JSON.stringify(r!.rejected));
  });

  test('no entry, and an entry without a certificate, say so', async () => {
    const [none, empty] = await resolveRecipients(['nobody@example.com', 'nocert@example.com'], { directory: anonymous(), sourceOrder: 'ldap', validator, now });
    assert.equal(none!.certificate, undefined);
    assert.match(none!.reason ?? '', /no directory entry/);
    assert.match(empty!.reason ?? '', /holds no certificate/);
  });

  test('filter values are escaped (RFC 4515): an injection matches nothing', async () => {
    const found = await lookupInDirectory(anonymous(), ['*)(uid=*', '*', 'alice@example.com)(|(mail=*']);
    for (const entries of found.values()) assert.deepEqual(entries, []);
  });

  test('bound access as the reader; a wrong password is ERR_DIRECTORY_AUTH', async () => {
    const bound = { url: slapd!.url, baseDn: slapd!.baseDn, anonymous: false, bindDn: slapd!.readerDn, timeoutMs: 2000 };
    const found = await lookupInDirectory({ ...bound, bindPassword: async () => slapd!.readerPassword }, ['alice@example.com']);
    assert.equal(found.get('alice@example.com')?.[0]?.certificates.length, 1);
    await assert.rejects(lookupInDirectory({ ...bound, bindPassword: async () => 'wrong' }, ['alice@example.com']), (e) => isCachetError(e, 'ERR_DIRECTORY_AUTH'));
  });

  test('LDAPS and StartTLS with the test CA; an unknown server CA fails clearly', async () => {
    const ca = readFileSync(slapd!.caFile!);
    const ldaps = await lookupInDirectory({ url: slapd!.ldapsUrl!, baseDn: slapd!.baseDn, anonymous: true, tlsCa: ca, timeoutMs: 2000 }, ['alice@example.com']);
    assert.equal(ldaps.get('alice@example.com')?.[0]?.certificates.length, 1);
    const startTls = await lookupInDirectory({ url: slapd!.url, startTls: true, baseDn: slapd!.baseDn, anonymous: true, tlsCa: ca, timeoutMs: 2000 }, ['alice@example.com']);
    assert.equal(startTls.get('alice@example.com')?.[0]?.certificates.length, 1);
    await assert.rejects(
      lookupInDirectory({ url: slapd!.ldapsUrl!, baseDn: slapd!.baseDn, anonymous: true, tlsCa: pkiBytes('bars.pem'), timeoutMs: 2000 }, ['alice@example.com']),
      (e) => isCachetError(e) && e.code.startsWith('ERR_DIRECTORY_'),
    );
  });

  test('server stopped mid-test: answers from the cache and says so, then a clear error without cache', async () => {
    const cache = await DirectoryCache.open(home);
    const first = await resolveRecipients(['alice@example.com'], { directory: anonymous(), cache, sourceOrder: 'ldap', validator, now });
    assert.equal(first[0]!.source, 'ldap');
    await slapd!.pause();
    // A day later the cached answer has expired, and the directory is gone.
    const later = new Date(now.getTime() + 2 * 24 * 3600 * 1000);
    const reopened = await DirectoryCache.open(home);
    const started = Date.now();
    const fromCache = await resolveRecipients(['alice@example.com'], { directory: anonymous(), cache: reopened, sourceOrder: 'ldap', validator, now });
    assert.equal(fromCache[0]!.source, 'ldap-cache');
    const stale = await resolveRecipients(['alice@example.com'], { directory: anonymous(), cache: reopened, sourceOrder: 'ldap', validator: createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], revocation: 'off' }), now: later });
    assert.match(stale[0]!.notes.join(' '), /from cache, directory unreachable/);
    await assert.rejects(
      resolveRecipients(['alice@example.com'], { directory: anonymous(), cache: reopened, useCache: false, sourceOrder: 'ldap', validator, now }),
      (e) => isCachetError(e, 'ERR_DIRECTORY_UNREACHABLE') && /cannot be reached/.test(e.message),
    );
    assert.ok(Date.now() - started < 10_000, 'never hangs');
  });

  test('a server that accepts but never answers: ERR_DIRECTORY_UNREACHABLE within the timeout, never a hang', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const started = Date.now();
      await assert.rejects(
        lookupInDirectory({ url: `ldap://127.0.0.1:${port}`, baseDn: 'dc=example,dc=com', anonymous: true, timeoutMs: 700 }, ['alice@example.com']),
        (e) => isCachetError(e, 'ERR_DIRECTORY_UNREACHABLE'),
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
