/**
 * OpenSSL `openssl cms` both ways: its detached and opaque signatures (SHA-256/384/512, SHA-1, PSS,
 * ECDSA P-256/P-384, definite and indefinite encodings) read by Cachet; Cachet's verified by OpenSSL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateDer, pkiFile } from '../../helpers/pki.js';
import { toByteStream } from '../../../src/engine/stream-types.js';
import { verifyCms } from '../../../src/engine/smime/verify.js';
import { createPrivateKey } from 'node:crypto';
import type { Signer } from '../../../src/engine/keys.js';
import { softwareKey } from '../../../src/engine/software-key.js';
import { cachetSign, cachetVerify, ENTITY, errors, run, runOk, signer, tempDir } from './support.js';

let dir: ReturnType<typeof tempDir>;
before(() => {
  dir = tempDir('cachet-ossl-sign-');
  writeFileSync(join(dir.path, 'entity.txt'), ENTITY);
  // Ed25519 and P-521 signers are not in the test PKI: self-signed ones, made here.
  for (const [name, keyArgs] of [['ed', ['-newkey', 'ed25519']], ['p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521']]] as const) {
    runOk('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir.path, `${name}.key`), '-out', join(dir.path, `${name}.pem`), '-days', '2',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${name}@example.com`, '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=emailProtection']);
  }
});

function selfSigned(name: string): Signer {
  const pem = readFileSync(join(dir.path, `${name}.pem`), 'latin1');
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
  return { certificate: der, key: softwareKey(createPrivateKey(readFileSync(join(dir.path, `${name}.key`)))) };
}
after(() => dir?.remove());

function opensslSign(name: string, args: string[]): Buffer {
  const out = join(dir.path, `o-${Math.random().toString(36).slice(2)}`);
  runOk('openssl', ['cms', '-sign', '-in', join(dir.path, 'entity.txt'), '-signer', pkiFile(`${name}.pem`), '-inkey', pkiFile(`${name}.key`), '-out', out, ...args]);
  return readFileSync(out);
}

describe('openssl signs, Cachet verifies', () => {
  const cases: Array<{ title: string; name: string; args: string[]; digest: string; algorithm: RegExp; form: 'detached' | 'opaque'; weak?: boolean }> = [
    { title: 'detached RSA SHA-256', name: 'alice', args: ['-md', 'sha256'], digest: 'sha256', algorithm: /^rsa-pkcs1/, form: 'detached' },
    { title: 'detached RSA SHA-384', name: 'alice', args: ['-md', 'sha384'], digest: 'sha384', algorithm: /^rsa-pkcs1/, form: 'detached' },
    { title: 'detached RSA SHA-512', name: 'bob', args: ['-md', 'sha512'], digest: 'sha512', algorithm: /^rsa-pkcs1/, form: 'detached' },
    { title: 'opaque RSA SHA-256', name: 'alice', args: ['-md', 'sha256', '-nodetach'], digest: 'sha256', algorithm: /^rsa-pkcs1/, form: 'opaque' },
    { title: 'opaque streamed (indefinite BER)', name: 'alice', args: ['-md', 'sha256', '-nodetach', '-stream'], digest: 'sha256', algorithm: /^rsa-pkcs1/, form: 'opaque' },
    { title: 'detached RSA-PSS', name: 'alice', args: ['-md', 'sha256', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:digest'], digest: 'sha256', algorithm: /^rsa-pss-sha256$/, form: 'detached' },
    { title: 'opaque RSA-PSS SHA-384', name: 'bob', args: ['-md', 'sha384', '-nodetach', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:digest'], digest: 'sha384', algorithm: /^rsa-pss-sha384$/, form: 'opaque' },
    { title: 'detached ECDSA P-256', name: 'carol', args: ['-md', 'sha256'], digest: 'sha256', algorithm: /^ecdsa-sha256$/, form: 'detached' },
    { title: 'opaque ECDSA P-384', name: 'erin', args: ['-md', 'sha384', '-nodetach'], digest: 'sha384', algorithm: /^ecdsa-sha384$/, form: 'opaque' },
    { title: 'detached SHA-1 (weak, still valid)', name: 'alice', args: ['-md', 'sha1'], digest: 'sha1', algorithm: /^rsa-pkcs1/, form: 'detached', weak: true },
  ];
  for (const c of cases) {
    test(c.title, async () => {
      const message = opensslSign(c.name, c.args);
      const { report, content } = await cachetVerify(message);
      assert.equal(report.valid, true, errors(report));
      assert.equal(report.form, c.form);
      const s = report.signers[0]!;
      assert.equal(s.digestAlgorithm, c.digest);
      assert.match(s.signatureAlgorithm, c.algorithm);
      assert.equal(s.weakAlgorithm, c.weak === true);
      assert.deepEqual(s.email, [`${c.name}@example.com`]);
      assert.ok(s.signingTime && Math.abs(Date.parse(s.signingTime) - Date.now()) < 300_000);
      assert.deepEqual(content, ENTITY);
    });
  }

  test('bare DER, definite and indefinite (-stream), opaque and detached with --content', async () => {
    for (const extra of [[], ['-stream']]) {
      const opaque = opensslSign('alice', ['-md', 'sha256', '-nodetach', '-outform', 'DER', ...extra]);
      assert.equal((await verifyCms(toByteStream(opaque))).valid, true);
      // (with -stream and DER output openssl embeds the content, so the detached case is definite only)
      const detached = opensslSign('carol', ['-md', 'sha256', '-binary', '-outform', 'DER']);
      assert.equal((await verifyCms(toByteStream(detached), { content: toByteStream(ENTITY) })).valid, true);
      const pem = opensslSign('alice', ['-md', 'sha256', '-nodetach', '-outform', 'PEM', ...extra]);
      assert.equal((await verifyCms(toByteStream(pem))).valid, true);
    }
  });

  test('one changed content byte is reported invalid', async () => {
    const message = opensslSign('alice', ['-md', 'sha256']).toString('latin1').replace('signed test', 'signed tesT');
    const { report } = await cachetVerify(Buffer.from(message, 'latin1'));
    assert.equal(report.valid, false);
    assert.ok(['ERR_DIGEST_MISMATCH', 'ERR_SIGNATURE_INVALID'].includes(report.signers[0]!.error!.code));
  });
});

describe('Cachet signs, openssl verifies', () => {
  const signers = [
    { title: 'RSA PKCS#1 v1.5', make: () => signer('alice') },
    { title: 'RSA-PSS', make: () => signer('alice', { rsaScheme: 'rsa-pss' }) },
    { title: 'RSA SHA-512', make: () => signer('bob', { digest: 'sha512' }) },
    { title: 'ECDSA P-256', make: () => signer('carol') },
    { title: 'ECDSA P-384', make: () => signer('erin') },
  ];
  for (const s of signers) {
    for (const mode of ['detached', 'opaque'] as const) {
      test(`${mode} ${s.title}`, async () => {
        const message = await cachetSign(ENTITY, { signers: [s.make()], mode });
        const file = join(dir.path, `c-${mode}-${s.title.replace(/\W/g, '')}.eml`);
        writeFileSync(file, message);
        const result = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem')]);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(result.stdout.toString('latin1').replace(/\r\n/g, '\n'), ENTITY.toString('latin1').replace(/\r\n/g, '\n'));
        const own = await cachetVerify(message);
        assert.equal(own.report.valid, true, errors(own.report));
        assert.deepEqual(own.content, ENTITY);
        assert.deepEqual(own.report.signers[0]!.capabilities.slice(0, 2), ['aes-256-gcm', 'aes-128-gcm']);
      });
    }
  }

  test('ECDSA P-521 (self-signed signer), both modes and both ways', async () => {
    for (const mode of ['detached', 'opaque'] as const) {
      const message = await cachetSign(ENTITY, { signers: [selfSigned('p521')], mode });
      const file = join(dir.path, `c-p521-${mode}.eml`);
      writeFileSync(file, message);
      const result = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', join(dir.path, 'p521.pem'), '-out', '/dev/null']);
      assert.equal(result.status, 0, result.stderr);
      const { report } = await cachetVerify(message);
      assert.equal(report.valid, true, errors(report));
      assert.equal(report.signers[0]!.signatureAlgorithm, 'ecdsa-sha512');
      if (mode === 'detached') assert.match(message.toString('latin1'), /micalg=sha-512/);
    }
    const out = join(dir.path, 'o-p521.eml');
    runOk('openssl', ['cms', '-sign', '-md', 'sha512', '-in', join(dir.path, 'entity.txt'), '-signer', join(dir.path, 'p521.pem'), '-inkey', join(dir.path, 'p521.key'), '-out', out]);
    const fromOpenssl = await cachetVerify(readFileSync(out));
    assert.equal(fromOpenssl.report.valid, true, errors(fromOpenssl.report));
    assert.equal(fromOpenssl.report.signers[0]!.signatureAlgorithm, 'ecdsa-sha512');
  });

  test('Ed25519 (RFC 8419) signs and verifies in Cachet; OpenSSL 3.0 cannot do Ed25519 in CMS at all', async () => {
    for (const mode of ['detached', 'opaque'] as const) {
      const message = await cachetSign(ENTITY, { signers: [selfSigned('ed')], mode });
      const { report, content } = await cachetVerify(message);
      assert.equal(report.valid, true, errors(report));
      assert.equal(report.signers[0]!.signatureAlgorithm, 'ed25519');
      assert.equal(report.signers[0]!.digestAlgorithm, 'sha512');
      assert.deepEqual(content, ENTITY);
      const tampered = await cachetVerify(Buffer.from(message.toString('latin1').replace('Hello Bob', 'Hello Bub'), 'latin1'));
      if (mode === 'detached') assert.equal(tampered.report.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
    }
    // OpenSSL 3.0.x: "CMS_add1_signer: no default digest" (sign) and "eddsa_digest_signverify_init: invalid digest" (verify).
    const result = run('openssl', ['cms', '-sign', '-in', join(dir.path, 'entity.txt'), '-signer', join(dir.path, 'ed.pem'), '-inkey', join(dir.path, 'ed.key'), '-out', join(dir.path, 'o-ed.eml')]);
    if (result.status === 0) {
      const fromOpenssl = await cachetVerify(readFileSync(join(dir.path, 'o-ed.eml')));
      assert.equal(fromOpenssl.report.valid, true, errors(fromOpenssl.report));
    }
  });

  test('SMIMEEncryptionKeyPreference names the encryption certificate, which travels with the signature', async () => {
    const message = await cachetSign(ENTITY, { signers: [signer('frank-sign', { encryptionCertificate: certificateDer('frank-enc') })], mode: 'detached' });
    const { report } = await cachetVerify(message);
    assert.equal(report.valid, true, errors(report));
    const preference = report.signers[0]!.encryptionKeyPreference!;
    assert.equal(preference.source, 'smime');
    assert.deepEqual(Buffer.from(preference.certificate!), certificateDer('frank-enc'));
    assert.ok(report.certificates.some((c) => Buffer.from(c).equals(certificateDer('frank-enc'))));
    const file = join(dir.path, 'c-keypref.eml');
    writeFileSync(file, message);
    const printed = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']);
    assert.equal(printed.status, 0, printed.stderr);
  });

  test('multipart/signed names micalg and protocol; opaque names smime-type', async () => {
    const detached = (await cachetSign(ENTITY, { signers: [signer('erin')], mode: 'detached' })).toString('latin1');
    assert.match(detached, /protocol="application\/pkcs7-signature"/);
    assert.match(detached, /micalg=sha-384/);
    const opaque = (await cachetSign(ENTITY, { signers: [signer('alice')], mode: 'opaque' })).toString('latin1');
    assert.match(opaque, /application\/pkcs7-mime; smime-type=signed-data; name="smime.p7m"/);
  });

  test('a tampered Cachet message fails in Cachet and in openssl', async () => {
    const message = (await cachetSign(ENTITY, { signers: [signer('alice')], mode: 'detached' })).toString('latin1').replace('Hello Bob', 'Hello Bub');
    const { report } = await cachetVerify(Buffer.from(message, 'latin1'));
    assert.equal(report.valid, false);
    assert.equal(report.signers[0]!.error?.code, 'ERR_DIGEST_MISMATCH');
    const file = join(dir.path, 'tampered.eml');
    writeFileSync(file, message, 'latin1');
    assert.notEqual(run('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem')]).status, 0);
  });

  test('a relay that strips trailing white space and turns CRLF into LF breaks nothing', async () => {
    const entity = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nline with trailing space   \r\nFrom the start of a line\r\ncaf\u00e9 \u2014 8-bit text ' + 'x'.repeat(200) + '\r\n', 'utf8');
    for (const mode of ['detached', 'opaque'] as const) {
      const message = await cachetSign(entity, { signers: [signer('alice'), signer('carol')], mode });
      const relayed = Buffer.from(message.toString('latin1').replace(/[ \t]+(?=\r?\n)/g, '').replace(/\r\n/g, '\n'), 'latin1');
      const { report } = await cachetVerify(relayed);
      assert.equal(report.valid, true, `${mode}: ${errors(report)}`);
      assert.equal(report.signers.length, 2);
      const file = join(dir.path, `relayed-${mode}.eml`);
      writeFileSync(file, relayed);
      const result = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', pkiFile('ca.pem'), '-out', '/dev/null']);
      assert.equal(result.status, 0, result.stderr);
    }
  });
});
