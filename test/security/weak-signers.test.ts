/**
 * Issue 14, "weak signers": a CA certificate (CA:TRUE) as the mail signer, an RSA key under 2048
 * bits, a certificate signed with SHA-1 — all made by openssl at test time under a CA of this test —
 * read `untrusted` with the reason (CA/B Forum S/MIME BR §7.1.2.3, §6.1.5, §7.1.3.2; Thunderbird's
 * NSS refuses them too), unless the admin's policy sets `allowLegacyCertificates: true`, which
 * accepts them flagged weak. And the misleading errors: an expired or not-yet-valid anchor says so,
 * a chain deeper than the limit and a certificate with 10,000 names get their own codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCachet } from '../helpers/cli.js';

let dir = '';

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

const CONFIG = `[ca]
default_ca = t
[t]
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[p]
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:$ENV::MAIL
[leaf_enc]
basicConstraints = CA:FALSE
keyUsage = critical,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:$ENV::MAIL
[ca_signer]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign
extendedKeyUsage = emailProtection
subjectAltName = email:$ENV::MAIL
`;

/** Signs `csr` with `issuer` (a name in dir) into NAME.pem; `extra` are `openssl ca` options. */
function sign(name: string, issuer: string | 'self', extensions: string, extra: string[] = [], mail = `${name}@example.com`): void {
  process.env.MAIL = mail;
  const issuerArgs = issuer === 'self' ? ['-selfsign', '-keyfile', `${name}.key`] : ['-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`];
  openssl('ca', '-batch', '-config', 'ca.cnf', ...issuerArgs, '-in', `${name}.csr`, '-extensions', extensions, '-notext', '-out', `${name}.pem`, ...extra);
}

function request(name: string, key: string[] = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']): void {
  openssl('req', '-new', ...key, '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-config', '/dev/null', '-out', `${name}.csr`);
}

function signMail(name: string, chain: string[] = []): string {
  writeFileSync(join(dir, 'body.txt'), 'Content-Type: text/plain\r\n\r\nA note.\r\n');
  const certfile = chain.length > 0 ? ['-certfile', `${name}-chain.pem`] : [];
  if (chain.length > 0) writeChain(name, chain);
  openssl('smime', '-sign', '-in', 'body.txt', '-signer', `${name}.pem`, '-inkey', `${name}.key`, ...certfile, '-from', `${name}@example.com`, '-subject', 'hi', '-out', `${name}.eml`);
  return join(dir, `${name}.eml`);
}

function writeChain(name: string, chain: string[]): void {
  writeFileSync(join(dir, `${name}-chain.pem`), chain.map((c) => openssl('x509', '-in', `${c}.pem`)).join(''));
}

async function verify(mail: string, trust: string, env: NodeJS.ProcessEnv = {}): Promise<{ status: number; signer: { trusted: boolean; weakAlgorithm: boolean; error: { code: string; message: string } | null } }> {
  const r = await runCachet(['verify', '--trust', join(dir, `${trust}.pem`), '-i', mail, '--json'], { env: { CACHET_HOME: join(dir, 'home'), ...env } });
  return { status: r.status, signer: JSON.parse(r.stdout).signers[0] };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-weak-'));
  mkdirSync(join(dir, 'home'));
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  request('root');
  sign('root', 'self', 'ca_ext', ['-days', '365']);
  request('good');
  sign('good', 'root', 'leaf', ['-days', '30']);
  request('casigner');
  sign('casigner', 'root', 'ca_signer', ['-days', '30']);
  request('short', ['-newkey', 'rsa:1024']);
  sign('short', 'root', 'leaf', ['-days', '30']);
  request('shortenc', ['-newkey', 'rsa:1024']);
  sign('shortenc', 'root', 'leaf_enc', ['-days', '30']);
  request('sha1');
  sign('sha1', 'root', 'leaf', ['-days', '30', '-md', 'sha1']);
  // Anchors outside their validity, each with a leaf of its own.
  request('expiredroot');
  sign('expiredroot', 'self', 'ca_ext', ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z']);
  request('old');
  sign('old', 'expiredroot', 'leaf', ['-startdate', '20200201000000Z', '-enddate', '20300101000000Z']);
  request('futureroot');
  sign('futureroot', 'self', 'ca_ext', ['-startdate', '20400101000000Z', '-enddate', '20410101000000Z']);
  request('early');
  sign('early', 'futureroot', 'leaf', ['-days', '30']);
  // Eleven intermediates: a chain of thirteen, over the limit of ten.
  let issuer = 'root';
  for (let i = 1; i <= 11; i++) {
    request(`level${i}`);
    sign(`level${i}`, issuer, 'ca_ext', ['-days', '30']);
    issuer = `level${i}`;
  }
  request('deep');
  sign('deep', issuer, 'leaf', ['-days', '30']);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('weak signers are untrusted, with the reason', () => {
  test('a good certificate under the same root is trusted (the control)', async () => {
    const { status, signer } = await verify(signMail('good'), 'root');
    assert.equal(status, 0, JSON.stringify(signer));
    assert.equal(signer.trusted, true);
  });

  test('a CA certificate (CA:TRUE) as the mail signer', async () => {
    const { status, signer } = await verify(signMail('casigner'), 'root');
    assert.notEqual(status, 0);
    assert.equal(signer.trusted, false);
    assert.equal(signer.error?.code, 'ERR_CERT_USAGE');
    assert.match(signer.error!.message, /casigner@example\.com is a CA certificate \(CA:TRUE\)/);
  });

  test('an RSA key of 1024 bits', async () => {
    const { signer } = await verify(signMail('short'), 'root');
    assert.equal(signer.trusted, false);
    assert.equal(signer.error?.code, 'ERR_KEY_TOO_SMALL');
    assert.match(signer.error!.message, /1024-bit RSA key; at least 2048 bits/);
  });

  test('a certificate signed with SHA-1', async () => {
    assert.match(openssl('x509', '-in', 'sha1.pem', '-noout', '-text'), /Signature Algorithm: ecdsa-with-SHA1/);
    const { signer } = await verify(signMail('sha1'), 'root');
    assert.equal(signer.trusted, false);
    assert.equal(signer.error?.code, 'ERR_WEAK_ALGORITHM');
    assert.match(signer.error!.message, /signed with SHA-1/);
  });

  test('a recipient with a 1024-bit RSA key is refused for encryption too, with the reason', async () => {
    const env = { CACHET_HOME: join(dir, 'home') };
    assert.equal((await runCachet(['addressbook', 'import', join(dir, 'shortenc.pem')], { env })).status, 0);
    const r = await runCachet(['lookup', 'shortenc@example.com', '--trust', join(dir, 'root.pem'), '--json'], { env });
    assert.equal(r.status, 1, r.stdout);
    const [recipient] = JSON.parse(r.stdout).recipients;
    assert.equal(recipient.rejected[0].code, 'ERR_KEY_TOO_SMALL');
    assert.match(recipient.rejected[0].reason, /1024-bit RSA key/);
  });

  test('allowLegacyCertificates: true in the admin policy accepts all three, flagged weak', async () => {
    const policy = join(dir, 'legacy.yaml');
    writeFileSync(policy, 'allowLegacyCertificates: true\n');
    for (const name of ['casigner', 'short', 'sha1']) {
      const { status, signer } = await verify(signMail(name), 'root', { CACHET_POLICY: policy });
      assert.equal(status, 0, `${name}: ${JSON.stringify(signer)}`);
      assert.equal(signer.trusted, true, name);
      assert.equal(signer.weakAlgorithm, true, name);
    }
  });
});

describe('errors that say what is wrong', () => {
  test('an expired trust anchor is reported expired, a not-yet-valid one not yet valid', async () => {
    const expired = await verify(signMail('old'), 'expiredroot');
    assert.equal(expired.signer.error?.code, 'ERR_CERT_EXPIRED');
    assert.match(expired.signer.error!.message, /the CA certificate expiredroot expired on 2021-01-01/);
    const early = await verify(signMail('early'), 'futureroot');
    assert.equal(early.signer.error?.code, 'ERR_CERT_NOT_YET_VALID');
    assert.match(early.signer.error!.message, /futureroot is not valid before 2040-01-01/);
  });

  test('a chain over the depth limit says so (ERR_CHAIN_TOO_LONG), not "its certificate is not available"', async () => {
    const levels = Array.from({ length: 11 }, (_, i) => `level${i + 1}`);
    const { signer } = await verify(signMail('deep', levels), 'root');
    assert.equal(signer.error?.code, 'ERR_CHAIN_TOO_LONG');
    assert.match(signer.error!.message, /chain of more than 10 certificates/);
    assert.doesNotMatch(signer.error!.message, /not available/);
  });

  test('a root as `openssl ca` writes it (a text dump before the PEM block) is a certificate for trust add and --trust', async () => {
    openssl('x509', '-in', 'root.pem', '-text', '-out', 'root-text.pem');
    assert.match(readFileSync(join(dir, 'root-text.pem'), 'latin1'), /^Certificate:/);
    const env = { CACHET_HOME: join(dir, 'text-home') };
    const added = await runCachet(['trust', 'add', join(dir, 'root-text.pem')], { env });
    assert.equal(added.status, 0, added.stderr);
    const { signer } = await verify(signMail('good'), 'root-text');
    assert.equal(signer.trusted, true, JSON.stringify(signer.error));
  });

  test('a certificate with 10,000 names is refused by a safety limit (ERR_LIMIT_EXCEEDED), not as unreadable', async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `email.${i} = u${i}@example.com`).join('\n');
    writeFileSync(join(dir, 'many.cnf'), `[ext]\nkeyUsage = digitalSignature\nsubjectAltName = @alt\n[alt]\n${names}\n`);
    request('many');
    openssl('x509', '-req', '-in', 'many.csr', '-key', 'many.key', '-days', '1', '-extfile', 'many.cnf', '-extensions', 'ext', '-out', 'many.pem');
    const r = await runCachet(['cert', 'inspect', join(dir, 'many.pem'), '--json'], { env: { CACHET_HOME: join(dir, 'home') } });
    assert.notEqual(r.status, 0);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'ERR_LIMIT_EXCEEDED', r.stdout);
    assert.match(error.message, /more elements than Cachet reads/);
  });
});
