/**
 * The hand-written EME-OAEP decoder: against Node's own OAEP when both digests agree (property test),
 * against OpenSSL's `pkeyutl` when MGF1 has a digest of its own, and every malformed encoding (Y ≠ 0,
 * wrong lHash, no separator, a stray byte in PS, wrong label, c ≥ n) fails with the one error Node's
 * OAEP path gives.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, createHash, privateDecrypt, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { certificateDer, pkiFile, privateKey } from '../../../test/helpers/pki.js';
import { isCachetError } from '../../errors.js';
import { softwareKey } from '../software-key.js';
import { emeOaepDecode, mgf1, rsaOaepDecryptWithMgf1, type OaepDigest } from './eme-oaep.js';

const DIGESTS: OaepDigest[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const bobKey = privateKey('bob');
const bobPublic = new X509Certificate(certificateDer('bob')).publicKey;
const K = Math.ceil((bobKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);

/** EME-OAEP encoding (RFC 8017 §7.1.1) with a free MGF1 digest and optional tampering, for the tests. */
function emeOaepEncode(message: Buffer, hash: OaepDigest, mgf1Hash: OaepDigest, options: { label?: Buffer; y?: number; lHash?: Buffer; ps?: (db: Buffer, hLen: number) => void } = {}): Buffer {
  const lHash = options.lHash ?? createHash(hash).update(options.label ?? Buffer.alloc(0)).digest();
  const hLen = lHash.length;
  const db = Buffer.alloc(K - hLen - 1);
  lHash.copy(db);
  db[db.length - message.length - 1] = 0x01;
  message.copy(db, db.length - message.length);
  options.ps?.(db, hLen);
  const seed = randomBytes(hLen);
  const dbMask = mgf1(mgf1Hash, seed, db.length);
  const maskedDb = Buffer.from(db.map((b, i) => b ^ dbMask[i]!));
  const seedMask = mgf1(mgf1Hash, maskedDb, hLen);
  const maskedSeed = Buffer.from(seed.map((b, i) => b ^ seedMask[i]!));
  return Buffer.concat([Buffer.from([options.y ?? 0]), maskedSeed, maskedDb]);
}

function rawEncrypt(em: Buffer): Buffer {
  return publicEncrypt({ key: bobPublic, padding: constants.RSA_NO_PADDING }, em);
}

/** The error Node's own OAEP path gives through the software key, for comparison. */
async function nodePathError(key: KeyObject): Promise<{ code: string; message: string }> {
  try {
    await softwareKey(key).decryptKeyTransport!(randomBytes(K), { scheme: 'rsa-oaep', hash: 'sha256' });
  } catch (error) {
    assert.ok(isCachetError(error));
    return { code: error.code, message: error.message };
  }
  throw new Error('a random ciphertext decrypted under OAEP');
}

describe('EME-OAEP decoding by hand', () => {
  test('property: equals Node\'s OAEP when MGF1 uses the OAEP digest', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DIGESTS), fc.uint8Array({ minLength: 0, maxLength: 62 }), fc.option(fc.uint8Array({ minLength: 0, maxLength: 40 }), { nil: undefined }), (hash, message, label) => {
        const c = publicEncrypt({ key: bobPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, ...(label ? { oaepLabel: label } : {}) }, message);
        const byNode = privateDecrypt({ key: bobKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, ...(label ? { oaepLabel: label } : {}) }, c);
        const byHand = rsaOaepDecryptWithMgf1(bobKey, c, { hash, mgf1Hash: hash, ...(label ? { label } : {}) });
        assert.deepEqual(byHand, Buffer.from(message));
        assert.deepEqual(byHand, byNode);
      }),
      { numRuns: 120 },
    );
  });

  test('the test encoder agrees with Node when the digests agree (so its tampering tests mean something)', () => {
    const message = randomBytes(32);
    const c = rawEncrypt(emeOaepEncode(message, 'sha256', 'sha256'));
    assert.deepEqual(privateDecrypt({ key: bobKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, c), message);
  });

  test('OpenSSL pkeyutl ciphertexts with a differing MGF1 digest decode by hand, and not with the wrong MGF1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachet-eme-oaep-'));
    try {
      for (const [hash, mgf] of [['sha256', 'sha1'], ['sha384', 'sha256'], ['sha1', 'sha512'], ['sha512', 'sha1']] as Array<[OaepDigest, OaepDigest]>) {
        const message = randomBytes(32);
        writeFileSync(join(dir, 'in'), message);
        const c = execFileSync('openssl', ['pkeyutl', '-encrypt', '-certin', '-inkey', pkiFile('bob.pem'), '-in', join(dir, 'in'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${mgf}`]);
        assert.deepEqual(rsaOaepDecryptWithMgf1(bobKey, c, { hash, mgf1Hash: mgf }), message, `${hash}/MGF1-${mgf}`);
        assert.throws(() => rsaOaepDecryptWithMgf1(bobKey, c, { hash, mgf1Hash: hash }), (e: unknown) => isCachetError(e, 'ERR_DECRYPT_FAILED'));
        // Node's OAEP (one digest) cannot read it: the reason this decoder exists.
        assert.throws(() => privateDecrypt({ key: bobKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, c));
        // And our encoder's output OpenSSL decrypts: encoder and decoder are not wrong the same way.
        const ours = rawEncrypt(emeOaepEncode(message, hash, mgf));
        writeFileSync(join(dir, 'c'), ours);
        const back = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', pkiFile('bob.key'), '-in', join(dir, 'c'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${mgf}`]);
        assert.deepEqual(back, message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every malformed encoding fails with the same code and message as Node\'s OAEP path', async () => {
    const expected = await nodePathError(bobKey);
    assert.equal(expected.code, 'ERR_DECRYPT_FAILED');
    const message = randomBytes(32);
    const cases: Array<[string, Buffer]> = [
      ['Y ≠ 0', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { y: 0x01 }))],
      ['lHash mismatch', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { lHash: randomBytes(32) }))],
      ['a wrong label', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { label: Buffer.from('other') }))],
      ['no 0x01 separator', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { ps: (db) => db.fill(0, 32) }))],
      ['a non-zero byte in PS', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { ps: (db, hLen) => void (db[hLen + 3] = 0x07) }))],
      ['a separator other than 0x01', rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1', { ps: (db) => void (db[db.length - message.length - 1] = 0x02) }))],
      ['c ≥ n', Buffer.alloc(K, 0xff)],
      ['too long', randomBytes(K + 1)],
      ['random', randomBytes(K)],
    ];
    const handle = softwareKey(bobKey);
    for (const [name, c] of cases) {
      await assert.rejects(handle.decryptKeyTransport!(c, { scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha1' }), (e: unknown) => {
        assert.ok(isCachetError(e), name);
        assert.deepEqual({ code: e.code, message: e.message }, expected, name);
        return true;
      });
    }
    // The untampered encoding decodes (the cases above differ from it only in what they name).
    assert.deepEqual(await handle.decryptKeyTransport!(rawEncrypt(emeOaepEncode(message, 'sha256', 'sha1')), { scheme: 'rsa-oaep', hash: 'sha256', mgf1Hash: 'sha1' }), message);
    // An empty message after the separator is a valid encoding.
    assert.deepEqual(emeOaepDecode(publicEncryptDecrypt(emeOaepEncode(Buffer.alloc(0), 'sha1', 'sha256')), { hash: 'sha1', mgf1Hash: 'sha256' }), Buffer.alloc(0));
  });

  test('a key too small for the digests fails like bad padding', () => {
    assert.throws(() => emeOaepDecode(Buffer.alloc(2 * 64 + 1), { hash: 'sha512', mgf1Hash: 'sha1' }), (e: unknown) => isCachetError(e, 'ERR_DECRYPT_FAILED'));
  });
});

function publicEncryptDecrypt(em: Buffer): Buffer {
  return privateDecrypt({ key: bobKey, padding: constants.RSA_NO_PADDING }, rawEncrypt(em));
}
