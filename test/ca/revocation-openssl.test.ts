/**
 * Revocation, checked with OpenSSL: `cachet ca ocsp` answers `openssl ocsp` good → (ca revoke) →
 * revoked, unknown for a serial it never issued, echoes the nonce, signs with the CA key or a
 * delegated responder; `openssl crl -text` lists the revoked serial with its reason; the CRL served
 * at /crl makes `openssl verify -crl_check` fail for the revoked certificate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { cachet, caWorkspace, freePort, openssl, startCachet, type CaWorkspace } from './support.js';

let ws: CaWorkspace;
let port: number;
let url: string;
const serials: Record<string, string> = {};
const stops: Array<() => Promise<void>> = [];

async function issue(name: string, template: string, email: string): Promise<void> {
  const key = ws.path(`${name}.key`);
  const csr = ws.path(`${name}.csr`);
  const r = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`]);
  assert.equal(r.status, 0, r.stderr);
  const issued = await cachet(['ca', 'issue', '--template', template, '--csr', csr, '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
  assert.equal(issued.status, 0, issued.stderr);
  serials[name] = JSON.parse(issued.stdout).serial;
}

function ocsp(name: string, extra: string[] = []): { status: number | null; stdout: string; stderr: string } {
  return openssl(['ocsp', '-issuer', ws.path('ca.pem'), '-cert', ws.path(`${name}.pem`), '-url', url, '-CAfile', ws.path('ca.pem'), ...extra]);
}

before(async () => {
  ws = caWorkspace('cachet-ca-revoke-');
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const init = await cachet(['ca', 'init', '--name', 'Revocation CA', '--key', 'rsa-2048', '--http-base', url, '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('ca.pem')], ws.env)).status, 0);
  await issue('alice-sign', 'signing-only', 'alice@example.com');
  await issue('bob-enc', 'encryption-only', 'bob@example.com');
  const responder = await startCachet(['ca', 'ocsp', '--port', String(port), '--passphrase-file', ws.passphraseFile], ws.env, /listening on/);
  stops.push(responder.stop);
});
after(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  ws?.remove();
});

describe('OCSP responder and CRL', () => {
  test('good for an issued certificate, with the nonce echoed and the response signed by the CA', () => {
    const r = ocsp('alice-sign', ['-resp_text']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /alice-sign\.pem: good/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
    assert.match(r.stdout, /OCSP Nonce:/);
    assert.doesNotMatch(r.stderr, /nonce/i, 'no nonce warning from openssl');
  });

  test('unknown for a foreign issuer and for a serial this CA never issued', () => {
    const foreign = openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ws.path('f.key'), '-out', ws.path('foreign.pem'), '-subj', '/CN=foreign', '-days', '1']);
    assert.equal(foreign.status, 0, foreign.stderr);
    const other = openssl(['ocsp', '-issuer', ws.path('foreign.pem'), '-cert', ws.path('foreign.pem'), '-url', url, '-noverify']);
    assert.equal(other.status, 0, other.stderr);
    assert.match(other.stdout, /foreign\.pem: unknown/);
    // And a serial under our issuer that was never issued.
    const r = openssl(['ocsp', '-issuer', ws.path('ca.pem'), '-serial', '0x1234567890abcdef', '-url', url, '-CAfile', ws.path('ca.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /0x1234567890abcdef: unknown/i);
  });

  test('after `cachet ca revoke`: OCSP says revoked with the reason, the CRL lists the serial', async () => {
    const revoke = await cachet(['ca', 'revoke', serials['alice-sign']!, '--reason', 'keyCompromise', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(revoke.status, 0, revoke.stderr);
    const r = ocsp('alice-sign');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /alice-sign\.pem: revoked/);
    assert.match(r.stdout, /Reason: keyCompromise/);
    assert.match(ocsp('bob-enc').stdout, /bob-enc\.pem: good/);
    const again = await cachet(['ca', 'revoke', serials['alice-sign']!, '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(again.stdout).error.code, 'ERR_CERT_REVOKED');
    const missing = await cachet(['ca', 'revoke', 'abcdef', '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(missing.stdout).error.code, 'ERR_CERT_NOT_FOUND');

    const crl = await cachet(['ca', 'crl', '--pem', '-o', ws.path('ca.crl'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(crl.status, 0, crl.stderr);
    const text = openssl(['crl', '-in', ws.path('ca.crl'), '-noout', '-text']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Serial Number: ${serials['alice-sign']!.toUpperCase()}`));
    assert.match(text.stdout, /Key Compromise/);
    assert.doesNotMatch(text.stdout, new RegExp(serials['bob-enc']!.toUpperCase()));
    assert.match(text.stdout, /CRL Number:\s+\d+/);
    assert.equal(openssl(['crl', '-in', ws.path('ca.crl'), '-CAfile', ws.path('ca.pem'), '-noout']).status, 0, 'the CRL signature verifies');
    const checked = openssl(['verify', '-crl_check', '-CAfile', ws.path('ca.pem'), '-CRLfile', ws.path('ca.crl'), ws.path('alice-sign.pem')]);
    assert.notEqual(checked.status, 0);
    assert.match(checked.stdout + checked.stderr, /certificate revoked/);
  });

  test('the responder serves the CRL at /crl and the issuer at /ca.crt (the URLs in the certificates)', async () => {
    const crl = await fetch(`${url}/crl`);
    assert.equal(crl.status, 200);
    assert.equal(crl.headers.get('content-type'), 'application/pkix-crl');
    writeFileSync(ws.path('served.crl'), Buffer.from(await crl.arrayBuffer()));
    assert.match(openssl(['crl', '-inform', 'DER', '-in', ws.path('served.crl'), '-noout', '-text']).stdout, new RegExp(serials['alice-sign']!.toUpperCase()));
    const issuer = await fetch(`${url}/ca.crt`);
    assert.equal(issuer.status, 200);
    const malformed = await fetch(`${url}/ocsp`, { method: 'POST', body: 'not DER', headers: { 'content-type': 'application/ocsp-request' } });
    const body = Buffer.from(await malformed.arrayBuffer());
    // OCSPResponse { responseStatus malformedRequest(1) }: 30 03 0a 01 01
    assert.deepEqual([...body], [0x30, 0x03, 0x0a, 0x01, 0x01]);
  });

  test('GET requests (RFC 6960 §A.1: base64 of the DER request in the path) are answered too', async () => {
    assert.equal(openssl(['ocsp', '-issuer', ws.path('ca.pem'), '-cert', ws.path('bob-enc.pem'), '-no_nonce', '-reqout', ws.path('req.der')]).status, 0);
    const encoded = encodeURIComponent(readFileSync(ws.path('req.der')).toString('base64'));
    const response = await fetch(`${url}/ocsp/${encoded}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/ocsp-response');
    writeFileSync(ws.path('resp.der'), Buffer.from(await response.arrayBuffer()));
    const r = openssl(['ocsp', '-respin', ws.path('resp.der'), '-issuer', ws.path('ca.pem'), '-cert', ws.path('bob-enc.pem'), '-CAfile', ws.path('ca.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /bob-enc\.pem: good/);
  });

  test('a delegated responder (id-kp-OCSPSigning certificate) is accepted by openssl', async () => {
    const delegatedPort = await freePort();
    const responder = await startCachet(['ca', 'ocsp', '--port', String(delegatedPort), '--delegated', '--passphrase-file', ws.passphraseFile], ws.env, /listening on/);
    stops.push(responder.stop);
    const r = openssl(['ocsp', '-issuer', ws.path('ca.pem'), '-cert', ws.path('bob-enc.pem'), '-url', `http://127.0.0.1:${delegatedPort}`, '-CAfile', ws.path('ca.pem'), '-resp_text']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /bob-enc\.pem: good/);
    assert.match(r.stderr + r.stdout, /Response verify OK/);
    assert.match(r.stdout, /OCSP Signing/);
    await responder.stop();
  });
});
