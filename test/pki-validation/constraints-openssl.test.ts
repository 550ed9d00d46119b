/**
 * Path validation against certificates that openssl makes in the test: name constraints on e-mail
 * addresses, critical extensions Cachet does not understand, pathLenConstraint, and validity at the
 * signing time versus now.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateValidator } from '../../src/engine/pki/create-validator.js';
import { matchesSenderAddress } from '../../src/engine/pki/path-validation.js';

let dir = '';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function der(name: string): Uint8Array {
  openssl('x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`);
  return readFileSync(join(dir, `${name}.der`));
}

/** A CA or end entity signed by `issuer`, with the given extensions (openssl x509 -extfile syntax). */
function make(name: string, subject: string, extensions: string, issuer: string, days = '30'): Uint8Array {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  writeFileSync(join(dir, `${name}.ext`), `[ext]\n${extensions}\n`);
  openssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-config', '/dev/null', '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', days, '-extfile', `${name}.ext`, '-extensions', 'ext', '-out', `${name}.pem`);
  return der(name);
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash';
const LEAF = (email: string, extra = '') =>
  `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\n${extra}`;

describe('path validation: constraints', () => {
  let root: Uint8Array;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachet-pathval-'));
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'root.key');
    openssl('req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=Constraint Root', '-days', '30', '-config', '/dev/null', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'root.pem');
    root = der('root');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an rfc822Name permitted subtree admits its domain (any case) and refuses others', async () => {
    const ca = make('nc', '/CN=Example Mail CA', `${CA_EXT}\nnameConstraints=critical,permitted;email:example.com,excluded;email:boss@example.com`, 'root');
    const inside = make('inside', '/CN=Alice', LEAF('Alice@EXAMPLE.com'), 'nc');
    const outside = make('outside', '/CN=Mallory', LEAF('mallory@evil.test'), 'nc');
    const excluded = make('excluded', '/CN=Boss', LEAF('boss@example.com'), 'nc');
    const sub = make('sub', '/CN=Sub', LEAF('x@sub.example.com'), 'nc');
    const validator = createCertificateValidator({ trustAnchors: [root], intermediates: [ca], revocation: 'off' });
    const at = new Date();
    const ok = await validator.validate({ certificate: inside, intermediates: [], purpose: 'signing', at });
    assert.equal(ok.trusted, true, ok.error?.message);
    for (const [cert, address, verb] of [[outside, 'mallory@evil.test', 'does not permit'], [excluded, 'boss@example.com', 'excludes'], [sub, 'x@sub.example.com', 'does not permit']] as const) {
      const bad = await validator.validate({ certificate: cert, intermediates: [], purpose: 'signing', at });
      assert.equal(bad.trusted, false);
      assert.equal(bad.error?.code, 'ERR_CERT_USAGE');
      assert.match(bad.error!.message, new RegExp(`Example Mail CA ${verb} the address ${address.replace('.', '\\.')}`));
    }
  });

  test('a leading-period constraint admits subdomains only', async () => {
    const ca = make('ncdot', '/CN=Dot CA', `${CA_EXT}\nnameConstraints=critical,permitted;email:.example.org`, 'root');
    const sub = make('dotsub', '/CN=Sub', LEAF('a@mail.example.org'), 'ncdot');
    const host = make('dothost', '/CN=Host', LEAF('a@example.org'), 'ncdot');
    const validator = createCertificateValidator({ trustAnchors: [root], intermediates: [ca], revocation: 'off' });
    assert.equal((await validator.validate({ certificate: sub, intermediates: [], purpose: 'signing', at: new Date() })).trusted, true);
    assert.equal((await validator.validate({ certificate: host, intermediates: [], purpose: 'signing', at: new Date() })).trusted, false);
  });

  test('a critical extension Cachet does not understand is refused; a non-critical one is ignored', async () => {
    const critical = make('crit', '/CN=Crit', LEAF('crit@example.com', '1.3.6.1.4.1.99999.1=critical,DER:0500'), 'root');
    const plain = make('noncrit', '/CN=NonCrit', LEAF('nc@example.com', '1.3.6.1.4.1.99999.1=DER:0500'), 'root');
    const validator = createCertificateValidator({ trustAnchors: [root], revocation: 'off' });
    const bad = await validator.validate({ certificate: critical, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(bad.trusted, false);
    assert.match(bad.error!.message, /critical extension .*1\.3\.6\.1\.4\.1\.99999\.1/);
    assert.equal((await validator.validate({ certificate: plain, intermediates: [], purpose: 'signing', at: new Date() })).trusted, true);
  });

  test('pathLenConstraint 0 forbids a CA below the intermediate', async () => {
    const i1 = make('p0', '/CN=PathLen Zero CA', `${CA_EXT}\nbasicConstraints=critical,CA:TRUE,pathlen:0`, 'root');
    const i2 = make('p1', '/CN=Too Deep CA', CA_EXT, 'p0');
    const leaf = make('deep', '/CN=Deep', LEAF('deep@example.com'), 'p1');
    const direct = make('shallow', '/CN=Shallow', LEAF('shallow@example.com'), 'p0');
    const validator = createCertificateValidator({ trustAnchors: [root], intermediates: [i1, i2], revocation: 'off' });
    const bad = await validator.validate({ certificate: leaf, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(bad.trusted, false);
    assert.match(bad.error!.message, /PathLen Zero CA may not issue that deep a chain/);
    assert.equal((await validator.validate({ certificate: direct, intermediates: [], purpose: 'signing', at: new Date() })).trusted, true);
  });

  test('two CAs of the same name (a re-keyed intermediate): the chain goes through the one whose key signed', async () => {
    const old = make('rekey-old', '/CN=Rekeyed CA', `${CA_EXT}\nauthorityKeyIdentifier=keyid`, 'root');
    const current = make('rekey-new', '/CN=Rekeyed CA', `${CA_EXT}\nauthorityKeyIdentifier=keyid`, 'root');
    const leaf = make('rekey-leaf', '/CN=Rekeyed', `${LEAF('rekeyed@example.com')}\nauthorityKeyIdentifier=keyid`, 'rekey-new');
    const validator = createCertificateValidator({ trustAnchors: [root], intermediates: [old, current], revocation: 'off' });
    const result = await validator.validate({ certificate: leaf, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(result.trusted, true, result.error?.message);
    assert.deepEqual(Buffer.from(result.chain[1]!), Buffer.from(current));
    const withoutNew = await createCertificateValidator({ trustAnchors: [root], intermediates: [old], revocation: 'off' })
      .validate({ certificate: leaf, intermediates: [], purpose: 'signing', at: new Date() });
    assert.equal(withoutNew.trusted, false, 'the old key did not sign it');
  });

  test('validity is reported at the signing time and now', async () => {
    const leaf = make('dated', '/CN=Dated', LEAF('dated@example.com'), 'root', '1');
    const validator = createCertificateValidator({ trustAnchors: [root], revocation: 'off' });
    const later = new Date(Date.now() + 3 * 86_400_000);
    const result = await validator.validate({ certificate: leaf, intermediates: [], purpose: 'signing', at: later, signingTime: new Date() });
    assert.equal(result.trusted, false);
    assert.equal(result.error?.code, 'ERR_CERT_EXPIRED');
    assert.match(result.error!.message, /the certificate of dated@example\.com expired on \d{4}-\d\d-\d\d/);
    assert.equal(result.validAtSigningTime, true);
  });

  test('the From address matches the certificate case-insensitively, with IDNA domains', () => {
    const idn = make('idn', '/CN=Idn', LEAF('info@xn--bcher-kva.example'), 'root');
    assert.equal(matchesSenderAddress(idn, 'Info@Bücher.example'), true);
    assert.equal(matchesSenderAddress(idn, 'info@BÜCHER.EXAMPLE'), true);
    assert.equal(matchesSenderAddress(idn, 'other@bücher.example'), false);
    assert.equal(matchesSenderAddress(idn, 'not-an-address'), false);
  });
});
