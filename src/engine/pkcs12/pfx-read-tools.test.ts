/**
 * readPfx against files real tools write beyond the test PKI's: Java keytool keystores (two key
 * entries and a trusted certificate), OpenSSL without encryption of the certificates, without a MAC,
 * with 128-bit RC2, several certificates; and hostile or damaged files, which must end in a typed
 * error and bounded work.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { readPfx } from './pfx-read.js';
import { certificateDer, pkiBytes, pkiFile, P12_PASSWORD } from '../../../test/helpers/pki.js';
import { CachetError, isCachetError } from '../../errors.js';

let dir = '';

function keyMatches(pkcs8: Uint8Array, certificate: Uint8Array): boolean {
  const fromKey = createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return fromKey.equals(new X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'der', type: 'spki' }));
}

function opensslExport(out: string, ...extra: string[]): Buffer {
  execFileSync('openssl', ['pkcs12', '-export', '-out', join(dir, out), '-passout', 'pass:secret', ...extra], { stdio: 'pipe' });
  return readFileSync(join(dir, out));
}

/** One DER element: its tag byte, its content, and where it ends (single-byte tags are all PFX uses). */
function element(der: Buffer, at: number): { tag: number; content: Buffer; end: number } {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[at + 2 + i]!;
    start += count;
  }
  return { tag, content: der.subarray(start, start + length), end: start + length };
}

/**
 * Re-encodes the outer layers of a DER PFX as BER the way macOS Keychain and Java 8 write it:
 * indefinite lengths, and the authenticated safe's OCTET STRING in constructed 1000-byte segments.
 * The MAC covers the octets themselves, so it stays valid.
 */
function toIndefiniteBer(der: Buffer, depth = 0): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < der.length; ) {
    const { tag, content, end } = element(der, at);
    if (tag === 0x04 && depth === 3) {
      const segments: Buffer[] = [];
      for (let i = 0; i < content.length; i += 1000) {
        const piece = content.subarray(i, i + 1000);
        segments.push(Buffer.concat([Buffer.from([0x04, 0x82, piece.length >> 8, piece.length & 0xff]), piece]));
      }
      out.push(Buffer.from([0x24, 0x80]), ...segments, Buffer.from([0, 0]));
    } else if ((tag & 0x20) !== 0 && depth < 3) {
      out.push(Buffer.from([tag, 0x80]), toIndefiniteBer(content, depth + 1), Buffer.from([0, 0]));
    } else {
      out.push(der.subarray(at, end));
    }
    at = end;
  }
  return Buffer.concat(out);
}

describe('PKCS#12 from other tools', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachet-p12-tools-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Java keytool: two key entries and a trusted CA in one keystore, each key with its own certificate', async () => {
    const store = join(dir, 'java.p12');
    for (const name of ['alice', 'carol']) {
      execFileSync('keytool', ['-importkeystore', '-noprompt', '-srckeystore', pkiFile(`${name}.p12`), '-srcstoretype', 'PKCS12', '-srcstorepass', P12_PASSWORD,
        '-srcalias', name, '-destalias', name, '-destkeystore', store, '-deststoretype', 'PKCS12', '-deststorepass', 'changeit'], { stdio: 'pipe' });
    }
    execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'root', '-file', pkiFile('ca.pem'), '-keystore', store, '-storetype', 'PKCS12', '-storepass', 'changeit'], { stdio: 'pipe' });
    const contents = await readPfx(readFileSync(store), 'changeit');
    assert.equal(contents.credentials.length, 2);
    for (const name of ['alice', 'carol']) {
      const credential = contents.credentials.find((c) => c.friendlyName === name);
      assert.ok(credential, `${name}'s entry is found by its alias`);
      assert.deepEqual(Buffer.from(credential.certificate), certificateDer(name));
      assert.ok(keyMatches(credential.privateKeyPkcs8, credential.certificate));
      assert.ok(credential.chain.some((c) => Buffer.from(c).equals(new X509Certificate(pkiBytes('ca.pem')).raw)), 'the trusted root joins the chain');
    }
    await assert.rejects(readPfx(readFileSync(store), 'wrongpass'), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
  });

  test('OpenSSL variants: certificates not encrypted, 128-bit RC2, no MAC, AES-128 with SHA-512 MAC', async () => {
    const base = ['-inkey', pkiFile('erin.key'), '-in', pkiFile('erin.pem'), '-certfile', pkiFile('ca.pem'), '-name', 'Erin ü'];
    const variants: Array<[string, string[]]> = [
      ['plain-certs.p12', ['-certpbe', 'NONE']],
      ['rc2-128.p12', ['-legacy', '-certpbe', 'PBE-SHA1-RC2-128']],
      ['nomac.p12', ['-nomac']],
      ['aes128.p12', ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC', '-macalg', 'sha512']],
    ];
    for (const [file, options] of variants) {
      const contents = await readPfx(opensslExport(file, ...base, ...options), 'secret');
      assert.equal(contents.credentials.length, 1, file);
      assert.equal(contents.credentials[0]!.friendlyName, 'Erin ü', file);
      assert.ok(keyMatches(contents.credentials[0]!.privateKeyPkcs8, contents.credentials[0]!.certificate), file);
      assert.equal(contents.certificates.length, 2, file);
    }
    // Without a MAC, the wrong password shows when the key does not decrypt.
    // A wrong AES key passes the padding check about once in 256 tries: those must say "wrong password" too.
    const nomac = readFileSync(join(dir, 'nomac.p12'));
    for (let i = 0; i < 600; i++) {
      await assert.rejects(readPfx(nomac, `wrong-${i}`), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'), `password wrong-${i}`);
    }
  });

  test('a file with only certificates gives no credential, and the certificates', async () => {
    const contents = await readPfx(opensslExport('certs-only.p12', '-nokeys', '-in', pkiFile('chain.pem')), 'secret');
    assert.equal(contents.credentials.length, 0);
    assert.ok(contents.certificates.length >= 2);
  });

  test('BER with indefinite lengths and a segmented OCTET STRING (as macOS Keychain writes) reads like the DER file', async () => {
    for (const file of ['dan-legacy.p12', 'carol.p12']) {
      const ber = toIndefiniteBer(pkiBytes(file));
      assert.ok(ber.includes(Buffer.from([0x24, 0x80])), 'the test file really is BER');
      // ... and a valid PKCS#12 file: OpenSSL checks its MAC too.
      const path = join(dir, `ber-${file}`);
      writeFileSync(path, ber);
      execFileSync('openssl', ['pkcs12', '-in', path, '-noout', '-passin', `pass:${P12_PASSWORD}`, ...(file.includes('legacy') ? ['-legacy'] : [])], { stdio: 'pipe' });
      const contents = await readPfx(ber, P12_PASSWORD);
      const name = file.replace(/(-legacy)?\.p12$/, '');
      assert.deepEqual(Buffer.from(contents.credentials[0]!.certificate), certificateDer(name));
      assert.ok(keyMatches(contents.credentials[0]!.privateKeyPkcs8, contents.credentials[0]!.certificate));
      await assert.rejects(readPfx(ber, 'wrong'), (e) => isCachetError(e, 'ERR_PKCS12_BAD_PASSWORD'));
    }
  });

  test('a hostile MAC iteration count is refused before any work', async () => {
    const pfx = asn1js.fromBER(new Uint8Array(pkiBytes('bob.p12'))).result as asn1js.Sequence;
    const macData = pfx.valueBlock.value[2] as asn1js.Sequence;
    macData.valueBlock.value[2] = new asn1js.Integer({ value: 2_000_000_000 });
    const hostile = new Uint8Array(pfx.toBER());
    const started = Date.now();
    await assert.rejects(readPfx(hostile, P12_PASSWORD), (e) => isCachetError(e, 'ERR_LIMIT_EXCEEDED') && /iterations/.test((e as Error).message));
    assert.ok(Date.now() - started < 2000);
  });

  test('damaged files end in a typed error, never a crash', async () => {
    const good = pkiBytes('alice-legacy.p12');
    const allowed = new Set(['ERR_PKCS12_MALFORMED', 'ERR_PKCS12_BAD_PASSWORD', 'ERR_LIMIT_EXCEEDED', 'ERR_UNSUPPORTED_ALGORITHM']);
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const damaged = Buffer.from(good);
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(random() * damaged.length);
        damaged[at] = damaged[at]! ^ (1 + Math.floor(random() * 255));
      }
      const cut = round % 3 === 0 ? damaged.subarray(0, Math.floor(random() * damaged.length)) : damaged;
      try {
        await readPfx(cut, P12_PASSWORD);
      } catch (error) {
        assert.ok(error instanceof CachetError, `round ${round}: ${String(error)}`);
        assert.ok(allowed.has(error.code), `round ${round}: ${error.code}`);
      }
    }
  });
});
