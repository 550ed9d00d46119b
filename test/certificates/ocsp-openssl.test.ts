/**
 * OCSP (RFC 6960) against a real responder: `openssl ocsp` serving the test root's database on a
 * free port of this machine. alice is good, mallory revoked (index.txt says so); a certificate naming
 * the responder in its authorityInfoAccess is checked without any configuration; a stranger's
 * certificate causes no request at all (its responder URL would be a tracking beacon); an answer signed
 * by a key the CA never authorised is not believed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDer, pkiBytes, pkiFile, testPkiDir } from '../helpers/pki.js';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { createOcspClient, ocspUrls } from '../../src/engine/pki/ocsp.js';
import type { PkiFetcher } from '../../src/engine/pki/fetcher.js';
import { createPkiHttpFetcher } from '../../src/adapters/net/http-fetcher.js';
import { isCachetError } from '../../src/errors.js';
import { runCachet } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { OUTCOME_DEADLINE_MS } from '../helpers/wait.js';


interface Responder {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Starts `openssl ocsp` and waits until it accepts connections. */
async function startResponder(cwd: string, port: number, signer: { cert: string; key: string }): Promise<Responder> {
  const child = spawn('openssl', ['ocsp', '-port', String(port), '-index', 'db-ca/index.txt', '-CA', 'ca.pem', '-rsigner', signer.cert, '-rkey', signer.key], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + OUTCOME_DEADLINE_MS;
  while (!/waiting for OCSP client connections/.test(output)) {
    if (child.exitCode !== null) throw new Error(`openssl ocsp exited: ${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`openssl ocsp did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, url: `http://127.0.0.1:${port}/`, stop };
}

/** The product's HTTP fetcher for PKI material. */
const http = createPkiHttpFetcher({ schemes: 'http' });

/** That fetcher, counting the requests it makes and the URLs asked. */
function countingFetch(): { fetch: PkiFetcher; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: {
      fetch: async (url, request) => {
        urls.push(url);
        return http.fetch(url, request);
      },
    },
  };
}

const DUAL = 'digitalSignature,nonRepudiation,keyEncipherment';

/** Issues NAME under ISSUER (a copied `openssl ca` database in dir), with an AIA OCSP URL. */
function issueWithOcspUrl(dir: string, issuer: 'ca' | 'bars', name: string, ocspUrl: string): Buffer {
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`], { cwd: dir, stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', '-key', `${name}.key`, '-subj', `/O=Test/CN=${name}/emailAddress=${name}@example.com`, '-out', `${name}.csr`], { cwd: dir, stdio: 'pipe' });
  writeFileSync(
    join(dir, `${name}.ext`),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,${DUAL}\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${name}@example.com\nauthorityInfoAccess=OCSP;URI:${ocspUrl}\n`,
  );
  const start = new Date(Date.now() - 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const end = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  execFileSync(
    'openssl',
    ['ca', '-batch', '-config', `db-${issuer}/ca.cnf`, '-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`, '-in', `${name}.csr`, '-startdate', start, '-enddate', end, '-extfile', `${name}.ext`, '-out', `${name}.pem`, '-notext'],
    { cwd: dir, stdio: 'pipe' },
  );
  return execFileSync('openssl', ['x509', '-in', `${name}.pem`, '-outform', 'DER'], { cwd: dir });
}

let dir: string;
let port: number;
let responder: Responder | undefined;
let rogue: Responder | undefined;
let delegated: Responder | undefined;
let olga: Buffer;
let stranger: Buffer;
let rogueUrl: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-ocsp-'));
  const pki = testPkiDir();
  for (const name of ['ca.pem', 'ca.key', 'bars.pem', 'bars.key', 'alice.pem', 'alice.key']) cpSync(join(pki, name), join(dir, name));
  for (const db of ['db-ca', 'db-bars']) cpSync(join(pki, db), join(dir, db), { recursive: true });
  port = await freePort();
  const roguePort = await freePort();
  rogueUrl = `http://127.0.0.1:${roguePort}/`;
  // olga names the real responder; the stranger (under the untrusted Bars Root CA) names it too.
  olga = issueWithOcspUrl(dir, 'ca', 'olga', `http://127.0.0.1:${port}/`);
  stranger = issueWithOcspUrl(dir, 'bars', 'stranger', `http://127.0.0.1:${port}/`);
  // rex names the responder too, and is revoked in the database before the responder starts.
  issueWithOcspUrl(dir, 'ca', 'rex', `http://127.0.0.1:${port}/`);
  execFileSync('openssl', ['ca', '-config', 'db-ca/ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-revoke', 'rex.pem', '-crl_reason', 'keyCompromise'], { cwd: dir, stdio: 'pipe' });
  responder = await startResponder(dir, port, { cert: 'ca.pem', key: 'ca.key' });
  // A responder that signs with alice's key: not the CA, not a delegated OCSP signer.
  rogue = await startResponder(dir, roguePort, { cert: 'alice.pem', key: 'alice.key' });
  // A delegated responder (RFC 6960 §4.2.2.2): certified by the CA for id-kp-OCSPSigning.
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'responder.key', '-subj', '/O=Test/CN=Test OCSP Responder', '-out', 'responder.csr'], { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'responder.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n');
  execFileSync('openssl', ['x509', '-req', '-in', 'responder.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'responder.ext', '-out', 'responder.pem'], { cwd: dir, stdio: 'pipe' });
  delegated = await startResponder(dir, await freePort(), { cert: 'responder.pem', key: 'responder.key' });
});

after(async () => {
  await responder?.stop();
  await rogue?.stop();
  await delegated?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const now = (): Date => new Date();
const caDer = (): Buffer => Buffer.from(pkiBytes('ca.pem').toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64');

describe('OCSP client against openssl ocsp', () => {
  test('alice is good, mallory revoked with time and reason; the nonce comes back; a second ask is cached', async () => {
    const counting = countingFetch();
    const client = createOcspClient({ fetcher: counting.fetch });
    const issuer = caDer();
    const alice = await client.check({ certificate: certificateDer('alice'), issuer, url: responder!.url });
    assert.equal(alice.status, 'good');
    assert.equal(alice.nonce, 'matched');
    assert.equal(alice.cached, false);
    const mallory = await client.check({ certificate: certificateDer('mallory'), issuer, url: responder!.url });
    assert.equal(mallory.status, 'revoked');
    assert.equal(mallory.reason, 'keyCompromise');
    assert.ok(mallory.revokedAt && mallory.revokedAt <= new Date());
    assert.equal(counting.urls.length, 2);
    const again = await client.check({ certificate: certificateDer('alice'), issuer, url: responder!.url });
    assert.equal(again.cached, true);
    assert.equal(counting.urls.length, 2, 'answered from the cache');
  });

  test('an answer not signed by the CA or an authorised responder is not believed', async () => {
    const client = createOcspClient({ fetcher: http });
    await assert.rejects(
      client.check({ certificate: certificateDer('alice'), issuer: caDer(), url: rogueUrl }),
      (error: unknown) => isCachetError(error, 'ERR_REVOCATION_UNKNOWN') && /not signed by the certificate's CA/.test((error as Error).message),
    );
  });

  test("a replayed answer (a real one, for another request) is refused: it does not carry our nonce", async () => {
    let recorded: Uint8Array | undefined;
    const recording: PkiFetcher = {
      fetch: async (url, request) => {
        const response = await http.fetch(url, request);
        recorded = response.body;
        return response;
      },
    };
    const good = await createOcspClient({ fetcher: recording }).check({ certificate: certificateDer('mallory'), issuer: caDer(), url: responder!.url });
    assert.equal(good.status, 'revoked');
    const replaying: PkiFetcher = { fetch: async () => ({ status: 200, body: recorded! }) };
    await assert.rejects(
      createOcspClient({ fetcher: replaying }).check({ certificate: certificateDer('mallory'), issuer: caDer(), url: responder!.url }),
      (error: unknown) => isCachetError(error, 'ERR_REVOCATION_UNKNOWN') && /nonce/.test((error as Error).message),
    );
    // and an answer about another certificate does not answer for alice
    await assert.rejects(
      createOcspClient({ fetcher: replaying }).check({ certificate: certificateDer('alice'), issuer: caDer(), url: responder!.url }),
      (error: unknown) => isCachetError(error, 'ERR_REVOCATION_UNKNOWN'),
    );
  });

  test('a delegated responder (id-kp-OCSPSigning, certified by the CA) is believed', async () => {
    const answer = await createOcspClient({ fetcher: http }).check({ certificate: certificateDer('mallory'), issuer: caDer(), url: delegated!.url });
    assert.equal(answer.status, 'revoked');
    assert.equal(answer.nonce, 'matched');
  });

  test('an unreachable responder is an unknown status, named as such', async () => {
    const client = createOcspClient({ fetcher: http, timeoutMs: 2000 });
    const closed = await freePort();
    await assert.rejects(
      client.check({ certificate: certificateDer('alice'), issuer: caDer(), url: `http://127.0.0.1:${closed}/` }),
      (error: unknown) => isCachetError(error, 'ERR_REVOCATION_UNKNOWN') && /cannot be reached/.test((error as Error).message),
    );
  });
});

describe('path validation asks OCSP only for chains that end at a trust anchor', () => {
  test('with a configured responder: alice trusted (OCSP good), mallory revoked by OCSP', async () => {
    const counting = countingFetch();
    // No CRL given: OCSP is what answers.
    const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], fetcher: counting.fetch, crlFetch: { enabled: false }, ocsp: { enabled: true, defaultResponderUrl: responder!.url } });
    const alice = await validator.validate({ certificate: certificateDer('alice'), intermediates: [], purpose: 'signing', at: now() });
    assert.equal(alice.trusted, true);
    assert.deepEqual({ method: alice.revocation?.method, status: alice.revocation?.status, source: alice.revocation?.source }, { method: 'ocsp', status: 'good', source: responder!.url });
    const mallory = await validator.validate({ certificate: certificateDer('mallory'), intermediates: [], purpose: 'signing', at: now() });
    assert.equal(mallory.trusted, false);
    assert.equal(mallory.error?.code, 'ERR_CERT_REVOKED');
    assert.match(mallory.error!.message, /mallory@example\.com was revoked on \d{4}-\d{2}-\d{2}/);
    assert.equal(mallory.revocation?.method, 'ocsp');
    assert.equal(mallory.revocation?.reason, 'keyCompromise');
    assert.equal(counting.urls.length, 2);
  });

  test("the certificate's own authorityInfoAccess URL is used without configuration", async () => {
    assert.deepEqual(ocspUrls(olga), [`http://127.0.0.1:${port}/`]);
    const counting = countingFetch();
    const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], fetcher: counting.fetch, crlFetch: { enabled: false }, ocsp: { enabled: true } });
    const result = await validator.validate({ certificate: olga, intermediates: [], purpose: 'encryption', at: now() });
    assert.equal(result.trusted, true);
    assert.equal(result.revocation?.method, 'ocsp');
    assert.equal(result.revocation?.status, 'good');
    assert.deepEqual(counting.urls, [`http://127.0.0.1:${port}/`]);
  });

  test("a stranger's certificate (eve, and one naming our responder) triggers no request", async () => {
    const counting = countingFetch();
    const validator = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], fetcher: counting.fetch, crlFetch: { enabled: false }, ocsp: { enabled: true, defaultResponderUrl: responder!.url } });
    const eve = await validator.validate({ certificate: certificateDer('eve'), intermediates: [pkiBytes('bars.pem')], purpose: 'signing', at: now() });
    assert.equal(eve.error?.code, 'ERR_CHAIN_UNTRUSTED');
    assert.match(eve.error!.message, /Bars Root CA/);
    const other = await validator.validate({ certificate: stranger, intermediates: [pkiBytes('bars.pem')], purpose: 'signing', at: now() });
    assert.equal(other.error?.code, 'ERR_CHAIN_UNTRUSTED');
    assert.deepEqual(counting.urls, [], 'no OCSP request for an untrusted chain');
  });

  test('OCSP off, or a CRL already answering: no request', async () => {
    const counting = countingFetch();
    const off = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], fetcher: counting.fetch, crlFetch: { enabled: false }, ocsp: { enabled: false, defaultResponderUrl: responder!.url } });
    const a = await off.validate({ certificate: olga, intermediates: [], purpose: 'signing', at: now() });
    assert.equal(a.revocation?.status, 'unknown');
    const withCrl = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], crls: [pkiBytes('ca.crl.der')], fetcher: counting.fetch, crlFetch: { enabled: false }, ocsp: { enabled: true, defaultResponderUrl: responder!.url } });
    const b = await withCrl.validate({ certificate: certificateDer('alice'), intermediates: [], purpose: 'signing', at: now() });
    assert.equal(b.revocation?.method, 'crl');
    assert.deepEqual(counting.urls, []);
  });

  test('hard-fail: an untrustworthy answer leaves the status unknown and the certificate rejected', async () => {
    const hard = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], revocation: 'hard-fail', fetcher: http, crlFetch: { enabled: false }, ocsp: { enabled: true, defaultResponderUrl: rogueUrl } });
    const result = await hard.validate({ certificate: certificateDer('alice'), intermediates: [], purpose: 'signing', at: now() });
    assert.equal(result.trusted, false);
    assert.equal(result.error?.code, 'ERR_REVOCATION_UNKNOWN');
    const soft = createCertificateValidator({ trustAnchors: [pkiBytes('ca.pem')], revocation: 'soft-fail', fetcher: http, crlFetch: { enabled: false }, ocsp: { enabled: true, defaultResponderUrl: rogueUrl } });
    const softResult = await soft.validate({ certificate: certificateDer('alice'), intermediates: [], purpose: 'signing', at: now() });
    assert.equal(softResult.trusted, true);
    assert.equal(softResult.revocation?.status, 'unknown');
  });
});

test('the responder is real: openssl itself agrees mallory is revoked', () => {
  const out = execFileSync('openssl', ['ocsp', '-issuer', pkiFile('ca.pem'), '-cert', pkiFile('mallory.pem'), '-url', responder!.url, '-CAfile', pkiFile('ca.pem')], { encoding: 'utf8', stdio: 'pipe' });
  assert.match(out, /mallory\.pem: revoked/);
  assert.ok(readFileSync(join(dir, 'db-ca/index.txt'), 'utf8').includes('CN=olga'));
});

describe('cachet verify asks OCSP for chains to the trust store, by itself', () => {
  test("olga's signature is trusted (OCSP good); rex's is refused as revoked (exit 5)", async () => {
    const home = join(dir, 'home');
    assert.equal((await runCachet(['trust', 'add', join(dir, 'ca.pem')], { env: { CACHET_HOME: home } })).status, 0);
    const message = join(dir, 'msg.eml');
    writeFileSync(message, 'From: olga@example.com\r\nTo: bob@example.com\r\nSubject: ocsp\r\nContent-Type: text/plain\r\n\r\nHi.\r\n');
    const verdicts: Record<string, { status: number; stderr: string }> = {};
    for (const name of ['olga', 'rex']) {
      const signer = join(dir, `${name}-signer.pem`);
      writeFileSync(signer, Buffer.concat([readFileSync(join(dir, `${name}.key`)), readFileSync(join(dir, `${name}.pem`))]));
      const signed = join(dir, `${name}-signed.eml`);
      const s = await runCachet(['sign', '--signer', signer, '-i', message, '-o', signed]);
      assert.equal(s.status, 0, s.stderr);
      verdicts[name] = await runCachet(['verify', '-i', signed], { env: { CACHET_HOME: home } });
    }
    assert.equal(verdicts.olga!.status, 0, verdicts.olga!.stderr);
    const json = await runCachet(['verify', '-i', join(dir, 'olga-signed.eml'), '--json'], { env: { CACHET_HOME: home } });
    const signer = (JSON.parse(json.stdout) as { signers: Array<{ trusted: boolean; revocation: { method: string; status: string; source: string } }> }).signers[0]!;
    assert.equal(signer.trusted, true);
    assert.deepEqual(signer.revocation, { method: 'ocsp', status: 'good', source: `http://127.0.0.1:${port}/` });
    assert.equal(verdicts.rex!.status, 5);
    assert.match(verdicts.rex!.stderr, /rex@example\.com was revoked on/);
  });
});
