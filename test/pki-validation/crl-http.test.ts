/**
 * CRLs from distribution points over HTTP: a real CRL made with `openssl ca -gencrl`, served by an
 * HTTP server on 127.0.0.1 that this test starts; certificates whose distribution point names it.
 * Also: a stranger's chain triggers no request (tracking beacon), fetching can be turned off, the
 * cache saves the second request, and hard-fail rejects when the CRL cannot be had.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { createCrlClient } from '../../src/engine/pki/crl.js';
import { createPkiHttpFetcher } from '../../src/adapters/net/http-fetcher.js';

const fetcher = createPkiHttpFetcher({ schemes: 'http' });
import { pkiBytes, pkiFile } from '../helpers/pki.js';

let dir = '';
let server: Server | undefined;
let port = 0;
const requests: string[] = [];
let serving = true;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** An end entity issued by `ca` (a test PKI name) whose CRL distribution point is `url`. */
function issue(name: string, email: string, ca: string, url: string): Uint8Array {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-config', '/dev/null', '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), `[ext]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\ncrlDistributionPoints=URI:${url}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', pkiFile(`${ca}.pem`), '-CAkey', pkiFile(`${ca}.key`), '-CAcreateserial', '-CAserial', join(dir, `${ca}.srl`),
    '-days', '30', '-extfile', `${name}.ext`, '-extensions', 'ext', '-out', `${name}.pem`);
  openssl('x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`);
  return readFileSync(join(dir, `${name}.der`));
}

describe('CRL distribution points over HTTP', () => {
  let anchor: Uint8Array;
  let good: Uint8Array;
  let revoked: Uint8Array;
  let stranger: Uint8Array;
  let missing: Uint8Array;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cachet-crl-http-'));
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (!serving || request.url !== '/test.crl') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(readFileSync(join(dir, 'test.crl.der')));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/test.crl`;
    anchor = pkiBytes('ca.pem');
    good = issue('crl-good', 'good@example.com', 'ca', url);
    revoked = issue('crl-revoked', 'revoked@example.com', 'ca', url);
    missing = issue('crl-missing', 'missing@example.com', 'ca', `http://127.0.0.1:${port}/missing.crl`);
    stranger = issue('crl-stranger', 'stranger@example.net', 'bars', url);
    // A CA database of our own so that `openssl ca` revokes and signs a real CRL with the test CA's key.
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'crlnumber'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), [
      '[ca]', 'default_ca = test', '[test]', `database = ${join(dir, 'index.txt')}`, `crlnumber = ${join(dir, 'crlnumber')}`,
      `certificate = ${pkiFile('ca.pem')}`, `private_key = ${pkiFile('ca.key')}`, 'default_md = sha256', 'default_crl_days = 7', '',
    ].join('\n'));
    openssl('ca', '-config', 'ca.cnf', '-revoke', 'crl-revoked.pem', '-crl_reason', 'keyCompromise', '-passin', 'pass:test');
    openssl('ca', '-config', 'ca.cnf', '-gencrl', '-out', 'test.crl', '-passin', 'pass:test');
    openssl('crl', '-in', 'test.crl', '-outform', 'DER', '-out', 'test.crl.der');
  });

  after(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the distribution point is fetched: good is good, revoked is revoked with its date and reason; the cache saves a request', async () => {
    requests.length = 0;
    const validator = createCertificateValidator({ trustAnchors: [anchor], revocation: 'hard-fail', crlFetch: { enabled: true, client: createCrlClient({ fetcher }) } });
    const ok = await validator.validate({ certificate: good, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(ok.trusted, true, ok.error?.message);
    assert.deepEqual({ method: ok.revocation?.method, status: ok.revocation?.status, source: ok.revocation?.source }, { method: 'crl', status: 'good', source: `http://127.0.0.1:${port}/test.crl` });
    const bad = await validator.validate({ certificate: revoked, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(bad.trusted, false);
    assert.equal(bad.error?.code, 'ERR_CERT_REVOKED');
    assert.match(bad.error!.message, /the certificate of revoked@example\.com was revoked on \d{4}-\d\d-\d\d/);
    assert.equal(bad.revocation?.status, 'revoked');
    assert.equal(bad.revocation?.reason, 'keyCompromise');
    assert.deepEqual(requests, ['/test.crl'], 'one request: the second answer came from the cache');
  });

  test('a stranger\'s chain triggers no request, even though its CRL URL points at our server', async () => {
    requests.length = 0;
    const validator = createCertificateValidator({ trustAnchors: [anchor], revocation: 'soft-fail', fetcher, crlFetch: { enabled: true } });
    const result = await validator.validate({ certificate: stranger, intermediates: [pkiBytes('bars.pem')], purpose: 'signing', at: new Date() });
    assert.equal(result.trusted, false);
    assert.match(result.error!.message, /issued by a CA you do not trust: Bars Root CA/);
    assert.deepEqual(requests, []);
  });

  test('fetching turned off: no request, status unknown; soft-fail passes, hard-fail refuses', async () => {
    requests.length = 0;
    const soft = await createCertificateValidator({ trustAnchors: [anchor], revocation: 'soft-fail', crlFetch: { enabled: false } })
      .validate({ certificate: revoked, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(soft.trusted, true);
    assert.equal(soft.revocation?.status, 'unknown');
    const hard = await createCertificateValidator({ trustAnchors: [anchor], revocation: 'hard-fail' })
      .validate({ certificate: good, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(hard.trusted, false);
    assert.equal(hard.error?.code, 'ERR_REVOCATION_UNKNOWN');
    assert.deepEqual(requests, []);
  });

  test('a distribution point that answers 404: unknown, and hard-fail says the status could not be checked', async () => {
    const validator = createCertificateValidator({ trustAnchors: [anchor], revocation: 'hard-fail', fetcher, crlFetch: { enabled: true } });
    const result = await validator.validate({ certificate: missing, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(result.trusted, false);
    assert.equal(result.error?.code, 'ERR_REVOCATION_UNKNOWN');
    assert.match(result.error!.message, /could not be checked/);
  });

  test('the test PKI\'s own ca.crl (openssl ca -gencrl) given as a file revokes mallory', async () => {
    const validator = createCertificateValidator({ trustAnchors: [anchor], crls: [pkiBytes('ca.crl')], revocation: 'hard-fail' });
    const mallory = await validator.validate({ certificate: pkiBytes('mallory.der'), intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(mallory.error?.code, 'ERR_CERT_REVOKED');
    const alice = await validator.validate({ certificate: pkiBytes('alice.der'), intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(alice.trusted, true, alice.error?.message);
    assert.equal(alice.revocation?.method, 'crl');
  });
});
