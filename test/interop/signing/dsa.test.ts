/**
 * DSA, as old corporate PKIs and RFC 4134 use it: read and verified (signatures and DSA-signed
 * certificates), flagged as a weak algorithm, never produced. A DSA root and signer are made by
 * OpenSSL at test time, and OpenSSL signs with them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMessage } from '../../../src/engine/smime/open.js';
import { verifyCms } from '../../../src/engine/smime/verify.js';
import { createCertificateValidator } from '../../../src/engine/pki/create-validator.js';
import { toByteStream } from '../../../src/engine/stream-types.js';
import { runCachet } from '../../helpers/cli.js';
import { runToolOk } from '../../helpers/oracles.js';

const vectors = fileURLToPath(new URL('../../vectors/rfc4134/', import.meta.url));
let dir = '';
const at = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachet-dsa-'));
  const openssl = (...args: string[]) => runToolOk('openssl', args);
  openssl('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', at('params.pem'));
  openssl('genpkey', '-paramfile', at('params.pem'), '-out', at('root.key'));
  openssl('req', '-x509', '-new', '-key', at('root.key'), '-subj', '/O=Old Corp/CN=Old Corp DSA Root', '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', at('root.pem'));
  openssl('genpkey', '-paramfile', at('params.pem'), '-out', at('dave.key'));
  openssl('req', '-new', '-key', at('dave.key'), '-subj', '/O=Old Corp/CN=dave', '-out', at('dave.csr'));
  writeFileSync(at('ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:dave@example.com\n');
  openssl('x509', '-req', '-in', at('dave.csr'), '-CA', at('root.pem'), '-CAkey', at('root.key'), '-CAcreateserial', '-days', '365', '-sha256', '-extfile', at('ext'), '-out', at('dave.pem'));
  writeFileSync(at('message.eml'), 'From: dave@example.com\r\nTo: bob@example.com\r\nSubject: from the old PKI\r\nContent-Type: text/plain\r\n\r\nsigned with DSA\r\n');
  openssl('cms', '-sign', '-in', at('message.eml'), '-signer', at('dave.pem'), '-inkey', at('dave.key'), '-md', 'sha256', '-out', at('detached.eml'));
  openssl('cms', '-sign', '-nodetach', '-in', at('message.eml'), '-signer', at('dave.pem'), '-inkey', at('dave.key'), '-md', 'sha256', '-out', at('opaque.eml'));
  openssl('pkcs12', '-export', '-inkey', at('dave.key'), '-in', at('dave.pem'), '-passout', 'pass:test', '-out', at('dave.p12'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('DSA from OpenSSL', () => {
  for (const file of ['detached.eml', 'opaque.eml']) {
    test(`${file}: valid and trusted through the DSA-signed certificate, flagged weak`, async () => {
      const validator = createCertificateValidator({ trustAnchors: [readFileSync(at('root.pem'))] });
      const opened = await openMessage(toByteStream(readFileSync(at(file))), { decryptors: [], validator });
      try {
        assert.equal(opened.report.status, 'valid', JSON.stringify(opened.report.signers));
        const signer = opened.report.signers[0]!;
        assert.equal(signer.signatureAlgorithm, 'dsa-sha256');
        assert.equal(signer.weakAlgorithm, true, 'DSA is weak even with SHA-256');
        assert.ok(opened.report.warnings.some((w) => /dave@example\.com signed with a weak algorithm/.test(w)));
      } finally {
        await opened.dispose();
      }
    });
  }

  test('a changed message is invalid', async () => {
    const tampered = readFileSync(at('detached.eml'), 'latin1').replace('signed with DSA', 'signed with RSA');
    const opened = await openMessage(toByteStream(tampered), { decryptors: [] });
    try {
      assert.equal(opened.report.status, 'invalid');
      assert.equal(opened.report.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
    } finally {
      await opened.dispose();
    }
  });

  test('cachet verify names the weak algorithm; cachet sign never signs with DSA', async () => {
    const verified = await runCachet(['verify', '-i', at('detached.eml'), '--trust', at('root.pem')]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /valid signature, trusted: dave@example\.com \(sha256, dsa-sha256.*\[weak algorithm\]/);
    const signed = await runCachet(['sign', '--signer', at('dave.p12'), '-i', at('message.eml'), '-o', at('out.eml')], { env: { CACHET_PASSWORD: 'test' } });
    assert.equal(signed.status, 1);
    assert.match(signed.stderr, /verifies DSA signatures but never makes them/);
    assert.throws(() => readFileSync(at('out.eml')), 'nothing was written');
    // Nor is a DSA credential imported as the user's own: it could never sign.
    const imported = await runCachet(['cert', 'import', at('dave.p12'), '--json'], { env: { CACHET_HOME: at('home'), CACHET_VAULT_PASSPHRASE: 'correct horse', CACHET_PASSWORD: 'test' } });
    assert.equal(imported.status, 1);
    assert.equal((JSON.parse(imported.stdout) as { error: { code: string } }).error.code, 'ERR_CERT_ROLE_UNUSABLE');
    assert.match(imported.stderr, /DSA key/);
  });
});

describe('RFC 4134 DSA certificates', () => {
  test('AliceDSS (4.1.bin) chains to CarlDSS: the DSA signature on her certificate is checked', async () => {
    const carl = readFileSync(join(vectors, 'CarlDSSSelf.cer'));
    const when = new Date('2010-01-01T00:00:00Z');
    // The RFC's certificates are signed with dsa-with-sha1: accepted only as legacy certificates.
    const trusting = createCertificateValidator({ trustAnchors: [carl], legacyCertificates: true });
    const report = await verifyCms(toByteStream(readFileSync(join(vectors, '4.1.bin'))), { validator: trusting, at: when }, { write: () => undefined });
    assert.equal(report.signers[0]!.trusted, true, JSON.stringify(report.signers[0]!.error));
    assert.equal(report.signers[0]!.weakAlgorithm, true);
    // Another root of the same RFC does not vouch for her.
    const other = createCertificateValidator({ trustAnchors: [readFileSync(join(vectors, 'CarlRSASelf.cer'))], legacyCertificates: true });
    const untrusted = await verifyCms(toByteStream(readFileSync(join(vectors, '4.1.bin'))), { validator: other, at: when }, { write: () => undefined });
    assert.equal(untrusted.signers[0]!.trusted, false);
  });
});
