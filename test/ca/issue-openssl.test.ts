/**
 * `cachet ca init / cert / template / issue --csr` checked with OpenSSL: chains verify for the
 * purpose of their template, the extensions of the S/MIME BR strict profile are there, PKCS#10
 * requests made by `openssl req` are issued, weak or tampered ones refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cachet, caWorkspace, openssl, type CaWorkspace } from './support.js';

let ws: CaWorkspace;
before(async () => {
  ws = caWorkspace('cachet-ca-issue-');
  const init = await cachet(['ca', 'init', '--name', 'Example Mail CA', '--intermediate', '--key', 'ec-p384', '--http-base', 'http://127.0.0.1:8089', '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(init.status, 0, init.stderr);
  const root = await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env);
  assert.equal(root.status, 0, root.stderr);
  const chain = await cachet(['ca', 'cert', '--chain', '-o', ws.path('chain.pem')], ws.env);
  assert.equal(chain.status, 0, chain.stderr);
});
after(() => ws?.remove());

function makeCsr(name: string, keyArgs: string[], subject: string, extra: string[] = []): string {
  const key = ws.path(`${name}.key`);
  const csr = ws.path(`${name}.csr`);
  const r = openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', csr, '-subj', subject, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return csr;
}

function verify(cert: string, purpose: 'smimesign' | 'smimeencrypt'): { status: number | null; stdout: string; stderr: string } {
  return openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('chain.pem'), '-purpose', purpose, cert]);
}

describe('cachet ca init / cert', () => {
  test('a root and an issuing intermediate; the chain verifies; init refuses to overwrite', async () => {
    const chainPem = readFileSync(ws.path('chain.pem'), 'utf8');
    assert.equal(chainPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
    writeFileSync(ws.path('issuing.pem'), chainPem.slice(0, chainPem.indexOf('-----END CERTIFICATE-----') + 26));
    const v = openssl(['verify', '-CAfile', ws.path('root.pem'), ws.path('issuing.pem')]);
    assert.equal(v.status, 0, v.stderr);
    const text = openssl(['x509', '-in', ws.path('issuing.pem'), '-noout', '-text']).stdout;
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /Certificate Sign, CRL Sign/);
    assert.match(text, /URI:http:\/\/127\.0\.0\.1:8089\/root\.crl/, "the intermediate names the root's CRL");
    const again = await cachet(['ca', 'init', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
  });

  test('by default the CA keys are in the CA vault (no key file beside it); an empty CRL is published', () => {
    const settings = JSON.parse(readFileSync(`${ws.env.CACHET_HOME}/ca/ca.json`, 'utf8'));
    assert.equal(settings.keys.root.store, 'vault');
    assert.equal(settings.keys.issuing.store, 'vault');
    assert.notEqual(settings.keys.root.id, settings.keys.issuing.id);
    assert.equal(readFileSync(`${ws.env.CACHET_HOME}/ca/ca.vault`).subarray(0, 8).toString('latin1'), 'CACHETV1');
    for (const which of ['root', 'issuing']) assert.equal(existsSync(`${ws.env.CACHET_HOME}/ca/${which}.key`), false);
    const crl = openssl(['crl', '-inform', 'DER', '-in', `${ws.env.CACHET_HOME}/ca/crl.der`, '-noout', '-text']);
    assert.equal(crl.status, 0, crl.stderr);
    assert.match(crl.stdout, /No Revoked Certificates/);
  });

  test('a wrong CA passphrase is refused with exit status 4', async () => {
    writeFileSync(ws.path('wrong'), 'not the passphrase');
    const csr = makeCsr('wrongpass', ['-newkey', 'rsa:2048'], '/CN=x/emailAddress=x@example.com');
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', csr, '--out', ws.path('x.pem'), '--passphrase-file', ws.path('wrong'), '--json'], ws.env);
    assert.equal(r.status, 4, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_VAULT_BAD_PASSPHRASE');
  });
});

describe('cachet ca template', () => {
  test('list and show, text and JSON; an unknown template is a usage error', async () => {
    const list = await cachet(['ca', 'template', 'list'], ws.env);
    assert.equal(list.status, 0);
    for (const name of ['signing-only', 'encryption-only', 'dual']) assert.match(list.stdout, new RegExp(`^${name} `, 'm'));
    const show = await cachet(['ca', 'template', 'show', 'encryption-only', '--json'], ws.env);
    assert.equal(show.status, 0);
    const t = JSON.parse(show.stdout);
    assert.deepEqual(t.keyUsage, { rsa: ['keyEncipherment'], ec: ['keyAgreement'] });
    assert.equal(t.minimumRsaBits, 2048);
    assert.equal(t.exportableKey, true);
    const unknown = await cachet(['ca', 'template', 'show', 'exchange-user', '--json'], ws.env);
    assert.equal(unknown.status, 2);
    assert.equal(JSON.parse(unknown.stdout).error.code, 'ERR_TEMPLATE_UNKNOWN');
  });
});

describe('cachet ca issue --csr', () => {
  test('signing-only from `openssl req -newkey rsa:2048`: smimesign OK, smimeencrypt refused, BR extensions present', async () => {
    const csr = makeCsr('alice-sign', ['-newkey', 'rsa:2048'], '/CN=Alice Example/O=Evil Corp/emailAddress=alice@example.com', ['-addext', 'subjectAltName=email:alice@example.com']);
    const out = ws.path('alice-sign.pem');
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', csr, '--out', out, '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const issued = JSON.parse(r.stdout);
    assert.equal(issued.email, 'alice@example.com');
    assert.ok(issued.serial.length >= 16, 'serial of at least 64 bits');
    assert.equal(verify(out, 'smimesign').status, 0);
    assert.notEqual(verify(out, 'smimeencrypt').status, 0, 'a signing-only certificate must not pass for encryption');
    const text = openssl(['x509', '-in', out, '-noout', '-text']).stdout;
    assert.match(text, /Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
    assert.match(text, /Extended Key Usage:\s+E-mail Protection\n/);
    assert.match(text, /Subject Alternative Name:\s+email:alice@example.com\n/);
    assert.match(text, /Subject Key Identifier/);
    assert.match(text, /Authority Key Identifier/);
    assert.match(text, /URI:http:\/\/127\.0\.0\.1:8089\/crl/);
    assert.match(text, /OCSP - URI:http:\/\/127\.0\.0\.1:8089\/ocsp/);
    assert.match(text, /Policy: 2\.23\.140\.1\.5\.1\.3/);
    // The template decides the subject: the request's organisation is not copied.
    assert.match(text, /Subject: CN = alice@example.com, emailAddress = alice@example.com/);
    assert.doesNotMatch(text, /Evil Corp/);
    const serialHex = openssl(['x509', '-in', out, '-noout', '-serial']).stdout.trim().replace('serial=', '');
    assert.ok(BigInt(`0x${serialHex}`) >= 2n ** 63n, 'the serial has at least 64 significant bits');
  });

  test('encryption-only RSA: keyEncipherment, smimeencrypt OK, smimesign refused', async () => {
    const csr = makeCsr('bob-enc', ['-newkey', 'rsa:3072'], '/CN=Bob/emailAddress=bob@example.com');
    const out = ws.path('bob-enc.pem');
    const r = await cachet(['ca', 'issue', '--template', 'encryption-only', '--csr', csr, '--out', out, '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(verify(out, 'smimeencrypt').status, 0);
    assert.notEqual(verify(out, 'smimesign').status, 0);
    assert.match(openssl(['x509', '-in', out, '-noout', '-text']).stdout, /Key Usage: critical\s+Key Encipherment\n/);
  });

  test('encryption-only EC P-256: keyAgreement (not keyEncipherment); the chain verifies', async () => {
    const csr = makeCsr('carol-enc', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=carol', ['-addext', 'subjectAltName=email:carol@example.com']);
    const out = ws.path('carol-enc.pem');
    const r = await cachet(['ca', 'issue', '--template', 'encryption-only', '--csr', csr, '--out', out, '--chain', '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 3, '--chain appends the CA chain');
    // OpenSSL's smimeencrypt purpose insists on keyEncipherment, which an EC key cannot do; the
    // chain itself is checked with the any-purpose default.
    assert.equal(openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('chain.pem'), out]).status, 0);
    assert.match(openssl(['x509', '-in', out, '-noout', '-text']).stdout, /Key Usage: critical\s+Key Agreement\n/);
  });

  test('a 1024-bit request is refused, naming the 2048-bit floor', async () => {
    const csr = makeCsr('weak', ['-newkey', 'rsa:1024'], '/CN=weak/emailAddress=weak@example.com');
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', csr, '--out', ws.path('weak.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 1);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'ERR_KEY_TOO_SMALL');
    assert.match(error.message, /1024 bits.*at least 2048 bits/);
    assert.match(r.stderr, /2048/);
  });

  test('a tampered request (signature no longer matches) is refused', async () => {
    const csr = makeCsr('tamper', ['-newkey', 'rsa:2048'], '/CN=mallory/emailAddress=mallory@example.com');
    const derBytes = Buffer.from(readFileSync(csr, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    // Change one letter of the mailbox inside the signed part.
    const at = derBytes.indexOf(Buffer.from('mallory@'));
    assert.ok(at > 0);
    derBytes[at] = 'n'.charCodeAt(0);
    writeFileSync(ws.path('tampered.der'), derBytes);
    const r = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', ws.path('tampered.der'), '--out', ws.path('t.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.code, 'ERR_CSR_INVALID');
    assert.match(JSON.parse(r.stdout).error.message, /signature does not verify/);
  });

  test('the mailbox: from --email when the request has none; a conflicting --email is refused', async () => {
    const bare = makeCsr('bare', ['-newkey', 'rsa:2048'], '/CN=Dave');
    const none = await cachet(['ca', 'issue', '--template', 'dual', '--csr', bare, '--out', ws.path('dave.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(none.stdout).error.code, 'ERR_CSR_INVALID');
    const given = await cachet(['ca', 'issue', '--template', 'dual', '--csr', bare, '--email', 'dave@example.com', '--out', ws.path('dave.pem'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(given.status, 0, given.stderr);
    assert.match(openssl(['x509', '-in', ws.path('dave.pem'), '-noout', '-ext', 'subjectAltName,keyUsage']).stdout, /Digital Signature, Non Repudiation, Key Encipherment[\s\S]*email:dave@example.com/);
    assert.equal(verify(ws.path('dave.pem'), 'smimesign').status, 0);
    assert.equal(verify(ws.path('dave.pem'), 'smimeencrypt').status, 0);
    const alice = makeCsr('conflict', ['-newkey', 'rsa:2048'], '/CN=a', ['-addext', 'subjectAltName=email:alice@example.com']);
    const conflict = await cachet(['ca', 'issue', '--template', 'signing-only', '--csr', alice, '--email', 'bob@example.com', '--out', ws.path('c.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(JSON.parse(conflict.stdout).error.code, 'ERR_CSR_INVALID');
    assert.match(JSON.parse(conflict.stdout).error.message, /alice@example.com, not bob@example.com/);
  });
});

describe('cachet ca crl --root', () => {
  test("the root's CRL and the issuing CA's CRL together pass `openssl verify -crl_check_all`", async () => {
    const rootCrl = await cachet(['ca', 'crl', '--root', '--pem', '-o', ws.path('root.crl'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(rootCrl.status, 0, rootCrl.stderr);
    assert.equal(openssl(['crl', '-in', ws.path('root.crl'), '-CAfile', ws.path('root.pem'), '-noout']).status, 0);
    const issuingCrl = await cachet(['ca', 'crl', '--pem', '-o', ws.path('issuing.crl'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(issuingCrl.status, 0, issuingCrl.stderr);
    writeFileSync(ws.path('crls.pem'), readFileSync(ws.path('root.crl'), 'utf8') + readFileSync(ws.path('issuing.crl'), 'utf8'));
    const v = openssl(['verify', '-crl_check_all', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('chain.pem'), '-CRLfile', ws.path('crls.pem'), ws.path('alice-sign.pem')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });
});
