/**
 * certificateRole on certificates openssl makes with each keyUsage / extendedKeyUsage combination
 * that issue 3's rules distinguish, beyond the test PKI's identities.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateRole } from '../../src/engine/pki/certificate-role.js';
import { pkiFile } from '../helpers/pki.js';

let dir = '';

function make(name: string, extensions: string): Uint8Array {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  run('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-config', '/dev/null', '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), `[ext]\nsubjectAltName=email:${name}@example.com\n${extensions}\n`);
  run('x509', '-req', '-in', `${name}.csr`, '-CA', pkiFile('ca.pem'), '-CAkey', pkiFile('ca.key'), '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial',
    '-days', '1', '-extfile', `${name}.ext`, '-extensions', 'ext', '-outform', 'DER', '-out', `${name}.der`);
  return readFileSync(join(dir, `${name}.der`));
}

describe('certificate roles from keyUsage and extendedKeyUsage', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachet-roles-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ['nonrep', 'keyUsage=critical,nonRepudiation', 'signing', /signing only/],
    ['ka', 'keyUsage=critical,keyAgreement\nextendedKeyUsage=emailProtection', 'encryption', /encryption only/],
    ['both', 'keyUsage=critical,digitalSignature,keyAgreement', 'dual', /both/],
    ['noku', 'extendedKeyUsage=emailProtection', 'dual', /no key usage/],
    ['anyeku', 'keyUsage=digitalSignature\nextendedKeyUsage=anyExtendedKeyUsage', 'signing', /signing only/],
    ['client', 'keyUsage=digitalSignature\nextendedKeyUsage=clientAuth,codeSigning', 'none', /e-mail protection/],
    ['subca', 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,digitalSignature', 'none', /CA certificate/],
    ['certsign', 'keyUsage=critical,keyCertSign', 'none', /neither/],
  ];
  for (const [name, extensions, role, reason] of cases) {
    test(`${extensions.replace(/\n/g, '; ')} → ${role}`, () => {
      const result = certificateRole(make(name, extensions));
      assert.equal(result.role, role);
      assert.match(result.reasons.join(' '), reason);
    });
  }
});
