/**
 * Issue 18, "trust as users set it up": a user who trusts only the organisation's root reads and
 * writes to everyone the organisation's two-tier CA certified. The CA is Cachet's own (`cachet ca
 * init --intermediate --http-base`, served by `cachet ca ocsp`, which publishes the issuing CA at
 * the AIA caIssuers URL); the directory is a real slapd whose entry holds only bob's certificate;
 * the signed message is made by openssl and carries only alice's. The chain is completed from
 * caIssuers; with the policy's `pkiFetch: off` it is not, and the reason says the issuer is missing —
 * unless the directory entry carries the issuing CA itself (carol's).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachet, caWorkspace, freePort, openssl, startCachet, type CaWorkspace } from '../ca/support.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

let ws: CaWorkspace;
let slapd: Slapd | undefined;
let user: NodeJS.ProcessEnv;
const stops: Array<() => Promise<void>> = [];

function der(pemFile: string): Buffer {
  return Buffer.from(readFileSync(pemFile, 'utf8').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function issue(name: string, template: string, email: string): Promise<void> {
  const req = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path(`${name}.key`), '-out', ws.path(`${name}.csr`), '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`]);
  assert.equal(req.status, 0, req.stderr);
  const issued = await cachet(['ca', 'issue', '--template', template, '--csr', ws.path(`${name}.csr`), '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(issued.status, 0, issued.stderr);
}

function setPolicy(text: string): void {
  writeFileSync(join(user.CACHET_HOME!, 'policy.yaml'), text);
}

before(async () => {
  ws = caWorkspace('cachet-two-tier-');
  const port = await freePort();
  const init = await cachet(['ca', 'init', '--name', 'Org CA', '--intermediate', '--key', 'ec-p256', '--http-base', `http://127.0.0.1:${port}`, '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  await issue('bob', 'encryption-only', 'bob@example.com');
  await issue('alice', 'signing-only', 'alice@example.com');
  await issue('carol', 'encryption-only', 'carol@example.com');
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('issuing.pem')], ws.env)).status, 0);
  const responder = await startCachet(['ca', 'ocsp', '--port', String(port), '--passphrase-file', ws.passphraseFile], ws.env, /listening on/);
  stops.push(responder.stop);
  slapd = await startSlapd({
    entries: [
      { dn: 'uid=bob,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'bob', cn: 'bob', sn: 'B', mail: 'bob@example.com', 'userCertificate;binary': der(ws.path('bob.pem')) } },
      // Carol's entry carries the issuing CA beside her certificate, as some directories publish it.
      { dn: 'uid=carol,ou=people,dc=example,dc=com', attributes: { objectClass: 'inetOrgPerson', uid: 'carol', cn: 'carol', sn: 'C', mail: 'carol@example.com', 'userCertificate;binary': [der(ws.path('carol.pem')), der(ws.path('issuing.pem'))] } },
    ],
  });
  stops.push(() => slapd!.stop());
  // The user trusts the root, and only the root.
  user = { CACHET_HOME: ws.path('user') };
  mkdirSync(user.CACHET_HOME!, { recursive: true });
  const added = await cachet(['trust', 'add', ws.path('root.pem')], user);
  assert.equal(added.status, 0, added.stderr);
  writeFileSync(ws.path('body.txt'), 'Content-Type: text/plain\r\n\r\nSigned under the issuing CA.\r\n');
  // openssl puts only the signer's certificate in the message: no -certfile, so no intermediate.
  const signed = openssl(['smime', '-sign', '-in', ws.path('body.txt'), '-signer', ws.path('alice.pem'), '-inkey', ws.path('alice.key'), '-from', 'alice@example.com', '-to', 'bob@example.com', '-subject', 'hi', '-out', ws.path('signed.eml')]);
  assert.equal(signed.status, 0, signed.stderr);
});
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  ws?.remove();
});

describe('only the root trusted: the chain is completed through AIA caIssuers', () => {
  const lookup = (): Promise<{ status: number; stdout: string; stderr: string }> =>
    cachet(['lookup', 'bob@example.com', '--ldap-url', slapd!.url, '--base-dn', slapd!.baseDn, '--anonymous', '--no-cache', '--json'], user);

  test('without the issuer at hand and with pkiFetch off, the directory certificate is refused: the issuer is missing', async () => {
    setPolicy('pkiFetch: off\n');
    const r = await lookup();
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const [recipient] = JSON.parse(r.stdout).recipients;
    assert.equal(recipient.rejected[0].code, 'ERR_CHAIN_UNTRUSTED');
    assert.match(recipient.rejected[0].reason, /Org CA Issuing CA \(its certificate is not available\)/);
    const v = await cachet(['verify', '-i', ws.path('signed.eml'), '--json'], user);
    assert.equal(JSON.parse(v.stdout).signers[0].trusted, false);
  });

  test('with pkiFetch off, the issuer found on the directory entry completes the chain', async () => {
    setPolicy('pkiFetch: off\n');
    const r = await cachet(['lookup', 'carol@example.com', '--ldap-url', slapd!.url, '--base-dn', slapd!.baseDn, '--anonymous', '--no-cache', '--json'], user);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [recipient] = JSON.parse(r.stdout).recipients;
    assert.equal(recipient.certificate.source, 'ldap');
    assert.match(recipient.certificate.subject, /carol/);
  });

  test("bob's certificate from slapd is usable: lookup exits 0 with the directory's certificate", async () => {
    setPolicy('pkiFetch: http\n');
    const r = await lookup();
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [recipient] = JSON.parse(r.stdout).recipients;
    assert.equal(recipient.certificate.source, 'ldap');
    assert.deepEqual(recipient.rejected, []);
  });

  test("alice's signature, carrying only her certificate, is valid and trusted; openssl agrees given the certificate at caIssuers", async () => {
    setPolicy('pkiFetch: http\n');
    const v = await cachet(['verify', '-i', ws.path('signed.eml'), '--json'], user);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const [signer] = JSON.parse(v.stdout).signers;
    assert.equal(signer.valid, true);
    assert.equal(signer.trusted, true, JSON.stringify(signer.error));
    // openssl agrees: the certificate at alice's caIssuers URL completes her chain to the root.
    const response = await fetch(issuerUrl());
    assert.equal(response.status, 200);
    writeFileSync(ws.path('fetched-issuing.der'), Buffer.from(await response.arrayBuffer()));
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', ws.path('fetched-issuing.der'), '-out', ws.path('fetched-issuing.pem')]).status, 0);
    const check = openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('fetched-issuing.pem'), ws.path('alice.pem')]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.notEqual(openssl(['verify', '-CAfile', ws.path('root.pem'), ws.path('alice.pem')]).status, 0, 'without the issuer openssl cannot build it either');
  });

  test('an https caIssuers URL under pkiFetch: http is not fetched', async () => {
    const { createPkiHttpFetcher } = await import('../../src/adapters/net/http-fetcher.js');
    const fetcher = createPkiHttpFetcher({ schemes: 'http' });
    await assert.rejects(fetcher.fetch('https://127.0.0.1:1/ca.crt', { method: 'GET', maxBytes: 1024, timeoutMs: 1000 }), (error: Error & { failure?: string }) => error.failure === 'scheme-refused');
  });
});

/** The caIssuers URL of alice's certificate, as openssl reads it. */
function issuerUrl(): string {
  const text = openssl(['x509', '-in', ws.path('alice.pem'), '-noout', '-ext', 'authorityInfoAccess']).stdout;
  const url = /CA Issuers - URI:(\S+)/.exec(text)?.[1];
  assert.ok(url, text);
  return url;
}
