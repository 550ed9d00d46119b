/**
 * NSS (the certificate library of Thunderbird) judges Cachet's certificates for the purpose of their
 * template: `certutil -V -u S` (email signer) and `-u R` (email recipient), with the root trusted
 * and the issuing intermediate imported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { cachet, caWorkspace, openssl, run, type CaWorkspace } from './support.js';

let ws: CaWorkspace;
let nss: string;

async function issue(name: string, template: string, keyArgs: string[]): Promise<void> {
  const csr = ws.path(`${name}.csr`);
  assert.equal(openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', ws.path(`${name}.key`), '-out', csr, '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${name}@example.com`]).status, 0);
  const r = await cachet(['ca', 'issue', '--template', template, '--csr', csr, '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile], ws.env);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(run('certutil', ['-A', '-d', nss, '-n', name, '-t', ',,', '-i', ws.path(`${name}.pem`)]).status, 0);
}

function usage(name: string, flag: 'S' | 'R'): { status: number | null; stdout: string; stderr: string } {
  return run('certutil', ['-V', '-d', nss, '-n', name, '-u', flag]);
}

before(async () => {
  ws = caWorkspace('cachet-ca-nss-');
  nss = `sql:${ws.path('nss')}`;
  mkdirSync(ws.path('nss'));
  assert.equal(run('certutil', ['-N', '-d', nss, '--empty-password']).status, 0);
  assert.equal((await cachet(['ca', 'init', '--intermediate', '--key', 'ec-p256', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '--root', '-o', ws.path('root.pem')], ws.env)).status, 0);
  assert.equal((await cachet(['ca', 'cert', '-o', ws.path('issuing.pem')], ws.env)).status, 0);
  assert.equal(run('certutil', ['-A', '-d', nss, '-n', 'root', '-t', 'C,C,C', '-i', ws.path('root.pem')]).status, 0);
  assert.equal(run('certutil', ['-A', '-d', nss, '-n', 'issuing', '-t', ',,', '-i', ws.path('issuing.pem')]).status, 0);
  await issue('alice', 'signing-only', ['-newkey', 'rsa:2048']);
  await issue('bob', 'encryption-only', ['-newkey', 'rsa:2048']);
  await issue('dave', 'dual', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
});
after(() => ws?.remove());

describe('NSS certutil -V', () => {
  test('signing-only: valid as email signer, not as email recipient', () => {
    const signer = usage('alice', 'S');
    assert.equal(signer.status, 0, signer.stdout + signer.stderr);
    assert.match(signer.stdout, /certificate is valid/);
    assert.notEqual(usage('alice', 'R').status, 0);
  });

  test('encryption-only (RSA): valid as email recipient, not as email signer', () => {
    const recipient = usage('bob', 'R');
    assert.equal(recipient.status, 0, recipient.stdout + recipient.stderr);
    assert.notEqual(usage('bob', 'S').status, 0);
  });

  test('dual (EC P-256): valid as email signer and as email recipient', () => {
    assert.equal(usage('dave', 'S').status, 0, usage('dave', 'S').stdout);
    assert.equal(usage('dave', 'R').status, 0, usage('dave', 'R').stdout);
  });
});
