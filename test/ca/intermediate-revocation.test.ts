/**
 * Revoking the issuing intermediate: `cachet ca revoke --intermediate` (or by its serial) makes the
 * root list it in the root's CRL (the ARL the intermediate's CRL distribution point names, served
 * at /root.crl) and the OCSP responder answer "revoked" for it, signed by the root. OpenSSL
 * (`verify -crl_check_all` with both CRLs, `ocsp`) and Cachet's own validation (`cachet verify`
 * through the network, `cachet open` with CRL files, the engine validator over OCSP alone) then
 * report a leaf under it as revoked. Revoking the root is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { createPkiHttpFetcher } from '../../src/adapters/net/http-fetcher.js';
import { cachet, caWorkspace, freePort, openssl, startCachet, type CaWorkspace } from './support.js';

let ws: CaWorkspace;
let url: string;
let issuingSerial: string;
let rootSerial: string;
const stops: Array<() => Promise<void>> = [];

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}

function der(pemFile: string): Uint8Array {
  const text = readFileSync(pemFile, 'utf8');
  return new Uint8Array(Buffer.from(text.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

async function fetchTo(path: string, file: string): Promise<void> {
  const response = await fetch(`${url}${path}`);
  assert.equal(response.status, 200, path);
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
}

before(async () => {
  ws = caWorkspace('cachet-ca-arl-');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const init = await cachet(['ca', 'init', '--name', 'Arl CA', '--intermediate', '--key', 'ec-p256', '--http-base', url, '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('issuing.pem')], ws.env)).status, 0);
  const key = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path('leaf.key'), '-out', ws.path('leaf.csr'), '-subj', '/CN=alice', '-addext', 'subjectAltName=email:alice@example.com']);
  assert.equal(key.status, 0, key.stderr);
  const issued = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', ws.path('leaf.csr'), '--out', ws.path('leaf.pem'), '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(issued.status, 0, issued.stderr);
  writeFileSync(ws.path('body.txt'), 'Content-Type: text/plain\r\n\r\nSigned under the intermediate.\r\n');
  const signed = openssl(['smime', '-sign', '-in', ws.path('body.txt'), '-signer', ws.path('leaf.pem'), '-inkey', ws.path('leaf.key'), '-certfile', ws.path('issuing.pem'), '-from', 'alice@example.com', '-to', 'bob@example.com', '-subject', 'hello', '-out', ws.path('signed.eml')]);
  assert.equal(signed.status, 0, signed.stderr);
  issuingSerial = openssl(['x509', '-in', ws.path('issuing.pem'), '-noout', '-serial']).stdout.trim().replace(/^serial=/, '');
  rootSerial = openssl(['x509', '-in', ws.path('root.pem'), '-noout', '-serial']).stdout.trim().replace(/^serial=/, '');
  const responder = await startCachet(['ca', 'ocsp', '--port', String(port), '--passphrase-file', ws.passphraseFile], ws.env, /listening on/);
  stops.push(responder.stop);
});
after(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  ws?.remove();
});

function verifyWithCrls(): { status: number | null; stdout: string; stderr: string } {
  return openssl(['verify', '-crl_check_all', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('issuing.pem'), '-CRLfile', ws.path('root.crl'), '-CRLfile', ws.path('issuing.crl'), ws.path('leaf.pem')]);
}

function ocspForIntermediate(): { status: number | null; stdout: string; stderr: string } {
  return openssl(['ocsp', '-issuer', ws.path('root.pem'), '-cert', ws.path('issuing.pem'), '-url', url, '-CAfile', ws.path('root.pem'), '-resp_text']);
}

describe('revoking the issuing intermediate', () => {
  test("the intermediate points its CRL distribution point at the root's CRL and its OCSP at the responder", () => {
    const text = openssl(['x509', '-in', ws.path('issuing.pem'), '-noout', '-text']).stdout;
    assert.match(text, new RegExp(`X509v3 CRL Distribution Points:[\\s\\S]*URI:${url}/root\\.crl`));
    assert.match(text, new RegExp(`OCSP - URI:${url}/ocsp`));
  });

  test('before: both CRLs pass `openssl verify -crl_check_all`, the responder says good for the intermediate (signed by the root)', async () => {
    await fetchTo('/root.crl', ws.path('root.crl'));
    await fetchTo('/crl', ws.path('issuing.crl'));
    const v = verifyWithCrls();
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const r = ocspForIntermediate();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /issuing\.pem: good/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
  });

  test('one request about the leaf and the intermediate: one signer per response, so the second CertID is unknown', () => {
    const r = openssl(['ocsp', '-issuer', ws.path('issuing.pem'), '-cert', ws.path('leaf.pem'), '-issuer', ws.path('root.pem'), '-cert', ws.path('issuing.pem'), '-url', url, '-CAfile', ws.path('root.pem'), '-verify_other', ws.path('issuing.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /leaf\.pem: good/);
    assert.match(r.stdout, /issuing\.pem: unknown/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
  });

  test('the root cannot be revoked: a clear refusal, exit 7, nothing changes', async () => {
    const before = readFileSync(`${ws.env.CACHET_HOME}/ca/root-crl.der`);
    const r = await cachet(['ca', 'revoke', rootSerial, '--reason', 'keyCompromise', '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_POLICY_FORBIDS');
    assert.match(JSON.parse(r.stdout).error.message, /root CA certificate cannot be revoked/);
    assert.deepEqual(readFileSync(`${ws.env.CACHET_HOME}/ca/root-crl.der`), before);
  });

  test('`cachet ca revoke` by the intermediate\'s serial: the root\'s CRL lists it, OCSP says revoked (signed by the root)', async () => {
    const r = await cachet(['ca', 'revoke', issuingSerial.toLowerCase(), '--reason', 'cACompromise', '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).intermediate, true);
    await fetchTo('/root.crl', ws.path('root.crl'));
    const crl = openssl(['crl', '-inform', 'DER', '-in', ws.path('root.crl'), '-noout', '-text']);
    assert.match(crl.stdout, new RegExp(`Serial Number: ${issuingSerial}`));
    assert.match(crl.stdout, /CA Compromise/);
    assert.equal(openssl(['crl', '-inform', 'DER', '-in', ws.path('root.crl'), '-CAfile', ws.path('root.pem'), '-noout']).status, 0, 'signed by the root');
    const o = ocspForIntermediate();
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /issuing\.pem: revoked/);
    assert.match(o.stdout, /Reason: cACompromise/);
    assert.match(o.stderr + o.stdout, /Response verify OK/);
    const again = await cachet(['ca', 'revoke', '--intermediate', '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(again.stdout).error.code, 'ERR_CERT_REVOKED');
  });

  test('`openssl verify -crl_check_all` with both CRLs now fails for the leaf: its issuer is revoked', async () => {
    await fetchTo('/crl', ws.path('issuing.crl'));
    const v = verifyWithCrls();
    assert.notEqual(v.status, 0);
    assert.match(v.stdout + v.stderr, /error 23 at 1 depth lookup: certificate revoked/);
  });

  test('Cachet: `cachet verify` (revocation fetched from the URLs in the certificates) reports the leaf revoked', async () => {
    const r = await cachet(['verify', '--trust', ws.path('root.pem'), '-i', ws.path('signed.eml'), '--json'], ws.env);
    assert.equal(r.status, 5, r.stdout + r.stderr);
    const signer = JSON.parse(r.stdout).signers[0];
    assert.equal(signer.valid, true);
    assert.equal(signer.trusted, false);
    assert.equal(signer.error.code, 'ERR_CERT_REVOKED');
    assert.match(signer.error.message, /the CA certificate Arl CA Issuing CA was revoked/);
  });

  test('Cachet: `cachet open` with the two CRL files says untrusted, revoked', async () => {
    const r = await cachet(['open', '--trust', ws.path('root.pem'), '--crl', ws.path('root.crl'), '--crl', ws.path('issuing.crl'), '-i', ws.path('signed.eml'), '--json'], ws.env);
    assert.equal(r.status, 5, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.status, 'untrusted');
    assert.match(JSON.stringify(report.signers), /ERR_CERT_REVOKED/);
    assert.match(JSON.stringify(report.signers), /Arl CA Issuing CA was revoked/);
  });

  test('Cachet: the engine validator over OCSP alone (no CRL) finds the intermediate revoked', async () => {
    const validator = createCertificateValidator({
      trustAnchors: [der(ws.path('root.pem'))],
      revocation: 'hard-fail',
      fetcher: createPkiHttpFetcher({ schemes: 'http' }),
      ocsp: { enabled: true },
      crlFetch: { enabled: false },
    });
    const result = await validator.validate({ certificate: der(ws.path('leaf.pem')), intermediates: [der(ws.path('issuing.pem'))], purpose: 'signing', at: new Date() });
    assert.equal(result.trusted, false);
    assert.equal(result.error?.code, 'ERR_CERT_REVOKED');
    assert.match(result.error?.message ?? '', /Arl CA Issuing CA was revoked/);
    assert.equal(result.revocation?.method, 'ocsp');
  });

  test('a revoked intermediate issues nothing more', async () => {
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', ws.path('leaf.csr'), '--out', ws.path('late.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_CERT_REVOKED');
    assert.match(JSON.parse(r.stdout).error.message, /issuing CA was revoked/);
    assert.equal(pemBlocks(readFileSync(ws.path('leaf.pem'), 'utf8')).length, 1);
  });
});
